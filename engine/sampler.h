// How a model is sampled (MATH.md §2, the paper's Eq. 17 and its sampling details):
//   lambda  the family dx = [f − (1+λ²)/2 · g² s] dt + λ g dw integrated backwards, λ ≥ 0:
//           λ = 1 the reverse SDE (D2), λ = 0 the probability-flow ODE; the last step (to t_0)
//           returns its mean, without noise
//   denoise after it, one Tweedie step at t_0: x̂ = (x + σ²(t_0) s(x, t_0)) / α(t_0), the
//           posterior mean of the clean point (engine/model_family.h tweedie_at_start)
//   ode_tol FFJORD only (an ODE flow: λ and denoise do not apply): 0 fixed-step RK4 along the
//           grid, > 0 the adaptive Dormand–Prince 5(4) at this tolerance (relative = absolute)
// A bool converts to the classic choice (true: the ODE, false: the SDE), so `deterministic`
// call sites keep working.
#pragma once

namespace df {

struct Sampler {
  double lambda = 1.0;
  bool denoise = false;
  double ode_tol = 0;
  Sampler() = default;
  Sampler(bool deterministic) : lambda(deterministic ? 0.0 : 1.0) {}  // NOLINT: implicit on purpose
  Sampler(double lam, bool dn) : lambda(lam), denoise(dn) {}
  bool noisy() const { return lambda > 0; }
};

}  // namespace df
