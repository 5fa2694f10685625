// The layer-wise sweeps (kernels/layerwise/layerwise.h) on the CPU (CpuOps) against the CPU
// reference of engine/diffflow.h in float on the same inputs and noise key: per-sample loss,
// gradients of both networks (embedding included), stochastic and deterministic sampling; odd
// sizes including the shapes the path exists for (d = 70 > 64, W = 136 > 128), batches split in
// chunks that do not divide B, and checkpoint intervals K = 1, 2, 3, N giving the same bits.
// Tolerance 1e-5 relative to max |reference|. Also: the emulated device aligns and zeroes its
// allocations as cudaMalloc does.
#include <catch2/catch.hpp>

#include <cstdint>
#include <iostream>
#include <vector>

#include "engine/diffflow.h"
#include "engine/ddpm.h"
#include "engine/device_consts.h"
#include "kernels/layerwise/cpu_ops.h"
#include "kernels/layerwise/ddpm.h"
#include "tests/fd.h"
#include "tests/sweep_setup.h"

using namespace df;

namespace {

struct Case {
  int d, W, L, B, N, Bc;
};

struct Setup : test::SweepSetup {
  explicit Setup(const Case& c) : SweepSetup(c.d, c.W, c.L, c.B, c.N, 13, 29, NoiseKey{5, 2}) {}
};

std::vector<double> dvec(const std::vector<float>& v) { return std::vector<double>(v.begin(), v.end()); }

std::string name(const Case& c) {
  std::ostringstream o;
  o << "d=" << c.d << " W=" << c.W << " L=" << c.L << " B=" << c.B << " N=" << c.N << " Bc=" << c.Bc;
  return o.str();
}

const std::vector<Case>& cases() {
  static const std::vector<Case> c = {
      {2, 8, 1, 1, 1, 0},  {3, 12, 2, 37, 7, 10}, {5, 8, 2, 5, 3, 0}, {1, 12, 1, 5, 7, 2},
      {70, 8, 1, 5, 3, 3}, {2, 136, 1, 5, 3, 0},
  };
  return c;
}

// Runs lw_loss_grad; gradients and per-sample losses to host vectors; returns its mean loss
// (checked against the mean of the per-sample losses).
double run_grad(const Setup& su, const Case& c, int K, std::vector<float>& gf, std::vector<float>& gs,
                std::vector<float>& loss) {
  EmuDevice dev;
  CpuOps ops(dev);
  const size_t P = su.s.n_params();
  float *dpf = ops.alloc(P), *dps = ops.alloc(P), *dx = ops.alloc(su.x0.size());
  ops.upload(dpf, su.pf.data(), P);
  ops.upload(dps, su.ps.data(), P);
  ops.upload(dx, su.x0.data(), su.x0.size());
  float *dgf = ops.alloc(P), *dgs = ops.alloc(P), *dl = ops.alloc(size_t(c.B));
  const double got = lw_loss_grad(ops, dgf, dgs, dl, su.s, dpf, dps, dx, c.B, su.grid, su.key, K, c.Bc);
  gf.assign(dgf, dgf + P);
  gs.assign(dgs, dgs + P);
  loss.assign(dl, dl + c.B);
  double mean = 0;
  for (float v : loss) mean += double(v);
  CHECK(got == mean / c.B);
  return got;
}

}  // namespace

TEST_CASE("layer-wise adjoint: loss and gradients equal the CPU reference", "[layerwise]") {
  for (const Case& c : cases()) {
    DYNAMIC_SECTION(name(c)) {
      Setup su(c);
      std::vector<float> gf, gs, loss;
      const double mean = run_grad(su, c, 2, gf, gs, loss);
      const size_t P = su.s.n_params();
      std::vector<float> rf(P, 0.f), rs(P, 0.f);
      VecX<float> rloss;
      const double rmean = df::diffflow_loss_grad<float>(rf.data(), rs.data(), nullptr, &rloss, su.net(), su.x0m(),
                                                         su.grid, PhiloxNoise(su.key, kStreamDiffuse), 2);
      CHECK(mean == Approx(rmean).epsilon(1e-5));
      test::expect_close(dvec(loss), std::vector<double>(rloss.data(), rloss.data() + rloss.size()), 1e-5,
                         "per-sample loss");
      test::expect_close(dvec(gf), dvec(rf), 1e-5, "drift gradient");
      test::expect_close(dvec(gs), dvec(rs), 1e-5, "score gradient");
      // the embedding part is there (a gradient that skipped it would be zero there)
      double emb = 0;
      for (size_t i = 0; i < su.s.off_inw(); ++i) emb += std::fabs(gf[i]);
      CHECK(emb > 0);
    }
  }
}

TEST_CASE("layer-wise adjoint: any checkpoint interval and chunking gives the bits of K = 1", "[layerwise]") {
  const Case c{3, 12, 2, 37, 7, 10};
  Setup su(c);
  std::vector<float> gf1, gs1, l1;
  const double m1 = run_grad(su, c, 1, gf1, gs1, l1);
  for (int K : {2, 3, 7}) {
    DYNAMIC_SECTION("K=" << K) {
      std::vector<float> gf, gs, l;
      CHECK(run_grad(su, c, K, gf, gs, l) == m1);
      CHECK(gf == gf1);
      CHECK(gs == gs1);
      CHECK(l == l1);
    }
  }
  SECTION("without a per-sample loss buffer: the same mean and bits") {
    EmuDevice dev;
  CpuOps ops(dev);
    const size_t P = su.s.n_params();
    float *dpf = ops.alloc(P), *dps = ops.alloc(P), *dx = ops.alloc(su.x0.size()), *dgf = ops.alloc(P);
    float* dgs = ops.alloc(P);
    ops.upload(dpf, su.pf.data(), P);
    ops.upload(dps, su.ps.data(), P);
    ops.upload(dx, su.x0.data(), su.x0.size());
    CHECK(lw_loss_grad(ops, dgf, dgs, nullptr, su.s, dpf, dps, dx, c.B, su.grid, su.key, 3, c.Bc) == m1);
    CHECK(std::vector<float>(dgf, dgf + P) == gf1);
    CHECK(std::vector<float>(dgs, dgs + P) == gs1);
  }
  SECTION("one chunk instead of four: same losses, gradients to float rounding") {
    Case whole = c;
    whole.Bc = 0;
    std::vector<float> gf, gs, l;
    run_grad(su, whole, 1, gf, gs, l);
    CHECK(l == l1);  // per-sample losses do not depend on the chunk
    test::expect_close(dvec(gf), dvec(gf1), 1e-6, "drift gradient");
  }
}

TEST_CASE("layer-wise loss and sampling equal the CPU reference", "[layerwise]") {
  for (const Case& c : cases()) {
    DYNAMIC_SECTION(name(c)) {
      Setup su(c);
      EmuDevice dev;
  CpuOps ops(dev);
      const size_t P = su.s.n_params();
      float *dpf = ops.alloc(P), *dps = ops.alloc(P), *dx = ops.alloc(su.x0.size()), *dl = ops.alloc(size_t(c.B));
      ops.upload(dpf, su.pf.data(), P);
      ops.upload(dps, su.ps.data(), P);
      ops.upload(dx, su.x0.data(), su.x0.size());
      lw_loss(ops, dl, su.s, dpf, dps, dx, c.B, su.grid, su.key, c.Bc);
      DiffuseOut<float> ref;
      diffuse_sweep(ref, su.net(), su.x0m(), su.grid, PhiloxNoise(su.key, kStreamDiffuse), 0);
      test::expect_close(std::vector<double>(dl, dl + c.B), std::vector<double>(ref.loss.data(), ref.loss.data() + c.B),
                         1e-5, "per-sample loss");
      for (bool det : {false, true}) {
        float* xr = ops.alloc(su.x0.size());
        ops.upload(xr, su.x0.data(), su.x0.size());
        lw_reverse(ops, xr, su.s, dpf, dps, c.B, su.grid, su.key, det, c.Bc);
        MatX<float> r = su.x0m();
        df::reverse_sweep(r, su.net(), su.grid, PhiloxNoise(su.key, kStreamReverse), det);
        test::expect_close(std::vector<double>(xr, xr + su.x0.size()), std::vector<double>(r.data(), r.data() + r.size()),
                           1e-5, det ? "pf samples" : "sde samples");
      }
    }
  }
}

// DDPM's denoising loss on the layer-wise path (kernels/layerwise/ddpm.h) against engine/ddpm.h:
// one time per group of 16 samples, groups across chunk boundaries, the embedding's gradient.
TEST_CASE("layer-wise DDPM loss and gradient equal the CPU reference", "[layerwise][ddpm]") {
  struct DCase {
    int d, W, L, B, Bc;
  };
  for (const DCase& c : {DCase{2, 12, 2, 37, 20}, DCase{3, 8, 1, 5, 0}, DCase{2, 136, 1, 33, 0}}) {
    DYNAMIC_SECTION("d=" << c.d << " W=" << c.W << " B=" << c.B << " Bc=" << c.Bc) {
      const NetShape s{c.d, c.W, c.L};
      std::vector<float> p(s.n_params());
      init_params(s, p.data(), 17, 1, 0.5);
      const MatX<float> x = test::random_mat(c.d, c.B, 31, 1.0).cast<float>();
      const VpSchedule vp;
      const NoiseKey key{9, 4};
      EmuDevice dev;
  CpuOps ops(dev);
      float *dp = ops.alloc(p.size()), *dx = ops.alloc(size_t(x.size())), *dg = ops.alloc(p.size());
      float* dl = ops.alloc(size_t(c.B));
      ops.upload(dp, p.data(), p.size());
      ops.upload(dx, x.data(), size_t(x.size()));
      const double mean = lw_ddpm_loss_grad(ops, dg, dl, s, dp, dx, c.B, vp, 1e-3, key, c.Bc);
      std::vector<float> ref(p.size(), 0.f);
      VecX<float> rl;
      const double rmean = ddpm_loss_grad<float>(ref.data(), &rl, s, p.data(), x, vp, 1e-3, key, 0);
      CHECK(mean == Approx(rmean).epsilon(1e-5));
      test::expect_close(std::vector<double>(dl, dl + c.B), std::vector<double>(rl.data(), rl.data() + c.B), 1e-5,
                         "per-sample loss");
      test::expect_close(std::vector<double>(dg, dg + p.size()), dvec(ref), 1e-5, "gradient");
      double emb = 0;
      for (size_t i = 0; i < s.off_inw(); ++i) emb += std::fabs(dg[i]);
      CHECK(emb > 0);
    }
  }
}

// DDPM through the layer-wise sweeps (fixed drift −½β x, score −ε_θ/σ): bound and sampling
// against engine/diffflow.h with NetPair::kind = DDPM.
TEST_CASE("layer-wise DDPM bound and sampling equal the CPU reference", "[layerwise][ddpm]") {
  const Case c{2, 12, 2, 37, 7, 10};
  Setup su(c);
  const VpSchedule vp;
  GridSpec spec;
  spec.kind = GridKind::Linear;
  spec.t_start = 1e-3;
  spec.t_end = 1.0;
  TimeGrid grid = make_grid(spec, GSchedule::constant(1.0), c.N);
  for (size_t j = 0; j < grid.t.size(); ++j) grid.g[j] = std::sqrt(vp.beta(grid.t[j]));  // as model_grid does
  const lw::LwModel md = lw_model(ModelKind::DDPM, vp, grid);
  const NetPair<float> net(su.s, su.ps.data(), su.ps.data(), ModelKind::DDPM, vp);
  EmuDevice dev;
  CpuOps ops(dev);
  const size_t P = su.s.n_params();
  float *dps = ops.alloc(P), *dx = ops.alloc(su.x0.size()), *dl = ops.alloc(size_t(c.B));
  ops.upload(dps, su.ps.data(), P);
  ops.upload(dx, su.x0.data(), su.x0.size());
  lw_loss(ops, dl, su.s, nullptr, dps, dx, c.B, grid, su.key, c.Bc, md);
  DiffuseOut<float> ref;
  diffuse_sweep(ref, net, su.x0m(), grid, PhiloxNoise(su.key, kStreamDiffuse), 0);
  test::expect_close(std::vector<double>(dl, dl + c.B), std::vector<double>(ref.loss.data(), ref.loss.data() + c.B),
                     1e-5, "DDPM bound");
  for (bool det : {false, true}) {
    float* xr = ops.alloc(su.x0.size());
    ops.upload(xr, su.x0.data(), su.x0.size());
    lw_reverse(ops, xr, su.s, nullptr, dps, c.B, grid, su.key, det, c.Bc, md);
    MatX<float> r = su.x0m();
    df::reverse_sweep(r, net, grid, PhiloxNoise(su.key, kStreamReverse), det);
    test::expect_close(std::vector<double>(xr, xr + su.x0.size()), std::vector<double>(r.data(), r.data() + r.size()),
                       1e-5, det ? "DDPM pf samples" : "DDPM sde samples");
  }
}

TEST_CASE("layer-wise memory: one training call takes lw_loss_grad_floats (DDPM: lw_ddpm_loss_grad_floats) exactly",
          "[layerwise][memory]") {
  struct M {
    int d, W, L, B, N, K, Bc;
  };
  for (const M& m : {M{3, 12, 2, 37, 7, 3, 10}, M{70, 8, 1, 5, 3, 1, 0}, M{5, 16, 3, 64, 9, 9, 20}}) {
    DYNAMIC_SECTION("d=" << m.d << " W=" << m.W << " B=" << m.B << " N=" << m.N << " K=" << m.K << " Bc=" << m.Bc) {
      test::SweepSetup su(m.d, m.W, m.L, m.B, m.N, 13, 29, NoiseKey{5, 2});
      EmuDevice dev;
      const size_t P = su.s.n_params();
      std::size_t base = 0;
      float *dpf, *dps, *dx, *dgf, *dgs, *dl;
      {
        CpuOps ops(dev);
        dpf = ops.alloc(P), dps = ops.alloc(P), dx = ops.alloc(su.x0.size());
        dgf = ops.alloc(P), dgs = ops.alloc(P), dl = ops.alloc(size_t(m.B));
        ops.upload(dpf, su.pf.data(), P);
        ops.upload(dps, su.ps.data(), P);
        ops.upload(dx, su.x0.data(), su.x0.size());
        base = dev.allocated_bytes();
        dev.reset_peak();
        {
          CpuOps work(dev);
          lw_loss_grad(work, dgf, dgs, dl, su.s, dpf, dps, dx, m.B, su.grid, su.key, m.K, m.Bc);
        }
        CHECK(dev.peak_bytes() - base == lw_loss_grad_floats(su.s, m.B, m.N, m.K, m.Bc) * sizeof(float));
        CHECK(dev.allocated_bytes() == base);  // all of it returned at the end of the call
        dev.reset_peak();
        {
          CpuOps work(dev);
          lw_ddpm_loss_grad(work, dgs, dl, su.s, dps, dx, m.B, VpSchedule{}, 1e-3, su.key, m.Bc);
        }
        CHECK(dev.peak_bytes() - base == lw_ddpm_loss_grad_floats(su.s, m.B, m.Bc) * sizeof(float));
      }
    }
  }
}

TEST_CASE("the emulated device allocates like cudaMalloc: 256-byte aligned, zeroed", "[layerwise][emu]") {
  // the cost model's sectors and the kernels' vector-load paths (mlp_vec4_ok) depend on it
  EmuDevice dev;
  std::vector<void*> ps;
  for (std::size_t bytes : {std::size_t(1), std::size_t(4), std::size_t(100), std::size_t(4096), std::size_t(3) << 20}) {
    void* p = dev.alloc_bytes(bytes);
    ps.push_back(p);
    CHECK(reinterpret_cast<std::uintptr_t>(p) % 256 == 0);
    const unsigned char* c = static_cast<const unsigned char*>(p);
    bool zero = true;
    for (std::size_t i = 0; i < bytes; ++i) zero = zero && c[i] == 0;
    CHECK(zero);
  }
  for (void* p : ps) dev.free(p);
  CHECK(dev.allocated_bytes() == 0);
}
