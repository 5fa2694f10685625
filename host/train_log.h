// DIR/log.csv of a training run: one row per iteration, iter,loss,grad_norm_f,grad_norm_s,lr_f,
// lr_s,N,seconds. The rows live in the checkpoint (host/checkpoint.h, the run's one commit point)
// and log.csv is rewritten from them after each checkpoint, so it never runs ahead of the
// checkpoint and a crash between the two is repaired on resume (restore_log_file). Also the log
// read back, and the statistics the loss figure and the end-of-run summary share: the trailing
// moving average and its window, quantiles, the iterations where the learning rate was decayed,
// and what the loss of each model family is.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace df {

extern const char* const kLogHeader;  // log.csv's first line, with its newline

// One row, with its newline.
std::string format_log_row(std::int64_t iter, double loss, double grad_f, double grad_s, double lr_f, double lr_s,
                           int N, double seconds);

// The loss column of log rows (no header).
std::vector<double> log_losses(const std::string& rows);

// Makes `path` hold kLogHeader + rows. Returns the number of rows written back: 0 when the file
// already holds them, all of them when it is missing, the lost tail when it holds an earlier
// state of the same log (a crash after the checkpoint, before log.csv). A later state of the same
// log (the rows continue past `rows`: a run resumed from an older state, as the Python module's
// models in memory are) is left as it is, 0, for the next save to rewrite. Throws InputError when
// it holds anything else (edited, or another run's log): that file is never overwritten.
std::int64_t restore_log_file(const std::string& path, const std::string& rows);

// The rows of an existing log.csv up to iteration `upto`, for a checkpoint of the earlier format
// 01 that did not hold them; "" when there is no such file.
std::string log_rows_upto(const std::string& path, std::int64_t upto);

struct TrainLog {
  std::vector<double> iter, loss, grad_f, grad_s, lr_f, lr_s, seconds;  // one entry per row
  std::size_t size() const { return iter.size(); }
};

// Reads the log; columns are found by their names in the header. InputError naming the file
// (and the line) when it is missing, has no such header or a row is malformed.
TrainLog read_train_log(const std::string& path);

// The smoothing window for n values: n / 30 rounded, within [1, 200] (50 for 1,500 iterations).
int smoothing_window(std::size_t n);

// Trailing moving average: out[i] = mean of v[max(0, i - w + 1) .. i] (a shorter window at the
// start).
std::vector<double> moving_average(const std::vector<double>& v, int w);

// The q-quantile (0 <= q <= 1) of the finite values, linear between order statistics; NaN when
// there are none.
double quantile(const std::vector<double>& v, double q);

// The iterations after which the learning rate of either network was multiplied (the row
// before each change of lr_f or lr_s).
std::vector<double> lr_decay_points(const TrainLog& log);

// What `model`'s training loss is, with its unit, e.g. "−ELBO (nats per sample, standardized
// data)".
std::string loss_description(const std::string& model);

}  // namespace df
