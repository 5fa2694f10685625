// The `train` flags and a new run's configuration; see host/train_config.h.
#include "host/train_config.h"

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "host/errors.h"
#include "host/real_data.h"

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
  a.option("adjoint-k", "K", "recompute checkpoint every K steps in the adjoint (0 = ceil(sqrt N))", "0");
  a.option("clip", "C", "gradient-norm clipping per network (0 = off)", "1.0");
  a.option("ema", "D", "EMA decay of the weights used for sampling and evaluation (default 0.999 on a GPU, 0.99 on a CPU)");
  a.option("decay-every", "K", "multiply the learning rates by --decay-rate every K iterations", "200");
  a.option("decay-rate", "R", "learning-rate decay factor", "0.95");
  a.option("save-every", "K", "write the checkpoint every K iterations", "100");
  a.option("samples", "N", "samples drawn for the figure at the end", "5000");
  a.option("valid", "N", "validate on N held-out points at every checkpoint; the best model goes to DIR/best", "0");
  a.option("patience", "P", "with --valid: stop after P validations without a better NLL (0 = never)", "0");
  a.option("budget-seconds", "S", "stop (and checkpoint) after S seconds of training (0 = no limit)", "0");
  a.flag("quiet", "no progress display");
}

namespace {

GSchedule parse_g(const std::string& text, const GridSpec& spec) {
  std::vector<double> vals;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    std::size_t used = 0;
    double v = 0;
    try {
      v = std::stod(item, &used);
    } catch (...) {
      used = 0;
    }
    if (used != item.size() || !(v > 0) || !std::isfinite(v))
      throw InputError("train: --g: '" + item + "' is not a positive number");
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
  ModelKind kind;
  try {
    kind = parse_model_kind(a.str("model"));
  } catch (const InputError& e) {
    throw InputError(std::string("train: --model: ") + e.what());
  }
  // the family's defaults (engine/model_family.h): the reference settings (MATH.md §7) on a
  // GPU, a run of under a minute on 2 CPU cores elsewhere (docs/user-guide.md); flags override
  RunConfig cfg = default_config(kind, gpu);
  const ModelFamily& fam = family(kind);
  cfg.beta_min = a.real("beta-min", 0, 1e6);
  cfg.beta_max = a.real("beta-max", 0, 1e6);
  if (!(cfg.beta_max > cfg.beta_min)) throw InputError("train: --beta-max must exceed --beta-min");
  cfg.data = a.str("data");
  // a real set's own default network and batch (host/real_data.cpp), where the flags give none
  const RealSetInfo* real = find_real_set(cfg.data);
  if (real) {
    cfg.shape.W = real->width;
    cfg.batch = real->batch;
  }
  if (a.has("iters")) cfg.iters = a.integer("iters", 0, 100000000);
  if (a.has("batch")) cfg.batch = int(a.integer("batch", 1, 10000000));
  // FFJORD's N is its fixed RK4 steps for training (4 evaluations each)
  if (a.has("steps")) cfg.grid.N = int(a.integer("steps", 1, 100000));
  if (a.has("width")) cfg.shape.W = int(a.integer("width", 1, 4096));
  cfg.shape.L = int(a.has("layers") ? a.integer("layers", 0, 64) : real ? real->layers : 3);
  double lr = a.real("lr", 0, 10, true);
  cfg.lr_f = a.has("lr-drift") ? a.real("lr-drift", 0, 10, true) : lr;
  cfg.lr_s = a.has("lr-score") ? a.real("lr-score", 0, 10, true) : lr;
  cfg.seed = std::uint64_t(a.integer("seed", 0, INT64_MAX));
  if (a.has("grid")) {
    try {
      cfg.grid.kind = parse_grid_kind(a.str("grid"));
    } catch (const InputError& e) {
      throw InputError(std::string("train: --grid: ") + e.what());
    }
  }
  if (a.has("t-start")) cfg.grid.t_start = a.real("t-start", 0, 1e6);
  if (a.has("t-end")) cfg.grid.t_end = a.real("t-end", 0, 1e6, true);
  if (fam.g_from_vp && cfg.grid.t_start <= 0) throw InputError("train: --t-start must be > 0 for DDPM (σ_0 = 0)");
  if (!(cfg.grid.t_end > cfg.grid.t_start)) throw InputError("train: --t-end must be greater than --t-start");
  cfg.grid.p = a.real("grid-p", 0, 100, true);
  cfg.grid.randomize = a.on("randomize-grid");
  if (a.has("progressive")) {
    try {
      cfg.grid.progressive = parse_progressive(a.str("progressive"));
    } catch (const InputError& e) {
      throw InputError(std::string("train: --progressive: ") + e.what());
    }
    cfg.grid.N = cfg.grid.progressive.back().second;
  }
  cfg.g = parse_g(a.str("g"), cfg.grid);
  cfg.adjoint_k = int(a.integer("adjoint-k", 0, 100000));
  cfg.clip = a.real("clip", 0, 1e9);
  // the EMA's horizon (1/(1 − decay) iterations) must be short against a short CPU run
  if (a.has("ema")) cfg.ema = a.real("ema", 0, 1);
  if (cfg.ema >= 1) throw InputError("train: --ema must be below 1");
  cfg.decay_every = int(a.integer("decay-every", 0, 100000000));
  cfg.decay_rate = a.real("decay-rate", 0, 1, true);
  cfg.save_every = int(a.integer("save-every", 1, 100000000));
  return cfg;
}

}  // namespace df
