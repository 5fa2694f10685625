// Shared declarations of `diffflow-bench compare`: DiffFlow, DDPM and FFJORD on the same data,
// networks and batches, each at its own tuned settings, on equal budgets, over several seeds.
//   compare_main.cpp     flags, defaults, the order of the work
//   compare_run.cpp      budgets (wall time, iterations, network evaluations), the learning-rate
//                        schedule laid out over each model's own run, training in segments with
//                        a measurement after each (the training curves; not timed)
//   compare_tune.cpp     --tune: the sweep per model, judged on a validation split
//   compare_eval.cpp     test metrics at the training N, the steps-against-quality sweep, the
//                        metrics of a curve point
//   compare_stats.cpp    mean ± standard deviation over seeds, verdicts (win or not)
//   compare_report.cpp   DIR/compare.json
//   compare_markdown.cpp the markdown fragment DIR/compare.md (for docs/results.md)
//   compare_figures.cpp  curves.png, steps.png, steps_seconds.png, diffuse.png, samples.png
// Budgets are per model and seed. Network evaluations of training are counted once, by
// engine/model_family.h train_passes_per_sample: evaluations = iterations · batch · passes.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "engine/backend.h"
#include "host/data_source.h"
#include "host/eval_metrics.h"
#include "host/matrix.h"
#include "host/model_ops.h"
#include "host/run_state.h"

namespace dfc {

enum class BudgetKind { Seconds, Iterations, Evaluations };

struct Budget {
  BudgetKind kind = BudgetKind::Seconds;
  double amount = 0;  // seconds of training, iterations, or network evaluations (per model and seed)
  Budget scaled(double f) const { return Budget{kind, amount * f}; }
  const char* key() const;   // "seconds" | "iterations" | "evaluations"
  std::string text() const;  // e.g. "equal wall time: 60 s of training per model and seed"
};

// What --tune chooses for a model. train_steps: FFJORD's fixed RK4 steps (training and its
// sampler); DiffFlow's and DDPM's grid N, which is not tuned.
struct Settings {
  double lr = 1e-2;
  int train_steps = 0;
  // "lr-X-steps-N": the directory of these settings' runs under tune/ and rejected/
  std::string dir_name() const {
    char b[96];
    std::snprintf(b, sizeof b, "lr-%g-steps-%d", lr, train_steps);
    return b;
  }
};

struct Options {
  std::string data, out, command, device, device_description;
  bool gpu = false, quiet = false, tune = false, denoise = false;
  std::vector<df::RunConfig> base;  // one per model: family defaults and flags, no settings yet
  Budget budget;
  int seeds = 3;
  std::uint64_t seed0 = 0;
  int curve_points = 6;
  std::size_t eval_n = 2000, metric_n = 20000, curve_n = 5000, curve_eval_n = 500;
  std::size_t sweep_n = 10000, sweep_eval_n = 500, val_n = 5000;
  std::vector<int> sweep_steps;
  std::vector<double> lambdas;
  std::vector<double> ffjord_tols;  // FFJORD's points of the sweep: Dormand–Prince tolerances
  double tune_fraction = 0.25;
  std::vector<double> tune_lrs;
  std::vector<int> tune_ffjord_steps;
};

// Held-out draws, never used for training: test (DataSource::eval_sample: fresh draws of a
// named set, a real set's test split), validation (DataSource::valid_sample: other draws, a real
// set's validation split) and, for the figures, a third seed's test draws.
constexpr std::uint64_t kTestSeed = 11, kFigureSeed = 12, kValidationSeed = 1011;
constexpr std::uint64_t kTuneSeedOffset = 1000;  // tuning runs train with seed0 + this

struct CurvePoint {
  double seconds = 0, evals = 0;
  long iters = 0;
  df::SampleMetrics sm;
  double nll = NAN;  // bound (DiffFlow, DDPM) or exact (FFJORD) on the curve's test points
};

struct TrainResult {  // one model trained once (a seed of the real runs, or a tuning candidate)
  df::RunConfig cfg;  // as trained; cfg.iters = the iterations done
  df::RunState st;
  long iters = 0;
  double seconds = 0, evals = 0, expected_iters = 0;
  double measure_seconds = 0;  // wall time of the curve measurements (not part of the budget)
  bool stopped = false;  // a non-finite loss or gradient stopped the trainer
  double loss_start = NAN, loss_end = NAN;  // mean training loss of the first and last tenth
  std::vector<CurvePoint> curve;
};

struct SweepPoint {
  int steps = 0;         // FFJORD: the Dormand–Prince steps its tolerance took, (nfe − 1) / 6
  double lambda = NAN;  // NaN for FFJORD (an ODE flow, no λ)
  double tol = NAN;     // FFJORD: the sampler's Dormand–Prince tolerance; NaN for the others
  double seconds = NAN;  // wall time to draw the sweep's samples
  long nfe = 0;          // network evaluations per sample
  df::SampleMetrics sm;
  double nll = NAN;      // λ = 0: ODE likelihood on this grid; λ = 1: the bound on it; else NaN
};

struct SeedRun {
  std::uint64_t seed = 0;
  TrainResult train;
  df::EvalResult ev;
  df::SampleMetrics sm;
  double samples_per_s = NAN;
  long nfe_sample = 0;
  double eval_seconds = 0;  // wall time of evaluate_test and steps_sweep
  df::Matrix shown;  // up to 3000 of the test samples (seed 0 only, for the figure)
  std::vector<SweepPoint> sweep;
};

struct Candidate {
  Settings s;
  long iters = 0;
  double seconds = 0, evals = 0, loss_start = NAN, loss_end = NAN;
  double val_sw2 = NAN, val_nll = NAN;
  std::string rejected;  // why; empty = accepted
};

struct Tuning {
  bool done = false;
  std::vector<Candidate> cands;
  int chosen = -1;
  bool all_rejected = false;
};

struct ModelResult {
  std::string model;
  Settings settings;
  Tuning tuning;
  std::vector<SeedRun> runs;
};

struct Stat {
  double mean = NAN, sd = NAN;
  int n = 0;
};

struct Verdict {
  std::string metric, a, b;   // models (or model@steps)
  Stat sa, sb;
  double floor = NAN;         // the metric's resolution (see compare_stats.cpp)
  int better = 0;             // −1: a, +1: b, 0: no difference established
  std::string text() const;
};

// compare_main.cpp
df::RunConfig with_settings(const df::RunConfig& base, const Settings& s);

// compare_run.cpp
long passes_per_sample(const df::RunConfig& cfg);
double evals_per_iter(const df::RunConfig& cfg);
TrainResult train_budgeted(df::Backend& be, const Options& o, const df::DataSource& data, df::RunConfig cfg,
                           const Budget& budget, int segments, const std::string& dir, const df::Matrix* curve_pts);

// compare_tune.cpp
Tuning tune_model(df::Backend& be, const Options& o, const df::DataSource& data, const df::RunConfig& base,
                  const df::Matrix& val_pts);
// Judges one trained run as a tuning candidate (c.rejected empty = accepted; c.val_sw2, c.val_nll).
void judge_run(df::Backend& be, const Options& o, const TrainResult& tr, const df::Matrix& val_pts, Candidate& c);
// The accepted candidate with the lowest validation SW2, or -1 when none is accepted.
int choose_candidate(const Tuning& t);

// compare_eval.cpp
df::SampleMetrics set_metrics(const df::DataSource& data, const df::Matrix& samples, std::uint64_t seed);
df::Sampler default_sampler(const Options& o, const df::RunConfig& cfg);
void evaluate_test(df::Backend& be, const Options& o, const df::DataSource& data, const df::Matrix& test_pts,
                   SeedRun& r);
std::vector<SweepPoint> steps_sweep(df::Backend& be, const Options& o, const df::DataSource& data,
                                    const df::RunConfig& cfg, const df::RunState& st, const df::Matrix& pts,
                                    std::uint64_t seed);
void measure_curve_point(df::Backend& be, const Options& o, const df::DataSource& data, const df::RunConfig& cfg,
                         const df::RunState& st, const df::Matrix& pts, CurvePoint& p);
double entropy_of(const df::DataSource& data);  // NaN where unknown

// compare_stats.cpp
Stat stat(const std::vector<double>& v);  // over the finite values; sd with n − 1
double likelihood_of(const SeedRun& r);   // exact (FFJORD) or ODE (DiffFlow, DDPM)
double likelihood_se(const SeedRun& r);   // its standard error over the test points
std::vector<double> swept_lambdas(const ModelResult& m);  // λ of its sweep in order (NaN alone: FFJORD)
bool same_lambda(double a, double b);                     // equal, or both NaN
Verdict judge(const std::string& metric, const std::string& a, const std::vector<double>& va, const std::string& b,
              const std::vector<double>& vb, double floor);
std::vector<Verdict> model_verdicts(const std::vector<ModelResult>& res);
std::vector<Verdict> steps_verdicts(const std::vector<ModelResult>& res, int n_diffflow, int n_ddpm);

// compare_figures.cpp: writes the PNGs, returns "name WxH" per file
struct Figure {
  std::string file;
  int width = 0, height = 0;
};
std::vector<Figure> write_figures(const Options& o, const df::DataSource& data, const std::vector<ModelResult>& res);

// compare_report.cpp (JSON) and compare_markdown.cpp (the fragment)
Stat summary_stat(const ModelResult& m, const std::string& key, double entropy);  // a compare.json summary column
std::string markdown(const Options& o, const df::DataSource& data, const std::vector<ModelResult>& res,
                     const std::vector<Verdict>& verdicts, const std::vector<Verdict>& steps,
                     const std::vector<Figure>& figs);
void write_reports(const Options& o, const df::DataSource& data, const std::vector<ModelResult>& res,
                   const std::vector<Figure>& figs);

}  // namespace dfc
