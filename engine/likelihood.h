// Probability-flow ODE log-likelihood (MATH.md §8), CPU reference, templated on the scalar.
//   dx/dt = v(x, t) = f(x, t) − ½ g(t)² s(x, t)
//   log p(x_0) = log N(x(t_N); 0, I) + ∫ tr ∂v/∂x dt
// integrated over the grid's cells with RK4 (substeps per cell). The trace is exact (d
// forward-mode tangents) for d ≤ exact_max_d, else Hutchinson's estimator with Rademacher
// probes drawn from the counter-based generator (stream kStreamProbe).
#pragma once
#include <cmath>

#include "engine/diffflow.h"
#include "engine/ode_options.h"

namespace df {

// v and its trace at (x, t), gsq = g(t)².
template <class T>
void pf_velocity_trace(MatX<T>& v, VecX<T>& tr, const NetPair<T>& net, const MatX<T>& x, T t, T gsq,
                       const OdeOptions& opt, std::uint32_t eval_index) {
  const NetShape& s = net.shape;
  const int d = s.d, B = int(x.cols());
  const bool f_net = net.kind != ModelKind::DDPM, s_net = net.kind != ModelKind::FFJORD;
  const T drift_scale = T(net.kind == ModelKind::DDPM ? net.vp.drift_scale(double(t)) : 0.0);
  // the score's factor: DDPM's s = −ε_θ/σ_t
  const T s_scale = T(net.kind == ModelKind::DDPM ? net.vp.score_scale(double(t)) : 1.0);
  MatX<T> F, S, jf, js;
  MlpCache<T> cf, cs;
  eval_drift(F, net, x, t, &cf);
  eval_score(S, net, x, t, &cs);
  v = F - (T(0.5) * gsq) * S;
  // J_v u = J_f u − ½ g² J_s u, with J_f = −½β I for DDPM and J_s = 0 for FFJORD
  auto jv = [&](MatX<T>& out, const MatX<T>& u) {
    if (f_net) mlp_jvp(jf, net.wf, cf, u); else jf = drift_scale * u;
    out = jf;
    if (s_net) {
      mlp_jvp(js, net.ws, cs, u);
      out -= (T(0.5) * gsq * s_scale) * js;
    }
  };
  tr = VecX<T>::Zero(B);
  MatX<T> u = MatX<T>::Zero(d, B), ju;
  if (d <= opt.exact_max_d) {
    for (int k = 0; k < d; ++k) {
      u.setZero();
      u.row(k).setOnes();
      jv(ju, u);
      tr += ju.row(k).transpose();
    }
  } else {
    for (int p = 0; p < opt.probes; ++p) {
      for (int b = 0; b < B; ++b)
        for (int k = 0; k < d; ++k)
          u(k, b) = uniform_at(opt.probe_key, kStreamProbe, eval_index * 64u + std::uint32_t(p),
                               std::uint32_t(b), std::uint32_t(k)) < 0.5 ? T(1) : T(-1);
      jv(ju, u);
      tr += (u.cwiseProduct(ju)).colwise().sum().transpose() / T(opt.probes);
    }
  }
}

// Returns log p(x_0) per sample (nats, in the coordinates the networks see).
template <class T>
VecX<T> pf_ode_loglik(const NetPair<T>& net, const MatX<T>& x0, const TimeGrid& grid, const GSchedule& g,
                      const OdeOptions& opt) {
  const int d = net.shape.d, B = int(x0.cols());
  MatX<T> x = x0, k1, k2, k3, k4, xt;
  VecX<T> ell = VecX<T>::Zero(B), t1, t2, t3, t4;
  std::uint32_t ev = 0;
  auto gsq = [&](double t) {
    if (net.kind == ModelKind::DDPM) return T(net.vp.g2(t));  // g² = β
    if (net.kind == ModelKind::FFJORD) return T(0);
    double v = g(t);
    return T(v * v);
  };
  for (int i = 0; i < grid.N(); ++i) {
    const double h = grid.dt(i) / opt.substeps;
    for (int m = 0; m < opt.substeps; ++m) {
      const double t = grid.t[i] + m * h;
      pf_velocity_trace(k1, t1, net, x, T(t), gsq(t), opt, ev++);
      xt = x + T(0.5 * h) * k1;
      pf_velocity_trace(k2, t2, net, xt, T(t + 0.5 * h), gsq(t + 0.5 * h), opt, ev++);
      xt = x + T(0.5 * h) * k2;
      pf_velocity_trace(k3, t3, net, xt, T(t + 0.5 * h), gsq(t + 0.5 * h), opt, ev++);
      xt = x + T(h) * k3;
      pf_velocity_trace(k4, t4, net, xt, T(t + h), gsq(t + h), opt, ev++);
      x += T(h / 6) * (k1 + T(2) * k2 + T(2) * k3 + k4);
      ell += T(h / 6) * (t1 + T(2) * t2 + T(2) * t3 + t4);
    }
  }
  VecX<T> out(B);
  for (int b = 0; b < B; ++b)
    out[b] = -T(0.5) * x.col(b).squaredNorm() - T(0.5 * d * std::log(2 * M_PI)) + ell[b];
  return out;
}

}  // namespace df
