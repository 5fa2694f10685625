// DDPM's variance-preserving schedule (MATH.md §9), the one definition every path uses (CPU
// reference, fused and layer-wise kernels, the CLI's grids):
//   β(t) = β_min + t (β_max − β_min),  log α_t = −½ ∫_0^t β = −½ (β_min t + ½ (β_max − β_min) t²),
//   σ_t = √(1 − α_t²),  x_t = α_t x_0 + σ_t ε.
// In the DiffFlow sweeps DDPM is the fixed drift f = drift_scale(t)·x = −½β(t)x with
// g(t)² = g2(t) = β(t) and the score s = score_scale(t)·ε_θ = −ε_θ/σ_t of its ε-network.
// Its training draws one t per group of kDdpmGroup consecutive samples (global index / group).
#pragma once
#include <cmath>

namespace df {

constexpr int kDdpmGroup = 16;

struct VpSchedule {
  double beta_min = 0.1, beta_max = 20.0;
  double beta(double t) const { return beta_min + t * (beta_max - beta_min); }
  double log_alpha(double t) const { return -0.5 * (beta_min * t + 0.5 * (beta_max - beta_min) * t * t); }
  double alpha(double t) const { return std::exp(log_alpha(t)); }
  double sigma(double t) const { return std::sqrt(-std::expm1(2.0 * log_alpha(t))); }
  double drift_scale(double t) const { return -0.5 * beta(t); }
  double score_scale(double t) const { return -1.0 / sigma(t); }
  double g2(double t) const { return beta(t); }
};

}  // namespace df
