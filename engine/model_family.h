// The three model families the engine runs on the same networks (MATH.md §9), each described
// once: what it learns, how its drift and score enter the shared sweeps, its time grid and g, its
// training defaults. The CPU reference (engine/diffflow.h NetPair::kind), the device paths
// (engine/device_consts.h), the command (host/) and bench/compare_*.cpp read these; only host/
// turns names into families.
//   DiffFlow  learned drift f and score s, g from the user's schedule on the exponent grid
//   DDPM      the fixed variance-preserving drift f = −½ β(t) x, g = √β(t), an ε-prediction
//             network in the score slot with s = −ε_θ / σ_t (factors: kernels/math/vp.h), on a
//             linear grid over [t_min, 1]
//   FFJORD    g = 0: a continuous normalizing flow dx/dt = v(x, t), v the network in the drift
//             slot, no score; trained through a fixed number of RK4 steps on [0, 1]
#pragma once
#include <cstdint>

#include "kernels/math/vp.h"

namespace df {

enum class ModelKind { DiffFlow, DDPM, FFJORD };

// Training defaults for one kind of device (the reference settings on a GPU; a run of under a
// minute on two CPU cores).
struct TrainDefaults {
  int width, batch, steps;
  std::int64_t iters;
  double ema;
};

struct ModelFamily {
  ModelKind kind;
  const char* name;             // as the command and the checkpoints spell it
  bool trains_drift, trains_score;
  bool fixed_drift;             // f = vp.drift_scale(t)·x and s = vp.score_scale(t)·ε_θ (DDPM)
  bool has_score;               // FFJORD has none
  bool g_from_vp;               // g(t) = √(vp.g2(t)) on the grid (DDPM); else the user's g (DiffFlow)
  bool linear_grid;             // default grid: linear on [t_start, t_end]; else exponent
  double t_start, t_end;        // default grid ends (DiffFlow: the exponent grid's defaults, engine/grid.h)
  int sample_passes_per_step;   // network passes per sampling step: 2, 1, 4 (RK4)
  TrainDefaults gpu, cpu;
};

// Tweedie's step at the start of the grid (engine/sampler.h): x̂ = (x + var·s(x, t_0)) / alpha.
// DiffFlow: the variance a diffusion of strength g_0 accumulates by t_0, var = g_0²·t_0, alpha 1;
// DDPM: the VP marginal at t_0, var = σ²(t_0), alpha = α(t_0); FFJORD has no score (none).
struct Tweedie {
  double var = 0, alpha = 1;
};

inline const ModelFamily& family(ModelKind k);

// Network evaluations of one training iteration, per sample: the forward passes of the objective
// the gradient is taken through, each pass one network on one sample (its time embedding
// included). N = the training grid's steps (FFJORD: its fixed RK4 steps).
//   DiffFlow  2N + 1: the diffuse sweep's N + 1 drift and N score evaluations (docs/math.md)
//   DDPM      1: one ε-prediction at one random time
//   FFJORD    4N: four velocity evaluations per RK4 step, each with its exact trace
// The gradient pass (DiffFlow's adjoint, backpropagation) is not counted: it costs a few times
// its forward passes in every family, more for FFJORD (the trace's gradient is second order),
// which is why equal wall time, not equal evaluations, is the comparison's default budget.
inline long train_passes_per_sample(ModelKind k, int N) {
  switch (k) {
    case ModelKind::DiffFlow: return 2L * N + 1;
    case ModelKind::DDPM: return 1;
    case ModelKind::FFJORD: return 4L * N;
  }
  return 0;
}

inline bool tweedie_at_start(ModelKind k, const VpSchedule& vp, double t0, double g0, Tweedie* out) {
  if (k == ModelKind::FFJORD) return false;
  if (k == ModelKind::DDPM) {
    const double s = vp.sigma(t0);
    *out = Tweedie{s * s, vp.alpha(t0)};
  } else {
    *out = Tweedie{g0 * g0 * t0, 1.0};
  }
  return true;
}

inline const ModelFamily& family(ModelKind k) {
  static const ModelFamily kFamilies[3] = {
      {ModelKind::DiffFlow, "diffflow", true, true, false, true, false, false, 0.001, 0.05, 2,
       {128, 5000, 30, 3000, 0.999}, {64, 500, 20, 1500, 0.99}},
      {ModelKind::DDPM, "ddpm", false, true, true, true, true, true, 1e-3, 1.0, 1,
       {128, 5000, 30, 3000, 0.999}, {64, 500, 20, 1500, 0.99}},
      {ModelKind::FFJORD, "ffjord", true, false, false, false, false, true, 0.0, 1.0, 4,
       {128, 5000, 8, 3000, 0.999}, {64, 500, 8, 1500, 0.99}},
  };
  return kFamilies[int(k)];
}

}  // namespace df
