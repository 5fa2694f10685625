// The three model families the engine runs on the same networks (MATH.md §9):
//   DiffFlow  learned drift f and score s, g from the grid                       (the product)
//   DDPM      fixed variance-preserving drift f = −½ β(t) x, g = √β(t), an ε-prediction network
//             in the score slot with s = −ε_θ / σ_t
//   FFJORD    g = 0: a continuous normalizing flow dx/dt = v(x, t), v the network in the drift
//             slot; no score
// The VP schedule: β(t) = β_min + t (β_max − β_min), log α_t = −½ ∫_0^t β = −½ (β_min t +
// ½ (β_max − β_min) t²), σ_t = √(1 − α_t²); x_t = α_t x_0 + σ_t ε.
#pragma once
#include <cmath>
#include <string>

#include "kernels/math/errors.h"
#include "kernels/math/vp.h"

namespace df {

enum class ModelKind { DiffFlow, DDPM, FFJORD };

inline ModelKind parse_model_kind(const std::string& s) {
  if (s == "diffflow") return ModelKind::DiffFlow;
  if (s == "ddpm") return ModelKind::DDPM;
  if (s == "ffjord") return ModelKind::FFJORD;
  throw InputError("unknown model '" + s + "' (known: diffflow ddpm ffjord)");
}

inline const char* model_name(ModelKind k) {
  return k == ModelKind::DiffFlow ? "diffflow" : k == ModelKind::DDPM ? "ddpm" : "ffjord";
}


}  // namespace df
