// Options of the probability-flow ODE log-likelihood (engine/likelihood.h), on their own so that
// the Backend interface can name them without pulling in the CPU reference.
#pragma once
#include "kernels/math/philox.h"

namespace df {

struct OdeOptions {
  int substeps = 2;       // RK4 steps per grid cell
  int exact_max_d = 16;   // exact trace up to this dimension
  int probes = 1;         // Hutchinson probes per evaluation above it
  NoiseKey probe_key{};   // keys the Rademacher probes
};

}  // namespace df
