// A progress display for long work. On a terminal: one line redrawn in place
//   [########------------] 1200/3000  loss 1.2345  25.1 it/s  ETA 01:11
// elsewhere (logs, CI): a plain line at every 10% so a log file stays short.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

namespace df {

class Progress {
 public:
  Progress(std::string label, std::int64_t start, std::int64_t total, bool quiet = false);
  void update(std::int64_t done, const std::string& status);
  void finish(const std::string& status);

 private:
  std::string line(std::int64_t done, const std::string& status) const;
  std::string label_;
  std::int64_t start_, total_, last_plain_ = -1;
  bool tty_, quiet_;
  std::chrono::steady_clock::time_point t0_, last_draw_;
};

}  // namespace df
