// Counter-based normal noise: Philox4x32-10 (Salmon et al., SC'11) + Box–Muller.
// The noise of the engine is a pure function of (seed, iteration, step, sample, dimension,
// stream), so the adjoint sweep regenerates the diffuse sweep's ε exactly and a GPU kernel draws
// the very same numbers as the CPU.
//   key     = (seed low 32 bits ^ seed high 32 bits, iteration)
//   counter = (sample, step, dimension / 4, stream)
// One Philox call yields 4 uniforms → 4 normals for dimensions 4k..4k+3. The Box–Muller
// transform is done in double and rounded once, so both sides agree to the last bit whenever
// their libm agree to within half an ulp of float.
#pragma once
#include <stdint.h>
#include "kernels/math/df_hd.h"

namespace df {

// Streams: independent noise families drawn with the same key.
enum NoiseStream : uint32_t {
  kStreamDiffuse = 0,   // ε_i of the diffuse sweep (D1)
  kStreamReverse = 1,   // η_i of stochastic sampling (D2) and x_N ~ N(0, I)
  kStreamGrid = 2,      // randomized time grid
  kStreamProbe = 3,     // Hutchinson probes
  kStreamData = 4,      // data batches / dequantization
  kStreamDDPM = 5,      // DDPM's t and ε
};

struct Philox4 { uint32_t v[4]; };

DF_HD uint32_t mulhilo32(uint32_t a, uint32_t b, uint32_t* hi) {
  uint64_t p = (uint64_t)a * (uint64_t)b;
  *hi = (uint32_t)(p >> 32);
  return (uint32_t)p;
}

DF_HD Philox4 philox4x32_10(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0,
                            uint32_t k1) {
  for (int r = 0; r < 10; ++r) {
    uint32_t hi0, hi1;
    uint32_t lo0 = mulhilo32(0xD2511F53u, c0, &hi0);
    uint32_t lo1 = mulhilo32(0xCD9E8D57u, c2, &hi1);
    uint32_t n0 = hi1 ^ c1 ^ k0, n1 = lo1, n2 = hi0 ^ c3 ^ k1, n3 = lo0;
    c0 = n0; c1 = n1; c2 = n2; c3 = n3;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  Philox4 out;
  out.v[0] = c0; out.v[1] = c1; out.v[2] = c2; out.v[3] = c3;
  return out;
}

struct NoiseKey {
  uint64_t seed = 0;
  uint32_t iteration = 0;
};

// Uniform in (0, 1]: never 0, so log() is finite.
DF_HD double u32_to_unit(uint32_t x) { return ((double)x + 1.0) * 2.3283064365386963e-10; }

// Four standard normals for dimensions 4*block .. 4*block+3.
DF_HD void normal4(const NoiseKey& key, uint32_t stream, uint32_t step, uint32_t sample,
                   uint32_t block, double out[4]) {
  uint32_t k0 = (uint32_t)key.seed ^ (uint32_t)(key.seed >> 32);
  Philox4 r = philox4x32_10(sample, step, block, stream, k0, key.iteration);
  const double two_pi = 6.283185307179586477;
  for (int h = 0; h < 2; ++h) {
    double rad = sqrt(-2.0 * log(u32_to_unit(r.v[2 * h])));
    double ang = two_pi * u32_to_unit(r.v[2 * h + 1]);
    out[2 * h] = rad * cos(ang);
    out[2 * h + 1] = rad * sin(ang);
  }
}

// Dimensions 4·block .. min(d, 4·block + 4) − 1 of one sample's normal vector, written to
// out[k · stride] (the tail block of a d that is not a multiple of 4 writes fewer).
template <class T>
DF_HD void normal_block(const NoiseKey& key, uint32_t stream, uint32_t step, uint32_t sample, int block, int d,
                        T* out, int stride) {
  double z[4];
  normal4(key, stream, step, sample, uint32_t(block), z);
  for (int k = 4 * block; k < d && k < 4 * block + 4; ++k) out[size_t(k) * size_t(stride)] = T(z[k - 4 * block]);
}

// One standard normal for (step, sample, dim). Prefer normal4 in loops over dimensions.
DF_HD double normal_at(const NoiseKey& key, uint32_t stream, uint32_t step, uint32_t sample,
                       uint32_t dim) {
  double z[4];
  normal4(key, stream, step, sample, dim / 4u, z);
  return z[dim % 4u];
}

// One uniform in (0, 1] for (step, sample, slot); slot < 4.
DF_HD double uniform_at(const NoiseKey& key, uint32_t stream, uint32_t step, uint32_t sample,
                        uint32_t slot) {
  uint32_t k0 = (uint32_t)key.seed ^ (uint32_t)(key.seed >> 32);
  Philox4 r = philox4x32_10(sample, step, slot / 4u, stream, k0, key.iteration);
  return u32_to_unit(r.v[slot % 4u]);
}

}  // namespace df
