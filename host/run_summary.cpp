// End-of-training summary, terminal and DIR/summary.json; see host/run_summary.h.
#include "host/run_summary.h"

#include <cmath>
#include <cstdio>

#include "host/io.h"
#include "host/json_text.h"

namespace df {
namespace {

double rate(const RunSummary& s) { return s.seconds > 0 && s.iterations_run > 0 ? double(s.iterations_run) / s.seconds : NAN; }

}  // namespace

RunSummary summarize_run(const TrainLog& log, const RunConfig& cfg, std::int64_t start_iteration,
                         std::int64_t end_iteration, double seconds, const std::string& device,
                         const std::string& dir, std::vector<std::string> files) {
  RunSummary s;
  s.model = cfg.model, s.data = cfg.data, s.device = device, s.dir = dir;
  s.iterations = end_iteration;
  s.iterations_run = end_iteration - start_iteration;
  s.seconds = seconds;
  s.loss = loss_description(cfg.model);
  s.window = smoothing_window(log.size());
  if (log.size() > 0) {
    s.final_loss = log.loss.back();
    s.smoothed_loss = moving_average(log.loss, s.window).back();
  }
  files.push_back("summary.json");
  s.files = std::move(files);
  return s;
}

std::string summary_text(const RunSummary& s) {
  char buf[512];
  const double r = rate(s);
  std::snprintf(buf, sizeof buf, "summary: %lld iterations in %.1f s", (long long)s.iterations_run, s.seconds);
  std::string out = buf;
  if (std::isfinite(r)) out += " (" + std::string(buf, std::snprintf(buf, sizeof buf, "%.1f", r)) + " it/s)";
  if (s.iterations != s.iterations_run) out += ", " + std::to_string(s.iterations) + " in all";
  if (std::isfinite(s.final_loss)) {
    std::snprintf(buf, sizeof buf, "\n  loss %.4f at the last iteration, %.4f mean of the last %d: %s", s.final_loss,
                  s.smoothed_loss, s.window, s.loss.c_str());
    out += buf;
  }
  out += "\n  files: " + s.dir + "/{";
  for (std::size_t i = 0; i < s.files.size(); ++i) out += (i ? ", " : "") + s.files[i];
  return out + "}\n";
}

std::string summary_json(const RunSummary& s) {
  std::string files;
  for (const std::string& f : s.files) files += (files.empty() ? "" : ", ") + json_string(f);
  return "{\"model\": " + json_string(s.model) + ", \"data\": " + json_string(s.data) +
         ", \"device\": " + json_string(s.device) + ", \"dir\": " + json_string(s.dir) +
         ", \"iterations\": " + std::to_string(s.iterations) +
         ", \"iterations_this_run\": " + std::to_string(s.iterations_run) + ", \"seconds\": " + json_number(s.seconds) +
         ", \"iterations_per_second\": " + json_number(rate(s)) + ", \"final_loss\": " + json_number(s.final_loss) +
         ", \"smoothed_loss\": " + json_number(s.smoothed_loss) + ", \"smoothing_window\": " + std::to_string(s.window) +
         ", \"loss\": " + json_string(s.loss) + ", \"files\": [" + files + "]}\n";
}

void write_summary_json(const RunSummary& s) { atomic_write_file(s.dir + "/summary.json", summary_json(s)); }

}  // namespace df
