// Per-element SDE math of MATH.md §2–§5, written once for the CPU loops and the CUDA kernels.
//   em_move:      x_{i+1} = x_i + F_i Δ_i + σF_i ε_i                          (D1)  (=)
//   reverse_step: x_i = x_{i+1} − (F − ½(1+λ²) g² S) Δ_i + λ σB_i η_i          (D2, the paper's
//                 Eq. 17 family: λ = 1 the reverse SDE, λ = 0 the probability-flow ODE)  (=)
//   tweedie_move: x̂ = (x + var·S) / α, the posterior mean of the clean point given x (Tweedie)
//   eta:          η_i = [x_i − x_{i+1} + (F_{i+1} − g²_{i+1} S_{i+1}) Δ_i] / σB_i   (D3)
//   kl_term:      ½ (η² − ε²), one dimension's share of the step term of (D4)
//   pf_velocity:  probability-flow velocity F − ½ g² S
//   adjoint_cotangents, adjoint_lambda: one element of the adjoint step j of (D5), in the order
//                 the fused and layer-wise sweeps evaluate it (engine/diffflow.h writes the same
//                 recursion with Eigen expressions)
#pragma once
#include "kernels/math/df_hd.h"

namespace df {

template <class T> DF_HD T em_move(T x, T f, T dt, T sigma_f, T eps) {
  return x + f * dt + sigma_f * eps;
}

// For λ = 1 and λ = 0 the factors are exactly 1 and ½, so the two classic samplers keep their bits.
template <class T> DF_HD T reverse_step(T x_next, T f, T s, T g2, T dt, T sigma_b, T eta, T lambda) {
  const T c = T(0.5) * (T(1) + lambda * lambda);
  return x_next - (f - c * g2 * s) * dt + lambda * sigma_b * eta;
}

template <class T> DF_HD T tweedie_move(T x, T s, T var, T alpha) { return (x + var * s) / alpha; }

template <class T> DF_HD T eta_of(T x_i, T x_next, T f_next, T s_next, T g2_next, T dt,
                                  T sigma_b) {
  return (x_i - x_next + (f_next - g2_next * s_next) * dt) / sigma_b;
}

template <class T> DF_HD T kl_term(T eta, T eps) { return T(0.5) * (eta * eta - eps * eps); }

template <class T> DF_HD T pf_velocity(T f, T s, T g2) { return f - T(0.5) * g2 * s; }

// Adjoint step j (D5) for one element, cotangents scaled by inv_b = 1/B: r = η_{j−1}/σB · inv_b,
// v = Δ_{j−1} r (+ Δ_j λ when j < N: the drift's cotangent), w = −g²_j Δ_{j−1} r (the score's).
template <class T>
DF_HD void adjoint_cotangents(T xp, T xj, T f, T s, T g2, T dtp, T sb, T dtj, T lam, bool last, T inv_b, T* r, T* v,
                              T* w) {
  const T rr = eta_of(xp, xj, f, s, g2, dtp, sb) / sb * inv_b;
  T vv = dtp * rr;
  if (!last) vv += dtj * lam;
  *r = rr;
  *v = vv;
  *w = (-g2 * dtp) * rr;
}

// λ after step j: at j = N, x_N/B − r_{N−1} + J_fᵀv + J_sᵀw; else r_j − r_{j−1} + λ + J_fᵀv + J_sᵀw
// (r_cur = r_j, the previous step's r).
template <class T> DF_HD T adjoint_lambda(T lam, T xj, T r_cur, T r_prev, T jf, T js, bool last, T inv_b) {
  return last ? xj * inv_b - r_prev + jf + js : r_cur - r_prev + lam + jf + js;
}

// Per-step constants of the grid: σF_i = g_i √Δ_i, σB_i = g_{i+1} √Δ_i.
template <class T> DF_HD T sigma_forward(T g_i, T dt) {
  using std::sqrt;
  return g_i * sqrt(dt);
}
template <class T> DF_HD T sigma_backward(T g_next, T dt) {
  using std::sqrt;
  return g_next * sqrt(dt);
}

}  // namespace df
