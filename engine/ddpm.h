// DDPM's training objective (MATH.md §9), CPU reference templated on the scalar.
//   ddpm_loss_grad: L_b = |ε_b − ε_θ(α_t x0_b + σ_t ε_b, t)|², batch mean; dparams += its
//   gradient. t ~ U(t_min, 1) is drawn once per group of kDdpmGroup consecutive samples (global
//   sample index / kDdpmGroup), so the time embedding is computed once per group; the estimator
//   stays unbiased. Noise: stream kStreamDDPM, t at (step 0, group), ε at (step 1, sample, dim).
// Sampling, the bound (D4) and the probability-flow likelihood reuse the DiffFlow sweeps with
// NetPair::kind = DDPM (engine/diffflow.h: f = −½β(t)x, g = √β(t), s = −ε_θ/σ_t).
#pragma once
#include <algorithm>
#include <cmath>

#include "engine/diffflow.h"

namespace df {

template <class T>
double ddpm_loss_grad(T* dp, Opt<VecX<T>> per_sample, const NetShape& s, const T* p, const MatX<T>& x0,
                      const VpSchedule& vp, double t_min, NoiseKey key, std::uint32_t sample_offset) {
  const int d = s.d, B = int(x0.cols());
  if (per_sample) per_sample->resize(B);
  double total = 0;
  const MlpWeights<T> w(s, p);
  EmbedCache<T> ec;
  MlpCache<T> cache;
  MatX<T> xt, eps, pred, dy;
  int b = 0;
  while (b < B) {
    const std::uint32_t gb = sample_offset + std::uint32_t(b);
    const std::uint32_t group = gb / kDdpmGroup;
    const int n = std::min<int>(B - b, int((group + 1) * kDdpmGroup - gb));
    const double t = t_min + (1.0 - t_min) * uniform_at(key, kStreamDDPM, 0, group, 0);
    const T al = T(vp.alpha(t)), sg = T(vp.sigma(t));
    eps.resize(d, n);
    for (int j = 0; j < n; ++j)
      for (int k = 0; k < d; ++k) eps(k, j) = T(normal_at(key, kStreamDDPM, 1, gb + std::uint32_t(j), std::uint32_t(k)));
    xt = al * x0.middleCols(b, n) + sg * eps;
    mlp_embed(ec, s, p, T(t));
    mlp_forward(pred, w, xt, ec, &cache);
    MatX<T> r = pred - eps;
    for (int j = 0; j < n; ++j) {
      T l = r.col(j).squaredNorm();
      total += double(l);
      if (per_sample) (*per_sample)[b + j] = l;
    }
    dy = (T(2) / T(B)) * r;
    mlp_backward(dp, nullptr, w, xt, ec, cache, dy);
    b += n;
  }
  return total / B;
}

}  // namespace df
