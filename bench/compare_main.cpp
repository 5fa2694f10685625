// diffflow-bench compare: the flags, their defaults and checks, and the order of the work. Per
// model: the settings (its family's defaults and the flags, or the --tune sweep on a validation
// split), then one run per seed on the budget (equal wall time by default, or equal iterations,
// or equal network evaluations), each measured on held-out test draws at its training N and
// across sampling steps; then the figures and the reports (compare.json, compare.md).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "bench/bench.h"
#include "bench/compare.h"
#include "engine/cpu_parallel.h"
#include "host/backend_flags.h"
#include "host/cli_args.h"
#include "host/errors.h"
#include "host/train_config.h"

namespace dfc {

df::RunConfig with_settings(const df::RunConfig& base, const Settings& s) {
  df::RunConfig c = base;
  c.lr_f = c.lr_s = s.lr;
  if (s.train_steps > 0) c.grid.N = s.train_steps;
  return c;
}

}  // namespace dfc

namespace {

struct Points {  // the held-out draws of the measurements
  const df::Matrix &test, &val, &curve, &sweep;
};

// Runs every seed of one model at mr.settings into mr.runs. With --tune each run is first judged
// as a tuning candidate is (dfc::judge_run, on the validation split); the first that fails is
// returned as "seed K: why" and, when stop (another candidate is left), ends the round at once.
std::string run_seeds(df::Backend& be, const dfc::Options& o, const df::DataSource& data, const df::RunConfig& base,
                      const Points& pts, bool stop, dfc::ModelResult& mr) {
  std::string failed;
  mr.runs.clear();
  for (int k = 0; k < o.seeds; ++k) {
    dfc::SeedRun r;
    r.seed = o.seed0 + std::uint64_t(k);
    df::RunConfig cfg = dfc::with_settings(base, mr.settings);
    cfg.seed = r.seed;
    const std::string dir = o.out + "/" + base.model + "/seed-" + std::to_string(r.seed);
    r.train = dfc::train_budgeted(be, o, data, cfg, o.budget, o.curve_points, dir,
                                  o.curve_n > 0 || o.curve_eval_n > 0 ? &pts.curve : nullptr);
    if (o.tune && failed.empty()) {
      dfc::Candidate check;
      dfc::judge_run(be, o, r.train, pts.val, check);
      if (!check.rejected.empty()) {
        failed = "seed " + std::to_string(r.seed) + ": " + check.rejected;
        if (stop) return failed;
      }
    }
    if (!r.train.stopped) {
      if (!o.quiet) std::fprintf(stderr, "[%s seed %llu] evaluating\n", base.model.c_str(), (unsigned long long)r.seed);
      const auto t0 = std::chrono::steady_clock::now();
      dfc::evaluate_test(be, o, data, pts.test, r);
      r.sweep = dfc::steps_sweep(be, o, data, r.train.cfg, r.train.st, pts.sweep, r.seed);
      r.eval_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    } else {  // no test metrics for a run the trainer stopped: NaN, left out of the means
      r.sm = dfc::set_metrics(data, df::Matrix{}, r.seed);
      r.ev.nll_bound = r.ev.nll_ode = r.ev.nll_exact = NAN;
    }
    if (k > 0) r.shown = df::Matrix{};
    mr.runs.push_back(std::move(r));
  }
  return failed;
}

// Whether a candidate other than the chosen one is accepted.
bool has_fallback(const dfc::Tuning& t) {
  dfc::Tuning u = t;
  u.cands[std::size_t(t.chosen)].rejected = "chosen";
  return dfc::choose_candidate(u) >= 0;
}

// Moves MODEL_DIR/seed-* of settings that failed at the full budget to
// MODEL_DIR/rejected/lr-X-steps-N/ (kept for inspection; the next candidate's seeds start anew).
void set_aside(const std::string& model_dir, const dfc::Settings& s) {
  namespace fs = std::filesystem;
  const fs::path to = model_dir + "/rejected/" + s.dir_name();
  std::error_code ec;
  fs::create_directories(to, ec);
  for (const fs::directory_entry& e : fs::directory_iterator(model_dir, ec))
    if (e.is_directory() && e.path().filename().string().rfind("seed-", 0) == 0) {
      fs::rename(e.path(), to / e.path().filename(), ec);
      if (ec) throw df::EnvironmentError("compare: cannot move " + e.path().string() + " to " + to.string() + ": " + ec.message());
    }
}

void declare(df::Args& a) {
  a.option("data", "NAME|FILE", "data: a built-in 2-D set (sample metrics need one), a real set or a file (no --tune)");
  a.option("models", "LIST", "comma-separated subset of diffflow,ddpm,ffjord", "diffflow,ddpm,ffjord");
  a.option("budget-seconds", "S", "budget: S seconds of training per model and seed (the default budget; 300 on a GPU, 60 on a CPU)");
  a.option("iters", "K", "budget: K training iterations per model and seed instead");
  a.option("budget-evals", "E", "budget: E network evaluations of training per model and seed instead (iterations x batch x passes per sample)");
  a.option("seeds", "K", "runs per model, seeds S, S+1, .., S+K-1", "3");
  a.option("seed", "S", "first seed", "0");
  a.option("steps", "N", "time steps of DiffFlow and DDPM (training, the default sampler, the bound)", "30");
  a.option("ffjord-steps", "N", "FFJORD's fixed RK4 steps for training and its default sampler (without --tune)", "8");
  a.option("batch", "B", "batch size (default 5000 on a GPU, 500 on a CPU)");
  a.option("width", "W", "network width (default 128 on a GPU, 64 on a CPU)");
  a.option("layers", "L", "hidden layers", "3");
  a.option("lr", "X", "learning rate of every model (without --tune)", "0.01");
  a.flag("tune", "choose each model's learning rate (FFJORD: also its RK4 steps) on a validation split first");
  a.option("tune-fraction", "F", "each tuning candidate trains on F times the budget", "0.25");
  a.option("tune-lrs", "LIST", "learning rates the sweep tries", "0.001,0.003,0.01,0.03");
  a.option("tune-ffjord-steps", "LIST", "FFJORD RK4 training steps the sweep tries", "4,8,16");
  a.option("val-n", "N", "validation points (and model samples) that judge a candidate", "5000");
  a.option("tol", "TOL", "FFJORD evaluation tolerance (Dormand-Prince)", "1e-5");
  a.option("eval-n", "N", "held-out test points for the likelihoods", "2000");
  a.option("metric-samples", "N", "model samples for SW2, TV and leakage at the training N", "20000");
  a.option("sample-steps", "LIST", "sampling steps of the steps sweep (DiffFlow, DDPM)", "5,10,20,30,50,100,1000");
  a.option("ffjord-tols", "LIST", "FFJORD's points of the steps sweep: Dormand-Prince tolerances of its sampler",
           "1e-1,1e-2,1e-3,1e-4,1e-5");
  a.option("lambdas", "LIST", "sampler family lambdas of the sweep, DiffFlow and DDPM (0 = ODE, 1 = SDE)", "0,0.5,1");
  a.option("sweep-samples", "N", "model samples per point of the steps sweep", "10000");
  a.option("sweep-eval-n", "N", "test points for the sweep's likelihoods (ODE at lambda 0, bound at 1); 0 = none", "500");
  a.flag("denoise", "end DiffFlow's and DDPM's sampling with Tweedie's step");
  a.option("curve-points", "P", "train in P segments and measure after each (training curves)", "6");
  a.option("curve-samples", "N", "model samples per curve point", "5000");
  a.option("curve-eval-n", "N", "test points for a curve point's likelihood; 0 = none", "500");
  a.option("device", "D", "cpu | cuda | emu | auto", "auto");
  a.option("out", "DIR", "output directory");
  a.flag("quiet", "no progress display");
}

// The family's defaults (engine/model_family.h, as `diffflow train` takes them), then the flags;
// no intermediate checkpoints.
df::RunConfig model_config(const std::string& model, const df::Args& a, bool gpu) {
  const df::ModelKind kind = df::parse_model_kind(model);
  df::RunConfig c = df::default_config(kind, gpu);
  c.data = a.required("data");
  if (a.has("width")) c.shape.W = int(a.integer("width", 1, 4096));
  c.shape.L = int(a.integer("layers", 0, 64));
  if (a.has("batch")) c.batch = int(a.integer("batch", 1, 10000000));
  c.save_every = 1000000;
  c.ode_tol = a.real("tol", 0, 1, true);
  c.grid.N = int(kind == df::ModelKind::FFJORD ? a.integer("ffjord-steps", 1, 100000) : a.integer("steps", 1, 100000));
  return c;
}

dfc::Budget parse_budget(const df::Args& a, bool gpu) {
  const int given = int(a.has("budget-seconds")) + int(a.has("iters")) + int(a.has("budget-evals"));
  if (given > 1) throw df::InputError("compare: give one of --budget-seconds, --iters, --budget-evals");
  if (a.has("iters")) return {dfc::BudgetKind::Iterations, double(a.integer("iters", 1, 100000000))};
  if (a.has("budget-evals")) return {dfc::BudgetKind::Evaluations, a.real("budget-evals", 1, 1e18)};
  if (a.has("budget-seconds")) return {dfc::BudgetKind::Seconds, a.real("budget-seconds", 0, 1e7, true)};
  return {dfc::BudgetKind::Seconds, gpu ? 300.0 : 60.0};
}

std::string command_line(int argc, char** argv) {
  std::string s = "diffflow-bench";
  for (int i = 1; i < argc; ++i) s += std::string(" ") + argv[i];
  return s;
}

}  // namespace

int cmd_compare(int argc, char** argv) {
  df::Args a("compare",
             "diffflow-bench compare --data NAME [--budget-seconds S | --iters K | --budget-evals E] [--seeds K] [--tune] "
             "[--sample-steps LIST] [--device D] --out DIR");
  declare(a);
  if (!a.parse(argc, argv, 2)) return 0;
  dfc::Options o;
  o.out = a.required("out");
  o.data = a.required("data");
  o.command = command_line(argc, argv);
  o.quiet = a.on("quiet");
  o.tune = a.on("tune");
  o.denoise = a.on("denoise");
  if (o.tune && (a.has("lr") || a.has("ffjord-steps")))
    throw df::InputError("compare: --tune chooses the learning rate and FFJORD's steps: drop --lr and --ffjord-steps");
  o.seeds = int(a.integer("seeds", 1, 1000));
  o.seed0 = std::uint64_t(a.integer("seed", 0, INT32_MAX));
  o.curve_points = int(a.integer("curve-points", 1, 1000));
  o.eval_n = std::size_t(a.integer("eval-n", 1, 10000000));
  o.metric_n = std::size_t(a.integer("metric-samples", 0, 10000000));
  o.curve_n = std::size_t(a.integer("curve-samples", 0, 10000000));
  o.curve_eval_n = std::size_t(a.integer("curve-eval-n", 0, 10000000));
  o.sweep_n = std::size_t(a.integer("sweep-samples", 0, 10000000));
  o.sweep_eval_n = std::size_t(a.integer("sweep-eval-n", 0, 10000000));
  o.val_n = std::size_t(a.integer("val-n", 2, 10000000));
  o.sweep_steps = a.integers("sample-steps", 1, 100000);
  o.lambdas = a.reals("lambdas", 0, 100);
  o.ffjord_tols = a.reals("ffjord-tols", 0, 1, true);
  o.tune_fraction = a.real("tune-fraction", 0, 1, true);
  o.tune_lrs = a.reals("tune-lrs", 0, 10, true);
  o.tune_ffjord_steps = a.integers("tune-ffjord-steps", 1, 100000);
  const double lr = a.real("lr", 0, 10, true);
  std::vector<std::string> models;
  for (const std::string& m : a.list("models")) {
    df::parse_model_kind(m);
    if (std::find(models.begin(), models.end(), m) != models.end())
      throw df::InputError("compare: --models lists " + m + " twice");
    models.push_back(m);
  }
  std::string why;
  auto be = df::open_backend(a.str("device"), "fp32", &why);
  o.gpu = be->name() != "cpu";
  o.device = be->name();
  o.device_description = dfb::describe_device(*be, {df::num_threads()});
  o.budget = parse_budget(a, o.gpu);
  for (const std::string& m : models) o.base.push_back(model_config(m, a, o.gpu));
  df::DataSource data(o.data);
  if (o.tune && !data.is_named() && !data.real())
    throw df::InputError("compare: --tune needs a built-in or a real data set (a file has no separate validation split)");
  for (df::RunConfig& c : o.base) df::attach_data(c, data);  // d and the data's identity, as `diffflow train` records them
  const df::Matrix test_pts = data.eval_sample(o.eval_n, dfc::kTestSeed);
  const df::Matrix val_pts = o.tune ? data.valid_sample(o.val_n, dfc::kValidationSeed) : df::Matrix{};
  const df::Matrix curve_pts = data.eval_sample(std::max<std::size_t>(1, o.curve_eval_n), dfc::kTestSeed);
  const df::Matrix sweep_pts = data.eval_sample(std::max<std::size_t>(1, o.sweep_eval_n), dfc::kTestSeed);
  const Points pts{test_pts, val_pts, curve_pts, sweep_pts};
  o.eval_n = test_pts.rows;  // a file or a real set's split may hold fewer rows than asked for
  if (o.tune) o.val_n = val_pts.rows;
  if (o.tune && val_pts.rows < 2) throw df::InputError("compare: --tune: the validation split of '" + o.data + "' has fewer than 2 rows");
  std::error_code ec;
  std::filesystem::create_directories(o.out, ec);
  if (ec) throw df::InputError("compare: cannot create '" + o.out + "': " + ec.message());
  std::fprintf(stderr, "compare on %s, device %s; %s, %d seed%s%s\n", data.spec().c_str(), why.c_str(),
               o.budget.text().c_str(), o.seeds, o.seeds == 1 ? "" : "s", o.tune ? ", tuned first" : "");

  std::vector<dfc::ModelResult> res;
  for (const df::RunConfig& base : o.base) {
    dfc::ModelResult mr;
    mr.model = base.model;
    mr.settings = dfc::Settings{lr, base.grid.N};
    if (o.tune) {
      mr.tuning = dfc::tune_model(*be, o, data, base, val_pts);
      mr.settings = mr.tuning.cands[std::size_t(mr.tuning.chosen)].s;
    }
    for (;;) {  // with --tune: until the chosen settings pass at the full budget, or nothing else is left
      const bool fallback = o.tune && has_fallback(mr.tuning);
      const std::string failed = run_seeds(*be, o, data, base, pts, fallback, mr);
      if (failed.empty()) break;
      dfc::Candidate& ch = mr.tuning.cands[std::size_t(mr.tuning.chosen)];
      ch.rejected = "at the full budget, " + failed;
      if (!fallback) {
        mr.tuning.all_rejected = true;
        std::fprintf(stderr, "compare: warning: %s at lr %g, %d steps failed at the full budget (%s) and no other candidate is left; its runs are kept\n",
                     base.model.c_str(), ch.s.lr, ch.s.train_steps, failed.c_str());
        break;
      }
      set_aside(o.out + "/" + base.model, ch.s);
      mr.tuning.chosen = dfc::choose_candidate(mr.tuning);
      mr.settings = mr.tuning.cands[std::size_t(mr.tuning.chosen)].s;
      std::fprintf(stderr, "compare: %s at lr %g, %d steps failed at the full budget (%s); taking lr %g, %d steps\n",
                   base.model.c_str(), ch.s.lr, ch.s.train_steps, failed.c_str(), mr.settings.lr, mr.settings.train_steps);
    }
    res.push_back(std::move(mr));
  }
  const std::vector<dfc::Figure> figs = dfc::write_figures(o, data, res);
  dfc::write_reports(o, data, res, figs);
  std::fprintf(stderr, "wrote %s/compare.json, %s/compare.md and %zu figures\n", o.out.c_str(), o.out.c_str(), figs.size());
  return 0;
}
