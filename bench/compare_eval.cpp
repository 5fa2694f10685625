// The measurements of a trained model (bench/compare.h), all with its EMA weights:
//   evaluate_test        at the training N on the test draws: the bound (4 trajectories), the
//                        probability-flow ODE (RK4, 2 substeps) or FFJORD's exact likelihood
//                        (Dormand–Prince at --tol); SW2, TV, leakage of metric-samples samples
//                        by the default sampler (λ = 1, Tweedie's step with --denoise; FFJORD's
//                        RK4 on its grid), their samples per second and network evaluations per sample
//   steps_sweep          DiffFlow and DDPM: every N of --sample-steps and every λ of --lambdas;
//                        FFJORD: every Dormand–Prince tolerance of --ffjord-tols (its steps and
//                        network evaluations as the solver took them): sweep-samples samples,
//                        their seconds, SW2, TV, leakage; on sweep-eval-n test points the
//                        likelihood on the N-step grid where it is the sampler's own: λ = 0 the
//                        ODE (RK4, 1 substep), λ = 1 the bound (−ELBO, 2 trajectories)
//   measure_curve_point  curve-samples samples (SW2, TV, leakage) and the likelihood of
//                        curve-eval-n test points (bound or FFJORD's exact)
// Sample metrics need a built-in 2-D set (NaN otherwise); KL gaps need its entropy.
#include <chrono>
#include <cmath>

#include "bench/compare.h"
#include "host/datasets.h"

namespace dfc {

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

long sampling_passes(const df::RunConfig& cfg, int N, const df::Sampler& smp) {
  return df::Backend::sample_passes(cfg.desc(), df::eval_grid(cfg, N), smp);
}

// The grid of N steps in place of the training grid.
df::RunConfig at_steps(const df::RunConfig& cfg, int N) {
  df::RunConfig c = cfg;
  c.grid.N = N;
  c.grid.progressive.clear();
  return c;
}

}  // namespace

df::SampleMetrics set_metrics(const df::DataSource& data, const df::Matrix& samples, std::uint64_t seed) {
  if (data.is_named() && data.dim() == 2 && samples.rows > 0) return df::sample_metrics(data.spec(), samples, seed);
  df::SampleMetrics m;
  m.n = samples.rows;
  m.sw2 = m.sw2_floor = m.tv = m.tv_floor = m.leakage = m.entropy = NAN;
  return m;
}

double entropy_of(const df::DataSource& data) {
  if (!data.is_named()) return NAN;
  const df::ExactDensity e = df::exact_density(data.spec());
  return e.known ? e.entropy : NAN;
}

df::Sampler default_sampler(const Options& o, const df::RunConfig& cfg) {
  if (!df::family(cfg.kind()).has_score) return df::Sampler(0.0, false);
  return df::Sampler(1.0, o.denoise);
}

void evaluate_test(df::Backend& be, const Options& o, const df::DataSource& data, const df::Matrix& test_pts,
                   SeedRun& r) {
  const df::RunConfig& cfg = r.train.cfg;
  const df::RunState& st = r.train.st;
  r.ev = df::evaluate(be, cfg, st, test_pts, 4, 2, df::family(cfg.kind()).has_score, cfg.seed + 5);
  const df::Sampler smp = default_sampler(o, cfg);
  r.nfe_sample = sampling_passes(cfg, 0, smp);
  df::Matrix samples;
  if (o.metric_n > 0) {
    const auto t0 = std::chrono::steady_clock::now();
    samples = df::sample_model(be, cfg, st, o.metric_n, 0, smp, cfg.seed + 9);
    r.samples_per_s = double(o.metric_n) / seconds_since(t0);
  }
  r.sm = set_metrics(data, samples, cfg.seed);
  r.shown = samples;
  if (r.shown.rows > 3000) {
    r.shown.rows = 3000;
    r.shown.data.resize(3000 * r.shown.cols);
  }
}

std::vector<SweepPoint> steps_sweep(df::Backend& be, const Options& o, const df::DataSource& data,
                                    const df::RunConfig& cfg, const df::RunState& st, const df::Matrix& pts,
                                    std::uint64_t seed) {
  std::vector<SweepPoint> out;
  if (o.sweep_n == 0) return out;
  const bool has_score = df::family(cfg.kind()).has_score;
  if (cfg.kind() == df::ModelKind::FFJORD) {
    for (double tol : o.ffjord_tols) {
      SweepPoint p;
      p.tol = tol;
      df::Sampler smp(0.0, false);
      smp.ode_tol = tol;
      const auto t0 = std::chrono::steady_clock::now();
      const df::Matrix samples = df::sample_model(be, cfg, st, o.sweep_n, 0, smp, seed + 9, &p.nfe);
      p.seconds = seconds_since(t0);
      p.steps = int((p.nfe - 1) / 6);  // first-same-as-last: 1 + 6 per step tried
      p.sm = set_metrics(data, samples, seed);
      out.push_back(p);
    }
    return out;
  }
  const std::vector<double> lambdas = has_score ? o.lambdas : std::vector<double>{NAN};
  for (int N : o.sweep_steps) {
    df::EvalResult ev;
    ev.nll_bound = ev.nll_ode = NAN;
    if (has_score && o.sweep_eval_n > 0) ev = df::evaluate(be, at_steps(cfg, N), st, pts, 2, 1, true, seed + 7);
    for (double lam : lambdas) {
      SweepPoint p;
      p.steps = N;
      p.lambda = lam;
      const df::Sampler smp = has_score ? df::Sampler(lam, o.denoise) : df::Sampler(0.0, false);
      const auto t0 = std::chrono::steady_clock::now();
      const df::Matrix samples = df::sample_model(be, cfg, st, o.sweep_n, N, smp, seed + 9);
      p.seconds = seconds_since(t0);
      p.nfe = sampling_passes(cfg, N, smp);
      p.sm = set_metrics(data, samples, seed);
      if (has_score && lam == 0.0) p.nll = ev.nll_ode;
      if (has_score && lam == 1.0) p.nll = ev.nll_bound;
      out.push_back(p);
    }
  }
  return out;
}

void measure_curve_point(df::Backend& be, const Options& o, const df::DataSource& data, const df::RunConfig& cfg,
                         const df::RunState& st, const df::Matrix& pts, CurvePoint& p) {
  df::Matrix samples;
  if (o.curve_n > 0) samples = df::sample_model(be, cfg, st, o.curve_n, 0, default_sampler(o, cfg), cfg.seed + 9);
  p.sm = set_metrics(data, samples, cfg.seed);
  if (o.curve_eval_n > 0) {
    const df::EvalResult ev = df::evaluate(be, cfg, st, pts, 1, 2, false, cfg.seed + 5);
    p.nll = cfg.kind() == df::ModelKind::FFJORD ? ev.nll_exact : ev.nll_bound;
  }
}

}  // namespace dfc
