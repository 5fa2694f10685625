// Shared fixture of the sweep tests (test_emu_sweeps.cpp, test_layerwise.cpp): two initialized
// networks (output layers scaled 0.5 so the dynamics are not trivial), a random batch x0 (d×B,
// sample-major floats) and an exponent grid on [0.01, 0.4] with a non-constant g, plus the CPU
// reference's views of them. Seeds and noise key are the caller's, so each test keeps its draws.
#pragma once
#include <vector>

#include "engine/params.h"
#include "engine/diffflow.h"
#include "tests/fd.h"

namespace df {
namespace test {

struct SweepSetup {
  df::NetShape s;
  std::vector<float> pf, ps, x0;
  df::TimeGrid grid;
  df::NoiseKey key;
  SweepSetup(int d, int W, int L, int B, int N, std::uint64_t param_seed, std::uint64_t data_seed, df::NoiseKey k)
      : s{d, W, L}, key(k) {
    pf.resize(s.n_params());
    ps.resize(s.n_params());
    df::init_params(s, pf.data(), param_seed, 0, 0.5);
    df::init_params(s, ps.data(), param_seed, 1, 0.5);
    df::MatX<double> x = random_mat(d, B, data_seed, 1.5);
    x0.assign(x.data(), x.data() + x.size());
    df::GridSpec spec;
    spec.t_start = 0.01;
    spec.t_end = 0.4;
    spec.p = 0.7;
    grid = df::make_grid(spec, df::GSchedule{{0.01, 0.2, 0.4}, {0.6, 1.1, 1.6}}, N);  // non-constant g
  }
  df::NetPair<float> net() const { return df::NetPair<float>{s, pf.data(), ps.data()}; }
  df::MatX<float> x0m() const {
    return Eigen::Map<const df::MatX<float>>(x0.data(), s.d, long(x0.size()) / s.d);
  }
};

}  // namespace test
}  // namespace df
