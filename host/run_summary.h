// The end of `diffflow train`: a short summary of the run on the terminal (final loss and its
// smoothed value, time, iterations per second, where the files are) and the same in
// DIR/summary.json, written atomically (host/io.h). The smoothed value is the trailing moving
// average of host/train_log.h over the window loss.png uses.
#pragma once
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "host/run_state.h"
#include "host/train_log.h"

namespace df {

struct RunSummary {
  std::string model, data, device, dir;
  std::int64_t iterations = 0;      // done in all (the run's iteration count)
  std::int64_t iterations_run = 0;  // done by this command (fewer after --resume)
  double seconds = 0;               // wall time of this command's training, figures excluded
  double final_loss = NAN;          // the last logged iteration's loss
  double smoothed_loss = NAN;       // mean of the last `window` logged losses
  int window = 0;
  std::string loss;                 // what the loss is, with its unit
  std::vector<std::string> files;   // names in dir the run wrote, summary.json last
};

// The summary of a run whose log is `log` after this command trained from start_iteration to
// st.iteration in `seconds`; `files` are the names written besides summary.json.
RunSummary summarize_run(const TrainLog& log, const RunConfig& cfg, std::int64_t start_iteration,
                         std::int64_t end_iteration, double seconds, const std::string& device,
                         const std::string& dir, std::vector<std::string> files);

// Three lines for the terminal (two when the log is empty).
std::string summary_text(const RunSummary& s);

// One JSON object (non-finite numbers as null), ending in a newline.
std::string summary_json(const RunSummary& s);

// Writes summary_json to DIR/summary.json atomically.
void write_summary_json(const RunSummary& s);

}  // namespace df
