// The device backend on the emulated device (`--device emu`) against the CPU backend, at the
// level of the Backend interface, on the same inputs and noise keys: training steps through the
// host loop and a resume (bit-identical to the uninterrupted emulated run), the DDPM layer-wise
// path (training loss and gradient, bound, sampling), the fused-versus-layer-wise choice (W > 128
// and forced), the memory plan (the device allocates exactly what adjoint_plan lists), the
// kernels launched per training iteration, and the iteration as a recorded graph (train_step: the
// bits of the calls made one by one, with and without graphs, and what a recording refuses). The sweeps themselves (checkpoint interval K, both
// samplers, the bound, the likelihoods) are tests/test_emu_sweeps.cpp; the operand precisions
// tests/test_emu_precision.cpp. Small shapes: the emulator runs one fiber per device thread.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cmath>
#include <fstream>

#include "engine/params.h"
#include "engine/backend.h"
#include "engine/diffflow.h"
#include "host/checkpoint.h"
#include "host/trainer.h"
#include "kernels/cuda/sweep_args.h"
#include "kernels/emu/block_emulator.h"
#include "kernels/emu/emu_device.h"
#include "kernels/cuda/kernel_bodies.h"
#include "kernels/layerwise/layerwise.h"
#include "tests/emu_run.h"
#include "tests/fd.h"
#include "tests/sweep_setup.h"

using namespace df;

namespace {

const test::EmuShape kShape{8, 64, 3};

std::string temp_dir(const std::string& tag) {
  std::string d = "/tmp/df_test_emu_" + tag + "_" + std::to_string(getpid());
  REQUIRE(std::system(("rm -rf '" + d + "' && mkdir -p '" + d + "'").c_str()) == 0);
  return d;
}

std::vector<double> log_column(const std::string& dir, int col) {
  std::ifstream in(dir + "/log.csv");
  std::string line;
  std::getline(in, line);
  std::vector<double> out;
  while (std::getline(in, line)) {
    std::size_t p = 0;
    for (int c = 0; c < col; ++c) p = line.find(',', p) + 1;
    out.push_back(std::atof(line.c_str() + p));
  }
  return out;
}

std::vector<double> dv(const std::vector<float>& v) { return std::vector<double>(v.begin(), v.end()); }

}  // namespace

TEST_CASE("emu: training steps through the host loop follow the CPU backend, and resume is exact", "[emu][backend]") {
  RunConfig c;
  c.data = "8gaussians";
  c.shape = NetShape{2, 16, 2};
  c.grid.N = 4;
  c.batch = 37;
  c.iters = 6;
  c.save_every = 3;
  c.seed = 5;
  DataSource data(c.data);
  auto cpu = make_cpu_backend();
  auto emu = make_emu_backend(test::emu_options(kShape));
  const std::string dc = temp_dir("cpu"), de = temp_dir("emu"), dr = temp_dir("resume");
  RunState sc = new_run_state(c, data), se = new_run_state(c, data);
  REQUIRE(train(*cpu, c, sc, data, TrainOptions{dc, true}) == 0);
  REQUIRE(train(*emu, c, se, data, TrainOptions{de, true}) == 0);
  const auto lc = log_column(dc, 1), le = log_column(de, 1);
  REQUIRE(lc.size() == 6);
  REQUIRE(le.size() == 6);
  test::expect_close(le, lc, 2e-4, "training losses, emu vs cpu");
  test::expect_close(dv(se.f.p), dv(sc.f.p), 2e-4, "drift parameters after 6 steps");
  test::expect_close(dv(se.s.ema), dv(sc.s.ema), 2e-4, "score EMA after 6 steps");
  // resume on the emulated device from iteration 3: the very bits of the uninterrupted run
  RunConfig c1 = c;
  c1.iters = 3;
  RunState s1 = new_run_state(c1, data);
  REQUIRE(train(*emu, c1, s1, data, TrainOptions{dr, true}) == 0);
  RunConfig c2;
  RunState s2;
  load_checkpoint(dr, c2, s2);
  REQUIRE(s2.iteration == 3);
  c2.iters = 6;
  auto emu2 = make_emu_backend(test::emu_options(kShape));
  REQUIRE(train(*emu2, c2, s2, data, TrainOptions{dr, true}) == 0);
  CHECK(log_column(dr, 1) == le);
  CHECK(s2.f.p == se.f.p);
  CHECK(s2.s.ema == se.s.ema);
}

TEST_CASE("emu: DDPM on the layer-wise path equals the CPU reference", "[emu][backend][ddpm]") {
  test::SweepSetup su(2, 16, 2, 37, 5, 11, 23, NoiseKey{7, 3});
  ModelDesc m;
  m.kind = ModelKind::DDPM;
  m.shape = su.s;
  GridSpec spec;
  spec.kind = GridKind::Linear;
  spec.t_start = 1e-3;
  spec.t_end = 1.0;
  TimeGrid grid = make_grid(spec, GSchedule::constant(1.0), 5);
  for (std::size_t j = 0; j < grid.t.size(); ++j) grid.g[j] = std::sqrt(m.vp.g2(grid.t[j]));
  const std::size_t P = su.s.n_params();
  BackendOptions o = test::emu_options(kShape);
  o.layerwise_chunk = 20;  // chunks that do not divide B (whole groups of 16 per chunk)
  test::BackendRun e(make_emu_backend(o)), c(make_cpu_backend());
  struct Out {
    double loss;
    std::vector<float> gs, x;
    std::vector<double> bound;
  } out[2];
  test::BackendRun* runs[2] = {&e, &c};
  for (int k = 0; k < 2; ++k) {
    test::BackendRun& r = *runs[k];
    Buf &bf = r.zeros(P), &bs = r.up(su.ps), &bx = r.up(su.x0), &gf = r.zeros(P), &gs = r.zeros(P);
    out[k].loss = r.be->train_loss_grad(gf, gs, bf, bs, m, bx, 37, grid, su.key, 1);
    out[k].gs = r.down(gs);
    r.be->bound(out[k].bound, bf, bs, m, bx, 37, grid, su.key);
    Buf& xs = r.up(su.x0);
    r.be->sample(xs, bf, bs, m, 37, grid, su.key, false);
    out[k].x = r.down(xs);
  }
  CHECK(out[0].loss == Approx(out[1].loss).epsilon(1e-5));
  test::expect_close(dv(out[0].gs), dv(out[1].gs), 1e-5, "DDPM gradient");
  test::expect_close(out[0].bound, out[1].bound, 1e-5, "DDPM bound");
  test::expect_close(dv(out[0].x), dv(out[1].x), 1e-5, "DDPM samples");
}

TEST_CASE("emu: the fused and the layer-wise paths agree, and W > 128 takes the layer-wise path", "[emu][backend]") {
  const long before = emu::mma_count();
  for (const NetShape s : {NetShape{3, 16, 2}, NetShape{2, 136, 1}}) {
    DYNAMIC_SECTION(s.str()) {
      test::SweepSetup su(s.d, s.W, s.L, 21, 3, 4, 9, NoiseKey{3, 1});
      const std::size_t P = s.n_params();
      BackendOptions base = test::emu_options(kShape);
      base.layerwise_chunk = 8;  // chunks that do not divide B, wherever the layer-wise path runs
      BackendOptions lw = base;
      lw.force_layerwise = true;
      test::BackendRun a(make_emu_backend(base)), b(make_emu_backend(lw)), c(make_cpu_backend());
      std::vector<float> g[3];
      double mean[3];
      test::BackendRun* runs[3] = {&a, &b, &c};
      long launches[2] = {0, 0};
      for (int k = 0; k < 3; ++k) {
        test::BackendRun& r = *runs[k];
        Buf &gf = r.zeros(P), &gs = r.zeros(P), &pf = r.up(su.pf), &ps = r.up(su.ps), &x = r.up(su.x0);
        const long l0 = r.be->kernel_launches();
        mean[k] = r.be->diffflow_loss_grad(gf, gs, pf, ps, s, x, 21, su.grid, su.key, 2);
        if (k < 2) launches[k] = r.be->kernel_launches() - l0;
        g[k] = r.down(gf);
      }
      CHECK(mean[0] == Approx(mean[2]).epsilon(1e-5));
      CHECK(mean[1] == Approx(mean[2]).epsilon(1e-5));
      test::expect_close(dv(g[0]), dv(g[2]), 1e-5, "path taken by default vs cpu");
      test::expect_close(dv(g[1]), dv(g[2]), 1e-5, "layer-wise vs cpu");
      if (s.W > 128) {
        CHECK(launches[0] == launches[1]);  // the default took the layer-wise path too
        CHECK(launches[0] > 100);           // one launch per GEMM and elementwise step
      } else {
        CHECK(launches[0] == 5);  // embed, adjoint, reduce, the embedding backward's two
        CHECK(launches[1] > 100);
      }
    }
  }
  CHECK(emu::mma_count() == before);  // fp32: no tensor-core path taken
}

TEST_CASE("emu: the device allocates exactly adjoint_plan's buffers; a training iteration is 8 kernels, from the "
          "second on as one graph, with the bits of the calls made one by one",
          "[emu][backend][plan][graph]") {
  for (int K : {1, 3}) {
    DYNAMIC_SECTION("K=" << K) {
      test::SweepSetup su(3, 16, 2, 45, 7, 2, 6, NoiseKey{1, 2});
      const NetShape& s = su.s;
      const std::size_t P = s.n_params();
      // r: the iteration as train_step runs it; q: the same through the separate calls, the clip
      // scale computed on the host as Backend::train_step does
      test::BackendRun r(make_emu_backend(test::emu_options(kShape))), q(make_emu_backend(test::emu_options(kShape)));
      struct Nets {
        Buf *x, *g[2], *p[2], *m[2], *v[2], *e[2];
      } n[2];
      test::BackendRun* runs[2] = {&r, &q};
      std::size_t free0 = 0, total = 0, free1 = 0;
      REQUIRE(r.be->memory_info(&free0, &total));
      for (int i = 0; i < 2; ++i) {
        test::BackendRun& b = *runs[i];
        n[i].x = &b.up(su.x0);
        for (int k = 0; k < 2; ++k) {
          n[i].g[k] = &b.zeros(P), n[i].p[k] = &b.up(k == 0 ? su.pf : su.ps), n[i].m[k] = &b.zeros(P);
          n[i].v[k] = &b.zeros(P), n[i].e[k] = &b.up(k == 0 ? su.pf : su.ps);
        }
      }
      std::size_t bufs = 0;
      REQUIRE(r.be->memory_info(&free1, &total));
      bufs = free0 - free1;
      const long l0 = r.be->kernel_launches();
      r.be->diffflow_loss_grad(*n[0].g[0], *n[0].g[1], *n[0].p[0], *n[0].p[1], s, *n[0].x, 45, su.grid, su.key, K);
      REQUIRE(r.be->memory_info(&free1, &total));
      const AdjointPlan plan = adjoint_plan(s, 45, 7, K, kShape.TB, kShape.sms);
      INFO("allocated " << free0 - free1 - bufs << " bytes, the plan " << plan.bytes());
      CHECK(free0 - free1 - bufs == plan.bytes());
      CHECK(r.be->kernel_launches() - l0 == 5);
      StepHyper h;
      h.clip = 0.02;  // below both gradients' norms: the clip scale is taken
      h.ema = 0.99f;
      for (int it = 0; it < 3; ++it) {
        const NoiseKey key{1, std::uint32_t(2 + it)};
        h.step = it + 1;
        StepNet nets[2];
        for (int k = 0; k < 2; ++k) {
          nets[k].p = n[0].p[k], nets[k].g = n[0].g[k], nets[k].m = n[0].m[k], nets[k].v = n[0].v[k];
          nets[k].ema = n[0].e[k];
          nets[k].lr = k == 0 ? 0.01f : 0.02f;
        }
        ModelDesc md;
        md.shape = s;
        std::size_t f0 = 0, f1 = 0;
        REQUIRE(r.be->memory_info(&f0, &total));
        const long k0 = r.be->kernel_launches(), g0 = r.be->graph_launches();
        const StepOutcome out = r.be->train_step(nets, md, *n[0].x, 45, su.grid, key, K, h);
        REQUIRE(r.be->memory_info(&f1, &total));
        // embed, adjoint, reduce, the embedding backward's two; both networks' norm partials, the
        // clip scales, both networks' Adam and EMA
        CHECK(r.be->kernel_launches() - k0 == 8);
        CHECK(r.be->graph_launches() - g0 == (it == 0 ? 0 : 1));  // the first of a shape sizes the pools
        if (it > 0) CHECK(f1 == f0);                              // and later ones allocate nothing
        const double loss = q.be->diffflow_loss_grad(*n[1].g[0], *n[1].g[1], *n[1].p[0], *n[1].p[1], s, *n[1].x, 45,
                                                     su.grid, key, K);
        CHECK(out.loss == loss);
        for (int k = 0; k < 2; ++k) {
          const double sq = q.be->grad_sq_norm(*n[1].g[k]);
          CHECK(out.gn[k] == std::sqrt(sq));
          CHECK(out.gn[k] > h.clip);
          AdamHyper a;
          a.lr = nets[k].lr;
          q.be->adam_update(*n[1].p[k], *n[1].g[k], *n[1].m[k], *n[1].v[k], a, h.step, clip_scale(h.clip, sq));
          q.be->ema_update(*n[1].e[k], *n[1].p[k], h.ema);
        }
        for (int k = 0; k < 2; ++k) {
          CHECK(r.down(*n[0].p[k]) == q.down(*n[1].p[k]));
          CHECK(r.down(*n[0].m[k]) == q.down(*n[1].m[k]));
          CHECK(r.down(*n[0].v[k]) == q.down(*n[1].v[k]));
          CHECK(r.down(*n[0].e[k]) == q.down(*n[1].e[k]));
        }
      }
    }
  }
}

TEST_CASE("emu: DDPM's and FFJORD's iterations take the device's norms, clip scales and optimizer, with the bits "
          "of the calls made one by one",
          "[emu][backend][ddpm]") {
  for (const ModelKind kind : {ModelKind::DDPM, ModelKind::FFJORD}) {
    DYNAMIC_SECTION((kind == ModelKind::DDPM ? "ddpm" : "ffjord")) {
      test::SweepSetup su(2, 16, 2, 37, 5, 11, 23, NoiseKey{7, 3});
      const std::size_t P = su.s.n_params();
      ModelDesc md;
      md.kind = kind;
      md.shape = su.s;
      const int trained = kind == ModelKind::DDPM ? 1 : 0;  // DDPM: the score only; FFJORD: the drift
      test::BackendRun r(make_emu_backend(test::emu_options(kShape))), q(make_emu_backend(test::emu_options(kShape)));
      test::BackendRun* runs[2] = {&r, &q};
      Buf *x[2], *g[2][2], *p[2][2], *m[2][2], *v[2][2], *e[2][2];
      for (int i = 0; i < 2; ++i) {
        x[i] = &runs[i]->up(su.x0);
        for (int k = 0; k < 2; ++k) {
          g[i][k] = &runs[i]->zeros(P), p[i][k] = &runs[i]->up(k == 0 ? su.pf : su.ps), m[i][k] = &runs[i]->zeros(P);
          v[i][k] = &runs[i]->zeros(P), e[i][k] = &runs[i]->up(k == 0 ? su.pf : su.ps);
        }
      }
      StepHyper h;
      h.ema = 0.99f;
      for (int it = 0; it < 2; ++it) {
        const NoiseKey key{7, std::uint32_t(3 + it)};
        h.step = it + 1;
        StepNet nets[2];
        for (int k = 0; k < 2; ++k) {
          nets[k].p = p[0][k], nets[k].g = g[0][k], nets[k].m = m[0][k], nets[k].v = v[0][k], nets[k].ema = e[0][k];
          nets[k].trains = k == trained;
          nets[k].lr = 0.01f;
        }
        const StepOutcome out = r.be->train_step(nets, md, *x[0], 37, su.grid, key, 1, h);
        if (it == 0) h.clip = 0.5 * out.gn[trained];  // the second iteration is clipped
        else CHECK(out.gn[trained] > h.clip);
        const double loss = q.be->train_loss_grad(*g[1][0], *g[1][1], *p[1][0], *p[1][1], md, *x[1], 37, su.grid, key, 1);
        CHECK(out.loss == loss);
        double sq[2];
        for (int k = 0; k < 2; ++k) {
          sq[k] = q.be->grad_sq_norm(*g[1][k]);
          CHECK(out.gn[k] == std::sqrt(sq[k]));
        }
        const double clip = it == 0 ? 0.0 : h.clip;
        AdamHyper a;
        a.lr = 0.01f;
        q.be->adam_update(*p[1][trained], *g[1][trained], *m[1][trained], *v[1][trained], a, it + 1,
                          clip_scale(clip, sq[trained]));
        q.be->ema_update(*e[1][trained], *p[1][trained], h.ema);
        for (int k = 0; k < 2; ++k) {
          CHECK(r.down(*p[0][k]) == q.down(*p[1][k]));
          CHECK(r.down(*v[0][k]) == q.down(*v[1][k]));
          CHECK(r.down(*e[0][k]) == q.down(*e[1][k]));
        }
        CHECK(r.down(*p[0][1 - trained]) == (1 - trained == 0 ? su.pf : su.ps));  // the other network as it was
      }
      CHECK(r.be->graph_launches() == 0);  // graphs are the fused DiffFlow path's
    }
  }
}

TEST_CASE("emu: training through the host loop is the same with and without graphs", "[emu][backend][graph]") {
  RunConfig c;
  c.data = "8gaussians";
  c.shape = NetShape{2, 16, 2};
  c.grid.N = 4;
  c.batch = 37;
  c.iters = 5;
  c.save_every = 5;
  c.seed = 9;
  c.clip = 0.002;  // below the norms (0.005 to 0.02 here): the clip scale is taken on the device
  DataSource data(c.data);
  BackendOptions on = test::emu_options(kShape), off = on;
  off.graphs = false;
  auto a = make_emu_backend(on), b = make_emu_backend(off);
  const std::string da = temp_dir("graph_on"), db = temp_dir("graph_off");
  RunState sa = new_run_state(c, data), sb = new_run_state(c, data);
  REQUIRE(train(*a, c, sa, data, TrainOptions{da, true}) == 0);
  REQUIRE(train(*b, c, sb, data, TrainOptions{db, true}) == 0);
  CHECK(a->graph_launches() == 4);  // iterations 2 to 5
  CHECK(b->graph_launches() == 0);
  for (int col : {1, 2, 3}) CHECK(log_column(da, col) == log_column(db, col));  // loss, ‖g_f‖, ‖g_s‖
  for (int col : {2, 3})
    for (double gn : log_column(da, col)) CHECK(gn > c.clip);
  CHECK(sa.f.p == sb.f.p);
  CHECK(sa.s.p == sb.s.p);
  CHECK(sa.f.m == sb.f.m);
  CHECK(sa.s.v == sb.s.v);
  CHECK(sa.f.ema == sb.f.ema);
  CHECK(sa.s.ema == sb.s.ema);
}

TEST_CASE("emu device: a graph records and replays in order; a host round trip, an allocation or staging past the "
          "reserve inside one throws",
          "[emu][graph]") {
  EmuDevice dev;
  float* d = static_cast<float*>(dev.alloc_bytes(4096 * sizeof(float)));  // room for the over-staging below
  float h[4] = {1, 2, 3, 4}, out[4] = {0, 0, 0, 0}, back[4] = {0, 0, 0, 0};
  dev.begin_graph(2 * sizeof h);
  dev.to_device(d, h, sizeof h);
  h[0] = 99;  // the upload took the bytes at the call, as the pinned staging does
  dev.copy(d + 4, d, sizeof h);
  dev.zero(d, sizeof(float));
  dev.launch<EmaK>(1, 32, 0, EmaArgs{d + 8, d + 4, 4, 0.f});  // e = p: d[8..12) = d[4..8)
  dev.to_host_later(out, d + 8, sizeof out);
  CHECK(out[1] == 0.f);  // nothing has run yet
  CHECK_THROWS_AS(dev.to_host(back, d, sizeof back), std::logic_error);
  CHECK_THROWS_AS(dev.alloc_bytes(4), std::logic_error);
  CHECK_THROWS_AS(dev.sync(), std::logic_error);
  dev.run_graph();
  CHECK(dev.graphs_run() == 1);
  CHECK(out[0] == 1.f);
  CHECK(out[3] == 4.f);
  dev.to_host(back, d, sizeof back);
  CHECK(back[0] == 0.f);  // zeroed after the copy had read it
  CHECK(back[1] == 2.f);
  dev.begin_graph(0);
  std::vector<float> big(2 * EmuDevice::kStageSlack / sizeof(float));
  CHECK_THROWS_AS(dev.to_device(d, big.data(), big.size() * sizeof(float)), std::logic_error);
  dev.abort_graph();
  dev.to_host(back, d, sizeof back);  // no longer recording
  CHECK(dev.graphs_run() == 1);
  dev.free(d);
}

TEST_CASE("emu: likelihoods of networks the probability-flow kernel cannot hold (W > 128, d > 16) take the CPU "
          "reference and equal the CPU backend's; train_bytes follows the path taken",
          "[emu][backend][loglik]") {
  test::SweepSetup su(20, 136, 1, 5, 3, 3, 4, NoiseKey{3, 1});
  const NetShape& s = su.s;
  ModelDesc m;
  m.shape = s;
  OdeOptions opt;
  opt.substeps = 1;
  opt.probe_key = NoiseKey{9, 4};  // d = 20 > exact_max_d: Hutchinson's probes
  std::vector<double> lp[2];
  long nfe[2] = {0, 0};
  int i = 0;
  for (auto make : {+[] { return make_cpu_backend(); }, +[] { return make_emu_backend(test::emu_options(kShape)); }}) {
    test::BackendRun r(make());
    Buf &pf = r.up(su.pf), &ps = r.up(su.ps), &x = r.up(su.x0);
    r.be->loglik(lp[i], &nfe[i], pf, ps, m, x, 5, su.grid, GSchedule::constant(0.2), opt);
    ++i;
  }
  REQUIRE(lp[0].size() == 5);
  CHECK(lp[0] == lp[1]);
  CHECK(nfe[0] == nfe[1]);
  for (double v : lp[1]) CHECK(std::isfinite(v));
  // the memory a training call takes: the layer-wise path's for this shape, the plan's for a small one
  auto emu = make_emu_backend(test::emu_options(kShape));
  CHECK(emu->train_bytes(m, 5, 3, 2) == (lw_loss_grad_floats(s, 5, 3, 2, BackendOptions{}.layerwise_chunk) + 5) * sizeof(float));
  ModelDesc small;
  small.shape = NetShape{2, 16, 2};
  CHECK(emu->train_bytes(small, 45, 7, 3) == adjoint_plan(small.shape, 45, 7, 3, kShape.TB, kShape.sms).bytes());
  CHECK(make_cpu_backend()->train_bytes(small, 45, 7, 3) > 0);
}

TEST_CASE("emu: the tensor-core sweeps (accumulator-order slices) equal the scalar sweeps bit for bit",
          "[emu][backend][mma]") {
  // 16 threads per block take no MMA (the blocked and operand_dot loops, flat-order gradient
  // slices); 64 take the MMAs, whose slices keep the hidden weights in accumulator order until
  // the reduction puts them back. The emulated MMA sums in operand_dot's order, so the two give
  // the same bits: W = 48 (the weight gradient's last warp tile has two 16x8 parts, not four),
  // d = 3 (the score's part of a slice after an odd Pm), tiles of 13 (partial 16x8 parts, nb not
  // a multiple of 8), 32 and 38 (five 16x8 parts per MMA warp tile, five samples per blocked fp32
  // thread), checkpoint interval 2.
  test::SweepSetup su(3, 48, 2, 45, 5, 3, 4, NoiseKey{5, 6});
  const std::size_t P = su.s.n_params();
  for (MatPrecision prec : {MatPrecision::TF32, MatPrecision::BF16})
    for (int TB : {13, 32, 38}) {
      DYNAMIC_SECTION(mat_precision_name(prec) << " TB=" << TB) {
        std::vector<float> gf[2], gs[2], xs[2];
        double mean[2];
        long mmas[2];
        for (int v = 0; v < 2; ++v) {
          const long before = emu::mma_count();
          test::BackendRun r(make_emu_backend(test::emu_options(test::EmuShape{TB, v == 0 ? 16 : 64, 3}, prec)));
          Buf &pf = r.up(su.pf), &ps = r.up(su.ps), &x = r.up(su.x0), &bgf = r.zeros(P), &bgs = r.zeros(P);
          mean[v] = r.be->diffflow_loss_grad(bgf, bgs, pf, ps, su.s, x, 45, su.grid, su.key, 2);
          gf[v] = r.down(bgf);
          gs[v] = r.down(bgs);
          Buf& bx = r.up(su.x0);
          r.be->reverse_sweep(bx, pf, ps, su.s, 45, su.grid, su.key, false);
          xs[v] = r.down(bx);
          mmas[v] = emu::mma_count() - before;
        }
        CHECK(mmas[0] == 0);
        CHECK(mmas[1] > 0);
        CHECK(mean[0] == mean[1]);
        CHECK(gf[0] == gf[1]);
        CHECK(gs[0] == gs[1]);
        CHECK(xs[0] == xs[1]);
        // the hidden weights' gradients are there to compare (not all zero)
        double hw = 0;
        for (int l = 0; l < su.s.L; ++l)
          for (std::size_t i = 0; i < std::size_t(su.s.W) * su.s.W; ++i) hw += std::fabs(gs[1][su.s.off_hw(l) + i]);
        CHECK(hw > 0);
      }
    }
}
