// The training loop (host layer): batches, the backend's loss-and-gradient sweep, per-network
// gradient-norm clipping, Adam with separate learning rates and step decay, EMA weights,
// checkpoints every save_every iterations and at the end, DIR/log.csv, progress display.
// Each save is one commit point: the checkpoint (holding the log rows) first, then log.csv
// rewritten from it; on resume a log.csv the crash left behind is restored from the checkpoint.
// A non-finite loss or gradient, or a loss the divergence guard (host/divergence.h) judges
// exploded, stops the run and keeps the last good checkpoint. A write the system refuses (disk
// full) throws EnvironmentError naming the checkpoint that is kept.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include "engine/backend.h"
#include "host/data_source.h"
#include "host/run_state.h"

namespace df {

struct TrainOptions {
  std::string dir;     // run directory (checkpoint.bin, log.csv)
  bool quiet = false;  // no progress display
  double budget_seconds = 0;  // > 0: stop (and checkpoint) once this much training time has passed
  std::string label = "train";  // progress line label
  // Called after every iteration with the iterations done and that iteration's loss; returning
  // false stops the run there (checkpointed, as at the end). The Python module's callbacks and
  // Ctrl-C come through here. Its time is not training time: it is left out of the budget and of
  // log.csv's seconds.
  std::function<bool(std::int64_t done, double loss)> on_iteration = {};
  // When set, a divergence's message ("training diverged at iteration K: why; training stopped,
  // the last good checkpoint (iteration J) is kept in DIR/checkpoint.bin") goes here instead of
  // a "diffflow: error:" line on stderr (the Python module raises it).
  std::string* diverged = nullptr;
};

// A fresh state: initialized parameters, zero Adam moments, EMA = parameters, and the
// standardization fitted on the data.
RunState new_run_state(const RunConfig& cfg, const DataSource& data);

// Trains from st.iteration up to cfg.iters. Returns 0, or 3 when training diverged (the message
// is printed, or stored in *opt.diverged; the last good checkpoint stays in opt.dir).
int train(Backend& be, const RunConfig& cfg, RunState& st, const DataSource& data, const TrainOptions& opt);

}  // namespace df
