// Parameter initialization for the flat layout documented in engine/params.h.
#include "engine/params.h"

#include <cmath>
#include <random>

#include "kernels/math/philox.h"

namespace df {

namespace {
template <class T>
void init_impl(const NetShape& s, T* p, std::uint64_t seed, std::uint32_t net_id, double out_scale) {
  NoiseKey key{seed, 0x7fff0000u + net_id};
  std::size_t counter = 0;
  auto uni = [&](double lo, double hi) {
    std::size_t c = counter++;
    double u = uniform_at(key, kStreamData, std::uint32_t(c >> 32), std::uint32_t(c), 0);
    return lo + (hi - lo) * u;
  };
  const double pi = 3.14159265358979323846;
  for (int k = 0; k < s.W; ++k) p[s.off_phi() + k] = T(uni(-pi, pi));
  auto linear = [&](std::size_t w, std::size_t b, int out, int in, double scale) {
    double bound = 1.0 / std::sqrt(double(in));
    for (std::size_t i = 0; i < std::size_t(out) * in; ++i) p[w + i] = T(scale * uni(-bound, bound));
    for (int i = 0; i < out; ++i) p[b + i] = T(scale * uni(-bound, bound));
  };
  linear(s.off_t1w(), s.off_t1b(), s.W, 2 * s.W, 1.0);
  linear(s.off_t2w(), s.off_t2b(), s.W, s.W, 1.0);
  linear(s.off_inw(), s.off_inb(), s.W, s.d, 1.0);
  for (int l = 0; l < s.L; ++l) linear(s.off_hw(l), s.off_hb(l), s.W, s.W, 1.0);
  linear(s.off_outw(), s.off_outb(), s.d, s.W, out_scale);
}
}  // namespace

void init_params(const NetShape& s, float* p, std::uint64_t seed, std::uint32_t net_id, double out_scale) {
  init_impl(s, p, seed, net_id, out_scale);
}
void init_params(const NetShape& s, double* p, std::uint64_t seed, std::uint32_t net_id, double out_scale) {
  init_impl(s, p, seed, net_id, out_scale);
}

}  // namespace df
