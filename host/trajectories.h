// What the paper's figure shows: data points carried along the diffuse process (towards the
// latent space), at a few times, coloured by the mode each point started in.
//   diffuse_snapshots  states at grid indices round(f·N) for each fraction f, in model
//                      (standardized) coordinates; DiffFlow and DDPM run (D1) with their drift
//                      and noise, FFJORD its ODE (RK4 on the grid). EMA weights, CPU reference.
//   mode_labels        a colour index per raw point: nearest ring/mode centre for olympic, four,
//                      8gaussians; radius band for rings and circles; square for checkerboard;
//                      angle sector about the mean otherwise.
#pragma once
#include <string>
#include <vector>

#include "host/matrix.h"
#include "host/run_state.h"

namespace df {

std::vector<Matrix> diffuse_snapshots(const RunConfig& cfg, const RunState& st, const Matrix& raw,
                                      const std::vector<double>& fractions, std::uint64_t seed);

std::vector<int> mode_labels(const std::string& name, const Matrix& raw);

}  // namespace df
