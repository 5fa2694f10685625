// diffflow-bench compare: DiffFlow, DDPM and FFJORD trained on the same data with the same
// networks, batch and iterations (or the same wall time), then measured side by side
// (DATA.md §3): likelihood (bound or exact) and the KL gap where the entropy is known, sliced W2
// and grid TV with their two-draws floors, leakage, train seconds per iteration, sampling
// samples per second and function evaluations. Writes DIR/compare.json, DIR/compare.md and
// DIR/compare.png (per model: the data carried along the diffuse process, coloured by the mode
// each point started in, and the model's samples), and each model's run directory DIR/<model>.
#include <sys/stat.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "engine/backend.h"
#include "host/backend_flags.h"
#include "host/cli_args.h"
#include "host/data_source.h"
#include "host/errors.h"
#include "host/eval_metrics.h"
#include "host/io.h"
#include "host/model_ops.h"
#include "host/plot.h"
#include "host/train_config.h"
#include "host/trainer.h"
#include "host/trajectories.h"

namespace {

struct Row {
  std::string model;
  long iters = 0;
  double train_s_per_iter = NAN, samples_per_s = NAN;
  long nfe_sample = 0;
  df::EvalResult ev;
  df::SampleMetrics sm;
};

std::string num(double v, int prec = 4) {
  if (!std::isfinite(v)) return "–";
  char b[64];
  std::snprintf(b, sizeof b, "%.*f", prec, v);
  return b;
}
std::string js(double v) { return std::isfinite(v) ? df::format_double(v) : "null"; }

// The family's defaults (engine/model_family.h, as `diffflow train` takes them), then the flags;
// the compare run's own: fewer CPU iterations, no intermediate checkpoints.
df::RunConfig model_config(const std::string& model, const df::Args& a, bool gpu) {
  const df::ModelKind kind = df::parse_model_kind(model);
  df::RunConfig c = df::default_config(kind, gpu);
  c.data = a.required("data");
  if (a.has("width")) c.shape.W = int(a.integer("width", 1, 4096));
  c.shape.L = int(a.integer("layers", 0, 64));
  if (a.has("batch")) c.batch = int(a.integer("batch", 1, 10000000));
  c.iters = a.has("iters") ? a.integer("iters", 1, 100000000) : (a.has("budget-seconds") ? 100000000 : (gpu ? 3000 : 600));
  c.lr_f = c.lr_s = a.real("lr", 0, 10, true);
  c.seed = std::uint64_t(a.integer("seed", 0, INT64_MAX));
  c.save_every = 1000000;
  c.ode_tol = a.real("tol", 0, 1, true);
  c.grid.N = int(kind == df::ModelKind::FFJORD ? a.integer("ffjord-steps", 1, 100000) : a.integer("steps", 1, 100000));
  return c;
}

}  // namespace

int cmd_compare(int argc, char** argv) {
  df::Args a("compare",
             "diffflow-bench compare --data NAME [--steps N] [--iters K | --budget-seconds S] [--device D] --out DIR");
  a.option("data", "NAME|FILE", "data: a built-in 2-D set (metrics need one) or a file");
  a.option("steps", "N", "time steps of DiffFlow and DDPM (training, sampling, bound)", "30");
  a.option("ffjord-steps", "N", "FFJORD's fixed RK4 steps for training and sampling", "8");
  a.option("iters", "K", "training iterations of each model (default 3000 on a GPU, 600 on a CPU)");
  a.option("budget-seconds", "S", "train each model for S seconds of wall time instead");
  a.option("batch", "B", "batch size (default 5000 on a GPU, 500 on a CPU)");
  a.option("width", "W", "network width (default 128 on a GPU, 64 on a CPU)");
  a.option("layers", "L", "hidden layers", "3");
  a.option("lr", "X", "learning rate", "0.01");
  a.option("seed", "S", "random seed", "0");
  a.option("tol", "TOL", "FFJORD evaluation tolerance (Dormand-Prince)", "1e-5");
  a.option("eval-n", "N", "held-out points for the likelihoods", "2000");
  a.option("metric-samples", "N", "model samples for SW2, TV and leakage", "20000");
  a.option("device", "D", "cpu | cuda | emu | auto", "auto");
  a.option("models", "LIST", "comma-separated subset of diffflow,ddpm,ffjord", "diffflow,ddpm,ffjord");
  a.option("out", "DIR", "output directory");
  a.flag("quiet", "no progress display");
  if (!a.parse(argc, argv, 2)) return 0;
  const std::string out = a.required("out");
  if (a.has("iters") && a.has("budget-seconds")) throw df::InputError("compare: give --iters or --budget-seconds, not both");
  const double budget = a.has("budget-seconds") ? a.real("budget-seconds", 0, 1e7, true) : 0.0;
  std::vector<std::string> models;
  {
    std::stringstream ss(a.str("models"));
    std::string m;
    while (std::getline(ss, m, ',')) {
      df::parse_model_kind(m);
      models.push_back(m);
    }
  }
  std::string why;
  auto be = df::open_backend(a.str("device"), "fp32", &why);
  const bool gpu = be->name() != "cpu";
  df::DataSource data(a.required("data"));
  const std::size_t eval_n = std::size_t(a.integer("eval-n", 1, 10000000));
  const std::size_t metric_n = std::size_t(a.integer("metric-samples", 0, 10000000));
  for (auto& m : models) model_config(m, a, gpu);  // validate every flag before any work
  if (mkdir(out.c_str(), 0755) != 0 && errno != EEXIST) throw df::InputError("compare: cannot create '" + out + "'");
  std::fprintf(stderr, "compare on %s, device %s\n", data.spec().c_str(), why.c_str());

  std::vector<Row> rows;
  std::vector<df::Panel> panels;
  const df::Matrix eval_pts = data.eval_sample(eval_n, 11);
  const df::Matrix fig_pts = data.eval_sample(3000, 12);
  const std::vector<int> labels = df::mode_labels(data.spec(), fig_pts);
  for (const std::string& model : models) {
    df::RunConfig cfg = model_config(model, a, gpu);
    df::attach_data(cfg, data);  // d and the data's identity, as `diffflow train` records them
    const std::string dir = out + "/" + model;
    mkdir(dir.c_str(), 0755);
    df::RunState st = df::new_run_state(cfg, data);
    df::TrainOptions opt;
    opt.dir = dir;
    opt.quiet = a.on("quiet");
    opt.budget_seconds = budget;
    opt.label = model;
    auto t0 = std::chrono::steady_clock::now();
    int rc = df::train(*be, cfg, st, data, opt);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (rc != 0) throw std::runtime_error("compare: training " + model + " failed");
    cfg.iters = st.iteration;  // the evaluation grid is the one in force at the end
    Row r;
    r.model = model;
    r.iters = long(st.iteration);
    r.train_s_per_iter = secs / double(std::max<std::int64_t>(1, st.iteration));
    std::fprintf(stderr, "[%s] evaluating\n", model.c_str());
    r.ev = df::evaluate(*be, cfg, st, eval_pts, 4, 2, df::family(cfg.kind()).has_score, cfg.seed + 5);
    const int N = df::eval_grid(cfg, 0).N();
    r.nfe_sample = long(df::family(cfg.kind()).sample_passes_per_step) * N;
    df::Matrix samples;
    if (metric_n > 0) {
      auto s0 = std::chrono::steady_clock::now();
      samples = df::sample_model(*be, cfg, st, metric_n, 0, false, cfg.seed + 9);
      r.samples_per_s = double(metric_n) / std::chrono::duration<double>(std::chrono::steady_clock::now() - s0).count();
      if (data.is_named() && data.dim() == 2) r.sm = df::sample_metrics(data.spec(), samples, cfg.seed);
    }
    if (!data.is_named() || data.dim() != 2) {
      r.sm.sw2 = r.sm.sw2_floor = r.sm.tv = r.sm.tv_floor = r.sm.leakage = r.sm.entropy = NAN;
    }
    if (data.dim() == 2 && df::png_available()) {
      auto snaps = df::diffuse_snapshots(cfg, st, fig_pts, {0.0, 1.0 / 3, 2.0 / 3, 1.0}, cfg.seed);
      const char* when[] = {"data (t_0)", "t at N/3", "t at 2N/3", "latent (t_N)"};
      for (int k = 0; k < 4; ++k) panels.push_back(df::Panel{model + ": " + when[k], snaps[std::size_t(k)], labels, 0, 0, 0, 0});
      df::Panel p0{"", fig_pts, {}, 0, 0, 0, 0};
      df::ViewBox vb = df::view_box(p0);
      df::Matrix shown = samples;
      if (shown.rows > 3000) {
        shown.rows = 3000;
        shown.data.resize(3000 * shown.cols);
      }
      panels.push_back(df::Panel{model + ": samples", shown, {}, vb.xmin, vb.xmax, vb.ymin, vb.ymax});
    }
    rows.push_back(r);
  }

  // reports
  std::ostringstream j, md;
  j << "{\"data\": \"" << data.spec() << "\", \"device\": \"" << be->name() << "\", \"models\": [";
  md << "# DiffFlow vs DDPM vs FFJORD on " << data.spec() << "\n\n"
     << "Device: " << why << ". Same networks (W = " << model_config("diffflow", a, gpu).shape.W
     << ", L = " << a.str("layers") << "), batch, learning rate and "
     << (budget > 0 ? "wall time (" + num(budget, 0) + " s each)" : "iterations") << "; N = " << a.str("steps")
     << " for DiffFlow and DDPM, " << a.str("ffjord-steps") << " RK4 steps for FFJORD. Held-out points: " << eval_n
     << "; sample metrics on " << metric_n << " samples, floors = the same statistic between two draws of the data.\n\n"
     << "| model | iters | NLL (nats) | kind | ODE NLL | KL gap | SW2 (floor) | TV (floor) | leakage | train s/iter | samples/s | NFE sample | NFE likelihood |\n"
     << "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    const bool exact = std::isfinite(r.ev.nll_exact);
    const double nll = exact ? r.ev.nll_exact : r.ev.nll_bound;
    const double best = exact ? r.ev.nll_exact : r.ev.nll_ode;
    j << (i ? ", " : "") << "{\"model\": \"" << r.model << "\", \"iters\": " << r.iters
      << ", \"nll_bound\": " << js(r.ev.nll_bound) << ", \"nll_ode\": " << js(r.ev.nll_ode) << ", \"nll_exact\": "
      << js(r.ev.nll_exact) << ", \"entropy\": " << js(r.sm.entropy) << ", \"kl_gap\": " << js(best - r.sm.entropy)
      << ", \"kl_gap_bound\": " << js(r.ev.nll_bound - r.sm.entropy) << ", \"sw2\": " << js(r.sm.sw2)
      << ", \"sw2_floor\": " << js(r.sm.sw2_floor) << ", \"tv\": " << js(r.sm.tv) << ", \"tv_floor\": " << js(r.sm.tv_floor)
      << ", \"leakage\": " << js(r.sm.leakage) << ", \"train_s_per_iter\": " << js(r.train_s_per_iter)
      << ", \"samples_per_s\": " << js(r.samples_per_s) << ", \"nfe_sample\": " << r.nfe_sample
      << ", \"nfe_likelihood\": " << r.ev.nfe << "}";
    md << "| " << r.model << " | " << r.iters << " | " << num(nll) << " | " << (exact ? "exact" : "bound") << " | "
       << num(r.ev.nll_ode) << " | " << num(best - r.sm.entropy) << " | " << num(r.sm.sw2) << " (" << num(r.sm.sw2_floor)
       << ") | " << num(r.sm.tv) << " (" << num(r.sm.tv_floor) << ") | " << num(r.sm.leakage) << " | "
       << num(r.train_s_per_iter, 4) << " | " << num(r.samples_per_s, 0) << " | " << r.nfe_sample << " | " << r.ev.nfe
       << " |\n";
  }
  j << "]}\n";
  md << "\nKL gap: the likelihood column (exact for FFJORD, probability-flow ODE for the others) minus the exact "
        "entropy of the set where it is known. NLL for DiffFlow and DDPM is the bound (−ELBO), averaged over 4 "
        "trajectories per point.\n";
  if (!panels.empty()) {
    df::write_scatter_png(out + "/compare.png", panels, 300, "diffuse process (coloured by starting mode) and samples");
    md << "\n![comparison](compare.png)\n";
  }
  df::atomic_write_file(out + "/compare.json", j.str());
  df::atomic_write_file(out + "/compare.md", md.str());
  std::fprintf(stderr, "wrote %s/compare.json, %s/compare.md%s\n", out.c_str(), out.c_str(),
               panels.empty() ? "" : " and compare.png");
  return 0;
}
