// The pictures a training run leaves in its directory:
//   samples.png  the data beside the model's samples (stochastic sampler and probability flow),
//                all in the same view box
//   loss.png     the training loss per iteration (from log.csv)
#pragma once
#include <string>

#include "engine/backend.h"
#include "host/data_source.h"
#include "host/run_state.h"

namespace df {

void write_run_figures(Backend& be, const RunConfig& cfg, const RunState& st, const DataSource& data,
                       const std::string& dir, std::size_t n);

}  // namespace df
