// Parameter initialization of the Fourier MLP; the shape and the flat layout are
// kernels/math/net_shape.h (the layout functions there are the only place that knows the order
// of the flat buffer).
#pragma once
#include <cstdint>

#include "kernels/math/net_shape.h"

namespace df {

// PyTorch-style initialization: weights and biases U(−1/√fan_in, 1/√fan_in), φ ~ U(−π, π),
// the output layer scaled by out_scale (small outputs at the start keep the first steps tame).
// Deterministic in (seed, net_id).
void init_params(const NetShape& s, float* p, std::uint64_t seed, std::uint32_t net_id,
                 double out_scale = 0.1);
void init_params(const NetShape& s, double* p, std::uint64_t seed, std::uint32_t net_id,
                 double out_scale = 0.1);

}  // namespace df
