// Reduced-precision matrix operands (kernels/cuda/precision.h): the bit-level roundings match the
// GPU conversion instructions on known values, and the emulated fused sweeps with TF32 and BF16
// operands (fp32 states, η, loss and accumulators) stay within 2e-2 of the fp32 CPU reference on
// loss and gradients, while actually differing from the fp32 kernels. Measured figures printed.
#include <catch2/catch.hpp>

#include <cmath>
#include <iostream>
#include <limits>

#include "engine/diffflow.h"
#include "kernels/emu/emu_sweeps.h"
#include "tests/fd.h"

using namespace df;

TEST_CASE("operand rounding: bf16 to nearest even, tf32 to nearest with ties away", "[precision]") {
  const float one = 1.0f;
  CHECK(round_bf16(one + std::ldexp(1.0f, -8)) == one);                             // tie → even
  CHECK(round_bf16(one + 3 * std::ldexp(1.0f, -8)) == one + std::ldexp(1.0f, -6));  // tie → even
  CHECK(round_bf16(one + std::ldexp(1.0f, -7)) == one + std::ldexp(1.0f, -7));      // exact
  CHECK(round_bf16(one + 0.6f * std::ldexp(1.0f, -7)) == one + std::ldexp(1.0f, -7));
  CHECK(round_tf32(one + std::ldexp(1.0f, -11)) == one + std::ldexp(1.0f, -10));    // tie → away
  CHECK(round_tf32(-(one + std::ldexp(1.0f, -11))) == -(one + std::ldexp(1.0f, -10)));
  CHECK(round_tf32(one + 0.4f * std::ldexp(1.0f, -10)) == one);
  CHECK(std::isnan(round_bf16(std::numeric_limits<float>::quiet_NaN())));
  CHECK(std::isinf(round_tf32(std::numeric_limits<float>::infinity())));
  CHECK(round_operand(0.123456f, MatPrecision::FP32) == 0.123456f);
}

TEST_CASE("emulated sweeps with TF32 and BF16 operands against the fp32 reference", "[precision][emu]") {
  NetShape s{2, 12, 2};
  const int B = 21, N = 5;
  std::vector<float> pf(s.n_params()), ps(s.n_params());
  init_params(s, pf.data(), 11, 0, 0.5);
  init_params(s, ps.data(), 11, 1, 0.5);
  MatX<double> xd = test::random_mat(2, B, 23, 1.5);
  std::vector<float> x0(xd.data(), xd.data() + xd.size());
  GridSpec spec;
  spec.t_start = 0.01;
  spec.t_end = 0.4;
  spec.p = 0.7;
  TimeGrid grid = make_grid(spec, GSchedule{{0.01, 0.2, 0.4}, {0.6, 1.1, 1.6}}, N);
  NoiseKey key{7, 3};
  // CPU fp32 reference
  std::vector<float> rf(pf.size(), 0.f), rs(ps.size(), 0.f);
  PhiloxNoise noise(key, kStreamDiffuse);
  MatX<float> xm = Eigen::Map<const MatX<float>>(x0.data(), 2, B);
  const double Lref = diffflow_loss_grad<float>(rf.data(), rs.data(), nullptr, nullptr,
                                                NetPair<float>(s, pf.data(), ps.data()), xm, grid, noise, 1);
  auto rel = [](const std::vector<float>& a, const std::vector<float>& b) {
    double scale = 1e-300, worst = 0;
    for (float v : b) scale = std::max(scale, double(std::fabs(v)));
    for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, double(std::fabs(a[i] - b[i])));
    return worst / scale;
  };
  std::vector<float> f32f, f32s;
  for (MatPrecision p : {MatPrecision::FP32, MatPrecision::TF32, MatPrecision::BF16}) {
    EmuLaunch L;
    L.prec = p;
    std::vector<float> gf, gs;
    const double Lemu = emu_diffflow_loss_grad(gf, gs, nullptr, s, pf.data(), ps.data(), x0.data(), B, grid, key, L);
    const double eL = std::fabs(Lemu - Lref) / std::fabs(Lref), ef = rel(gf, rf), es = rel(gs, rs);
    const char* nm = p == MatPrecision::FP32 ? "fp32" : p == MatPrecision::TF32 ? "tf32" : "bf16";
    std::cout << "[precision] " << nm << ": loss " << eL << ", drift gradient " << ef << ", score gradient " << es
              << " (relative to the fp32 CPU reference)\n";
    INFO(nm);
    if (p == MatPrecision::FP32) {
      CHECK(eL <= 1e-5);
      CHECK(ef <= 1e-5);
      CHECK(es <= 1e-5);
      f32f = gf;
      f32s = gs;
    } else {
      CHECK(eL <= 2e-2);
      CHECK(ef <= 2e-2);
      CHECK(es <= 2e-2);
      CHECK(rel(gf, f32f) > 0);  // the option really changes the arithmetic
    }
  }
}
