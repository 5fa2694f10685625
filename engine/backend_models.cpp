// Model-level dispatch of engine/backend.h: DiffFlow to the backend's sweeps, DDPM and FFJORD
// to the CPU reference (engine/ddpm.h, engine/ffjord.h, the shared sweeps with NetPair::kind) on
// host copies of the buffers, cut into the same fixed chunks as the CPU backend.
#include <cmath>
#include <cstring>

#include "engine/backend.h"
#include "engine/cpu_parallel.h"
#include "engine/ddpm.h"
#include "engine/ffjord.h"
#include "engine/likelihood.h"
#include "kernels/math/errors.h"

namespace df {
namespace {

std::vector<float> host_copy(Backend& be, const Buf& b) {
  std::vector<float> h(b.n);
  if (b.n) be.download(h.data(), b, b.n);
  return h;
}

Eigen::Map<const MatX<float>> batch(const std::vector<float>& x, int d, int B) {
  return Eigen::Map<const MatX<float>>(x.data(), d, B);
}

}  // namespace

void Backend::set_precision(MatPrecision p) {
  if (p != MatPrecision::FP32)
    throw InputError(std::string(mat_precision_name(p)) + " operands: the " + name() +
                     " backend computes in fp32 only (tf32 and bf16 need a device backend: cuda or emu)");
}

std::size_t Backend::host_train_bytes(const ModelDesc& m, int B, int N, int K) {
  const NetShape& s = m.shape;
  const std::size_t Bc = std::size_t(std::min(B, kChunk)), f = sizeof(float);
  const std::size_t workers = std::size_t(std::max(1, std::min(num_threads(), num_chunks(B))));
  const std::size_t layer = std::size_t(s.W) * Bc * f;  // one W × chunk activation
  const std::size_t state = std::size_t(s.d) * Bc * f;  // one d × chunk state
  std::size_t per = 2 * s.n_params() * f;               // the worker's gradient accumulators
  if (m.kind == ModelKind::DiffFlow) {
    if (cpu_keeps_trajectory(s, N)) {
      per += trajectory_cache_bytes(s.W, s.L, N, int(Bc), f) + std::size_t(N + 1) * state;
    } else {
      const int k = std::max(1, std::min(K, N));
      per += trajectory_cache_bytes(s.W, s.L, k, int(Bc), f) + std::size_t(N / k + 2) * state;
    }
  } else if (m.kind == ModelKind::DDPM) {
    per += 2 * std::size_t(s.L + 1) * layer + 4 * state;
  } else {  // FFJORD: the states of the RK4 steps, one step's four stages with their trace caches
    const std::size_t tangents = std::size_t(s.d <= 16 ? s.d : 1);
    per += std::size_t(N + 1) * state + 4 * (2 * std::size_t(s.L + 1) * layer * (1 + tangents) + 3 * state);
  }
  return workers * per;
}

StepOutcome Backend::train_step(StepNet (&nets)[2], const ModelDesc& m, const Buf& x0, int B, const TimeGrid& grid,
                                NoiseKey key, int K, const StepHyper& h) {
  StepOutcome out;
  out.loss = train_loss_grad(*nets[0].g, *nets[1].g, *nets[0].p, *nets[1].p, m, x0, B, grid, key, K);
  double sq[2];
  for (int k = 0; k < 2; ++k) {
    sq[k] = grad_sq_norm(*nets[k].g);
    out.gn[k] = std::sqrt(sq[k]);
  }
  for (int k = 0; k < 2; ++k) {
    if (!nets[k].trains) continue;
    AdamHyper a = h.adam;
    a.lr = nets[k].lr;
    adam_update(*nets[k].p, *nets[k].g, *nets[k].m, *nets[k].v, a, h.step, clip_scale(h.clip, sq[k]));
    ema_update(*nets[k].ema, *nets[k].p, h.ema);
  }
  return out;
}

double Backend::train_loss_grad(Buf& gf, Buf& gs, const Buf& pf, const Buf& ps, const ModelDesc& m, const Buf& x0,
                                int B, const TimeGrid& grid, NoiseKey key, int K) {
  if (m.kind == ModelKind::DiffFlow) return diffflow_loss_grad(gf, gs, pf, ps, m.shape, x0, B, grid, key, K);
  const int d = m.shape.d;
  std::vector<float> x = host_copy(*this, x0), zero(gf.n, 0.f);
  double loss;
  if (m.kind == ModelKind::DDPM) {
    std::vector<float> p = host_copy(*this, ps), g(ps.n);
    loss = chunked_mean_grad({{g.data(), g.size()}}, B, [&](const std::vector<float*>& gc, int b0, int nb) {
      return ddpm_loss_grad<float>(gc[0], nullptr, m.shape, p.data(), MatX<float>(batch(x, d, B).middleCols(b0, nb)), m.vp,
                                   m.t_min, key, std::uint32_t(b0));
    });
    upload(gs, g.data(), g.size());
    upload(gf, zero.data(), zero.size());
  } else {
    std::vector<float> p = host_copy(*this, pf), g(pf.n);
    loss = chunked_mean_grad({{g.data(), g.size()}}, B, [&](const std::vector<float*>& gc, int b0, int nb) {
      FfjordTrace tr;  // exact for d <= 16, else Hutchinson probes keyed by the iteration
      tr.key = key;
      tr.sample_offset = std::uint32_t(b0);
      return ffjord_loss_grad<float>(gc[0], nullptr, m.shape, p.data(), MatX<float>(batch(x, d, B).middleCols(b0, nb)),
                                     grid.t.front(), grid.t.back(), grid.N(), &tr);
    });
    upload(gf, g.data(), g.size());
    upload(gs, zero.data(), zero.size());
  }
  return loss;
}

void Backend::bound(std::vector<double>& loss, const Buf& pf, const Buf& ps, const ModelDesc& m, const Buf& x0, int B,
                    const TimeGrid& grid, NoiseKey key) {
  if (m.kind == ModelKind::DiffFlow) return diffflow_loss(loss, pf, ps, m.shape, x0, B, grid, key);
  const int d = m.shape.d;
  std::vector<float> x = host_copy(*this, x0), f = host_copy(*this, pf), s = host_copy(*this, ps);
  NetPair<float> net(m.shape, f.data(), s.data(), m.kind, m.vp);
  loss.assign(std::size_t(B), 0.0);
  parallel_chunks(B, [&](int, int b0, int nb) {
    MatX<float> xc = batch(x, d, B).middleCols(b0, nb);
    if (m.kind == ModelKind::FFJORD) {
      FfjordTrace tr;
      tr.key = key;
      tr.sample_offset = std::uint32_t(b0);
      VecX<float> l = ffjord_nll<float>(m.shape, f.data(), xc, grid.t.front(), grid.t.back(), grid.N(), &tr);
      for (int b = 0; b < nb; ++b) loss[std::size_t(b0 + b)] = l[b];
      return;
    }
    PhiloxNoise noise(key, kStreamDiffuse, std::uint32_t(b0));
    DiffuseOut<float> out;
    diffuse_sweep(out, net, xc, grid, noise, 0);
    for (int b = 0; b < nb; ++b) loss[std::size_t(b0 + b)] = out.loss[b];
  });
}

long Backend::sample_passes(const ModelDesc& m, const TimeGrid& grid, const Sampler& smp) {
  return long(family(m.kind).sample_passes_per_step) * grid.N() + (smp.denoise ? 1 : 0);
}

long Backend::sample(Buf& xb, const Buf& pf, const Buf& ps, const ModelDesc& m, int B, const TimeGrid& grid,
                     NoiseKey key, const Sampler& smp) {
  if (m.kind == ModelKind::DiffFlow) {
    reverse_sweep(xb, pf, ps, m.shape, B, grid, key, smp);
    return sample_passes(m, grid, smp);
  }
  // FFJORD is an ODE flow: it has no stochastic sampler (λ is ignored) and no score for Tweedie
  if (m.kind == ModelKind::FFJORD && smp.denoise)
    throw InputError("denoise: the model has no score (FFJORD) for Tweedie's step");
  if (!(smp.ode_tol >= 0)) throw InputError("sample: the ODE tolerance must be >= 0");
  const int d = m.shape.d;
  std::vector<float> x = host_copy(*this, xb), f = host_copy(*this, pf), s = host_copy(*this, ps);
  NetPair<float> net(m.shape, f.data(), s.data(), m.kind, m.vp);
  const bool adaptive = m.kind == ModelKind::FFJORD && smp.ode_tol > 0;
  std::vector<long> evals(std::size_t(num_chunks(B)), 0);
  parallel_chunks(B, [&](int c, int b0, int nb) {
    Eigen::Map<MatX<float>> all(x.data(), d, B);
    MatX<float> xc = all.middleCols(b0, nb);
    if (adaptive) {
      evals[std::size_t(c)] = ffjord_sample_dopri5<float>(xc, m.shape, f.data(), grid.t.front(), grid.t.back(), smp.ode_tol);
    } else if (m.kind == ModelKind::FFJORD) {
      ffjord_sample<float>(xc, m.shape, f.data(), grid.t.front(), grid.t.back(), grid.N());
    } else {
      PhiloxNoise noise(key, kStreamReverse, std::uint32_t(b0));
      df::reverse_sweep(xc, net, grid, noise, smp);
    }
    all.middleCols(b0, nb) = xc;
  });
  upload(xb, x.data(), x.size());
  return adaptive ? *std::max_element(evals.begin(), evals.end()) : sample_passes(m, grid, smp);
}

void Backend::loglik(std::vector<double>& logp, long* nfe, const Buf& pf, const Buf& ps, const ModelDesc& m,
                     const Buf& x0, int B, const TimeGrid& grid, const GSchedule& g, const OdeOptions& opt) {
  if (nfe) *nfe = 0;
  if (m.kind == ModelKind::DiffFlow) {
    pf_loglik(logp, pf, ps, m.shape, x0, B, grid, g, opt);
    if (nfe) *nfe = 4L * opt.substeps * grid.N();
    return;
  }
  host_loglik(logp, nfe, pf, ps, m, x0, B, grid, g, opt);
}

void Backend::host_loglik(std::vector<double>& logp, long* nfe, const Buf& pf, const Buf& ps, const ModelDesc& m,
                          const Buf& x0, int B, const TimeGrid& grid, const GSchedule& g, const OdeOptions& opt) {
  if (nfe) *nfe = 0;
  const int d = m.shape.d;
  std::vector<float> x = host_copy(*this, x0), ff = host_copy(*this, pf), ss = host_copy(*this, ps);
  std::vector<double> f(ff.begin(), ff.end()), s(ss.begin(), ss.end());
  NetPair<double> net(m.shape, f.data(), s.data(), m.kind, m.vp);
  logp.assign(std::size_t(B), 0.0);
  std::vector<long> evals(std::size_t(num_chunks(B)), 0);
  parallel_chunks(B, [&](int c, int b0, int nb) {
    MatX<double> xc = batch(x, d, B).middleCols(b0, nb).cast<double>();
    VecX<double> lp;
    if (m.kind == ModelKind::FFJORD) {
      FfjordTrace tr;
      tr.exact_max_d = opt.exact_max_d;
      tr.probes = opt.probes;
      tr.key = opt.probe_key;
      tr.sample_offset = std::uint32_t(b0);
      lp = -ffjord_dopri5<double>(m.shape, f.data(), xc, grid.t.front(), grid.t.back(), m.tol, &evals[std::size_t(c)], &tr);
    } else {
      OdeOptions o = opt;
      o.probe_key.seed = opt.probe_key.seed + std::uint64_t(b0);
      lp = pf_ode_loglik<double>(net, xc, grid, g, o);
      evals[std::size_t(c)] = 4L * opt.substeps * grid.N();
    }
    for (int b = 0; b < nb; ++b) logp[std::size_t(b0 + b)] = lp[b];
  });
  if (nfe) *nfe = *std::max_element(evals.begin(), evals.end());
}

}  // namespace df
