// The device backend (engine/device_backend.h) on the emulated device: the CUDA backend's own
// launch sequence and fused kernels (kernels/cuda/fused_sweeps.h) run through the CPU block
// emulator, against the CPU reference sweeps of engine/diffflow.h in float on the same inputs
// and noise key: per-sample loss, gradients of both networks, stochastic and deterministic
// sampling. Small odd sizes exercise the tails: d = 2, 3, 4, 5 (two noise blocks), W = 8, 12,
// L = 1, 2, B = 1, 5, 37 with TB = 8 (and TB = 3, 40 threads: a partial warp and fewer threads
// than work items), N = 1, 3, 7.
// Tolerance 1e-5 relative to max |reference|; the measured figures are printed, next to the
// float-vs-double difference of the reference itself for scale.
#include <catch2/catch.hpp>

#include <algorithm>
#include <iostream>
#include <random>

#include "engine/backend.h"
#include "engine/device_backend.h"
#include "engine/diffflow.h"
#include "kernels/cuda/kernel_bodies.h"
#include "kernels/cuda/sweep_args.h"
#include "kernels/emu/emu_device.h"
#include "tests/emu_run.h"
#include "tests/tile_run.h"
#include "tests/fd.h"
#include "tests/sweep_setup.h"

using namespace df;

namespace {

struct Case {
  int d, W, L, B, N;
  test::EmuShape launch{};
};

test::BackendRun emu_run(const Case& c) { return test::BackendRun(make_emu_backend(test::emu_options(c.launch))); }

struct Setup : test::SweepSetup {
  explicit Setup(const Case& c) : SweepSetup(c.d, c.W, c.L, c.B, c.N, 11, 23, NoiseKey{7, 3}) {}
};

std::vector<double> dvec(const float* p, std::size_t n) { return std::vector<double>(p, p + n); }

double rel_err(const std::vector<double>& a, const std::vector<double>& b) {
  double scale = 1e-300, worst = 0;
  for (double v : b) scale = std::max(scale, std::fabs(v));
  for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::fabs(a[i] - b[i]));
  return worst / scale;
}

const std::vector<Case>& cases() {
  static const std::vector<Case> c = {
      {2, 8, 1, 1, 1},  {3, 12, 2, 5, 3}, {2, 12, 2, 37, 7}, {3, 8, 1, 37, 3},
      {2, 8, 2, 5, 7},  {3, 12, 1, 1, 7}, {5, 8, 1, 5, 3},   {4, 12, 2, 5, 3},
      {3, 12, 2, 37, 3, test::EmuShape{3, 40, 2}},
  };
  return c;
}

std::string name(const Case& c) {
  std::ostringstream o;
  o << "d=" << c.d << " W=" << c.W << " L=" << c.L << " B=" << c.B << " N=" << c.N << " TB=" << c.launch.TB
    << " threads=" << c.launch.threads;
  return o.str();
}

}  // namespace

TEST_CASE("host helpers round the grid constants as the CPU sweeps do", "[emu][sweeps]") {
  Setup su(Case{3, 8, 1, 1, 7});
  CHECK(terminal_constant_f(su.grid, 3) == terminal_constant<float>(su.grid, 3));
  const NetView v = make_net_view(su.s, su.pf.data());
  CHECK(v.hb(0) == su.s.off_hb(0));
  CHECK(v.outb + std::size_t(su.s.d) == su.s.n_params());
}

TEST_CASE("the embedding kernel transposes both networks' hidden weights", "[emu][sweeps]") {
  // W = 12 and 40: 32×32 tiles with a partial edge; L = 1, 2; the embeddings are the same with
  // and without the transposition blocks
  for (int W : {12, 40})
    for (int L : {1, 2}) {
      Setup su(Case{2, W, L, 1, 3});
      const std::vector<float> consts = make_step_consts(su.grid);
      const NetShape& s = su.s;
      const int N = su.grid.N();
      std::vector<float> e1(2 * size_t(N + 1) * W, NAN), e2 = e1, wt(2 * hidden_floats(s), NAN);
      EmbedArgs a{make_net_view(s, su.pf.data()), make_net_view(s, su.ps.data()), step_consts_view(consts.data(), N),
                  e1.data(), e1.data() + size_t(N + 1) * W};
      EmuDevice dev;
      launch_embed(dev, a);
      a.ef = e2.data();
      a.es = e2.data() + size_t(N + 1) * W;
      a.wtf = wt.data();
      a.wts = wt.data() + hidden_floats(s);
      CHECK(embed_blocks(a) == 2 * (N + 1) + 2 * L);
      launch_embed(dev, a);
      CHECK(e1 == e2);
      const std::vector<float> tf = test::hidden_transposed(s, su.pf.data()), tsc = test::hidden_transposed(s, su.ps.data());
      CHECK(std::vector<float>(wt.begin(), wt.begin() + long(tf.size())) == tf);
      CHECK(std::vector<float>(wt.begin() + long(tf.size()), wt.end()) == tsc);
      CHECK(tf[1] == su.pf[s.off_hw(0) + size_t(W)]);                  // wt[k = 0][o = 1] = W_0[1][0]
      CHECK(tf[2 * size_t(W) + 1] == su.pf[s.off_hw(0) + size_t(W) + 2]);  // wt[k = 2][o = 1] = W_0[1][2]
    }
}

// The embedding part of one network's gradient (g +=) for cotangents de[j·W ..] of e(t[j]), j =
// j0 .. N, one grid point after another: the kernel's arithmetic in that order (sums from 0 in
// ascending index, c + a·b with two roundings), written here from the model (MATH.md).
void embed_grad_points(const NetShape& s, const float* p, const float* t, const float* de, int j0, int N, float* g) {
  const size_t W = size_t(s.W), phi = s.off_phi(), t1w = s.off_t1w(), t1b = s.off_t1b(), t2w = s.off_t2w(),
               t2b = s.off_t2b();
  std::vector<float> feat(2 * W), z1(W), g1(W), dz1(W), dfeat(2 * W);
  for (int j = j0; j <= N; ++j) {
    for (size_t k = 0; k < W; ++k) fourier_feature<float>(t[j], p[phi + k], int(k), int(W), &feat[k], &feat[W + k]);
    for (size_t o = 0; o < W; ++o) {
      float acc = 0.f;
      for (size_t i = 0; i < 2 * W; ++i) acc = acc + p[t1w + o * 2 * W + i] * feat[i];
      z1[o] = acc + p[t1b + o];
      g1[o] = gelu_forward(z1[o]);
    }
    const float* dj = de + size_t(j) * W;
    for (size_t o = 0; o < W; ++o) g[t2b + o] += dj[o];
    for (size_t o = 0; o < W; ++o)
      for (size_t i = 0; i < W; ++i) g[t2w + o * W + i] += dj[o] * g1[i];
    for (size_t i = 0; i < W; ++i) {
      float v = 0.f;
      for (size_t o = 0; o < W; ++o) v = v + p[t2w + o * W + i] * dj[o];
      dz1[i] = v * gelu_backward(z1[i]);
    }
    for (size_t o = 0; o < W; ++o) g[t1b + o] += dz1[o];
    for (size_t o = 0; o < W; ++o)
      for (size_t i = 0; i < 2 * W; ++i) g[t1w + o * 2 * W + i] += dz1[o] * feat[i];
    for (size_t i = 0; i < 2 * W; ++i) {
      float v = 0.f;
      for (size_t o = 0; o < W; ++o) v = v + p[t1w + o * 2 * W + i] * dz1[o];
      dfeat[i] = v;
    }
    for (size_t k = 0; k < W; ++k) g[phi + k] += dfeat[k] * feat[W + k] - dfeat[W + k] * feat[k];
  }
}

TEST_CASE("the embedding backward kernels: a block per grid point, then a thread per gradient element, give "
          "the numbers of one point after another",
          "[emu][sweeps]") {
  // W = 40: 16-byte accesses of T1's and T2's rows (and of the scratch); W = 13 and a scratch
  // 4 bytes off 16-byte alignment at W = 40: one element per thread; the score's points start at
  // j = 1; the embedding part only is touched, and written, not added to
  CHECK(embed_point_grad_floats(128) == size_t(2 * 128 + kStageFloats));
  CHECK(embed_work_floats(128, 30) == size_t(2 * 31 * 6 * 128));
  struct Run {
    int W;
    int work_off;
  };
  for (const Run run : {Run{40, 0}, Run{13, 0}, Run{40, 1}}) {
    const int W = run.W;
    Setup su(Case{2, W, 2, 1, 10});
    const NetShape& s = su.s;
    const int N = su.grid.N();
    const std::vector<float> consts = make_step_consts(su.grid);
    std::mt19937 rng{uint32_t(W)};
    std::normal_distribution<float> nd(0.f, 1.f);
    std::vector<float> def(size_t(N + 1) * W), des(def.size()), gf(s.n_params()), gs(s.n_params());
    for (float& v : def) v = nd(rng);
    for (float& v : des) v = nd(rng);
    for (float& v : gf) v = 0.1f * nd(rng);
    for (float& v : gs) v = 0.1f * nd(rng);
    const std::vector<float> g0f = gf;
    // the reference adds the points' terms into a zeroed embedding part; the kernels write it (=),
    // over the random values gf, gs hold there
    std::vector<float> rf = gf, rs = gs;
    std::fill(rf.begin(), rf.begin() + long(s.off_inw()), 0.f);
    std::fill(rs.begin(), rs.begin() + long(s.off_inw()), 0.f);
    const StepConsts st = step_consts_view(consts.data(), N);
    std::vector<float> work(embed_work_floats(W, N) + 4, -7.f);  // poisoned: every read slot is written
    float* wp = work.data() + run.work_off;
    EmuDevice dev;
    const EmbedBackwardArgs a{make_net_view(s, su.pf.data()), make_net_view(s, su.ps.data()), st,
                              gf.data(),
                              gs.data(),
                              def.data(),
                              des.data(),
                              wp};
    INFO("W=" << W << " scratch offset " << run.work_off);
    const bool vec = W % 4 == 0 && (reinterpret_cast<uintptr_t>(wp) & 15u) == 0 &&
                     (reinterpret_cast<uintptr_t>(gf.data()) & 15u) == 0 && s.off_t1w() % 4 == 0 &&
                     s.off_t2w() % 4 == 0;
    CHECK(vec == (run.work_off == 0 && W == 40));  // both access paths are taken
    CHECK(embed_add_vec(a, 0) == vec);
    CHECK(embed_backward_items(a) == size_t(2 * ((vec ? 3 * W * W / 4 : 3 * W * W) + W)));
    const long l0 = dev.launches();
    launch_embed_backward(dev, a);
    CHECK(dev.launches() - l0 == 2);
    embed_grad_points(s, su.pf.data(), st.t, def.data(), 0, N, rf.data());
    embed_grad_points(s, su.ps.data(), st.t, des.data(), 1, N, rs.data());
    CHECK(gf == rf);
    CHECK(gs == rs);
    const long inw = long(s.off_inw());  // the rest of the gradient as it was
    CHECK(std::vector<float>(gf.begin() + inw, gf.end()) == std::vector<float>(g0f.begin() + inw, g0f.end()));
    CHECK(std::vector<float>(gf.begin(), gf.begin() + inw) != std::vector<float>(g0f.begin(), g0f.begin() + inw));
  }
}

TEST_CASE("the embedding kernel writes the hidden weights in MMA fragment order", "[emu][sweeps]") {
  // W = 32, L = 2 at TF32 and BF16: both networks' W_l and W_lᵀ as the host's hidden_fragments;
  // at FP32 (and W % 16 != 0) nothing is written
  for (MatPrecision prec : {MatPrecision::TF32, MatPrecision::BF16, MatPrecision::FP32}) {
    Setup su(Case{2, 32, 2, 1, 2});
    const NetShape& s = su.s;
    const int N = su.grid.N(), W = s.W;
    const std::vector<float> consts = make_step_consts(su.grid);
    std::vector<float> e(2 * size_t(N + 1) * W), wt(2 * hidden_floats(s));
    std::vector<uint32_t> fr(4 * hidden_floats(s), 0xDEADBEEFu);
    const EmbedArgs a{make_net_view(s, su.pf.data()), make_net_view(s, su.ps.data()), step_consts_view(consts.data(), N),
                      e.data(), e.data() + size_t(N + 1) * W, wt.data(), wt.data() + hidden_floats(s), fr.data(),
                      fr.data() + 2 * hidden_floats(s), prec};
    EmuDevice dev;
    launch_embed(dev, a);
    if (prec == MatPrecision::FP32) {
      CHECK(std::count(fr.begin(), fr.end(), 0xDEADBEEFu) == long(fr.size()));
      continue;
    }
    const std::vector<uint32_t> hf = test::hidden_fragments(s, su.pf.data(), prec),
                                hs = test::hidden_fragments(s, su.ps.data(), prec);
    const size_t used = mma_frag_quads(prec, W) * 4;  // words of one matrix
    for (int l = 0; l < s.L; ++l)
      for (int t = 0; t < 2; ++t) {
        const size_t at = size_t(2 * l + t) * W * W;
        CHECK(std::equal(hf.begin() + long(at), hf.begin() + long(at + used), fr.begin() + long(at)));
        CHECK(std::equal(hs.begin() + long(at), hs.begin() + long(at + used), fr.begin() + long(2 * hidden_floats(s) + at)));
      }
    // one element by hand: W_0[1][0] is A(1, 0) of the first strip: lane 4 (g = 1, t = 0), register 0
    const float w10 = su.pf[s.off_hw(0) + size_t(W)];
    CHECK(fr[4 * 4] == (prec == MatPrecision::BF16 ? pack_bf16x2(w10, su.pf[s.off_hw(0) + size_t(W) + 1])
                                                   : f32_bits(round_tf32(w10))));
  }
}

TEST_CASE("emulated diffuse sweep: per-sample loss equals the CPU reference", "[emu][sweeps]") {
  for (const Case& c : cases()) {
    DYNAMIC_SECTION(name(c)) {
      Setup su(c);
      test::BackendRun r = emu_run(c);
      std::vector<double> loss;
      r.be->diffflow_loss(loss, r.up(su.pf), r.up(su.ps), su.s, r.up(su.x0), c.B, su.grid, su.key);
      DiffuseOut<float> ref;
      diffuse_sweep(ref, su.net(), su.x0m(), su.grid, PhiloxNoise(su.key, kStreamDiffuse), 0);
      const auto a = loss, b = dvec(ref.loss.data(), std::size_t(ref.loss.size()));
      std::cout << "[diffuse] " << name(c) << ": loss rel err " << rel_err(a, b) << "\n";
      test::expect_close(a, b, 1e-5, "per-sample loss");
    }
  }
}

TEST_CASE("emulated adjoint sweep: loss and gradients equal the CPU reference", "[emu][sweeps]") {
  for (const Case& c : cases()) {
    DYNAMIC_SECTION(name(c)) {
      Setup su(c);
      test::BackendRun r = emu_run(c);
      const std::size_t P = su.s.n_params();
      Buf &bgf = r.zeros(P), &bgs = r.zeros(P), &bpf = r.up(su.pf), &bps = r.up(su.ps);
      // at d = 2 and 4 the input layer's dx takes a thread per sample with one 8- or 16-byte load
      // per weight row (input_dx_rows<d>) where the input weights are so aligned: with the device's
      // 256-byte aligned buffers, here both networks' are, so those cases run it
      if (c.d == 2 || c.d == 4)
        for (const Buf* b : {&bpf, &bps})
          CHECK((reinterpret_cast<std::uintptr_t>(b->ptr + su.s.off_inw()) & std::uintptr_t(4 * c.d - 1)) == 0);
      Buf& bx = r.up(su.x0);
      const double mean = r.be->diffflow_loss_grad(bgf, bgs, bpf, bps, su.s, bx, c.B, su.grid, su.key, 1);
      const std::vector<float> gf = r.down(bgf), gs = r.down(bgs);
      // again on the same backend: the gradient slices still hold the first call's sums, and
      // each block zeroes its own before adding into it (zero_slice), so the same bits
      const double again = r.be->diffflow_loss_grad(bgf, bgs, bpf, bps, su.s, bx, c.B, su.grid, su.key, 1);
      CHECK(again == mean);
      CHECK(r.down(bgf) == gf);
      CHECK(r.down(bgs) == gs);
      std::vector<float> rf(P, 0.f), rs(P, 0.f);
      VecX<float> rloss;
      const PhiloxNoise noise(su.key, kStreamDiffuse);
      const double rmean =
          df::diffflow_loss_grad<float>(rf.data(), rs.data(), nullptr, &rloss, su.net(), su.x0m(), su.grid, noise, 2);
      // the same in double, for the size of float rounding itself
      std::vector<double> pfd(su.pf.begin(), su.pf.end()), psd(su.ps.begin(), su.ps.end()), df_(P, 0.0), ds_(P, 0.0);
      df::diffflow_loss_grad<double>(df_.data(), ds_.data(), nullptr, nullptr,
                                     NetPair<double>{su.s, pfd.data(), psd.data()}, su.x0m().cast<double>(), su.grid,
                                     noise, 2);
      const double ef = rel_err(dvec(gf.data(), P), dvec(rf.data(), P));
      const double es = rel_err(dvec(gs.data(), P), dvec(rs.data(), P));
      std::cout << "[adjoint] " << name(c) << ": loss rel err " << std::fabs(mean - rmean) / std::fabs(rmean)
                << ", drift grad " << ef << ", score grad " << es << "  (CPU float vs double: drift "
                << rel_err(dvec(rf.data(), P), df_) << ", score " << rel_err(dvec(rs.data(), P), ds_) << ")\n";
      CHECK(mean == Approx(rmean).epsilon(1e-5));
      test::expect_close(dvec(gf.data(), P), dvec(rf.data(), P), 1e-5, "drift gradient");
      test::expect_close(dvec(gs.data(), P), dvec(rs.data(), P), 1e-5, "score gradient");
    }
  }
}

TEST_CASE("emulated reverse sweep: samples equal the CPU reference", "[emu][sweeps]") {
  for (const Case& c : cases()) {
    for (bool det : {false, true}) {
      DYNAMIC_SECTION(name(c) << (det ? " deterministic" : " stochastic")) {
        Setup su(c);
        test::BackendRun r = emu_run(c);
        Buf& bx = r.up(su.x0);  // serves as x_N
        r.be->reverse_sweep(bx, r.up(su.pf), r.up(su.ps), su.s, c.B, su.grid, su.key, det);
        const std::vector<float> x = r.down(bx);
        MatX<float> ref = su.x0m();
        df::reverse_sweep(ref, su.net(), su.grid, PhiloxNoise(su.key, kStreamReverse), det);
        const auto a = dvec(x.data(), x.size()), b = dvec(ref.data(), std::size_t(ref.size()));
        std::cout << "[reverse] " << name(c) << (det ? " pf" : " sde") << ": rel err " << rel_err(a, b) << "\n";
        test::expect_close(a, b, 1e-5, "samples");
      }
    }
  }
}

// Checkpointing inside the fused adjoint: the states between checkpoints are recomputed by the
// diffuse sweep's own code, so every interval K gives the same bits as K = 1 (all states kept),
// and the state store shrinks to ⌈N/K⌉ + 1 states per sample.
TEST_CASE("emulated adjoint with checkpoints: any K gives the bits of K = 1", "[emu][sweeps][ckpt]") {
  const std::vector<Case> cs = {{2, 8, 1, 5, 7}, {3, 12, 2, 37, 7, test::EmuShape{8, 64, 2}}, {2, 8, 2, 9, 5, test::EmuShape{3, 40, 2}}};
  for (const Case& c : cs) {
    Setup su(c);
    test::BackendRun r = emu_run(c);
    const std::size_t P = su.s.n_params();
    Buf &bpf = r.up(su.pf), &bps = r.up(su.ps), &bx = r.up(su.x0), &bgf = r.zeros(P), &bgs = r.zeros(P);
    auto run = [&](int K, std::vector<float>* gf, std::vector<float>* gs) {
      const double m = r.be->diffflow_loss_grad(bgf, bgs, bpf, bps, su.s, bx, c.B, su.grid, su.key, K);
      *gf = r.down(bgf);
      *gs = r.down(bgs);
      return m;
    };
    std::vector<float> gf1, gs1;
    const double m1 = run(1, &gf1, &gs1);
    for (int K : {2, 3, c.N, 100}) {
      DYNAMIC_SECTION(name(c) << " K=" << K) {
        std::vector<float> gf, gs;
        const double m = run(K, &gf, &gs);
        CHECK(m == m1);
        CHECK(gf == gf1);
        CHECK(gs == gs1);
        // and K = 1 itself matches the reference (so the shared bits are the right ones)
        std::vector<float> rf(su.s.n_params(), 0.f), rs(su.s.n_params(), 0.f);
        df::diffflow_loss_grad<float>(rf.data(), rs.data(), nullptr, nullptr, su.net(), su.x0m(), su.grid,
                                      PhiloxNoise(su.key, kStreamDiffuse), K);
        test::expect_close(dvec(gf.data(), gf.size()), dvec(rf.data(), rf.size()), 1e-5, "drift gradient");
        test::expect_close(dvec(gs.data(), gs.size()), dvec(rs.data(), rs.size()), 1e-5, "score gradient");
      }
    }
  }
}

TEST_CASE("the adjoint keeps the score path in shared memory where it fits", "[emu][ckpt]") {
  for (const NetShape s : {NetShape{2, 8, 1}, NetShape{3, 12, 2}, NetShape{2, 128, 3}}) {
    int keep = -1;
    const std::size_t base = tile_smem_bytes(s, kMaxTile, MatPrecision::BF16),
                      path = adjoint_spath_floats(s.d, 30, kMaxTile, s.W, MatPrecision::BF16) * sizeof(float);
    CHECK(path == 30u * std::size_t(s.d) * std::size_t(tile_stride(kMaxTile, s.W, MatPrecision::BF16)) * sizeof(float));
    CHECK(adjoint_smem_bytes(s, kMaxTile, MatPrecision::BF16, 30, 227 * 1024, &keep) == base + path);
    CHECK(keep == 1);
    const int Nbig = int((227 * 1024 - base) / (path / 30)) + 1;  // the first N whose path does not fit
    CHECK(adjoint_smem_bytes(s, kMaxTile, MatPrecision::BF16, Nbig, 227 * 1024, &keep) == base);
    CHECK(keep == 0);
    CHECK(adjoint_smem_bytes(s, kMaxTile, MatPrecision::BF16, 30, base + path - 1, &keep) == base);
    CHECK(keep == 0);
  }
  // the kept path against the score's forward run again, at K = 1 and 3: the same bits (a shared
  // memory limit that the tile and the embedding kernels fit but the path does not)
  const Case c{2, 8, 1, 45, 30, test::EmuShape{40, 64, 2}};
  Setup su(c);
  const std::size_t P = su.s.n_params(), tile = tile_smem_bytes(su.s, 40, MatPrecision::FP32),
                    tight_bytes = std::max({tile, embed_point_grad_floats(8) * sizeof(float),
                                      (5 * 8 + std::size_t(kStageFloats)) * sizeof(float)});
  int keep = -1;
  adjoint_smem_bytes(su.s, 40, MatPrecision::FP32, 30, tight_bytes, &keep);
  REQUIRE(keep == 0);
  adjoint_smem_bytes(su.s, 40, MatPrecision::FP32, 30, 227 * 1024, &keep);
  REQUIRE(keep == 1);
  for (int K : {1, 3}) {
    std::vector<float> g[2][2];
    double m[2];
    for (int tight = 0; tight < 2; ++tight) {
      BackendOptions o = test::emu_options(c.launch);
      if (tight) o.emu_smem_optin = tight_bytes;
      test::BackendRun r(make_emu_backend(o));
      Buf &bgf = r.zeros(P), &bgs = r.zeros(P);
      m[tight] = r.be->diffflow_loss_grad(bgf, bgs, r.up(su.pf), r.up(su.ps), su.s, r.up(su.x0), c.B, su.grid, su.key, K);
      g[tight][0] = r.down(bgf);
      g[tight][1] = r.down(bgs);
    }
    INFO("K = " << K);
    CHECK(m[0] == m[1]);
    CHECK(g[0][0] == g[1][0]);
    CHECK(g[0][1] == g[1][1]);
  }
}

TEST_CASE("adjoint plan: checkpoint slots, balanced blocks, memory per sample", "[emu][ckpt]") {
  // slots: every K-th state below N and x_N; each segment's two ends are slots c and c + 1
  for (int N : {1, 6, 7, 30, 100})
    for (int K : {1, 2, 3, 7, 10, N}) {
      const int nseg = ckpt_segments(N, K);
      CHECK(ckpt_slot(0, N, K) == 0);
      CHECK(ckpt_slot(N, N, K) == nseg);
      int stored = 0;
      for (int j = 0; j <= N; ++j) stored += ckpt_slot(j, N, K) >= 0;
      CHECK(stored == ckpt_slots(N, K));
      for (int cseg = 0; cseg < nseg; ++cseg) {
        const int s0 = cseg * K, s1 = std::min(N, s0 + K);
        CHECK(ckpt_slot(s0, N, K) == cseg);
        CHECK(ckpt_slot(s1, N, K) == cseg + 1);
      }
    }
  // PERF.md: ≤ 40 KB per sample at d = 784, N = 100 with checkpointing (K = 10: 11 states)
  const NetShape big{784, 128, 3};
  const AdjointPlan p1 = adjoint_plan(big, 1000, 100, 10, 4, 132), p2 = adjoint_plan(big, 2000, 100, 10, 4, 132);
  const double per_sample = double(p2.bytes() - p1.bytes()) / 1000.0;
  std::cout << "[plan] d=784 N=100 K=10: " << per_sample << " bytes per sample (K=1 would keep "
            << double(adjoint_plan(big, 2000, 100, 1, 4, 132).states - adjoint_plan(big, 1000, 100, 1, 4, 132).states) * 4 / 1000.0
            << ")\n";
  CHECK(per_sample == Approx(11.0 * 784 * 4 + 4));
  // balanced blocks: 625 tiles on ≤ 132 blocks take 5 rounds either way; 125 blocks suffice
  const NetShape perf{2, 128, 3};
  const AdjointPlan pb = adjoint_plan(perf, 10000, 30, 6, 16, 132);
  CHECK(pb.tiles == 625);
  CHECK(pb.G == 125);
  CHECK(adjoint_plan(NetShape{2, 8, 1}, 5, 3, 1, 8, 132).G == 1);
  // the slices lend the embedding backward its scratch once reduced: where they are the smaller
  // (one slice of a W = 8 network at N = 3), the plan takes the scratch's size
  const NetShape tiny{2, 8, 1};
  const std::size_t gtiny = gacc_size_for(tiny.n_params() - tiny.off_inw(), 3, 8);
  REQUIRE(gtiny < embed_work_floats(8, 3));
  CHECK(adjoint_plan(tiny, 5, 3, 1, 8, 132).slices == embed_work_floats(8, 3));
  CHECK(pb.slices == std::size_t(pb.G) * gacc_size_for(perf.n_params() - perf.off_inw(), 30, 128));
  std::cout << "[plan] PERF.md shape B=10000 N=30 K=6: " << pb.bytes() / 1e6 << " MB (slices " << pb.slices * 4 / 1e6
            << " MB)\n";
}

// The fused probability-flow likelihood (fp32, pf_loglik_tile.h) against the CPU backend (double,
// 256-sample chunks): exact trace for small d, Hutchinson (forced by exact_max_d) with the same
// probes, across a chunk boundary (B = 300).
TEST_CASE("emulated probability-flow log-likelihood equals the CPU backend", "[emu][sweeps][pf]") {
  struct PfCase {
    Case c;
    int exact_max_d, probes, substeps;
  };
  const std::vector<PfCase> cs = {{{2, 8, 1, 5, 3}, 16, 1, 2},
                                  {{3, 12, 2, 37, 2, test::EmuShape{3, 40, 2}}, 16, 1, 1},
                                  {{5, 8, 1, 300, 2, test::EmuShape{16, 64, 4}}, 2, 2, 1}};
  auto cpu = make_cpu_backend();
  for (const PfCase& pc : cs) {
    const Case& c = pc.c;
    DYNAMIC_SECTION(name(c) << (c.d <= pc.exact_max_d ? " exact" : " hutchinson")) {
      Setup su(c);
      OdeOptions opt;
      opt.exact_max_d = pc.exact_max_d;
      opt.probes = pc.probes;
      opt.substeps = pc.substeps;
      opt.probe_key = NoiseKey{17, 4};
      const GSchedule g{{0.01, 0.2, 0.4}, {0.6, 1.1, 1.6}};
      test::BackendRun r = emu_run(c);
      std::vector<double> lp;
      r.be->pf_loglik(lp, r.up(su.pf), r.up(su.ps), su.s, r.up(su.x0), c.B, su.grid, g, opt);
      std::vector<double> ref;
      Buf bf = cpu->alloc(su.pf.size()), bs = cpu->alloc(su.ps.size()), bx = cpu->alloc(su.x0.size());
      cpu->upload(bf, su.pf.data(), su.pf.size());
      cpu->upload(bs, su.ps.data(), su.ps.size());
      cpu->upload(bx, su.x0.data(), su.x0.size());
      cpu->pf_loglik(ref, bf, bs, su.s, bx, c.B, su.grid, g, opt);
      cpu->release(bf);
      cpu->release(bs);
      cpu->release(bx);
      const auto a = lp;
      std::cout << "[pf_loglik] " << name(c) << ": rel err " << rel_err(a, ref) << "\n";
      test::expect_close(a, ref, 1e-4, "log-likelihood");
    }
  }
}

// DDPM's probability-flow likelihood through the same kernel (fixed drift −½β x, score −ε_θ/σ_t)
// against the CPU backend's model-level loglik (double).
TEST_CASE("emulated DDPM probability-flow log-likelihood equals the CPU backend", "[emu][sweeps][pf]") {
  const Case c{2, 12, 2, 37, 3, test::EmuShape{8, 64, 3}};
  Setup su(c);
  ModelDesc m;
  m.kind = ModelKind::DDPM;
  m.shape = su.s;
  GridSpec spec;
  spec.kind = GridKind::Linear;
  spec.t_start = 1e-3;
  spec.t_end = 1.0;
  TimeGrid grid = make_grid(spec, GSchedule::constant(1.0), c.N);
  for (size_t j = 0; j < grid.t.size(); ++j) grid.g[j] = std::sqrt(m.vp.g2(grid.t[j]));
  OdeOptions opt;
  test::BackendRun r = emu_run(c);
  std::vector<double> lp;
  Buf& eb = r.up(su.ps);
  r.be->loglik(lp, nullptr, eb, eb, m, r.up(su.x0), c.B, grid, GSchedule::constant(1.0), opt);
  auto cpu = make_cpu_backend();
  Buf bs = cpu->alloc(su.ps.size()), bx = cpu->alloc(su.x0.size());
  cpu->upload(bs, su.ps.data(), su.ps.size());
  cpu->upload(bx, su.x0.data(), su.x0.size());
  std::vector<double> ref;
  cpu->loglik(ref, nullptr, bs, bs, m, bx, c.B, grid, GSchedule::constant(1.0), opt);
  cpu->release(bs);
  cpu->release(bx);
  const auto a = lp;
  std::cout << "[pf_loglik] DDPM " << name(c) << ": rel err " << rel_err(a, ref) << "\n";
  test::expect_close(a, ref, 1e-4, "DDPM log-likelihood");
}
