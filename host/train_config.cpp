// The `train` flags and a run's configuration; see host/train_config.h.
#include "host/train_config.h"

#include <cstdio>
#include <set>
#include <sstream>
#include <vector>

#include "host/errors.h"
#include "host/real_data.h"
#include "host/number_parse.h"
#include "host/run_limits.h"

namespace df {

void declare_train_flags(Args& a) {
  a.option("data", "NAME|FILE", "a built-in 2-D set, a real set (diffflow data --list) or a .csv/.npy file", "olympic");
  a.option("model", "NAME", "model family: diffflow | ddpm | ffjord", "diffflow");
  a.option("iters", "K", "training iterations in all");
  a.option("batch", "B", "batch size");
  a.option("steps", "N", "time steps N");
  a.option("width", "W", "network width");
  a.option("layers", "L", "hidden layers");
  a.option("lr", "X", "learning rate of both networks", "0.01");
  a.option("lr-drift", "X", "learning rate of the drift network (overrides --lr)");
  a.option("lr-score", "X", "learning rate of the score network (overrides --lr)");
  a.option("seed", "S", "random seed", "0");
  a.option("device", "D", "cpu | cuda | emu | auto (emu: the CUDA backend on the emulated device, slow)", "auto");
  a.option("precision", "P", "matrix operands on a device backend: fp32 | tf32 | bf16 (fp32 states and sums)", "fp32");
  a.option("out", "DIR", "run directory (checkpoint.bin, log.csv, samples.png, loss.png, summary.json)");
  a.option("resume", "DIR", "continue the run in DIR up to --iters iterations in all");
  a.option("grid", "KIND", "time grid: exponent | linear (DDPM, FFJORD: linear)", "exponent");
  a.option("t-start", "T", "first grid time (DDPM 0.001, FFJORD 0)", "0.001");
  a.option("t-end", "T", "last grid time (DDPM, FFJORD: 1)", "0.05");
  a.option("beta-min", "B", "DDPM: beta(t) at t = 0", "0.1");
  a.option("beta-max", "B", "DDPM: beta(t) at t = 1", "20");
  a.option("grid-p", "P", "exponent of the exponent grid", "0.9");
  a.option("g", "G", "diffusion coefficient: a constant, or one value per grid point, comma separated", "0.2");
  a.flag("randomize-grid", "draw a fresh randomized grid every iteration");
  a.option("progressive", "N:IT,...", "progressive N schedule, e.g. 5:0,10:500,20:1000,30:1500");
  a.option("adjoint-k", "K", "recompute checkpoint every K steps in the adjoint (0 = auto: 1 when the whole path takes at most 64 MB, else ceil(sqrt N))", "0");
  a.option("clip", "C", "gradient-norm clipping per network (0 = off)", "1.0");
  a.option("ema", "D", "EMA decay of the weights used for sampling and evaluation (default 0.999 on a GPU, 0.99 on a CPU)");
  a.option("decay-every", "K", "multiply the learning rates by --decay-rate every K iterations", "200");
  a.option("decay-rate", "R", "learning-rate decay factor", "0.95");
  a.option("save-every", "K", "write the checkpoint every K iterations", "100");
  a.option("diverge", "X",
           "stop (exit 3) when the loss exceeds the 90% quantile of the last 100 losses by X times their 10-90% "
           "spread (0 = only a non-finite loss stops)", "100");
  a.option("samples", "N", "samples drawn for the figure at the end", "5000");
  a.option("valid", "N", "validate on N held-out points at every checkpoint; the best model goes to DIR/best", "0");
  a.option("patience", "P", "with --valid: stop after P validations without a better NLL (0 = never)", "0");
  a.option("budget-seconds", "S", "stop (and checkpoint) after S seconds of training (0 = no limit)", "0");
  a.flag("quiet", "no progress display");
}

std::int64_t int_flag(const Args& a, const Limit& l) {
  const std::int64_t hi = l.hi >= 9.2e18 ? INT64_MAX : std::int64_t(l.hi);
  return a.integer(l.flag, std::int64_t(l.lo), hi);
}
double real_flag(const Args& a, const Limit& l) { return a.real(l.flag, l.lo, l.hi, l.lo_open, l.hi_open); }

namespace {

// The flags --resume takes: none of them changes the numbers of the run.
const std::set<std::string> kResumeFlags{"resume", "iters", "save-every", "diverge", "adjoint-k",
                                         "samples", "quiet", "device", "precision", "valid", "patience",
                                         "budget-seconds"};

template <class F>
auto flag_named(const char* flag, F parse) {  // a parser's InputError, with the flag named
  try {
    return parse();
  } catch (const InputError& e) {
    throw InputError(std::string("train: --") + flag + ": " + e.what());
  }
}

GSchedule parse_g(const std::string& text, const GridSpec& spec) {
  std::vector<double> vals;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    double v = 0;
    if (!parse_real(item, v) || !limits::g.contains(v))
      throw InputError("train: --g: '" + item + "' is not a number in " + limits::g.range());
    vals.push_back(v);
  }
  if (vals.empty()) throw InputError("train: --g: empty");
  if (vals.size() == 1) return GSchedule::constant(vals[0]);
  if (int(vals.size()) != spec.N + 1)
    throw InputError("train: --g has " + std::to_string(vals.size()) + " values; one per grid point needs N+1 = " +
                     std::to_string(spec.N + 1));
  GSchedule g;
  g.t = make_grid(spec, GSchedule::constant(1.0), spec.N).t;
  g.g = vals;
  return g;
}

}  // namespace

RunConfig new_run_config(const Args& a, bool gpu) {
  const ModelKind kind = flag_named("model", [&] { return parse_model_kind(a.str("model")); });
  // the family's defaults (engine/model_family.h): the reference settings (MATH.md §7) on a
  // GPU, a run of under a minute on 2 CPU cores elsewhere (docs/user-guide.md); flags override
  RunConfig cfg = default_config(kind, gpu);
  cfg.beta_min = real_flag(a, limits::beta_min);
  cfg.beta_max = real_flag(a, limits::beta_max);
  cfg.data = a.str("data");
  // a real set's own default network and batch (host/real_data.cpp), where the flags give none
  const RealSetInfo* real = find_real_set(cfg.data);
  if (real) {
    cfg.shape.W = real->width;
    cfg.batch = real->batch;
  }
  if (a.has("iters")) cfg.iters = int_flag(a, limits::iters);
  if (a.has("batch")) cfg.batch = int(int_flag(a, limits::batch));
  // FFJORD's N is its fixed RK4 steps for training (4 evaluations each)
  if (a.has("steps")) cfg.grid.N = int(int_flag(a, limits::steps));
  if (a.has("width")) cfg.shape.W = int(int_flag(a, limits::width));
  cfg.shape.L = int(a.has("layers") ? int_flag(a, limits::layers) : real ? real->layers : 3);
  const double lr = real_flag(a, limits::lr);
  cfg.lr_f = a.has("lr-drift") ? real_flag(a, limits::lr_drift) : lr;
  cfg.lr_s = a.has("lr-score") ? real_flag(a, limits::lr_score) : lr;
  cfg.seed = std::uint64_t(int_flag(a, limits::seed));
  if (a.has("grid")) cfg.grid.kind = flag_named("grid", [&] { return parse_grid_kind(a.str("grid")); });
  if (a.has("t-start")) cfg.grid.t_start = real_flag(a, limits::t_start);
  if (a.has("t-end")) cfg.grid.t_end = real_flag(a, limits::t_end);
  cfg.grid.p = real_flag(a, limits::grid_p);
  cfg.grid.randomize = a.on("randomize-grid");
  if (a.has("progressive")) {
    cfg.grid.progressive = flag_named("progressive", [&] { return parse_progressive(a.str("progressive")); });
    cfg.grid.N = cfg.grid.progressive.back().second;
  }
  cfg.g = parse_g(a.str("g"), cfg.grid);
  cfg.adjoint_k = int(int_flag(a, limits::adjoint_k));
  cfg.clip = real_flag(a, limits::clip);
  // the EMA's horizon (1/(1 − decay) iterations) must be short against a short CPU run
  if (a.has("ema")) cfg.ema = real_flag(a, limits::ema);
  cfg.decay_every = int(int_flag(a, limits::decay_every));
  cfg.decay_rate = real_flag(a, limits::decay_rate);
  cfg.save_every = int(int_flag(a, limits::save_every));
  cfg.diverge = real_flag(a, limits::diverge);
  return cfg;
}

void attach_data(RunConfig& cfg, const DataSource& data) {
  cfg.data = data.spec();
  cfg.data_size = data.file_size();
  cfg.data_sha256 = data.sha256();
  cfg.shape.d = data.dim();
  validate_config(cfg, FieldNames{"train: ", true});
}

void apply_resume_flags(const Args& a, RunConfig& cfg, const std::int64_t done, const std::string& dir) {
  for (const std::string& f : a.given())
    if (!kResumeFlags.count(f))
      throw InputError("train: --" + f + " cannot be changed on --resume (the run keeps its settings)");
  if (!a.has("iters")) throw InputError("train: --resume needs --iters K (the iterations in all)");
  cfg.iters = int_flag(a, limits::iters);
  if (cfg.iters < done)
    throw InputError("train: --iters " + std::to_string(cfg.iters) + " is below the " + std::to_string(done) +
                     " iterations the run in " + dir + " has done");
  if (a.has("save-every")) cfg.save_every = int(int_flag(a, limits::save_every));
  if (a.has("diverge")) cfg.diverge = real_flag(a, limits::diverge);
  if (a.has("adjoint-k")) cfg.adjoint_k = int(int_flag(a, limits::adjoint_k));  // same numbers for every K
}

void check_resume_data(RunConfig& cfg, const DataSource& data, const std::string& dir) {
  if (cfg.data_sha256.empty() && !data.sha256().empty()) {  // a format-01 checkpoint: no identity yet
    std::fprintf(stderr, "diffflow: warning: the checkpoint in %s predates data identities; '%s' is not checked\n",
                 dir.c_str(), data.spec().c_str());
    cfg.data_size = data.file_size();
    cfg.data_sha256 = data.sha256();
  }
  const std::string differs = data.differs_from(cfg.data_size, cfg.data_sha256);
  if (!differs.empty()) throw InputError("train: cannot resume " + dir + ": " + differs);
  cfg.data = data.spec();  // a format-01 checkpoint's relative path, absolute from here on
  if (data.dim() != cfg.shape.d)
    throw InputError("train: the data of " + dir + " have d = " + std::to_string(data.dim()) + ", the model has d = " +
                     std::to_string(cfg.shape.d));
}

}  // namespace df
