// DIR/log.csv of a training run read back (host/trainer.cpp writes it: one row per iteration,
// iter,loss,grad_norm_f,grad_norm_s,lr_f,lr_s,N,seconds), and the statistics the loss figure
// and the end-of-run summary share: the trailing moving average and its window, quantiles, the
// iterations where the learning rate was decayed, and what the loss of each model family is.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace df {

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
