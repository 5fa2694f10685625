// Validation and early stopping; see host/validation.h.
#include "host/validation.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "host/checkpoint.h"
#include "host/errors.h"
#include "host/io.h"
#include "host/model_ops.h"
#include "host/run_estimate.h"
#include "host/stats.h"

namespace df {

namespace {
const char* kHeader = "iter,valid_nll,valid_se,best_nll,best_iter,stale,seconds\n";
constexpr std::uint64_t kValidSeed = 0x7A11D5EEDull;  // the fixed noise of every validation
constexpr double kFfjordValidTol = 1e-3;
}  // namespace

Validator::Validator(Backend& be, const RunConfig& cfg, const RunState& st, const DataSource& data,
                     const std::string& dir, const ValidationOptions& opt, bool quiet)
    : be_(be), cfg_(cfg), st_(st), dir_(dir), opt_(opt), quiet_(quiet) {
  points_ = data.valid_sample(opt.n, cfg.seed);
  if (points_.rows < 1)
    throw InputError("train: --valid: '" + data.spec() +
                     "' has no validation split (a file: split it yourself; built-in and real sets have one)");
  // resume: the rows up to the checkpoint's iteration, and the best and count they reached
  // (a bounded read of a regular file, host/file_read.h: never a FIFO or a device)
  struct stat sb;
  const std::string path = dir + "/valid.csv";
  std::stringstream in(::lstat(path.c_str(), &sb) == 0 ? read_file(path) : std::string());
  std::string line;
  if (std::getline(in, line))
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      std::stringstream ss(line);
      std::string cell[7];
      for (std::string& c : cell) std::getline(ss, c, ',');
      if (std::atoll(cell[0].c_str()) > st.iteration) break;
      rows_ += line + "\n";
      best_ = std::atof(cell[3].c_str());
      best_iter_ = std::atoll(cell[4].c_str());
      stale_ = std::atoi(cell[5].c_str());
      seconds_ = std::atof(cell[6].c_str());
      last_ = std::atoll(cell[0].c_str());
    }
}

bool Validator::validate(std::int64_t it) {
  const auto t0 = std::chrono::steady_clock::now();
  const bool ffjord = cfg_.kind() == ModelKind::FFJORD;
  // FFJORD: Dormand–Prince at a tolerance of at least 1e-3 (eval's default is 1e-5): its adaptive
  // steps grow as the dynamics sharpen, and at the tight tolerance one validation of a 64-D model
  // took longer than its whole training budget; 1e-3 moves the NLL far less than its standard error
  RunConfig cfg = cfg_;
  if (ffjord) cfg.ode_tol = std::max(cfg.ode_tol, kFfjordValidTol);
  const PointNll p = point_nll(be_, cfg, st_, PointsView::of(points_), 1, 1, !ffjord, ffjord, kValidSeed);
  const std::vector<double>& v = ffjord ? p.ode : p.bound;
  const MeanSe m = mean_se(v);
  const double mean = m.mean, se = m.se;
  const bool better = std::isfinite(mean) && (best_iter_ < 0 || mean < best_);
  if (better) {
    best_ = mean;
    best_iter_ = it;
    stale_ = 0;
    const std::string best_dir = dir_ + "/best";
    ::mkdir(best_dir.c_str(), 0777);  // exists already: fine; otherwise the write below says why
    // the checkpoint's own limit (the memory budget, as load_checkpoint reads it), not a data file's
    atomic_write_file(checkpoint_path(best_dir), read_file(checkpoint_path(dir_), memory_budget_bytes()));
  } else {
    ++stale_;
  }
  last_ = it;
  seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  char row[256];
  std::snprintf(row, sizeof row, "%lld,%.9g,%.6g,%.9g,%lld,%d,%.3f\n", (long long)it, mean, se, best_,
                (long long)best_iter_, stale_, seconds_);
  rows_ += row;
  atomic_write_file(dir_ + "/valid.csv", kHeader + rows_);
  if (!quiet_)
    std::fprintf(stderr, "\nvalidation at %lld: NLL %.4f ± %.4f nats on %zu points%s\n", (long long)it, mean, se,
                 points_.rows, better ? " (best so far, saved to best/)" : "");
  if (opt_.patience > 0 && stale_ >= opt_.patience) {
    stopped_ = true;
    if (!quiet_)
      std::fprintf(stderr, "early stop: %d validations without improvement; best NLL %.4f at iteration %lld (%s/best)\n",
                   stale_, best_, (long long)best_iter_, dir_.c_str());
    return false;
  }
  return true;
}

std::function<bool(std::int64_t, double)> Validator::hook() {
  return [this](std::int64_t done, double) {
    if (done % cfg_.save_every != 0 && done != cfg_.iters) return true;  // st holds the saved weights only then
    return validate(done);
  };
}

void Validator::finish() {
  if (!stopped_ && last_ != st_.iteration) validate(st_.iteration);
}

}  // namespace df
