// FFJORD (MATH.md §9): a continuous normalizing flow dx/dt = v(x, t) (the network in the drift
// slot), trained by exact maximum likelihood, CPU reference templated on the scalar.
//   ffjord_nll        −log p(x_0) per sample with fixed-step RK4 on (x, ℓ), dℓ/dt = tr ∂v/∂x    (=)
//   ffjord_loss_grad  its batch mean and gradient (+=) by discretize-then-optimize: the exact
//                     reverse of the RK4 steps (states x_n stored per step, stages recomputed),
//                     the trace's gradient from mlp_trace_backward (second order)
//   ffjord_dopri5     evaluation with the adaptive Dormand–Prince 5(4) solver, returns the NFE
//   ffjord_sample     x(t_1) ~ N(0, I) integrated back to t_0 (fixed-step RK4)
//   ffjord_sample_dopri5  the same by Dormand–Prince at a tolerance, returns the NFE
// log p(x_0) = log N(x(t_1); 0, I) + ∫_{t_0}^{t_1} tr ∂v/∂x dt. The trace is exact (d tangents)
// for d ≤ FfjordTrace::exact_max_d, else Hutchinson's estimator with Rademacher probes from the
// counter-based generator keyed by (key, RK4 step, stage, probe, global sample, dimension), so
// the reverse pass regenerates the forward pass's probes.
#pragma once
#include <cmath>

#include "kernels/cpu/mlp_trace.h"
#include "kernels/math/philox.h"

namespace df {

template <class T> T log_normal_const(int d) { return T(0.5 * d * std::log(2 * M_PI)); }

struct FfjordTrace {
  int exact_max_d = 16;
  int probes = 1;
  NoiseKey key{};
  std::uint32_t sample_offset = 0;
};

// Rademacher probes for (step, stage) when d exceeds the exact limit; empty otherwise.
template <class T>
std::vector<MatX<T>> ffjord_probes(const FfjordTrace* tr, int d, int B, std::uint32_t step, int stage) {
  std::vector<MatX<T>> out;
  if (!tr || d <= tr->exact_max_d) return out;
  for (int p = 0; p < tr->probes; ++p) {
    MatX<T> z(d, B);
    const std::uint32_t counter = (step * 8u + std::uint32_t(stage)) * 64u + std::uint32_t(p);
    for (int b = 0; b < B; ++b)
      for (int k = 0; k < d; ++k)
        z(k, b) = uniform_at(tr->key, kStreamProbe, counter, tr->sample_offset + std::uint32_t(b), std::uint32_t(k)) < 0.5
                      ? T(1) : T(-1);
    out.push_back(std::move(z));
  }
  return out;
}

// v and tr at (x, t), caches kept for the reverse
template <class T> struct FfjordStage {
  EmbedCache<T> ec;
  TraceCache<T> tc;
  MatX<T> y;   // stage input
  MatX<T> v;
  VecX<T> tr;
};

template <class T>
void ffjord_stage(FfjordStage<T>& st, const NetShape& s, const T* p, const MatX<T>& y, T t,
                  std::vector<MatX<T>> probes = {}) {
  mlp_embed(st.ec, s, p, t);
  st.y = y;
  st.tc.probes = std::move(probes);
  mlp_trace_forward(st.v, st.tr, s, p, y, st.ec, st.tc);
}

// One RK4 step of (x, ℓ). Stages returned in st[0..3] when given.
template <class T>
void rk4_step(MatX<T>& x, VecX<T>& ell, const NetShape& s, const T* p, T t, T h, FfjordStage<T>* st,
              const FfjordTrace* trace = nullptr, std::uint32_t step = 0) {
  FfjordStage<T> local[4];
  FfjordStage<T>* S = st ? st : local;
  const int d = int(x.rows()), B = int(x.cols());
  ffjord_stage(S[0], s, p, x, t, ffjord_probes<T>(trace, d, B, step, 0));
  ffjord_stage(S[1], s, p, MatX<T>(x + T(0.5) * h * S[0].v), t + T(0.5) * h, ffjord_probes<T>(trace, d, B, step, 1));
  ffjord_stage(S[2], s, p, MatX<T>(x + T(0.5) * h * S[1].v), t + T(0.5) * h, ffjord_probes<T>(trace, d, B, step, 2));
  ffjord_stage(S[3], s, p, MatX<T>(x + h * S[2].v), t + h, ffjord_probes<T>(trace, d, B, step, 3));
  x += (h / T(6)) * (S[0].v + T(2) * S[1].v + T(2) * S[2].v + S[3].v);
  ell += (h / T(6)) * (S[0].tr + T(2) * S[1].tr + T(2) * S[2].tr + S[3].tr);
}

template <class T>
VecX<T> ffjord_nll(const NetShape& s, const T* p, const MatX<T>& x0, double t0, double t1, int steps,
                   const FfjordTrace* trace = nullptr) {
  MatX<T> x = x0;
  VecX<T> ell = VecX<T>::Zero(x0.cols());
  const T h = T((t1 - t0) / steps);
  for (int n = 0; n < steps; ++n)
    rk4_step<T>(x, ell, s, p, T(t0 + n * ((t1 - t0) / steps)), h, nullptr, trace, std::uint32_t(n));
  VecX<T> out(x0.cols());
  for (Eigen::Index b = 0; b < x0.cols(); ++b) out[b] = T(0.5) * x.col(b).squaredNorm() + log_normal_const<T>(s.d) - ell[b];
  return out;
}

// Batch-mean NLL; dp += its gradient. per_sample (optional) gets the NLLs.
template <class T>
double ffjord_loss_grad(T* dp, Opt<VecX<T>> per_sample, const NetShape& s, const T* p, const MatX<T>& x0, double t0,
                        double t1, int steps, const FfjordTrace* trace = nullptr) {
  const int B = int(x0.cols());
  const T h = T((t1 - t0) / steps);
  std::vector<MatX<T>> xs(steps + 1);
  xs[0] = x0;
  MatX<T> x = x0;
  VecX<T> ell = VecX<T>::Zero(B);
  for (int n = 0; n < steps; ++n) {
    rk4_step<T>(x, ell, s, p, T(t0 + n * ((t1 - t0) / steps)), h, nullptr, trace, std::uint32_t(n));
    xs[n + 1] = x;
  }
  VecX<T> nll(B);
  double mean = 0;
  for (int b = 0; b < B; ++b) {
    nll[b] = T(0.5) * x.col(b).squaredNorm() + log_normal_const<T>(s.d) - ell[b];
    mean += double(nll[b]);
  }
  mean /= B;
  if (per_sample) *per_sample = nll;
  // reverse: x̄_N = x_N / B, ℓ̄ = −1/B (constant: ℓ enters linearly)
  MatX<T> xbar = x / T(B);
  const VecX<T> lbar = VecX<T>::Constant(B, T(-1) / T(B));
  FfjordStage<T> S[4];
  const T w[4] = {T(1), T(2), T(2), T(1)};
  const T c[4] = {T(0), T(0.5), T(0.5), T(1)};  // stage input = x_n + c_i h k_{i−1}
  for (int n = steps - 1; n >= 0; --n) {
    MatX<T> xn = xs[n];
    VecX<T> dummy = VecX<T>::Zero(B);
    rk4_step<T>(xn, dummy, s, p, T(t0 + n * ((t1 - t0) / steps)), h, S, trace, std::uint32_t(n));
    MatX<T> kbar[4], ybar[4];
    MatX<T> carry = MatX<T>::Zero(s.d, B);  // ȳ_{i+1} · c_{i+1} h flowing into k̄_i
    for (int i = 3; i >= 0; --i) {
      kbar[i] = (h / T(6)) * w[i] * xbar + carry;
      MatX<T> yb;
      mlp_trace_backward(dp, &yb, s, p, S[i].y, S[i].ec, S[i].tc, kbar[i], VecX<T>((h / T(6)) * w[i] * lbar));
      ybar[i] = yb;
      carry = (i > 0 ? c[i] * h : T(0)) * yb;
    }
    xbar += ybar[0] + ybar[1] + ybar[2] + ybar[3];
  }
  return mean;
}

// Dormand–Prince 5(4) with first-same-as-last on dY/dt = f(Y, t) from t_a to t_b (t_b < t_a
// integrates backward), Y a matrix integrated as one system: the error in the max norm over
// every entry, scaled by tol + tol·|Y|, the first step (t_b − t_a)/20, the step factor
// 0.9·err^(−1/5) within [0.2, 5]. f(Y, t, K) writes dY/dt into K. Returns the evaluations of f.
template <class T, class F> long dopri5_integrate(MatX<T>& y, double ta, double tb, double tol, F&& f) {
  static const double a[7][6] = {{0},
                                 {1.0 / 5},
                                 {3.0 / 40, 9.0 / 40},
                                 {44.0 / 45, -56.0 / 15, 32.0 / 9},
                                 {19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729},
                                 {9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656},
                                 {35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84}};
  static const double cc[7] = {0, 0.2, 0.3, 0.8, 8.0 / 9, 1, 1};
  static const double b5[7] = {35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84, 0};
  static const double b4[7] = {5179.0 / 57600, 0, 7571.0 / 16695, 393.0 / 640, -92097.0 / 339200, 187.0 / 2100, 1.0 / 40};
  const double dir = tb >= ta ? 1.0 : -1.0, span = std::fabs(tb - ta);
  MatX<T> k[7];
  double done = 0, h = span / 20;  // done: |t − t_a|; h > 0, the step's length
  long evals = 0;
  f(y, ta, k[0]);
  ++evals;
  while (done < span - 1e-12) {
    if (done + h > span) h = span - done;
    const double t = ta + dir * done, hs = dir * h;
    for (int i = 1; i < 7; ++i) {
      MatX<T> yi = y;
      for (int j = 0; j < i; ++j) yi += T(hs * a[i][j]) * k[j];
      f(yi, t + cc[i] * hs, k[i]);
      ++evals;
    }
    MatX<T> y5 = y, e = MatX<T>::Zero(y.rows(), y.cols());
    for (int i = 0; i < 7; ++i) {
      y5 += T(hs * b5[i]) * k[i];
      e += T(hs * (b5[i] - b4[i])) * k[i];
    }
    double err = 0;
    for (Eigen::Index i = 0; i < e.size(); ++i)
      err = std::max(err, std::fabs(double(e.data()[i])) / (tol + tol * std::fabs(double(y5.data()[i]))));
    if (err <= 1.0) {
      done += h;
      y = y5;
      k[0] = k[6];  // first-same-as-last
    }
    h *= std::min(5.0, std::max(0.2, 0.9 * std::pow(err > 0 ? err : 1e-10, -0.2)));
  }
  return evals;
}

// −log p(x_0) per sample by Dormand–Prince on (x, ℓ) (one system: rows 0..d−1 x, row d ℓ) from
// t_0 to t_1; *nfe = function evaluations.
template <class T>
VecX<T> ffjord_dopri5(const NetShape& s, const T* p, const MatX<T>& x0, double t0, double t1, double tol, long* nfe,
                      const FfjordTrace* trace = nullptr) {
  const int B = int(x0.cols()), d = int(x0.rows());
  MatX<T> y(d + 1, B);
  y.topRows(d) = x0;
  y.row(d).setZero();
  FfjordStage<T> st;
  long evals = 0;
  auto f = [&](const MatX<T>& yy, double tt, MatX<T>& k) {
    // one probe set per evaluation (a fresh draw each time: an unbiased trace at every stage)
    const MatX<T> x = yy.topRows(d);
    ffjord_stage(st, s, p, x, T(tt), ffjord_probes<T>(trace, d, B, std::uint32_t(evals), 0));
    ++evals;
    k.resize(d + 1, B);
    k.topRows(d) = st.v;
    k.row(d) = st.tr.transpose();
  };
  dopri5_integrate<T>(y, t0, t1, tol, f);
  if (nfe) *nfe = evals;
  VecX<T> out(B);
  for (int b = 0; b < B; ++b) out[b] = T(0.5) * y.col(b).head(d).squaredNorm() + log_normal_const<T>(s.d) - y(d, b);
  return out;
}

// The velocity alone, v(y, t) into out (no trace): what the samplers integrate.
template <class T> struct FfjordVelocity {
  const NetShape& s;
  const T* p;
  MlpWeights<T> w;
  EmbedCache<T> ec;
  FfjordVelocity(const NetShape& s_, const T* p_) : s(s_), p(p_), w(s_, p_) {}
  void operator()(const MatX<T>& y, double t, MatX<T>& out) {
    mlp_embed(ec, s, p, T(t));
    mlp_forward(out, w, y, ec, nullptr);
  }
};

// z (d×B) at t_1 integrated back to t_0 by Dormand–Prince at tolerance tol (velocity only).
// Returns the evaluations of the velocity.
template <class T>
long ffjord_sample_dopri5(MatX<T>& x, const NetShape& s, const T* p, double t0, double t1, double tol) {
  return dopri5_integrate<T>(x, t1, t0, tol, FfjordVelocity<T>(s, p));
}

// z (d×B) at t_1 integrated back to t_0 with fixed-step RK4 (velocity only).
template <class T>
void ffjord_sample(MatX<T>& x, const NetShape& s, const T* p, double t0, double t1, int steps) {
  const double h = (t1 - t0) / steps;
  MatX<T> k1, k2, k3, k4;
  FfjordVelocity<T> vel(s, p);
  auto v = [&](MatX<T>& out, const MatX<T>& y, double t) { vel(y, t, out); };
  for (int n = steps; n > 0; --n) {
    const double t = t0 + n * h;
    v(k1, x, t);
    v(k2, MatX<T>(x - T(0.5 * h) * k1), t - 0.5 * h);
    v(k3, MatX<T>(x - T(0.5 * h) * k2), t - 0.5 * h);
    v(k4, MatX<T>(x - T(h) * k3), t - h);
    x -= T(h / 6) * (k1 + T(2) * k2 + T(2) * k3 + k4);
  }
}

}  // namespace df
