// Sampling and likelihood evaluation; see host/model_ops.h.
#include "host/model_ops.h"

#include <algorithm>
#include <cmath>

#include "engine/device_buffer.h"
#include "engine/noise.h"
#include "host/data_source.h"
#include "host/errors.h"
#include "host/stats.h"

namespace df {

TimeGrid model_grid(const RunConfig& cfg, int N, const NoiseKey* key) {
  const ModelFamily& f = family(cfg.kind());
  const bool user_g = !f.g_from_vp && f.has_score;  // FFJORD's g is unused (1 as a placeholder)
  TimeGrid grid = make_grid(cfg.grid, user_g ? cfg.g : GSchedule::constant(1.0), N, key);
  if (f.g_from_vp) {
    const VpSchedule vp = cfg.desc().vp;
    for (std::size_t i = 0; i < grid.t.size(); ++i) grid.g[i] = std::sqrt(vp.g2(grid.t[i]));
  }
  return grid;
}

TimeGrid eval_grid(const RunConfig& cfg, int steps) {
  RunConfig c = cfg;
  c.grid.randomize = false;
  int N = steps > 0 ? steps : cfg.grid.steps_at(cfg.iters);
  return model_grid(c, N);
}

namespace {
// The EMA weights of both networks on the backend, owned (released on every way out, a throw
// included: engine/device_buffer.h).
struct EmaBufs {
  DeviceBuffer f, s;
  EmaBufs(Backend& be, const RunState& st) : f(be, st.f.ema.size()), s(be, st.s.ema.size()) {
    be.upload(f.buf(), st.f.ema.data(), st.f.ema.size());
    be.upload(s.buf(), st.s.ema.data(), st.s.ema.size());
  }
};
// Points per backend call: 20,000 in 2-D, fewer in high dimensions so a chunk's states stay
// near 16 MB (d = 784: 5,102 points).
std::size_t chunk_rows(int d) { return std::clamp<std::size_t>(std::size_t(4000000 / std::max(d, 1)), 500, 20000); }
}  // namespace

Matrix sample_model(Backend& be, const RunConfig& cfg, const RunState& st, std::size_t n, int steps,
                    const Sampler& smp, std::uint64_t seed, long* nfe) {
  if (nfe) *nfe = 0;
  const int d = cfg.shape.d;
  TimeGrid grid = eval_grid(cfg, steps);
  EmaBufs w(be, st);
  Matrix out(n, std::size_t(d));
  const std::size_t rows = chunk_rows(d);
  for (std::size_t c0 = 0, chunk = 0; c0 < n; c0 += rows, ++chunk) {
    const int B = int(std::min(rows, n - c0));
    const NoiseKey key{seed, std::uint32_t(chunk)};
    MatX<double> z;
    PhiloxNoise(key, kStreamReverse).fill(z, 0x7fffffff, d, B);  // x_N ~ N(0, I)
    std::vector<float> xf(z.data(), z.data() + z.size());
    DeviceBuffer x(be, xf.size());
    be.upload(x.buf(), xf.data(), xf.size());
    const long e = be.sample(x.buf(), w.f.buf(), w.s.buf(), cfg.desc(), B, grid, key, smp);
    if (nfe) *nfe = std::max(*nfe, e);
    be.download(xf.data(), x.buf(), xf.size());
    Matrix y(static_cast<std::size_t>(B), static_cast<std::size_t>(d));
    for (int b = 0; b < B; ++b)
      for (int k = 0; k < d; ++k) y(std::size_t(b), std::size_t(k)) = xf[std::size_t(b) * d + k];
    const Matrix xr = st.stdz.inverse(y);  // the affine map undone, then the logit map's
    std::copy(xr.data.begin(), xr.data.end(), out.row(c0));  // rows c0.. of out (both row-major, d wide)
  }
  return out;
}

PointNll point_nll(Backend& be, const RunConfig& cfg, const RunState& st, const PointsView& raw, int trajectories,
                   int ode_substeps, bool with_bound, bool with_ode, std::uint64_t seed) {
  if (int(raw.cols) != cfg.shape.d)
    throw InputError("the data have " + std::to_string(raw.cols) + " columns, the model expects d = " +
                     std::to_string(cfg.shape.d));
  if (with_bound && cfg.kind() == ModelKind::FFJORD)
    throw InputError("ffjord defines no bound (its likelihood is exact, through the ODE)");
  const std::size_t n = raw.rows;
  const ModelDesc desc = cfg.desc();
  TimeGrid grid = eval_grid(cfg, 0);
  EmaBufs w(be, st);
  PointNll r;
  if (with_bound) r.bound.assign(n, 0.0);
  if (with_ode) r.ode.assign(n, 0.0);
  std::vector<double> part, logdet;
  const std::size_t rows = chunk_rows(cfg.shape.d);
  for (std::size_t c0 = 0, chunk = 0; c0 < n; c0 += rows, ++chunk) {
    const int B = int(std::min(rows, n - c0));
    const Matrix xr = raw.rows_matrix(c0, std::size_t(B));
    // the data map's log-determinant per point (constant without the logit map)
    logdet.assign(std::size_t(B), st.stdz.log_det());
    if (st.stdz.logit > 0)
      for (int b = 0; b < B; ++b) logdet[b] = st.stdz.log_det_at(xr.row(std::size_t(b)));
    std::vector<float> xf = st.stdz.to_model_floats(xr);
    DeviceBuffer x(be, xf.size());
    be.upload(x.buf(), xf.data(), xf.size());
    if (with_bound)
      for (int k = 0; k < trajectories; ++k) {
        be.bound(part, w.f.buf(), w.s.buf(), desc, x.buf(), B, grid, NoiseKey{mix_seed(seed, chunk), std::uint32_t(k)});
        for (int b = 0; b < B; ++b) r.bound[c0 + b] += (part[b] - logdet[b]) / trajectories;
      }
    if (with_ode) {
      OdeOptions opt;
      opt.substeps = ode_substeps;
      opt.probe_key = NoiseKey{seed, std::uint32_t(chunk)};
      long ev = 0;
      be.loglik(part, &ev, w.f.buf(), w.s.buf(), desc, x.buf(), B, grid, cfg.g, opt);
      r.nfe = std::max(r.nfe, ev);
      for (int b = 0; b < B; ++b) r.ode[c0 + b] = -(part[b] + logdet[b]);
    }
  }
  return r;
}

EvalResult evaluate(Backend& be, const RunConfig& cfg, const RunState& st, const Matrix& raw, int trajectories,
                    int ode_substeps, bool with_ode, std::uint64_t seed, double levels, int probe_repeats) {
  const bool ffjord = cfg.kind() == ModelKind::FFJORD;
  PointNll p = point_nll(be, cfg, st, PointsView::of(raw), trajectories, ode_substeps, !ffjord, with_ode || ffjord, seed);
  // Hutchinson's estimator (d above OdeOptions::exact_max_d): further solves with other probes
  const bool hutchinson = (with_ode || ffjord) && cfg.shape.d > OdeOptions{}.exact_max_d;
  const int repeats = hutchinson ? std::max(1, probe_repeats) : 0;
  std::vector<double> repeat_means;
  if (hutchinson) repeat_means.push_back(mean_se(p.ode).mean);
  for (int rep = 1; rep < repeats; ++rep) {
    const PointNll q = point_nll(be, cfg, st, PointsView::of(raw), 0, ode_substeps, false, true,
                                 mix_seed(seed, 0x9B0BE000ull + std::uint64_t(rep)));
    repeat_means.push_back(mean_se(q.ode).mean);
    for (std::size_t i = 0; i < p.ode.size(); ++i) p.ode[i] += (q.ode[i] - p.ode[i]) / (rep + 1);  // running mean
  }
  EvalResult r;
  r.n = raw.rows;
  r.steps = eval_grid(cfg, 0).N();
  r.nfe = p.nfe;
  r.probe_repeats = repeats;
  r.probe_sd = repeat_means.size() > 1 ? mean_se(repeat_means).sd : NAN;
  const int d = cfg.shape.d;
  r.nll_bound = r.nll_bound_se = r.bpd_bound = NAN;
  r.nll_ode = r.nll_ode_se = r.bpd_ode = NAN;
  r.nll_exact = r.nll_exact_se = r.bpd_exact = NAN;
  // one column of figures: mean, its standard error, bits per dimension
  auto fill = [&](const std::vector<double>& v, double& mean, double& se, double& bpd) {
    const MeanSe m = mean_se(v);
    mean = m.mean, se = m.se, bpd = bits_per_dim(m.mean, d, levels);
  };
  if (ffjord) {
    fill(p.ode, r.nll_exact, r.nll_exact_se, r.bpd_exact);
    return r;
  }
  r.trajectories = trajectories;
  fill(p.bound, r.nll_bound, r.nll_bound_se, r.bpd_bound);
  if (with_ode) {
    r.ode_substeps = ode_substeps;
    fill(p.ode, r.nll_ode, r.nll_ode_se, r.bpd_ode);
  }
  return r;
}

}  // namespace df
