// Training one model on a budget (bench/compare.h), in segments with a measurement after each.
//   budgets      wall time: the trainer's budget_seconds, segment by segment, so that the time a
//                segment overshoots is taken from the next; iterations: K; network evaluations:
//                K = ⌊E / (batch · passes)⌋ (passes: engine/model_family.h)
//   schedule     the learning rate decays 7.5 times over each model's own run, as the family
//                defaults do (× 0.95 every 200 of 1,500 iterations): decay_every = expected
//                iterations / 7.5, so a model that gets 80× more iterations in the same time is
//                not decayed 80× more. Under a time budget the expected iterations come from a
//                short probe run (timed, then deleted), once per model and shape.
//   segments     the run is cut into P equal parts of its budget; after each, measure_curve_point
//                samples and evaluates the EMA model. Only the trainer's wall time (its checkpoint
//                writes included) counts against the budget, never the measurements.
// A run that the trainer stops (non-finite loss or gradient) is marked stopped.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>

#include "bench/compare.h"
#include "host/errors.h"
#include "host/train_log.h"
#include "host/trainer.h"

namespace dfc {

const char* Budget::key() const {
  switch (kind) {
    case BudgetKind::Seconds: return "seconds";
    case BudgetKind::Iterations: return "iterations";
    case BudgetKind::Evaluations: return "evaluations";
  }
  return "";
}

std::string Budget::text() const {
  char b[160];
  switch (kind) {
    case BudgetKind::Seconds: std::snprintf(b, sizeof b, "equal wall time: %g s of training per model and seed", amount); break;
    case BudgetKind::Iterations: std::snprintf(b, sizeof b, "equal iterations: %.0f per model and seed", amount); break;
    case BudgetKind::Evaluations:
      std::snprintf(b, sizeof b, "equal network evaluations: %.4g of training per model and seed", amount);
      break;
  }
  return b;
}

long passes_per_sample(const df::RunConfig& cfg) { return df::train_passes_per_sample(cfg.kind(), cfg.grid.N); }

double evals_per_iter(const df::RunConfig& cfg) { return double(passes_per_sample(cfg)) * cfg.batch; }

namespace {

constexpr double kDecays = 7.5;             // the family defaults: 1,500 iterations, decay every 200
constexpr std::int64_t kNoLimit = 100000000;  // iterations when time is the limit (the most a run may set)

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Seconds per training iteration of this configuration, from a probe run of about 2 % of the
// budget (0.3 s to 5 s) in dir/probe, which is deleted afterwards. Cached per model and shape.
double seconds_per_iter(df::Backend& be, const df::DataSource& data, const df::RunConfig& cfg, double budget,
                        const std::string& dir) {
  static std::map<std::string, double> cache;
  const std::string key = cfg.model + "/" + std::to_string(cfg.grid.N) + "/" + std::to_string(cfg.batch) + "/" +
                          std::to_string(cfg.shape.W) + "/" + std::to_string(cfg.shape.L);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  df::RunConfig c = cfg;
  c.iters = kNoLimit;
  c.decay_every = 0;
  df::RunState st = df::new_run_state(c, data);
  df::TrainOptions opt;
  opt.dir = dir + "/probe";
  opt.quiet = true;
  opt.budget_seconds = std::min(5.0, std::max(0.3, 0.02 * budget));
  std::filesystem::create_directories(opt.dir);
  std::string diverged;  // the probe only times iterations: a divergence is not reported
  opt.diverged = &diverged;
  const double t0 = now_s();
  df::train(be, c, st, data, opt);
  const double per = (now_s() - t0) / double(std::max<std::int64_t>(1, st.iteration));
  std::filesystem::remove_all(opt.dir);
  cache[key] = per;
  return per;
}

double mean_of(const std::vector<double>& v, std::size_t from, std::size_t to) {
  double s = 0;
  for (std::size_t i = from; i < to; ++i) s += v[i];
  return to > from ? s / double(to - from) : NAN;
}

}  // namespace

TrainResult train_budgeted(df::Backend& be, const Options& o, const df::DataSource& data, df::RunConfig cfg,
                           const Budget& budget, int segments, const std::string& dir, const df::Matrix* curve_pts) {
  std::filesystem::create_directories(dir);
  TrainResult r;
  const bool timed = budget.kind == BudgetKind::Seconds;
  std::int64_t total = 0;
  if (budget.kind == BudgetKind::Iterations) total = std::max<std::int64_t>(1, std::llround(budget.amount));
  if (budget.kind == BudgetKind::Evaluations)
    total = std::max<std::int64_t>(1, std::int64_t(std::floor(budget.amount / evals_per_iter(cfg))));
  r.expected_iters = timed ? budget.amount / seconds_per_iter(be, data, cfg, budget.amount, dir) : double(total);
  cfg.decay_every = std::max(1, int(std::lround(r.expected_iters / kDecays)));
  df::RunState st = df::new_run_state(cfg, data);
  const int P = std::max(1, segments);
  for (int j = 1; j <= P; ++j) {
    df::RunConfig c = cfg;
    df::TrainOptions opt;
    opt.dir = dir;
    opt.quiet = o.quiet;
    opt.label = cfg.model + " seed " + std::to_string(cfg.seed);
    std::string diverged;  // reported as compare's own line, not as diffflow's error
    opt.diverged = &diverged;
    bool run = true;
    if (timed) {
      const double left = budget.amount * j / P - r.seconds;
      c.iters = kNoLimit;
      opt.budget_seconds = left;
      run = left > 0;
    } else {
      c.iters = (total * j) / P;
      run = c.iters > st.iteration;
    }
    if (run) {
      const double t0 = now_s();
      const int rc = df::train(be, c, st, data, opt);
      r.seconds += now_s() - t0;
      if (rc != 0) {
        if (!diverged.empty()) std::fprintf(stderr, "compare: %s: %s\n", opt.label.c_str(), diverged.c_str());
        r.stopped = true;
        break;
      }
    }
    if (curve_pts) {
      CurvePoint p;
      p.seconds = r.seconds;
      p.iters = long(st.iteration);
      p.evals = double(st.iteration) * evals_per_iter(cfg);
      c.iters = st.iteration;
      const double t0 = now_s();
      measure_curve_point(be, o, data, c, st, *curve_pts, p);
      r.measure_seconds += now_s() - t0;
      r.curve.push_back(p);
    }
  }
  r.iters = long(st.iteration);
  r.evals = double(st.iteration) * evals_per_iter(cfg);
  cfg.iters = st.iteration;
  r.cfg = cfg;
  r.st = std::move(st);
  const df::TrainLog log = df::read_train_log(dir + "/log.csv");
  const std::size_t n = log.size(), w = std::max<std::size_t>(1, n / 10);
  if (n > 0) {
    r.loss_start = mean_of(log.loss, 0, std::min(n, w));
    r.loss_end = mean_of(log.loss, n - std::min(n, w), n);
  }
  return r;
}

}  // namespace dfc
