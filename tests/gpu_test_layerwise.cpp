// GPU: the layer-wise path (kernels/layerwise with cuBLAS, kernels/cuda/layerwise_cuda.cu)
//   1. at W = 256 (taken automatically: W > 128) against the CPU backend, relative error ≤ 1e-4
//      on the per-sample loss, both gradients and the samples;
//   2. forced (BackendOptions::force_layerwise) at W = 64 against the fused kernels (a second GPU
//      reference), including a chunked batch (layerwise_chunk) that does not divide B;
//   3. DDPM's training loss (kernels/layerwise/ddpm.h), bound and sampling (layer-wise sweeps with
//      the fixed drift) and likelihood (the fused pf kernel) against the CPU backend;
//   4. bf16 operands are refused with a clear error on this path.
// Exits 77 (ctest SKIP) before Catch runs when no CUDA device is present.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "engine/backend.h"
#include "host/errors.h"
#include "tests/fd.h"

using namespace df;

namespace {

struct Bufs {
  explicit Bufs(Backend& b) : be(b) {}
  Backend& be;
  std::vector<Buf> owned;
  Buf put(const std::vector<float>& h) {
    Buf b = be.alloc(h.size());
    be.upload(b, h.data(), h.size());
    owned.push_back(b);
    return b;
  }
  std::vector<double> get(const Buf& x) {
    std::vector<float> h(x.n);
    be.download(h.data(), x, x.n);
    return std::vector<double>(h.begin(), h.end());
  }
  ~Bufs() {
    for (Buf& b : owned) be.release(b);
  }
};

struct Results {
  double mean = 0;
  std::vector<double> loss, gf, gs, sde, pf;
};

Results run(Backend& be, const NetShape& s, int B, int N) {
  Bufs u(be);
  std::vector<float> pf(s.n_params()), ps(s.n_params());
  init_params(s, pf.data(), 3, 0, 0.5);
  init_params(s, ps.data(), 3, 1, 0.5);
  Buf bf = u.put(pf), bs = u.put(ps);
  const MatX<double> xm = test::random_mat(s.d, B, 5, 1.5);
  const std::vector<float> x(xm.data(), xm.data() + xm.size());
  Buf bx = u.put(x), gf = u.put(std::vector<float>(pf.size())), gs = u.put(std::vector<float>(ps.size()));
  GridSpec spec;
  const TimeGrid grid = make_grid(spec, GSchedule{{0.001, 0.02, 0.05}, {0.2, 0.3, 0.25}}, N);
  const NoiseKey key{42, 9};
  Results r;
  be.diffflow_loss(r.loss, bf, bs, s, bx, B, grid, key);
  r.mean = be.diffflow_loss_grad(gf, gs, bf, bs, s, bx, B, grid, key, 3);
  r.gf = u.get(gf);
  r.gs = u.get(gs);
  for (bool det : {false, true}) {
    Buf xr = u.put(x);
    be.reverse_sweep(xr, bf, bs, s, B, grid, key, det);
    (det ? r.pf : r.sde) = u.get(xr);
  }
  return r;
}

void compare(const Results& a, const Results& b, double tol) {
  CHECK(a.mean == Approx(b.mean).epsilon(tol));
  test::expect_close(a.loss, b.loss, tol, "per-sample loss");
  test::expect_close(a.gf, b.gf, tol, "drift gradient");
  test::expect_close(a.gs, b.gs, tol, "score gradient");
  test::expect_close(a.sde, b.sde, tol, "sde samples");
  test::expect_close(a.pf, b.pf, tol, "pf samples");
}

}  // namespace

TEST_CASE("layer-wise path at W = 256 equals the CPU backend", "[gpu]") {
  const NetShape s{2, 256, 2};
  auto cpu = make_cpu_backend();
  auto gpu = make_cuda_backend();
  compare(run(*gpu, s, 777, 7), run(*cpu, s, 777, 7), 1e-4);
}

TEST_CASE("layer-wise path forced at W = 64 equals the fused kernels", "[gpu]") {
  const NetShape s{3, 64, 3};
  auto fused = make_cuda_backend();
  const Results ref = run(*fused, s, 1000, 10);
  BackendOptions o;
  o.force_layerwise = true;
  o.layerwise_chunk = 384;
  auto lw = make_cuda_backend(o);
  const Results got = run(*lw, s, 1000, 10);
  compare(got, ref, 1e-4);
}

TEST_CASE("DDPM training loss, bound, sampling and likelihood on the GPU equal the CPU backend", "[gpu]") {
  auto cpu = make_cpu_backend();
  auto gpu = make_cuda_backend();
  ModelDesc m;
  m.kind = ModelKind::DDPM;
  m.shape = NetShape{2, 128, 3};
  const int B = 1000;
  std::vector<float> p(m.shape.n_params());
  init_params(m.shape, p.data(), 6, 1, 0.5);
  const MatX<double> xm = test::random_mat(2, B, 8, 1.0);
  const std::vector<float> x(xm.data(), xm.data() + xm.size());
  GridSpec spec;
  const TimeGrid grid = make_grid(spec, GSchedule::constant(0.2), 10);
  std::vector<std::vector<double>> g(2);
  double loss[2];
  int i = 0;
  for (Backend* be : {cpu.get(), gpu.get()}) {
    Bufs u(*be);
    Buf bp = u.put(p), bx = u.put(x), gf = u.put(std::vector<float>(p.size(), 1.f)), gs = u.put(std::vector<float>(p.size()));
    loss[i] = be->train_loss_grad(gf, gs, bp, bp, m, bx, B, grid, NoiseKey{3, 7}, 1);
    g[size_t(i)] = u.get(gs);
    for (double v : u.get(gf)) REQUIRE(v == 0.0);  // DDPM has no drift network
    ++i;
  }
  CHECK(loss[1] == Approx(loss[0]).epsilon(1e-4));
  test::expect_close(g[1], g[0], 1e-4, "epsilon-network gradient");

  // its bound and sampling (layer-wise sweeps with the fixed drift) on the DDPM grid g = √β
  TimeGrid dg = grid;
  for (size_t j = 0; j < dg.t.size(); ++j) dg.g[j] = std::sqrt(m.vp.beta(dg.t[j]));
  std::vector<std::vector<double>> bounds(2), sde(2), pf(2);
  i = 0;
  for (Backend* be : {cpu.get(), gpu.get()}) {
    Bufs u(*be);
    Buf bp = u.put(p), bx = u.put(x), xs = u.put(x), xp = u.put(x);
    be->bound(bounds[size_t(i)], bp, bp, m, bx, B, dg, NoiseKey{3, 8});
    be->sample(xs, bp, bp, m, B, dg, NoiseKey{3, 9}, false);
    be->sample(xp, bp, bp, m, B, dg, NoiseKey{3, 9}, true);
    sde[size_t(i)] = u.get(xs);
    pf[size_t(i)] = u.get(xp);
    ++i;
  }
  test::expect_close(bounds[1], bounds[0], 1e-4, "DDPM bound");
  test::expect_close(sde[1], sde[0], 1e-4, "DDPM sde samples");
  test::expect_close(pf[1], pf[0], 1e-4, "DDPM pf samples");

  // and its probability-flow likelihood (the fused pf kernel with the fixed drift)
  std::vector<std::vector<double>> ll(2);
  i = 0;
  for (Backend* be : {cpu.get(), gpu.get()}) {
    Bufs u(*be);
    Buf bp = u.put(p), bx = u.put(x);
    long nfe = 0;
    be->loglik(ll[size_t(i)], &nfe, bp, bp, m, bx, B, dg, GSchedule::constant(1.0), OdeOptions{});
    CHECK(nfe == 4L * 2 * 10);
    ++i;
  }
  test::expect_close(ll[1], ll[0], 1e-4, "DDPM log-likelihood");
}

TEST_CASE("layer-wise path refuses bf16 operands", "[gpu]") {
  auto gpu = make_cuda_backend();
  gpu->set_precision(MatPrecision::BF16);
  const NetShape s{2, 192, 1};
  REQUIRE_THROWS_AS(run(*gpu, s, 10, 2), InputError);
}

int main(int argc, char** argv) {
  if (cuda_device_count() == 0) {
    std::printf("gpu_test_layerwise: no CUDA device present, skipped (exit 77)\n");
    return 77;
  }
  return Catch::Session().run(argc, argv);
}
