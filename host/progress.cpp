// Progress display; see host/progress.h.
#include "host/progress.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>

namespace df {

Progress::Progress(std::string label, std::int64_t start, std::int64_t total, bool quiet)
    : label_(std::move(label)), start_(start), total_(total), tty_(isatty(2) != 0), quiet_(quiet),
      t0_(std::chrono::steady_clock::now()), last_draw_(t0_) {}

std::string Progress::line(std::int64_t done, const std::string& status) const {
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  double rate = secs > 0 ? double(done - start_) / secs : 0.0;
  double eta = rate > 0 ? double(total_ - done) / rate : 0.0;
  char buf[256];
  const int width = 20;
  int fill = total_ > 0 ? int(width * double(done) / double(total_)) : width;
  std::string bar(std::size_t(fill), '#');
  bar += std::string(std::size_t(width - fill), '-');
  int em = int(eta) / 60, es = int(eta) % 60;
  std::snprintf(buf, sizeof buf, "%s [%s] %lld/%lld  %s  %.1f it/s  ETA %02d:%02d", label_.c_str(), bar.c_str(),
                (long long)done, (long long)total_, status.c_str(), rate, em, es);
  return buf;
}

void Progress::update(std::int64_t done, const std::string& status) {
  if (quiet_) return;
  auto now = std::chrono::steady_clock::now();
  if (tty_) {
    if (std::chrono::duration<double>(now - last_draw_).count() < 0.1 && done < total_) return;
    last_draw_ = now;
    std::fprintf(stderr, "\r%s\033[K", line(done, status).c_str());
    std::fflush(stderr);
  } else {
    std::int64_t span = total_ - start_;
    std::int64_t step = span >= 10 ? span / 10 : 1;
    std::int64_t bucket = (done - start_) / step;
    if (bucket != last_plain_ || done == total_) {
      if (bucket == last_plain_) return;
      last_plain_ = bucket;
      std::fprintf(stderr, "%s\n", line(done, status).c_str());
    }
  }
}

void Progress::finish(const std::string& status) {
  if (quiet_) return;
  if (tty_) std::fprintf(stderr, "\r%s\033[K\n", line(total_, status).c_str());
  else std::fprintf(stderr, "%s\n", line(total_, status).c_str());
}

}  // namespace df
