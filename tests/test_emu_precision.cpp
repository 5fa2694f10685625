// Operand precision of the fused kernels (kernels/cuda/precision.h), on the CPU:
//   1. round_tf32 / round_bf16 (host bit versions) against known values, special values
//      (±0, ±Inf, NaN with a low-bit-only payload, subnormals, overflow to Inf), and against an
//      independent reference (nearest of the two neighbours in double, ties away / to even) on
//      2^20 random finite patterns; bf16 also against CUDA's own host __float2bfloat16_rn when
//      <cuda_bf16.h> is reachable.
//   2. The device backend on the emulated device with TF32 and BF16 operands against
//      the CPU fp32 reference (engine/diffflow.h): loss, per-sample loss, both gradients and
//      samples within 2e-2 relative to max |reference| (the measured figures are printed), and
//      different from the emulated fp32 results (the option really rounds something). With
//      W = 16, 32, 128 and ≥ 32 threads the hidden layers run on the emulated warp MMAs
//      (kernels/cuda/mma.h; tests/test_emu_mma.cpp checks them), W = 12 on operand_dot.
// FP32 bit-for-bit equality with the kernels before the option existed is what
// tests/test_emu_sweeps.cpp keeps checking (1e-5 to the reference, unchanged).
#include <catch2/catch.hpp>

#include <cfloat>
#include <cmath>
#include <iostream>
#include <random>

#include "engine/diffflow.h"
#include "engine/backend.h"
#include "kernels/cuda/precision.h"
#include "tests/emu_run.h"
#include "tests/fd.h"

#if __has_include(<cuda_bf16.h>)
#include <cuda_bf16.h>
#define DF_TEST_CUDA_BF16 1
#endif

using namespace df;

namespace {

float fb(uint32_t u) { return f32_from_bits(u); }

// Nearest of the two neighbours with `keep` mantissa bits, in double; ties away (tf32) or to
// even (bf16). Finite inputs only; a result past the largest finite float is +-Inf.
float reference_round(float x, int drop_bits, bool ties_away) {
  const uint32_t u = f32_bits(x), mask = ~((1u << drop_bits) - 1u);
  const uint32_t lo = u & mask, hi = lo + (1u << drop_bits);
  const double dx = std::fabs(double(x)), dlo = std::fabs(double(fb(lo)));
  const double dhi = (hi & 0x7F800000u) == 0x7F800000u ? std::ldexp(1.0, 128) : std::fabs(double(fb(hi)));
  const double elo = dx - dlo, ehi = dhi - dx;
  bool up = ehi < elo;
  if (ehi == elo) up = ties_away ? true : ((lo >> drop_bits) & 1u) != 0;
  return fb(up ? hi : lo);
}

bool same_bits(float a, float b) { return f32_bits(a) == f32_bits(b); }

}  // namespace

TEST_CASE("round_bf16: known values, ties to even, specials", "[emu][precision]") {
  CHECK(round_bf16(1.0f) == 1.0f);
  CHECK(round_bf16(1.0f + std::ldexp(1.0f, -8)) == 1.0f);                              // tie → even
  CHECK(round_bf16(1.0f + 3 * std::ldexp(1.0f, -8)) == 1.0f + std::ldexp(1.0f, -6));  // tie → even (up)
  CHECK(round_bf16(1.0f + std::ldexp(1.0f, -8) + std::ldexp(1.0f, -20)) == 1.0f + std::ldexp(1.0f, -7));
  CHECK(round_bf16(-(1.0f + std::ldexp(1.0f, -8))) == -1.0f);
  CHECK(f32_bits(round_bf16(3.14159265f)) == 0x40490000u);  // bf16 π = 0x4049
  CHECK(f32_bits(round_bf16(0.1f)) == 0x3DCD0000u);         // 0x3DCCCCCD → 0x3DCD
  CHECK(same_bits(round_bf16(-0.0f), -0.0f));
  CHECK(round_bf16(INFINITY) == INFINITY);
  CHECK(round_bf16(-INFINITY) == -INFINITY);
  CHECK(round_bf16(FLT_MAX) == INFINITY);  // past bf16's largest finite 0x7F7F: no saturation
  CHECK(f32_bits(round_bf16(fb(0x7F7F7FFFu))) == 0x7F7F0000u);
  CHECK(std::isnan(round_bf16(NAN)));
  CHECK(std::isnan(round_bf16(fb(0x7F800001u))));  // payload in the dropped bits only
  CHECK(std::isnan(round_bf16(fb(0xFFFFFFFFu))));
  CHECK(f32_bits(round_bf16(fb(0x00008000u))) == 0u);           // subnormal tie → even (0)
  CHECK(f32_bits(round_bf16(fb(0x00018000u))) == 0x00020000u);  // subnormal tie → even (up)
  CHECK(f32_bits(round_bf16(fb(0x007FFFFFu))) == 0x00800000u);  // largest subnormal → FLT_MIN
}

TEST_CASE("round_tf32: known values, ties away from zero, specials", "[emu][precision]") {
  CHECK(round_tf32(1.0f) == 1.0f);
  CHECK(round_tf32(1.0f + std::ldexp(1.0f, -11)) == 1.0f + std::ldexp(1.0f, -10));  // tie → away
  CHECK(round_tf32(-(1.0f + std::ldexp(1.0f, -11))) == -(1.0f + std::ldexp(1.0f, -10)));
  CHECK(round_tf32(1.0f + 3 * std::ldexp(1.0f, -11)) == 1.0f + std::ldexp(1.0f, -9));  // not to even
  CHECK(round_tf32(std::nextafter(1.0f + std::ldexp(1.0f, -11), 0.f)) == 1.0f);
  CHECK(f32_bits(round_tf32(3.14159265f)) == 0x40490000u);  // 0x40490FDB → 0x40490000
  CHECK(f32_bits(round_tf32(0.1f)) == 0x3DCCC000u);         // 0x3DCCCCCD → 0x3DCCC000
  CHECK(same_bits(round_tf32(-0.0f), -0.0f));
  CHECK(round_tf32(INFINITY) == INFINITY);
  CHECK(round_tf32(-INFINITY) == -INFINITY);
  CHECK(round_tf32(FLT_MAX) == INFINITY);
  CHECK(f32_bits(round_tf32(fb(0x7F7FEFFFu))) == 0x7F7FE000u);
  CHECK(std::isnan(round_tf32(NAN)));
  CHECK(std::isnan(round_tf32(fb(0x7F800001u))));
  CHECK(std::isnan(round_tf32(fb(0xFFFFFFFFu))));
  CHECK(f32_bits(round_tf32(fb(0x00001000u))) == 0x00002000u);  // subnormal tie → away
  CHECK(f32_bits(round_tf32(fb(0x80000FFFu))) == 0x80000000u);
}

TEST_CASE("round_tf32 / round_bf16 equal an independent reference on random patterns", "[emu][precision]") {
  std::mt19937 rng(5);
  long bad_t = 0, bad_b = 0, bad_cuda = 0, n = 0;
  for (int i = 0; i < (1 << 20); ++i) {
    uint32_t u = rng();
    if (i % 4 == 0) u = (u & 0xFFFF8000u) | 0x8000u;  // bf16 ties
    if (i % 4 == 1) u = (u & 0xFFFFF000u) | 0x1000u;  // tf32 ties
    const float x = fb(u);
    if (!std::isfinite(x)) continue;
    ++n;
    bad_t += !same_bits(round_tf32(x), reference_round(x, 13, true));
    bad_b += !same_bits(round_bf16(x), reference_round(x, 16, false));
#ifdef DF_TEST_CUDA_BF16
    bad_cuda += !same_bits(round_bf16(x), __bfloat162float(__float2bfloat16_rn(x)));
#endif
  }
#ifdef DF_TEST_CUDA_BF16
  for (uint32_t u : {0x7F800001u, 0xFFC00000u, 0x7FFFFFFFu})
    CHECK(std::isnan(__bfloat162float(__float2bfloat16_rn(fb(u)))));
  std::cout << "[precision] round_bf16 checked against CUDA's host __float2bfloat16_rn too\n";
#endif
  INFO(n << " finite patterns");
  CHECK(bad_t == 0);
  CHECK(bad_b == 0);
  CHECK(bad_cuda == 0);
}

TEST_CASE("mat precision names parse", "[emu][precision]") {
  MatPrecision p = MatPrecision::FP32;
  CHECK(parse_mat_precision("bf16", &p));
  CHECK(p == MatPrecision::BF16);
  CHECK(parse_mat_precision("tf32", &p));
  CHECK(std::string(mat_precision_name(p)) == "tf32");
  CHECK_FALSE(parse_mat_precision("fp16", &p));
  CHECK(p == MatPrecision::TF32);
  CHECK(round_operand(0.1f, MatPrecision::FP32) == 0.1f);
}

// ---- the emulated sweeps ------------------------------------------------------------------
namespace {

struct Case {
  int d, W, L, B, N;
  test::EmuShape launch{};
};

double rel_err(const std::vector<float>& a, const std::vector<float>& b) {
  double scale = 1e-300, worst = 0;
  for (float v : b) scale = std::max(scale, double(std::fabs(v)));
  for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::fabs(double(a[i]) - double(b[i])));
  return worst / scale;
}

std::vector<float> fv(const float* p, long n) { return std::vector<float>(p, p + n); }

}  // namespace

TEST_CASE("emulated sweeps with tf32 / bf16 operands stay within 2e-2 of the fp32 reference", "[emu][precision]") {
  const Case cases[] = {{2, 16, 2, 37, 7},
                        {3, 32, 2, 21, 5, test::EmuShape{8, 64, 3}},
                        {2, 12, 1, 5, 3, test::EmuShape{3, 40, 2}},
                        {2, 128, 3, 16, 30, test::EmuShape{16, 256, 1}}};  // the PERF.md shape, small batch
  for (const Case& c : cases) {
    const NetShape s{c.d, c.W, c.L};
    std::vector<float> pf(s.n_params()), ps(s.n_params());
    init_params(s, pf.data(), 11, 0, 0.5);
    init_params(s, ps.data(), 11, 1, 0.5);
    MatX<double> xd = test::random_mat(c.d, c.B, 23, 1.5);
    const MatX<float> x0 = xd.cast<float>();
    GridSpec spec;
    spec.t_start = 0.01;
    spec.t_end = 0.4;
    spec.p = 0.7;
    const TimeGrid grid = make_grid(spec, GSchedule{{0.01, 0.2, 0.4}, {0.6, 1.1, 1.6}}, c.N);
    const NoiseKey key{7, 3};
    const NetPair<float> net{s, pf.data(), ps.data()};
    const long P = long(s.n_params());
    // the CPU fp32 reference
    std::vector<float> rf(size_t(P), 0.f), rs(size_t(P), 0.f);
    VecX<float> rloss;
    const double rmean = diffflow_loss_grad<float>(rf.data(), rs.data(), nullptr, &rloss, net, x0, grid,
                                                   PhiloxNoise(key, kStreamDiffuse), 2);
    MatX<float> rx = x0;
    reverse_sweep(rx, net, grid, PhiloxNoise(key, kStreamReverse), false);
    // the emulated sweeps at each precision
    std::vector<float> gf[3], gs[3], loss[3], xs[3];
    double mean[3];
    for (int p = 0; p < 3; ++p) {
      test::BackendRun r(make_emu_backend(test::emu_options(c.launch, MatPrecision(p))));
      const std::vector<float> x0v = fv(x0.data(), x0.size());
      Buf &bpf = r.up(pf), &bps = r.up(ps), &bx = r.up(x0v), &bgf = r.zeros(size_t(P)), &bgs = r.zeros(size_t(P));
      mean[p] = r.be->diffflow_loss_grad(bgf, bgs, bpf, bps, s, bx, c.B, grid, key, 1);
      gf[p] = r.down(bgf);
      gs[p] = r.down(bgs);
      std::vector<double> l;
      r.be->diffflow_loss(l, bpf, bps, s, bx, c.B, grid, key);  // the per-sample loss (diffuse kernel)
      loss[p].assign(l.begin(), l.end());
      Buf& bxs = r.up(x0v);
      r.be->reverse_sweep(bxs, bpf, bps, s, c.B, grid, key, false);
      xs[p] = r.down(bxs);
    }
    const std::vector<float> rl = fv(rloss.data(), rloss.size()), rxs = fv(rx.data(), rx.size());
    for (int p = 0; p < 3; ++p) {
      const double el = std::fabs(mean[p] - rmean) / std::fabs(rmean), epl = rel_err(loss[p], rl);
      const double ef = rel_err(gf[p], rf), es = rel_err(gs[p], rs), ex = rel_err(xs[p], rxs);
      std::cout << "[precision] " << mat_precision_name(MatPrecision(p)) << " d=" << c.d << " W=" << c.W
                << " L=" << c.L << " B=" << c.B << " N=" << c.N << ": loss " << el << ", per-sample loss " << epl
                << ", drift grad " << ef << ", score grad " << es << ", samples " << ex << "\n";
      const double tol = p == 0 ? 1e-5 : 2e-2;
      CHECK(el <= tol);
      CHECK(epl <= tol);
      CHECK(ef <= tol);
      CHECK(es <= tol);
      CHECK(ex <= tol);
      if (p > 0) {  // the option does something: results move by far more than fp32 noise
        CHECK(rel_err(gf[p], gf[0]) > 1e-5);
        CHECK(rel_err(gs[p], gs[0]) > 1e-5);
        CHECK(rel_err(loss[p], loss[0]) > 1e-7);
        CHECK(rel_err(xs[p], xs[0]) > 1e-7);
      }
    }
    // bf16 keeps 3 fewer mantissa bits than tf32: its gradient error should be the larger
    CHECK(rel_err(gf[2], rf) > rel_err(gf[1], rf));
  }
}
