// The pictures a training run leaves in its directory:
//   samples.png  the data beside the model's samples (stochastic sampler and probability flow),
//                all in the data's view box, with axes in data units
//   loss.png     from log.csv: the raw loss per iteration as faint points, its trailing moving
//                average (window from smoothing_window) as a line, the y range set by robust
//                quantiles (loss_y_range), the learning-rate decay points as dashed lines; and a
//                second panel with the gradient norms of the trained networks before clipping
//                (log scale; for DiffFlow the drift's and the score's), with the clipping
//                threshold.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "engine/backend.h"
#include "host/data_source.h"
#include "host/run_state.h"
#include "host/train_log.h"

namespace df {

// Draws both figures (samples.png only for d >= 2) and returns the names of the files written
// (none, with a warning, in a build without libpng).
std::vector<std::string> write_run_figures(Backend& be, const RunConfig& cfg, const RunState& st,
                                           const DataSource& data, const std::string& dir, std::size_t n);

// loss.png of a run with configuration cfg, from its log.
void write_loss_png(const std::string& path, const TrainLog& log, const RunConfig& cfg);

// The loss panel's y range: the 0.5% and 99% quantiles of the raw loss, widened by 6% of their
// distance on each side (so a few early values do not flatten the rest).
std::pair<double, double> loss_y_range(const std::vector<double>& loss);

}  // namespace df
