// Where the sweeps get their Gaussian noise. The engine's own source is PhiloxNoise, keyed by
// (seed, iteration) with counters (step, sample, dimension) (kernels/math/philox.h): the adjoint
// regenerates the diffuse sweep's ε from it and the GPU draws the same numbers. ArrayNoise
// serves stored noise (golden files, tests).
#pragma once
#include <cstdint>
#include <vector>

#include "kernels/cpu/mlp.h"
#include "kernels/math/philox.h"

namespace df {

struct NoiseSource {
  virtual ~NoiseSource() = default;
  // out (d×B) = ε for this step, samples sample_offset .. sample_offset+B-1
  virtual void fill(MatX<double>& out, int step, int d, int B) const = 0;
  template <class T> void fill_as(MatX<T>& out, int step, int d, int B) const {
    MatX<double> tmp;
    fill(tmp, step, d, B);
    out = tmp.cast<T>();
  }
};

struct PhiloxNoise : NoiseSource {
  NoiseKey key;
  std::uint32_t stream = kStreamDiffuse;
  std::uint32_t sample_offset = 0;
  PhiloxNoise(NoiseKey k, std::uint32_t s, std::uint32_t off = 0) : key(k), stream(s), sample_offset(off) {}
  void fill(MatX<double>& out, int step, int d, int B) const override {
    out.resize(d, B);
    for (int b = 0; b < B; ++b)
      for (int q = 0; 4 * q < d; ++q)
        normal_block(key, stream, std::uint32_t(step), sample_offset + std::uint32_t(b), q, d, &out(0, b), 1);
  }
};

// Stored noise: eps[step] is d×B.
struct ArrayNoise : NoiseSource {
  std::vector<MatX<double>> eps;
  void fill(MatX<double>& out, int step, int, int) const override { out = eps.at(std::size_t(step)); }
};

}  // namespace df
