// The `diffflow` command: data | train (host/train_command.h) | sample | eval. Each subcommand
// has --help. An error is one line "diffflow: error: ..." on stderr and an exit code: 2 bad input,
// 3 training diverged, 4 environment (disk full, permission, a locked run directory, not enough
// memory), 1 an internal error; nothing partial is written (all outputs go through atomic
// writes, and every output name is checked before the work).
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <new>
#include <sstream>

#include "engine/backend.h"
#include "host/backend_flags.h"
#include "host/checkpoint.h"
#include "host/cli_args.h"
#include "host/data_source.h"
#include "host/datasets.h"
#include "host/errors.h"
#include "host/eval_metrics.h"
#include "host/gaussian_baseline.h"
#include "host/io.h"
#include "host/model_ops.h"
#include "host/plot.h"
#include "host/plot_images.h"
#include "host/real_data.h"
#include "host/run_figures.h"
#include "host/train_command.h"

using namespace df;

namespace {

const char* kUsage =
    "usage: diffflow <command> [flags]   (diffflow <command> --help for its flags)\n\n"
    "commands:\n"
    "  data    draw points from a built-in 2-D set, or write a split of a real data set, into a .csv or .npy file\n"
    "  train   train a DiffFlow model (or continue one with --resume)\n"
    "  sample  draw samples from a trained model\n"
    "  eval    likelihoods of a trained model on data (--json for one JSON object)\n"
    "  baseline  a full-covariance Gaussian's likelihood of a real set's held-out split (the floor to beat)\n";

// Fails on a bad output name (extension, missing or unwritable directory) or an unavailable
// --png before the work, so a failing --png never follows a written data file.
void check_outputs(const Args& a, const std::string& out) {
  try {
    check_matrix_output(out);
  } catch (const InputError& e) {
    throw InputError(a.command() + ": --out: " + e.what());
  }
  if (!a.has("png")) return;
  if (!png_available()) throw InputError("this build has no libpng (--png unavailable)");
  try {
    check_output_dir(a.str("png"));
  } catch (const InputError& e) {
    throw InputError(a.command() + ": --png: " + e.what());
  }
}

std::unique_ptr<Backend> pick_backend(const Args& a, std::string* why = nullptr) {
  std::string w;
  auto be = open_backend(a.str("device"), a.str("precision"), &w);
  if (why) *why = w;
  return be;
}

std::string real_set_names() {
  std::string s;
  for (const RealSetInfo& i : real_sets()) s += (s.empty() ? "" : " ") + i.name;
  return s;
}

// The real sets, their packages and whether they are installed here.
void print_real_sets() {
  std::printf("%-14s %4s  %-22s %-56s %s\n", "set", "d", "Debian package", "what", "here");
  for (const RealSetInfo& i : real_sets()) {
    std::string where;
    const bool ok = real_set_installed(i, &where);
    std::printf("%-14s %4d  %-22s %-56s %s\n", i.name.c_str(), i.dim, i.package.c_str(), i.what.c_str(),
                ok ? ("installed (" + where + ")").c_str() : ("not installed: " + install_command(i)).c_str());
  }
}

// A real set's split into a file, with a picture: an image grid (image sets) or a scatter plot
// of the first two coordinates.
int data_real(const Args& a, const std::string& name, const std::string& out) {
  const RealData& rd = real_data(name);
  const Split split = parse_split(a.str("split"));
  const std::size_t n = a.has("n") ? std::size_t(a.integer("n", 1, 100000000)) : 0;
  Matrix m = real_split(rd, split, n);
  if (a.has("png")) {  // the picture first: a failing --png leaves no data file
    if (rd.info->levels > 0) {
      const int side = int(std::lround(std::sqrt(double(rd.d))));
      Matrix first(std::min<std::size_t>(m.rows, 100), m.cols);
      std::copy(m.data.begin(), m.data.begin() + long(first.rows * m.cols), first.data.begin());
      write_image_grid_png(a.str("png"), {ImagePanel{name + " " + split_name(split) + " (first " + std::to_string(first.rows) + ")",
                                                     first, side, side, 10}});
    } else {
      Panel p{name + " " + split_name(split) + ": coordinates 1 and 2", m, {}, 0, 0, 0, 0};
      write_scatter_png(a.str("png"), {p});
    }
  }
  write_matrix(out, m);
  std::fprintf(stderr, "wrote the %s split of %s (%zu of %zu rows, d = %d, %s) to %s\n", split_name(split), name.c_str(),
               m.rows, rd.n(split), rd.d, rd.info->levels > 0 ? "dequantized, in [0, 1]" : "data units", out.c_str());
  return 0;
}

int cmd_data(int argc, char** argv) {
  Args a("data",
         "diffflow data --name NAME --n N [--seed S] --out FILE.csv|.npy [--png FILE]\n"
         "       diffflow data --name REAL --split train|valid|test [--n N] --out FILE [--png FILE]\n"
         "       diffflow data --list");
  a.option("name", "NAME", "data set: " + [] {
    std::string s;
    for (auto& n : dataset_names()) s += (s.empty() ? "" : " ") + n;
    return s;
  }() + "; real sets (docs/real-data.md): " + real_set_names());
  a.option("n", "N", "number of points (real sets: the first N rows of the split; all by default)", "10000");
  a.option("split", "S", "real sets: train | valid | test", "train");
  a.option("seed", "S", "random seed (built-in 2-D sets)", "0");
  a.option("out", "FILE", "output file, .csv or .npy");
  a.option("png", "FILE", "also draw the points into a PNG (image sets: a grid of the first 100 images)");
  a.flag("list", "list the real data sets and whether they are installed");
  if (!a.parse(argc, argv, 2)) return 0;
  if (a.on("list")) {
    print_real_sets();
    return 0;
  }
  std::string name = a.required("name"), out = a.required("out");
  check_outputs(a, out);
  if (find_real_set(name)) return data_real(a, name, out);
  if (a.has("split")) throw InputError("data: --split is for the real data sets (" + real_set_names() + ")");
  auto n = a.integer("n", 1, 100000000);
  auto seed = std::uint64_t(a.integer("seed", 0, INT64_MAX));
  if (!is_dataset_name(name)) sample_dataset(name, 1, 0);  // throws the "unknown data set" error
  Matrix m = sample_dataset(name, std::size_t(n), seed);
  if (a.has("png")) write_scatter_png(a.str("png"), {Panel{name, m, {}, 0, 0, 0, 0}});  // the picture first: a
  write_matrix(out, m);                                                                // failure leaves no data
  std::fprintf(stderr, "wrote %lld points of %s to %s\n", (long long)n, name.c_str(), out.c_str());
  return 0;
}

int cmd_sample(int argc, char** argv) {
  Args a("sample",
         "diffflow sample --model DIR --n N [--steps N] [--lambda X | --deterministic] [--denoise] [--tol X] [--seed S] "
         "--out FILE.csv|.npy [--png FILE]");
  a.option("model", "DIR", "run directory of a trained model");
  a.option("n", "N", "number of samples", "10000");
  a.option("steps", "N", "time steps (default: the training N)", "0");
  a.flag("deterministic", "probability-flow ODE instead of the stochastic sampler (the same as --lambda 0)");
  a.option("lambda", "X", "sampler dx = [f - (1+X^2)/2 g^2 s] dt + X g dw: 1 the reverse SDE, 0 the ODE", "1");
  a.flag("denoise", "one Tweedie step at the end of sampling: x + sigma^2(t0) s(x, t0), over alpha(t0) for DDPM");
  a.option("tol", "X", "FFJORD: the adaptive Dormand-Prince solver at this tolerance (0: fixed-step RK4, --steps)", "0");
  a.option("seed", "S", "random seed", "0");
  a.option("out", "FILE", "output file, .csv or .npy");
  a.option("png", "FILE", "also draw the samples into a PNG");
  a.option("device", "D", "cpu | cuda | emu | auto (emu: the CUDA backend on the emulated device, slow)", "auto");
  a.option("precision", "P", "matrix operands on a device backend: fp32 | tf32 | bf16", "fp32");
  if (!a.parse(argc, argv, 2)) return 0;
  std::string dir = a.required("model"), out = a.required("out");
  check_outputs(a, out);
  auto n = std::size_t(a.integer("n", 1, 100000000));
  int steps = int(a.integer("steps", 0, 100000));
  auto seed = std::uint64_t(a.integer("seed", 0, INT64_MAX));
  RunConfig cfg;
  RunState st;
  load_checkpoint(dir, cfg, st);
  auto be = pick_backend(a);
  if (a.on("deterministic") && a.has("lambda")) throw InputError("sample: give --lambda or --deterministic, not both");
  Sampler smp(a.on("deterministic") ? 0.0 : a.real("lambda", 0, 100), a.on("denoise"));
  smp.ode_tol = a.real("tol", 0, 1);
  if (smp.ode_tol > 0 && cfg.kind() != ModelKind::FFJORD)
    throw InputError("sample: --tol is FFJORD's (an ODE flow); this model is " + cfg.model + " (--lambda 0 is its ODE)");
  if (smp.ode_tol > 0 && steps > 0) throw InputError("sample: give --tol or --steps, not both");
  Matrix m;
  long nfe = 0;
  try {
    m = sample_model(*be, cfg, st, n, steps, smp, seed, &nfe);
  } catch (const InputError& e) {
    throw InputError(std::string("sample: ") + e.what());
  }
  if (a.has("png")) write_scatter_png(a.str("png"), {Panel{"samples", m, {}, 0, 0, 0, 0}});  // the picture first
  write_matrix(out, m);
  std::fprintf(stderr, "wrote %zu samples to %s (%ld network evaluations per sample)\n", n, out.c_str(), nfe);
  return 0;
}

// The full-covariance Gaussian after the data map (host/gaussian_baseline.h) on a real set: the
// floor a model of the set has to beat.
int cmd_baseline(int argc, char** argv) {
  Args a("baseline", "diffflow baseline --data NAME [--split test|valid] [--n N] [--json]");
  a.option("data", "NAME", "a real set (diffflow data --list)");
  a.option("split", "S", "the held-out split, test | valid", "test");
  a.option("n", "N", "the first N rows of the split, as eval --n takes them (0 = all)", "0");
  a.flag("json", "print one JSON object");
  if (!a.parse(argc, argv, 2)) return 0;
  const std::string name = a.required("data");
  if (!find_real_set(name)) throw InputError("baseline: --data '" + name + "' is not a real set (diffflow data --list)");
  const Split split = parse_split(a.str("split"));
  if (split == Split::Train) throw InputError("baseline: --split: the training split is not held out (test | valid)");
  DataSource data(name);
  const RealData& rd = *data.real();
  const Standardizer map = data.fit_standardizer(0);
  const auto n = std::size_t(a.integer("n", 0, 100000000));
  const GaussianFit g = gaussian_baseline(map, real_split(rd, Split::Train), real_split(rd, split, n), data.levels());
  if (a.on("json"))
    std::printf("{\"data\": \"%s\", \"split\": \"%s\", \"n_train\": %zu, \"n\": %zu, \"nll\": %s, \"nll_se\": %s, "
                "\"bpd\": %s, \"min_eigenvalue\": %s}\n",
                name.c_str(), split_name(split), g.n_train, g.n_test, format_double(g.nll).c_str(),
                format_double(g.nll_se).c_str(), format_double(g.bpd).c_str(), format_double(g.min_eigenvalue).c_str());
  else
    std::printf("full-covariance Gaussian on %s (fitted on %zu training points after the data map; %zu %s points):\n"
                "  NLL %.4f ± %.4f nats   (%.4f bits/dim)\n",
                name.c_str(), g.n_train, g.n_test, split_name(split), g.nll, g.nll_se, g.bpd);
  return 0;
}

int cmd_eval(int argc, char** argv) {
  Args a("eval", "diffflow eval --model DIR --data NAME|FILE [--n N] [--json]");
  a.option("model", "DIR", "run directory of a trained model");
  a.option("data", "NAME|FILE", "held-out data: a built-in set (fresh draws) or a .csv/.npy file");
  a.option("n", "N", "number of points (files and real sets: the first N rows; 0 = all)", "5000");
  a.option("split", "S", "real sets: the split evaluated, test | valid", "test");
  a.option("trajectories", "K", "diffuse trajectories per point for the bound", "4");
  a.option("ode-substeps", "M", "RK4 steps per grid cell for the ODE likelihood", "2");
  a.option("tol", "TOL", "FFJORD: Dormand-Prince tolerance", "1e-5");
  a.option("metric-samples", "N", "built-in sets: model samples for SW2, TV and leakage (0 = skip)", "20000");
  a.flag("no-ode", "skip the probability-flow ODE likelihood");
  a.option("probe-repeats", "R", "d > 16 (Hutchinson's trace): ODE solves with independent probes, averaged; their spread is reported", "2");
  a.option("seed", "S", "random seed", "0");
  a.option("device", "D", "cpu | cuda | emu | auto (emu: the CUDA backend on the emulated device, slow)", "auto");
  a.option("precision", "P", "matrix operands on a device backend: fp32 | tf32 | bf16", "fp32");
  a.flag("json", "print one JSON object");
  if (!a.parse(argc, argv, 2)) return 0;
  std::string dir = a.required("model");
  RunConfig cfg;
  RunState st;
  load_checkpoint(dir, cfg, st);
  cfg.ode_tol = a.real("tol", 0, 1, true);
  DataSource data(a.required("data"));
  const Split split = parse_split(a.str("split"));
  if (split == Split::Train) throw InputError("eval: --split: the training split is not held out (test | valid)");
  if (a.has("split") && !data.real()) throw InputError("eval: --split is for real sets (diffflow data --list)");
  if (data.dim() != cfg.shape.d)
    throw InputError("eval: --data '" + data.spec() + "' has d = " + std::to_string(data.dim()) + ", the model in " + dir +
                     " has d = " + std::to_string(cfg.shape.d));
  auto n = std::size_t(a.integer("n", 0, 100000000));
  auto seed = std::uint64_t(a.integer("seed", 0, INT64_MAX));
  Matrix x = split == Split::Valid ? data.valid_sample(n, seed) : data.eval_sample(n == 0 && data.is_named() ? 5000 : n, seed);
  auto be = pick_backend(a);
  EvalResult r = evaluate(*be, cfg, st, x, int(a.integer("trajectories", 1, 10000)), int(a.integer("ode-substeps", 1, 1000)),
                          !a.on("no-ode"), seed, data.levels(), int(a.integer("probe-repeats", 1, 1000)));
  auto num = [](double v) {
    if (!std::isfinite(v)) return std::string("null");
    return format_double(v);
  };
  // sample quality against the true set (built-in sets only)
  const auto n_metric = std::size_t(a.integer("metric-samples", 0, 100000000));
  SampleMetrics sm;
  sm.sw2 = sm.sw2_floor = sm.tv = sm.tv_floor = sm.leakage = sm.entropy = NAN;
  if (data.is_named() && cfg.shape.d == 2 && n_metric > 0)
    sm = sample_metrics(data.spec(), sample_model(*be, cfg, st, n_metric, 0, false, seed + 17), seed);
  const double best_nll = std::isfinite(r.nll_exact) ? r.nll_exact : r.nll_ode;
  const double kl_bound = r.nll_bound - sm.entropy, kl_nll = best_nll - sm.entropy;
  if (a.on("json")) {
    std::printf("{\"model\": \"%s\", \"data\": \"%s\", \"n\": %zu, \"nll_bound\": %s, \"nll_bound_se\": %s, "
                "\"bpd_bound\": %s, \"nll_ode\": %s, \"nll_ode_se\": %s, \"bpd_ode\": %s, \"nll_exact\": %s, "
                "\"nll_exact_se\": %s, \"bpd_exact\": %s, \"nfe\": %ld, \"trajectories\": %d, \"steps\": %d, "
                "\"ode_substeps\": %d, \"probe_repeats\": %d, \"probe_sd\": %s, \"entropy\": %s, \"kl_gap_bound\": %s, \"kl_gap\": %s, \"sw2\": %s, "
                "\"sw2_floor\": %s, \"tv\": %s, \"tv_floor\": %s, \"leakage\": %s, \"metric_samples\": %zu, "
                "\"device\": \"%s\"}\n",
                cfg.model.c_str(), data.spec().c_str(), r.n, num(r.nll_bound).c_str(), num(r.nll_bound_se).c_str(),
                num(r.bpd_bound).c_str(), num(r.nll_ode).c_str(), num(r.nll_ode_se).c_str(), num(r.bpd_ode).c_str(),
                num(r.nll_exact).c_str(), num(r.nll_exact_se).c_str(), num(r.bpd_exact).c_str(), r.nfe,
                r.trajectories, r.steps, r.ode_substeps, r.probe_repeats, num(r.probe_sd).c_str(), num(sm.entropy).c_str(), num(kl_bound).c_str(),
                num(kl_nll).c_str(), num(sm.sw2).c_str(), num(sm.sw2_floor).c_str(), num(sm.tv).c_str(),
                num(sm.tv_floor).c_str(), num(sm.leakage).c_str(), sm.n, be->name().c_str());
  } else {
    std::printf("%s on %s%s (n = %zu, N = %d)\n", cfg.model.c_str(), data.spec().c_str(),
                data.real() ? (std::string(", ") + split_name(split) + " split").c_str() : "", r.n, r.steps);
    if (std::isfinite(r.nll_bound))
      std::printf("  NLL bound (-ELBO): %.4f ± %.4f nats   (%.4f bits/dim)\n", r.nll_bound, r.nll_bound_se, r.bpd_bound);
    if (std::isfinite(r.nll_ode))
      std::printf("  NLL, probability-flow ODE: %.4f ± %.4f nats   (%.4f bits/dim)\n", r.nll_ode, r.nll_ode_se, r.bpd_ode);
    if (std::isfinite(r.probe_sd))
      std::printf("  (Hutchinson's trace estimator: mean of %d solves with independent probes, spread %.4f nats)\n",
                  r.probe_repeats, r.probe_sd);
    if (std::isfinite(r.nll_exact))
      std::printf("  NLL, exact (Dormand-Prince, tol %g, %ld evaluations): %.4f ± %.4f nats   (%.4f bits/dim)\n",
                  cfg.ode_tol, r.nfe, r.nll_exact, r.nll_exact_se, r.bpd_exact);
    if (std::isfinite(sm.entropy))
      std::printf("  KL gap against the exact entropy %.4f: bound %.4f, likelihood %.4f nats\n", sm.entropy, kl_bound, kl_nll);
    if (sm.n > 0) {
      std::printf("  sliced W2 %.4f (floor %.4f), grid TV %.4f (floor %.4f) at %zu samples\n", sm.sw2, sm.sw2_floor, sm.tv,
                  sm.tv_floor, sm.n);
      if (std::isfinite(sm.leakage)) std::printf("  leakage %.4f\n", sm.leakage);
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  std::string cmd = argv[1];
  try {
    if (cmd == "data") return cmd_data(argc, argv);
    if (cmd == "train") return df::cmd_train(argc, argv);
    if (cmd == "sample") return cmd_sample(argc, argv);
    if (cmd == "eval") return cmd_eval(argc, argv);
    if (cmd == "baseline") return cmd_baseline(argc, argv);
    std::fprintf(stderr, "diffflow: error: unknown command '%s' (commands: data train sample eval baseline)\n", cmd.c_str());
    return 2;
  } catch (const InputError& e) {
    std::fprintf(stderr, "diffflow: error: %s\n", e.what());
    return 2;
  } catch (const EnvironmentError& e) {
    std::fprintf(stderr, "diffflow: error: %s\n", e.what());
    return 4;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "diffflow: error: out of memory (DF_MAX_MEMORY_MB and docs/user-guide.md, \"Limits\")\n");
    return 4;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "diffflow: internal error: %s\n", e.what());
    return 1;
  }
}
