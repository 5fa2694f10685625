// The sampler family of engine/sampler.h (the paper's Eq. 17, dx = [f − (1+λ²)/2 g² s] dt +
// λ g dw) and Tweedie's final step, on every path: the per-element step keeps the classic
// samplers' bits at λ = 1 and λ = 0; with zero networks (F = S = 0) the samples' variance is
// 1 + λ² Σ_{i≥1} σB_i² (the last step adds no noise) and Tweedie's step divides by α(t_0) for
// DDPM; the CPU reference, the fused kernels and the layer-wise path on the emulated device agree
// at λ = 0.5 with and without the denoising step, for DiffFlow and DDPM.
#include <catch2/catch.hpp>

#include <cmath>

#include "engine/backend.h"
#include "engine/diffflow.h"
#include "engine/params.h"
#include "tests/emu_run.h"
#include "tests/fd.h"
#include "tests/sweep_setup.h"

using namespace df;

TEST_CASE("reverse_step keeps the reverse SDE's and the ODE's bits", "[sampler]") {
  const float x = 0.7f, f = -1.3f, s = 2.1f, g2 = 0.04f, dt = 0.003f, sb = 0.011f, eta = -0.9f;
  CHECK(reverse_step(x, f, s, g2, dt, sb, eta, 1.f) == x - (f - g2 * s) * dt + sb * eta);
  CHECK(reverse_step(x, f, s, g2, dt, sb, 0.f, 0.f) == x - pf_velocity(f, s, g2) * dt);
  // λ = 0.5: the drift factor (1 + 0.25)/2 and a noise of half the size
  CHECK(reverse_step(1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5) == Approx(1.0 + 0.625 + 0.5));
  CHECK(tweedie_move(1.0, 2.0, 0.25, 0.5) == Approx(3.0));
}

TEST_CASE("zero networks: the sample variance is 1 + λ² Σ σB², and DDPM's Tweedie step divides by α", "[sampler]") {
  const NetShape s{2, 8, 1};
  std::vector<double> zf(s.n_params(), 0.0), zs(s.n_params(), 0.0);
  GridSpec spec;
  spec.N = 6;
  const TimeGrid grid = make_grid(spec, GSchedule::constant(0.5), 6);
  const int B = 20000;
  for (double lam : {0.0, 0.5, 1.0, 2.0}) {
    MatX<double> x;
    PhiloxNoise(NoiseKey{5, 1}, kStreamReverse).fill(x, 999, s.d, B);
    reverse_sweep<double>(x, NetPair<double>{s, zf.data(), zs.data()}, grid, PhiloxNoise(NoiseKey{5, 2}, kStreamReverse),
                          Sampler(lam, true));  // Tweedie with a zero score changes nothing
    double expect = 1.0;
    for (int i = 1; i < grid.N(); ++i) expect += lam * lam * grid.g[i + 1] * grid.g[i + 1] * grid.dt(i);
    const double var = x.array().square().mean();
    INFO("lambda " << lam << ": variance " << var << ", expected " << expect);
    CHECK(std::fabs(var - expect) < 4 * expect * std::sqrt(2.0 / (B * s.d)));
  }
  // DDPM with a zero ε-network: s = 0, so Tweedie's step is x / α(t_0)
  VpSchedule vp;
  GridSpec lin;
  lin.kind = GridKind::Linear;
  lin.t_start = 0.05;
  lin.t_end = 1.0;
  TimeGrid g2 = make_grid(lin, GSchedule::constant(1.0), 4);
  for (std::size_t j = 0; j < g2.t.size(); ++j) g2.g[j] = std::sqrt(vp.g2(g2.t[j]));
  const MatX<double> x0 = test::random_mat(2, 7, 3);
  MatX<double> a = x0, b = x0;
  NetPair<double> ddpm(s, nullptr, zs.data(), ModelKind::DDPM, vp);
  reverse_sweep<double>(a, ddpm, g2, PhiloxNoise(NoiseKey{1, 1}, kStreamReverse), Sampler(0.0, false));
  reverse_sweep<double>(b, ddpm, g2, PhiloxNoise(NoiseKey{1, 1}, kStreamReverse), Sampler(0.0, true));
  CHECK((b - a / vp.alpha(0.05)).cwiseAbs().maxCoeff() < 1e-12);
  // FFJORD has no score for the step
  NetPair<double> ff(s, zf.data(), nullptr, ModelKind::FFJORD);
  MatX<double> c = x0;
  CHECK_THROWS_AS(reverse_sweep<double>(c, ff, grid, PhiloxNoise(NoiseKey{1, 1}, kStreamReverse), Sampler(0.0, true)),
                  InputError);
}

TEST_CASE("λ = 0.5 and Tweedie's step: CPU, fused kernels and layer-wise path agree", "[sampler][emu]") {
  test::SweepSetup su(3, 16, 2, 29, 5, 13, 17, NoiseKey{4, 4});
  for (bool denoise : {false, true}) {
    DYNAMIC_SECTION((denoise ? "denoise" : "no denoise")) {
      const Sampler smp(0.5, denoise);
      MatX<float> ref = su.x0m();
      reverse_sweep(ref, su.net(), su.grid, PhiloxNoise(su.key, kStreamReverse), smp);
      const std::vector<double> r(ref.data(), ref.data() + ref.size());
      BackendOptions lw = test::emu_options(test::EmuShape{});
      lw.force_layerwise = true;
      lw.layerwise_chunk = 10;
      for (const BackendOptions& o : {test::emu_options(test::EmuShape{}), lw}) {
        test::BackendRun run(make_emu_backend(o));
        Buf& x = run.up(su.x0);
        run.be->reverse_sweep(x, run.up(su.pf), run.up(su.ps), su.s, 29, su.grid, su.key, smp);
        const std::vector<float> got = run.down(x);
        test::expect_close(std::vector<double>(got.begin(), got.end()), r, 1e-5,
                           o.force_layerwise ? "layer-wise vs cpu" : "fused vs cpu");
      }
      // the classic samplers are different points of the same family
      MatX<float> sde = su.x0m();
      reverse_sweep(sde, su.net(), su.grid, PhiloxNoise(su.key, kStreamReverse), Sampler(1.0, denoise));
      CHECK((sde - ref).cwiseAbs().maxCoeff() > 1e-4);
    }
  }
}

TEST_CASE("DDPM with Tweedie's step on the emulated device equals the CPU reference", "[sampler][emu][ddpm]") {
  test::SweepSetup su(2, 16, 1, 21, 4, 2, 3, NoiseKey{2, 9});
  ModelDesc m;
  m.kind = ModelKind::DDPM;
  m.shape = su.s;
  GridSpec lin;
  lin.kind = GridKind::Linear;
  lin.t_start = 1e-3;
  lin.t_end = 1.0;
  TimeGrid grid = make_grid(lin, GSchedule::constant(1.0), 4);
  for (std::size_t j = 0; j < grid.t.size(); ++j) grid.g[j] = std::sqrt(m.vp.g2(grid.t[j]));
  test::BackendRun e(make_emu_backend(test::emu_options(test::EmuShape{}))), c(make_cpu_backend());
  std::vector<float> out[2];
  test::BackendRun* runs[2] = {&e, &c};
  for (int k = 0; k < 2; ++k) {
    Buf& x = runs[k]->up(su.x0);
    Buf& ps = runs[k]->up(su.ps);
    runs[k]->be->sample(x, ps, ps, m, 21, grid, su.key, Sampler(0.5, true));
    out[k] = runs[k]->down(x);
  }
  test::expect_close(std::vector<double>(out[0].begin(), out[0].end()), std::vector<double>(out[1].begin(), out[1].end()),
                     1e-5, "DDPM samples, emu vs cpu");
}
