// DiffFlow at the sweep level (MATH.md §2–§5), CPU reference, templated on the scalar.
//   diffuse_sweep       (D1) + per-sample loss (D4); checkpoints x_{cK} kept         (=)
//   diffflow_loss_grad  diffuse sweep, then the stochastic adjoint (D5) over recompute
//                       segments of K steps; parameter gradients of the batch-mean loss (+=),
//                       optional per-sample data gradient dL_b/dx0_b (=)
//   reverse_sweep       sampling: (D2) or the probability-flow ODE's Euler steps        (=)
// Networks: F_j = f(x_j, t_j) is shared by the move of step j and η_{j−1}; S_j at x_j for j ≥ 1:
// 2N+1 evaluations per trajectory in the diffuse sweep; the adjoint re-diffuses each checkpoint
// segment with the caches (2N+1 more, plus one drift per segment boundary), or, with keep_all,
// reuses the diffuse sweep's caches (no second evaluation).
#pragma once
#include <algorithm>
#include <cmath>
#include <vector>

#include "engine/grid.h"
#include "engine/model_family.h"
#include "engine/noise.h"
#include "engine/sampler.h"
#include "kernels/math/errors.h"
#include "kernels/cpu/mlp.h"
#include "kernels/math/sde.h"

namespace df {

template <class T> struct NetPair {
  NetShape shape;
  const T* f = nullptr;  // drift parameters (FFJORD: the velocity; DDPM: unused)
  const T* s = nullptr;  // score parameters (DDPM: the ε network; FFJORD: unused)
  ModelKind kind = ModelKind::DiffFlow;
  VpSchedule vp;         // DDPM only
  MlpWeights<T> wf, ws;  // f and s packed for the CPU products (empty where the pointer is null)
  NetPair() = default;
  NetPair(const NetShape& sh, const T* f_, const T* s_, ModelKind k = ModelKind::DiffFlow, VpSchedule v = {})
      : shape(sh), f(f_), s(s_), kind(k), vp(v), wf(sh, f_), ws(sh, s_) {}
};

template <class T> struct DiffuseOut {
  VecX<T> loss;               // per-sample L of (D4), nats
  std::vector<MatX<T>> ckpt;  // x_0, x_K, x_2K, ... (those < N)
  MatX<T> xN;
};

// Evaluates one network at (x, t) with a fresh embedding (and cache when given).
template <class T>
void net_eval(MatX<T>& y, const MlpWeights<T>& w, const MatX<T>& x, T t, Opt<MlpCache<T>> cache = nullptr,
              Opt<EmbedCache<T>> ec_out = nullptr) {
  EmbedCache<T> ec;
  mlp_embed(ec, w.s, w.p, t);
  mlp_forward(y, w, x, ec, cache);
  if (ec_out) *ec_out = std::move(ec);
}

// F = f(x, t) and S = s(x, t) of the model family (engine/model_kind.h): the network, or
// DDPM's fixed drift −½ β(t) x and its score −ε_θ(x, t)/σ_t; FFJORD has no score (S = 0).
template <class T>
void eval_drift(MatX<T>& F, const NetPair<T>& net, const MatX<T>& x, T t, Opt<MlpCache<T>> cache = nullptr,
                Opt<EmbedCache<T>> ec = nullptr) {
  if (net.kind == ModelKind::DDPM) {
    F = x * T(net.vp.drift_scale(double(t)));
    return;
  }
  net_eval(F, net.wf, x, t, cache, ec);
}

template <class T>
void eval_score(MatX<T>& S, const NetPair<T>& net, const MatX<T>& x, T t, Opt<MlpCache<T>> cache = nullptr,
                Opt<EmbedCache<T>> ec = nullptr) {
  if (net.kind == ModelKind::FFJORD) {
    S = MatX<T>::Zero(x.rows(), x.cols());
    return;
  }
  net_eval(S, net.ws, x, t, cache, ec);
  if (net.kind == ModelKind::DDPM) S *= T(net.vp.score_scale(double(t)));
}

// x_next = x + F Δ + σF ε, elementwise through the shared math.
template <class T>
void em_step(MatX<T>& x_next, const MatX<T>& x, const MatX<T>& F, const MatX<T>& eps, T dt, T sf) {
  x_next.resize(x.rows(), x.cols());
  for (Eigen::Index i = 0; i < x.size(); ++i) x_next.data()[i] = em_move(x.data()[i], F.data()[i], dt, sf, eps.data()[i]);
}

template <class T> T terminal_constant(const TimeGrid& g, int d) {
  return T(0.5 * d * std::log(2 * M_PI) + d * std::log(g.g.back() / g.g.front()));
}

// One state of a trajectory with the networks evaluated there: F = f(x, t), S = s(x, t) (S is
// not evaluated at the first state of a run), and their caches when a backward pass follows.
template <class T> struct StateEval {
  MatX<T> x, F, S;
  MlpCache<T> cf, cs;
  EmbedCache<T> ef, es;
};

// Diffuses ev[0].x = x_start through the steps i = start..end−1 (D1). With keep, slot k of ev
// ends up holding state start + k (k ≤ end − start); otherwise two slots
// alternate and the state i lives in slot (i − start) % 2 (ev is grown to the slots it needs). F is evaluated at every state, S at
// every state after x_start, with their caches when cache. loss (optional) accumulates the step
// terms of (D4); ckpt (optional) receives x_i for every i = cK with start < i < N.
template <class T>
void diffuse_steps(std::vector<StateEval<T>>& ev, const NetPair<T>& net, const TimeGrid& grid,
                   const NoiseSource& noise, int start, int end, bool keep, bool cache, Opt<VecX<T>> loss,
                   Opt<std::vector<MatX<T>>> ckpt, int K) {
  const int d = net.shape.d, B = int(ev[0].x.cols()), N = grid.N();
  const std::size_t need = std::size_t(keep ? end - start + 1 : 2);
  if (ev.size() < need) ev.resize(need);  // grow only: slots keep their buffers across calls
  auto slot = [&](int i) -> StateEval<T>& { return ev[std::size_t(keep ? i - start : (i - start) % 2)]; };
  StateEval<T>& e0 = slot(start);
  eval_drift(e0.F, net, e0.x, T(grid.t[start]), cache ? &e0.cf : nullptr, cache ? &e0.ef : nullptr);
  MatX<T> eps;
  for (int i = start; i < end; ++i) {
    StateEval<T>& a = slot(i);
    StateEval<T>& b = slot(i + 1);
    const T dt = T(grid.dt(i)), sf = sigma_forward(T(grid.g[i]), dt);
    const T sb = sigma_backward(T(grid.g[i + 1]), dt), g2 = T(grid.g[i + 1] * grid.g[i + 1]);
    noise.fill_as(eps, i, d, B);
    em_step(b.x, a.x, a.F, eps, dt, sf);
    eval_drift(b.F, net, b.x, T(grid.t[i + 1]), cache ? &b.cf : nullptr, cache ? &b.ef : nullptr);
    eval_score(b.S, net, b.x, T(grid.t[i + 1]), cache ? &b.cs : nullptr, cache ? &b.es : nullptr);
    if (loss)
      for (int c = 0; c < B; ++c)
        for (int k = 0; k < d; ++k)
          (*loss)[c] += kl_term(eta_of(a.x(k, c), b.x(k, c), b.F(k, c), b.S(k, c), g2, dt, sb), eps(k, c));
    if (ckpt && K > 0 && (i + 1) % K == 0 && i + 1 < N) ckpt->push_back(b.x);
  }
}

template <class T> void add_terminal(VecX<T>& loss, const MatX<T>& xN, const TimeGrid& grid) {
  const T c = terminal_constant<T>(grid, int(xN.rows()));
  for (Eigen::Index b = 0; b < xN.cols(); ++b) loss[b] += T(0.5) * xN.col(b).squaredNorm() + c;
}

template <class T>
void diffuse_sweep(DiffuseOut<T>& out, const NetPair<T>& net, const MatX<T>& x0, const TimeGrid& grid,
                   const NoiseSource& noise, int K) {
  const int B = int(x0.cols()), N = grid.N();
  out.loss = VecX<T>::Zero(B);
  out.ckpt.clear();
  if (K > 0) out.ckpt.push_back(x0);
  std::vector<StateEval<T>> ev(1);
  ev[0].x = x0;
  diffuse_steps(ev, net, grid, noise, 0, N, false, false, &out.loss, K > 0 ? &out.ckpt : nullptr, K);
  out.xN = std::move(ev[std::size_t(N % 2)].x);
  add_terminal(out.loss, out.xN, grid);
}

// Returns the batch-mean loss. gf, gs += its gradient; dx0 (optional) = per-sample dL_b/dx0_b.
// K = checkpoint interval (clamped to 1..N): the diffuse sweep keeps x_0, x_K, x_2K, ... and the
// adjoint re-diffuses each segment from its checkpoint, with the network caches, before walking
// it backwards. keep_all: the diffuse sweep keeps every state with its caches instead (no
// recompute; trajectory_cache_bytes of engine/cpu_parallel.h). Every K and keep_all give the same bits.
template <class T>
double diffflow_loss_grad(T* gf, T* gs, Opt<MatX<T>> dx0, Opt<VecX<T>> loss_out, const NetPair<T>& net,
                          const MatX<T>& x0, const TimeGrid& grid, const NoiseSource& noise, int K,
                          bool keep_all = false) {
  const NetShape& s = net.shape;
  const int d = s.d, B = int(x0.cols()), N = grid.N();
  K = keep_all ? N : std::max(1, std::min(K, N));
  if (net.kind != ModelKind::DiffFlow) throw std::logic_error("diffflow_loss_grad: the adjoint is DiffFlow's");
  VecX<T> loss = VecX<T>::Zero(B);
  // the trajectory store lives with the thread, so its buffers are reused by the next call
  thread_local std::vector<StateEval<T>> seg;
  if (seg.empty()) seg.resize(1);
  std::vector<MatX<T>> ckpt;
  if (keep_all) {
    seg[0].x = x0;
    diffuse_steps(seg, net, grid, noise, 0, N, true, true, &loss, nullptr, 0);
    add_terminal(loss, seg[std::size_t(N)].x, grid);
  } else {
    DiffuseOut<T> fw;
    diffuse_sweep(fw, net, x0, grid, noise, K);
    loss = std::move(fw.loss);
    ckpt = std::move(fw.ckpt);
  }
  double mean = 0;
  for (int b = 0; b < B; ++b) mean += double(loss[b]);
  mean /= B;
  if (loss_out) *loss_out = loss;

  // Cotangents are carried scaled by 1/B (gradient of the batch mean).
  const T invB = T(1) / T(B);
  MatX<T> lam_next = MatX<T>::Zero(d, B), r_cur, r_prev(d, B), v, w, jf, js;
  const int nseg = (N + K - 1) / K;
  for (int c = nseg - 1; c >= 0; --c) {
    const int start = c * K, end = std::min(N, start + K);
    if (!keep_all) {  // re-diffuse the segment from its checkpoint (the diffuse sweep's own steps)
      seg[0].x = ckpt[std::size_t(c)];
      diffuse_steps(seg, net, grid, noise, start, end, true, true, nullptr, nullptr, 0);
    }
    for (int j = end; j > start; --j) {
      const StateEval<T>& ej = seg[std::size_t(j - start)];
      const MatX<T>& xp = seg[std::size_t(j - 1 - start)].x;
      const T dtp = T(grid.dt(j - 1)), sb = sigma_backward(T(grid.g[j]), dtp);
      const T g2 = T(grid.g[j] * grid.g[j]);
      for (int b = 0; b < B; ++b)
        for (int k = 0; k < d; ++k)
          r_prev(k, b) = eta_of(xp(k, b), ej.x(k, b), ej.F(k, b), ej.S(k, b), g2, dtp, sb) / sb * invB;
      v = dtp * r_prev;
      if (j < N) v += T(grid.dt(j)) * lam_next;
      w = (-g2 * dtp) * r_prev;
      mlp_backward(gf, &jf, net.wf, ej.x, ej.ef, ej.cf, v);
      mlp_backward(gs, &js, net.ws, ej.x, ej.es, ej.cs, w);
      if (j == N)
        lam_next = ej.x * invB - r_prev + jf + js;
      else
        lam_next = r_cur - r_prev + lam_next + jf + js;
      r_cur = r_prev;
    }
  }
  // j = 0: only the move is left (the drift at x_0, cached by segment 0)
  const StateEval<T>& e0 = seg[0];
  v = T(grid.dt(0)) * lam_next;
  mlp_backward(gf, &jf, net.wf, x0, e0.ef, e0.cf, v);
  if (dx0) *dx0 = (r_cur + lam_next + jf) * T(B);
  return mean;
}

// x holds x_N on entry and x_0 on exit: the sampler family of engine/sampler.h (λ; noise η_i
// from the caller's stream when λ > 0, none on the last step i = 0, which returns its mean, as the
// reference does), then Tweedie's step at t_0 when smp.denoise.
template <class T>
void reverse_sweep(MatX<T>& x, const NetPair<T>& net, const TimeGrid& grid, const NoiseSource& noise,
                   const Sampler& smp) {
  const NetShape& s = net.shape;
  const int d = s.d, B = int(x.cols());
  const T lam = T(smp.lambda);
  Tweedie tw;
  if (smp.denoise && !tweedie_at_start(net.kind, net.vp, grid.t[0], grid.g[0], &tw))
    throw InputError("denoise: the model has no score (FFJORD) for Tweedie's step");
  MatX<T> F, S, eta;
  for (int i = grid.N() - 1; i >= 0; --i) {
    const T t = T(grid.t[i + 1]), dt = T(grid.dt(i)), g2 = T(grid.g[i + 1] * grid.g[i + 1]);
    const T sb = sigma_backward(T(grid.g[i + 1]), dt);
    eval_drift(F, net, x, t);
    eval_score(S, net, x, t);
    const bool noisy = smp.noisy() && i > 0;
    if (noisy) noise.fill_as(eta, i, d, B);
    for (Eigen::Index e = 0; e < x.size(); ++e)
      x.data()[e] = reverse_step(x.data()[e], F.data()[e], S.data()[e], g2, dt, sb, noisy ? eta.data()[e] : T(0), lam);
  }
  if (smp.denoise) {
    eval_score(S, net, x, T(grid.t[0]));
    for (Eigen::Index e = 0; e < x.size(); ++e)
      x.data()[e] = tweedie_move(x.data()[e], S.data()[e], T(tw.var), T(tw.alpha));
  }
}

}  // namespace df
