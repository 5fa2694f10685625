// DiffFlow at the sweep level (MATH.md §2–§5), CPU reference, templated on the scalar.
//   diffuse_sweep       (D1) + per-sample loss (D4); checkpoints x_{cK} kept         (=)
//   diffflow_loss_grad  diffuse sweep, then the stochastic adjoint (D5) over recompute
//                       segments of K steps; parameter gradients of the batch-mean loss (+=),
//                       optional per-sample data gradient dL_b/dx0_b (=)
//   reverse_sweep       sampling: (D2) or the probability-flow ODE's Euler steps        (=)
// Networks: F_j = f(x_j, t_j) is shared by the move of step j and η_{j−1}; S_j at x_j for j ≥ 1:
// 2N+1 evaluations per trajectory in each sweep (plus N drift evaluations to re-diffuse the
// segments when K > 1).
#pragma once
#include <algorithm>
#include <cmath>
#include <vector>

#include "engine/grid.h"
#include "engine/model_kind.h"
#include "engine/noise.h"
#include "kernels/cpu/mlp.h"
#include "kernels/math/sde.h"

namespace df {

template <class T> struct NetPair {
  NetShape shape;
  const T* f = nullptr;  // drift parameters (FFJORD: the velocity; DDPM: unused)
  const T* s = nullptr;  // score parameters (DDPM: the ε network; FFJORD: unused)
  ModelKind kind = ModelKind::DiffFlow;
  VpSchedule vp;         // DDPM only
  NetPair() = default;
  NetPair(const NetShape& sh, const T* f_, const T* s_, ModelKind k = ModelKind::DiffFlow, VpSchedule v = {})
      : shape(sh), f(f_), s(s_), kind(k), vp(v) {}
};

template <class T> struct DiffuseOut {
  VecX<T> loss;               // per-sample L of (D4), nats
  std::vector<MatX<T>> ckpt;  // x_0, x_K, x_2K, ... (those < N)
  MatX<T> xN;
};

// Evaluates one network at (x, t) with a fresh embedding (and cache when given).
template <class T>
void net_eval(MatX<T>& y, const NetShape& s, const T* p, const MatX<T>& x, T t, Opt<MlpCache<T>> cache = nullptr,
              Opt<EmbedCache<T>> ec_out = nullptr) {
  EmbedCache<T> ec;
  mlp_embed(ec, s, p, t);
  mlp_forward(y, s, p, x, ec, cache);
  if (ec_out) *ec_out = std::move(ec);
}

// F = f(x, t) and S = s(x, t) of the model family (engine/model_kind.h): the network, or
// DDPM's fixed drift −½ β(t) x and its score −ε_θ(x, t)/σ_t; FFJORD has no score (S = 0).
template <class T>
void eval_drift(MatX<T>& F, const NetPair<T>& net, const MatX<T>& x, T t, Opt<MlpCache<T>> cache = nullptr,
                Opt<EmbedCache<T>> ec = nullptr) {
  if (net.kind == ModelKind::DDPM) {
    F = x * T(-0.5 * net.vp.beta(double(t)));
    return;
  }
  net_eval(F, net.shape, net.f, x, t, cache, ec);
}

template <class T>
void eval_score(MatX<T>& S, const NetPair<T>& net, const MatX<T>& x, T t, Opt<MlpCache<T>> cache = nullptr,
                Opt<EmbedCache<T>> ec = nullptr) {
  if (net.kind == ModelKind::FFJORD) {
    S = MatX<T>::Zero(x.rows(), x.cols());
    return;
  }
  net_eval(S, net.shape, net.s, x, t, cache, ec);
  if (net.kind == ModelKind::DDPM) S *= T(-1.0 / net.vp.sigma(double(t)));
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

template <class T>
void diffuse_sweep(DiffuseOut<T>& out, const NetPair<T>& net, const MatX<T>& x0, const TimeGrid& grid,
                   const NoiseSource& noise, int K) {
  const NetShape& s = net.shape;
  const int d = s.d, B = int(x0.cols()), N = grid.N();
  out.loss = VecX<T>::Zero(B);
  out.ckpt.clear();
  MatX<T> x = x0, xn, F, Fn, Sn, eps;
  eval_drift(F, net, x, T(grid.t[0]));
  if (K > 0) out.ckpt.push_back(x);
  for (int i = 0; i < N; ++i) {
    const T dt = T(grid.dt(i)), sf = sigma_forward(T(grid.g[i]), dt);
    const T sb = sigma_backward(T(grid.g[i + 1]), dt), g2 = T(grid.g[i + 1] * grid.g[i + 1]);
    noise.fill_as(eps, i, d, B);
    em_step(xn, x, F, eps, dt, sf);
    eval_drift(Fn, net, xn, T(grid.t[i + 1]));
    eval_score(Sn, net, xn, T(grid.t[i + 1]));
    for (int b = 0; b < B; ++b)
      for (int k = 0; k < d; ++k)
        out.loss[b] += kl_term(eta_of(x(k, b), xn(k, b), Fn(k, b), Sn(k, b), g2, dt, sb), eps(k, b));
    x.swap(xn);
    F.swap(Fn);
    if (K > 0 && (i + 1) % K == 0 && i + 1 < N) out.ckpt.push_back(x);
  }
  const T c = terminal_constant<T>(grid, d);
  for (int b = 0; b < B; ++b) out.loss[b] += T(0.5) * x.col(b).squaredNorm() + c;
  out.xN = x;
}

// Returns the batch-mean loss. gf, gs += its gradient; dx0 (optional) = per-sample dL_b/dx0_b.
// K = checkpoint interval (clamped to 1..N); K = 1 keeps every state (no recompute).
template <class T>
double diffflow_loss_grad(T* gf, T* gs, Opt<MatX<T>> dx0, Opt<VecX<T>> loss_out, const NetPair<T>& net,
                          const MatX<T>& x0, const TimeGrid& grid, const NoiseSource& noise, int K) {
  const NetShape& s = net.shape;
  const int d = s.d, B = int(x0.cols()), N = grid.N();
  K = std::max(1, std::min(K, N));
  if (net.kind != ModelKind::DiffFlow) throw std::logic_error("diffflow_loss_grad: the adjoint is DiffFlow's");
  DiffuseOut<T> fw;
  diffuse_sweep(fw, net, x0, grid, noise, K);
  double mean = 0;
  for (int b = 0; b < B; ++b) mean += double(fw.loss[b]);
  mean /= B;
  if (loss_out) *loss_out = fw.loss;

  // Cotangents are carried scaled by 1/B (gradient of the batch mean).
  const T invB = T(1) / T(B);
  MatX<T> lam_next = MatX<T>::Zero(d, B), r_cur, r_prev(d, B), v, w, jf, js, F, S, eps, Fk;
  MlpCache<T> cf, cs;
  EmbedCache<T> ef, es;
  std::vector<MatX<T>> seg;
  const int nseg = (N + K - 1) / K;
  for (int c = nseg - 1; c >= 0; --c) {
    const int start = c * K, end = std::min(N, start + K);
    // re-diffuse the segment from its checkpoint (same code path as the diffuse sweep)
    seg.assign(1, fw.ckpt[c]);
    for (int i = start; i < end; ++i) {
      net_eval(Fk, s, net.f, seg.back(), T(grid.t[i]));
      noise.fill_as(eps, i, d, B);
      MatX<T> xn;
      em_step(xn, seg.back(), Fk, eps, T(grid.dt(i)), sigma_forward(T(grid.g[i]), T(grid.dt(i))));
      seg.push_back(std::move(xn));
    }
    for (int j = end; j > start; --j) {
      const MatX<T>& xj = seg[j - start];
      const MatX<T>& xp = seg[j - 1 - start];
      net_eval(F, s, net.f, xj, T(grid.t[j]), &cf, &ef);
      net_eval(S, s, net.s, xj, T(grid.t[j]), &cs, &es);
      const T dtp = T(grid.dt(j - 1)), sb = sigma_backward(T(grid.g[j]), dtp);
      const T g2 = T(grid.g[j] * grid.g[j]);
      for (int b = 0; b < B; ++b)
        for (int k = 0; k < d; ++k)
          r_prev(k, b) = eta_of(xp(k, b), xj(k, b), F(k, b), S(k, b), g2, dtp, sb) / sb * invB;
      v = dtp * r_prev;
      if (j < N) v += T(grid.dt(j)) * lam_next;
      w = (-g2 * dtp) * r_prev;
      mlp_backward(gf, &jf, s, net.f, xj, ef, cf, v);
      mlp_backward(gs, &js, s, net.s, xj, es, cs, w);
      if (j == N)
        lam_next = xj * invB - r_prev + jf + js;
      else
        lam_next = r_cur - r_prev + lam_next + jf + js;
      r_cur = r_prev;
    }
  }
  // j = 0: only the move is left
  net_eval(F, s, net.f, x0, T(grid.t[0]), &cf, &ef);
  v = T(grid.dt(0)) * lam_next;
  mlp_backward(gf, &jf, s, net.f, x0, ef, cf, v);
  if (dx0) *dx0 = (r_cur + lam_next + jf) * T(B);
  return mean;
}

// x holds x_N on entry and x_0 on exit. noise (stream of the caller's choice) gives η_i for the
// stochastic sampler; the last step (i = 0) returns the noise-free mean, as the reference does.
template <class T>
void reverse_sweep(MatX<T>& x, const NetPair<T>& net, const TimeGrid& grid, const NoiseSource& noise,
                   bool deterministic) {
  const NetShape& s = net.shape;
  const int d = s.d, B = int(x.cols());
  MatX<T> F, S, eta;
  for (int i = grid.N() - 1; i >= 0; --i) {
    const T t = T(grid.t[i + 1]), dt = T(grid.dt(i)), g2 = T(grid.g[i + 1] * grid.g[i + 1]);
    const T sb = sigma_backward(T(grid.g[i + 1]), dt);
    eval_drift(F, net, x, t);
    eval_score(S, net, x, t);
    if (deterministic) {
      for (Eigen::Index e = 0; e < x.size(); ++e) x.data()[e] -= pf_velocity(F.data()[e], S.data()[e], g2) * dt;
    } else {
      if (i > 0) noise.fill_as(eta, i, d, B); else eta = MatX<T>::Zero(d, B);
      for (Eigen::Index e = 0; e < x.size(); ++e)
        x.data()[e] = reverse_move(x.data()[e], F.data()[e], S.data()[e], g2, dt, sb, eta.data()[e]);
    }
  }
}

}  // namespace df
