// The warp-level tensor-core operations of the Exec interface on the CPU (kernels/cuda/mma.h,
// kernels/emu/block_emulator.h) and the MMA path of the network passes (kernels/cuda/mlp_tile.h):
//   1. EmuExec::mma_tf32_m16n8k8 / mma_bf16_m16n8k16 on random fragments, distributed to the lanes
//      by the PTX ISA's lane → element maps (written here independently of mma.h's inverse maps),
//      equal a direct scalar product of the rounded operands summed in the same order (exactly),
//      and an fp64 product to 1e-6 of Σ|a·b| + |c|; misuse throws (partial warp, tf32 operand
//      that is not a tf32 value, lanes mixing warp operations); shfl(v, src) reads any lane.
//   2. mlp_forward_tile / mlp_backward_tile through launch_emulated at TF32 and BF16 on W = 16, 32,
//      48 (a warp tile of two 16-row strips and one of one), 128 with full and partial tiles (nb < TB, TB = 3, 8, 16): against an fp64 reference of the
//      network (outputs, input cotangent, every gradient: within 2e-3 (TF32) / 2e-2 (BF16) of
//      max |reference|), against the operand_dot path (the same launch with 16 threads: equal,
//      since the emulated MMA sums in operand_dot's order), with the number of warp MMAs checked
//      (the path is really taken; none at FP32 or with W % 16 != 0), a partial last warp (40
//      threads) sitting the products out, and g, de accumulated (+=).
#include <catch2/catch.hpp>

#include <cmath>
#include <iostream>
#include <random>
#include <vector>

#include "engine/params.h"
#include "kernels/cuda/mlp_tile.h"
#include "kernels/cuda/mma.h"
#include "kernels/emu/block_emulator.h"
#include "tests/tile_run.h"

using namespace df;
using df::test::TileRun;

namespace {

// ---- fragments by the PTX ISA's forward maps: (lane, register[, half]) → (row, col) ----------
struct RC {
  int r, c;
};
RC tf32_a(int lane, int i) { return {lane / 4 + (i % 2) * 8, lane % 4 + (i / 2) * 4}; }
RC tf32_b(int lane, int i) { return {lane % 4 + i * 4, lane / 4}; }
// bf16 element e = 0..7 of A (register e / 2, half e % 2), e = 0..3 of B
RC bf16_a(int lane, int e) {
  const int row = (e < 2 || (e >= 4 && e < 6)) ? lane / 4 : lane / 4 + 8;
  const int col = (lane % 4) * 2 + (e & 1) + (e >= 4 ? 8 : 0);
  return {row, col};
}
RC bf16_b(int lane, int e) { return {(lane % 4) * 2 + (e & 1) + (e >= 2 ? 8 : 0), lane / 4}; }
RC acc_cd(int lane, int i) { return {lane / 4 + (i >= 2 ? 8 : 0), (lane % 4) * 2 + (i & 1)}; }

uint16_t bf16_bits(float x) { return uint16_t(f32_bits(round_bf16(x)) >> 16); }

// Random value with a spread of magnitudes and signs.
float rnd(std::mt19937& g) {
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::uniform_int_distribution<int> e(-6, 6);
  return std::ldexp(u(g), e(g));
}

struct MmaCase {
  std::vector<uint32_t> a, b;  // per thread 4, 2
  std::vector<float> c, d;     // per thread 4
  std::vector<float> A, B, C;  // per warp: 16×K, K×8, 16×8 (the rounded operands)
};

// Random operands for nwarps warps, distributed to the lanes.
MmaCase make_case(bool bf16, int nwarps, std::mt19937& g) {
  const int K = bf16 ? 16 : 8;
  MmaCase m;
  m.A.resize(size_t(nwarps) * 16 * K);
  m.B.resize(size_t(nwarps) * K * 8);
  m.C.resize(size_t(nwarps) * 16 * 8);
  for (float& v : m.A) v = bf16 ? round_bf16(rnd(g)) : round_tf32(rnd(g));
  for (float& v : m.B) v = bf16 ? round_bf16(rnd(g)) : round_tf32(rnd(g));
  for (float& v : m.C) v = rnd(g);
  const int T = 32 * nwarps;
  m.a.assign(size_t(T) * 4, 0u);
  m.b.assign(size_t(T) * 2, 0u);
  m.c.assign(size_t(T) * 4, 0.f);
  m.d.assign(size_t(T) * 4, NAN);
  for (int w = 0; w < nwarps; ++w) {
    const float* A = &m.A[size_t(w) * 16 * K];
    const float* B = &m.B[size_t(w) * K * 8];
    const float* C = &m.C[size_t(w) * 128];
    for (int l = 0; l < 32; ++l) {
      const size_t t = size_t(w) * 32 + l;
      if (bf16) {
        for (int e = 0; e < 8; ++e) {
          const RC p = bf16_a(l, e);
          m.a[t * 4 + e / 2] |= uint32_t(bf16_bits(A[p.r * K + p.c])) << (16 * (e % 2));
        }
        for (int e = 0; e < 4; ++e) {
          const RC p = bf16_b(l, e);
          m.b[t * 2 + e / 2] |= uint32_t(bf16_bits(B[p.r * 8 + p.c])) << (16 * (e % 2));
        }
      } else {
        for (int i = 0; i < 4; ++i) m.a[t * 4 + i] = f32_bits(A[tf32_a(l, i).r * K + tf32_a(l, i).c]);
        for (int i = 0; i < 2; ++i) m.b[t * 2 + i] = f32_bits(B[tf32_b(l, i).r * 8 + tf32_b(l, i).c]);
      }
      for (int i = 0; i < 4; ++i) m.c[t * 4 + i] = C[acc_cd(l, i).r * 8 + acc_cd(l, i).c];
    }
  }
  return m;
}

}  // namespace

TEST_CASE("emulated warp mma equals the scalar product of the rounded operands", "[emu][mma]") {
  std::mt19937 g(17);
  for (bool bf16 : {false, true}) {
    const int nwarps = 3, K = bf16 ? 16 : 8;
    for (int rep = 0; rep < 20; ++rep) {
      MmaCase m = make_case(bf16, nwarps, g);
      MmaFragArgs f{m.a.data(), m.b.data(), m.c.data(), m.d.data(), bf16 ? MatPrecision::BF16 : MatPrecision::TF32};
      const long before = emu::mma_count();
      launch_emulated(1, 32 * nwarps, 0, [&](EmuExec& ex) { mma_fragments_body(ex, f); });
      CHECK(emu::mma_count() - before == nwarps);
      long bad_exact = 0;
      double worst = 0;
      for (int w = 0; w < nwarps; ++w)
        for (int l = 0; l < 32; ++l)
          for (int i = 0; i < 4; ++i) {
            const RC p = acc_cd(l, i);
            const float* A = &m.A[size_t(w) * 16 * K];
            const float* B = &m.B[size_t(w) * K * 8];
            float s = m.C[size_t(w) * 128 + p.r * 8 + p.c];
            double sd = s, scale = std::fabs(s);
            for (int k = 0; k < K; ++k) {
              s += A[p.r * K + k] * B[k * 8 + p.c];
              sd += double(A[p.r * K + k]) * B[k * 8 + p.c];
              scale += std::fabs(double(A[p.r * K + k]) * B[k * 8 + p.c]);
            }
            const float got = m.d[(size_t(w) * 32 + l) * 4 + i];
            bad_exact += f32_bits(got) != f32_bits(s);
            worst = std::max(worst, std::fabs(double(got) - sd) / scale);
          }
      INFO((bf16 ? "bf16" : "tf32") << " rep " << rep);
      CHECK(bad_exact == 0);
      CHECK(worst <= 1e-6);
    }
  }
}

TEST_CASE("emulated mma: d may alias c; misuse throws", "[emu][mma]") {
  std::mt19937 g(3);
  MmaCase m = make_case(false, 1, g);
  std::vector<float> d(128);
  // d == c
  launch_emulated(1, 32, 0, [&](EmuExec& ex) {
    const int t = ex.tid();
    float a[4], b[2], c[4];
    for (int i = 0; i < 4; ++i) a[i] = f32_from_bits(m.a[size_t(t) * 4 + i]);
    for (int i = 0; i < 2; ++i) b[i] = f32_from_bits(m.b[size_t(t) * 2 + i]);
    for (int i = 0; i < 4; ++i) c[i] = m.c[size_t(t) * 4 + i];
    ex.mma_tf32_m16n8k8(c, a, b, c);
    for (int i = 0; i < 4; ++i) d[size_t(t) * 4 + i] = c[i];
  });
  MmaFragArgs f{m.a.data(), m.b.data(), m.c.data(), m.d.data(), MatPrecision::TF32};
  launch_emulated(1, 32, 0, [&](EmuExec& ex) { mma_fragments_body(ex, f); });
  CHECK(d == m.d);
  // a partial warp (lanes 32..39 of 40 threads)
  std::vector<uint32_t> a2(40 * 4, 0u), b2(40 * 2, 0u);
  std::vector<float> c2(40 * 4, 0.f), d2(40 * 4);
  MmaFragArgs f2{a2.data(), b2.data(), c2.data(), d2.data(), MatPrecision::BF16};
  CHECK_THROWS_WITH(launch_emulated(1, 40, 0, [&](EmuExec& ex) { mma_fragments_body(ex, f2); }),
                    Catch::Contains("full warp"));
  // a tf32 operand that is not a tf32 value
  m.a[7] |= 1u;
  CHECK_THROWS_WITH(launch_emulated(1, 32, 0, [&](EmuExec& ex) { mma_fragments_body(ex, f); }),
                    Catch::Contains("tf32"));
  // lanes of one warp mixing an mma with a shuffle
  CHECK_THROWS_WITH(launch_emulated(1, 32, 0,
                                    [&](EmuExec& ex) {
                                      if (ex.tid() == 5) (void)ex.shfl(1.f, 0);
                                      else mma_fragments_body(ex, f2);
                                    }),
                    Catch::Contains("mixed"));
}

TEST_CASE("emulated shfl reads the value of any lane, waiting for all lanes", "[emu][mma]") {
  for (int T : {32, 64, 45}) {
    std::vector<int> out(size_t(T), -1);
    launch_emulated(1, T, 0, [&](EmuExec& ex) {
      const int lanes = std::min(32, ex.nthreads() - ex.tid() / 32 * 32), lane = ex.tid() % 32;
      const int src = (lane * 7 + 3) % lanes;
      out[size_t(ex.tid())] = ex.shfl(ex.tid() * 10, src);
    });
    for (int t = 0; t < T; ++t) {
      const int w0 = t / 32 * 32, lanes = std::min(32, T - w0);
      REQUIRE(out[size_t(t)] == (w0 + ((t % 32) * 7 + 3) % lanes) * 10);
    }
  }
  CHECK_THROWS_WITH(launch_emulated(1, 40, 0, [](EmuExec& ex) { (void)ex.shfl(ex.tid(), 9); }),
                    Catch::Contains("outside"));
}

// ---- the network passes ---------------------------------------------------------------------
namespace {

// fp64 reference of the same forward and backward (gradients of Σ_b dy_b · y_b).
struct RefRun {
  std::vector<double> y, dx, g, de;
};

RefRun reference(const NetShape& s, const std::vector<float>& pf, const std::vector<float>& e,
                 const std::vector<float>& x, const std::vector<float>& dy, int nb, int TB) {
  const int d = s.d, W = s.W, L = s.L;
  const std::vector<double> p(pf.begin(), pf.end());
  RefRun r;
  r.y.assign(size_t(d) * TB, 0);
  r.dx.assign(size_t(d) * TB, 0);
  r.g.assign(p.size(), 0);
  r.de.assign(size_t(W), 0);
  for (int b = 0; b < nb; ++b) {
    std::vector<std::vector<double>> z(size_t(L + 1), std::vector<double>(size_t(W))), h = z;
    for (int o = 0; o < W; ++o) {
      double acc = p[s.off_inb() + o] + e[size_t(o)];
      for (int k = 0; k < d; ++k) acc += p[s.off_inw() + size_t(o) * d + k] * x[size_t(k) * TB + b];
      z[0][size_t(o)] = acc;
      h[0][size_t(o)] = gelu_forward(acc);
    }
    for (int l = 0; l < L; ++l)
      for (int o = 0; o < W; ++o) {
        double acc = p[s.off_hb(l) + o];
        for (int i = 0; i < W; ++i) acc += p[s.off_hw(l) + size_t(o) * W + i] * h[size_t(l)][size_t(i)];
        z[size_t(l + 1)][size_t(o)] = acc;
        h[size_t(l + 1)][size_t(o)] = gelu_forward(acc);
      }
    for (int k = 0; k < d; ++k) {
      double acc = p[s.off_outb() + k];
      for (int i = 0; i < W; ++i) acc += p[s.off_outw() + size_t(k) * W + i] * h[size_t(L)][size_t(i)];
      r.y[size_t(k) * TB + b] = acc;
    }
    // backward
    std::vector<double> dh(size_t(W), 0.0), dz(size_t(W), 0.0);
    for (int k = 0; k < d; ++k) {
      const double v = dy[size_t(k) * TB + b];
      r.g[s.off_outb() + k] += v;
      for (int i = 0; i < W; ++i) {
        r.g[s.off_outw() + size_t(k) * W + i] += v * h[size_t(L)][size_t(i)];
        dh[size_t(i)] += p[s.off_outw() + size_t(k) * W + i] * v;
      }
    }
    for (int l = L; l >= 1; --l) {
      for (int o = 0; o < W; ++o) dz[size_t(o)] = dh[size_t(o)] * gelu_backward(z[size_t(l)][size_t(o)]);
      std::fill(dh.begin(), dh.end(), 0.0);
      for (int o = 0; o < W; ++o) {
        r.g[s.off_hb(l - 1) + o] += dz[size_t(o)];
        for (int i = 0; i < W; ++i) {
          r.g[s.off_hw(l - 1) + size_t(o) * W + i] += dz[size_t(o)] * h[size_t(l - 1)][size_t(i)];
          dh[size_t(i)] += p[s.off_hw(l - 1) + size_t(o) * W + i] * dz[size_t(o)];
        }
      }
    }
    for (int o = 0; o < W; ++o) {
      const double v = dh[size_t(o)] * gelu_backward(z[0][size_t(o)]);
      r.g[s.off_inb() + o] += v;
      r.de[size_t(o)] += v;
      for (int k = 0; k < d; ++k) {
        r.g[s.off_inw() + size_t(o) * d + k] += v * x[size_t(k) * TB + b];
        r.dx[size_t(k) * TB + b] += p[s.off_inw() + size_t(o) * d + k] * v;
      }
    }
  }
  return r;
}

// max |a − b| / max |b| over the valid entries (columns b < nb of d×TB arrays; the MLP part of g).
double rel_cols(const std::vector<float>& a, const std::vector<double>& r, int rows, int nb, int TB) {
  double sc = 1e-300, w = 0;
  for (int k = 0; k < rows; ++k)
    for (int b = 0; b < nb; ++b) {
      sc = std::max(sc, std::fabs(r[size_t(k) * TB + b]));
      w = std::max(w, std::fabs(double(a[size_t(k) * TB + b]) - r[size_t(k) * TB + b]));
    }
  return w / sc;
}
double rel_range(const std::vector<float>& a, const std::vector<double>& r, size_t lo, size_t hi) {
  double sc = 1e-300, w = 0;
  for (size_t i = lo; i < hi; ++i) {
    sc = std::max(sc, std::fabs(r[i]));
    w = std::max(w, std::fabs(double(a[i]) - r[i]));
  }
  return w / sc;
}
bool same_cols(const std::vector<float>& a, const std::vector<float>& b, int rows, int nb, int TB) {
  for (int k = 0; k < rows; ++k)
    for (int j = 0; j < nb; ++j)
      if (!(a[size_t(k) * TB + j] == b[size_t(k) * TB + j])) return false;
  return true;
}
bool same_range(const std::vector<float>& a, const std::vector<float>& b, size_t lo, size_t hi) {
  for (size_t i = lo; i < hi; ++i)
    if (!(a[i] == b[i])) return false;
  return true;
}

// Warp MMAs one forward + backward should issue on the MMA path.
long expected_mmas(const NetShape& s, int nb, MatPrecision p) {
  const int W = s.W, ks = mma_kstep(p), n8 = (nb + 7) / 8, nk = (nb + ks - 1) / ks;
  const long fwd = long(W / 16) * n8 * (W / ks);
  const long gw = long(W / 16) * (W / 8) * nk;
  return long(s.L) * (fwd + gw + fwd);
}

}  // namespace

TEST_CASE("mlp tile passes on warp MMAs: tf32 / bf16 against fp64 and the operand_dot path", "[emu][mma]") {
  struct Case {
    int d, W, L, TB, nb, threads;
  };
  const Case cases[] = {{2, 16, 2, 8, 8, 64},   {2, 16, 2, 8, 5, 64},    {3, 16, 1, 3, 3, 40},
                        {3, 32, 2, 16, 16, 96}, {3, 32, 2, 16, 11, 40},  {2, 128, 3, 16, 16, 256},
                        {2, 128, 3, 16, 9, 256}, {2, 128, 3, 8, 3, 128}, {2, 48, 2, 16, 13, 128}};
  for (const Case& cs : cases) {
    const NetShape s{cs.d, cs.W, cs.L};
    std::vector<float> p(s.n_params());
    init_params(s, p.data(), 29, 0, 0.5);
    std::mt19937 rng(uint32_t(cs.W * 100 + cs.nb));
    std::normal_distribution<float> nd(0.f, 1.f);
    std::vector<float> e(size_t(cs.W)), x(size_t(cs.d) * cs.TB, NAN), dy(size_t(cs.d) * cs.TB, NAN);
    for (float& v : e) v = 0.3f * nd(rng);
    for (int k = 0; k < cs.d; ++k)
      for (int b = 0; b < cs.nb; ++b) {
        x[size_t(k) * cs.TB + b] = 1.5f * nd(rng);
        dy[size_t(k) * cs.TB + b] = nd(rng);
      }
    const RefRun ref = reference(s, p, e, x, dy, cs.nb, cs.TB);
    const size_t lo = s.off_inw(), hi = s.n_params();
    for (MatPrecision prec : {MatPrecision::TF32, MatPrecision::BF16}) {
      const TileRun mm = test::run_tile(s, p.data(), e, x, dy, cs.nb, cs.TB, cs.threads, prec);
      const TileRun od = test::run_tile(s, p.data(), e, x, dy, cs.nb, cs.TB, 16, prec);  // < 32 threads: operand_dot
      // about four unit roundoffs of the operands (tf32 2^-11, bf16 2^-8): measured up to 1.2e-3
      // (tf32, de at W = 48) and 7e-3 (bf16)
      const double tol = prec == MatPrecision::TF32 ? 2e-3 : 2e-2;
      const double ey = rel_cols(mm.y, ref.y, cs.d, cs.nb, cs.TB), edx = rel_cols(mm.dx, ref.dx, cs.d, cs.nb, cs.TB);
      const double eg = rel_range(mm.g, ref.g, lo, hi), ede = rel_range(mm.de, ref.de, 0, size_t(cs.W));
      double ehid = 0;  // the hidden weight gradients alone (the MMA products)
      for (int l = 0; l < cs.L; ++l)
        ehid = std::max(ehid, rel_range(mm.g, ref.g, s.off_hw(l), s.off_hb(l)));
      std::cout << "[mma] " << mat_precision_name(prec) << " d=" << cs.d << " W=" << cs.W << " L=" << cs.L
                << " TB=" << cs.TB << " nb=" << cs.nb << " threads=" << cs.threads << ": " << mm.mmas
                << " warp MMAs; vs fp64: y " << ey << ", dx " << edx << ", g " << eg << " (hidden W " << ehid
                << "), de " << ede << "\n";
      INFO(mat_precision_name(prec) << " W=" << cs.W << " nb=" << cs.nb << " TB=" << cs.TB);
      CHECK(mm.mmas == expected_mmas(s, cs.nb, prec));
      CHECK(od.mmas == 0);
      CHECK(ey <= tol);
      CHECK(edx <= tol);
      CHECK(eg <= tol);
      CHECK(ede <= tol);
      // the emulated MMA sums in operand_dot's order over exact products: the same numbers
      CHECK(same_cols(mm.y, od.y, cs.d, cs.nb, cs.TB));
      CHECK(same_cols(mm.dx, od.dx, cs.d, cs.nb, cs.TB));
      CHECK(same_range(mm.g, od.g, lo, hi));
      CHECK(mm.de == od.de);
      CHECK(same_range(mm.g, std::vector<float>(p.size(), 0.f), 0, lo));  // embedding part untouched
    }
  }
}

TEST_CASE("mlp tile MMA path: gradients accumulate; fp32 and W % 16 != 0 take no MMA", "[emu][mma]") {
  const NetShape s{2, 32, 2};
  std::vector<float> p(s.n_params());
  init_params(s, p.data(), 5, 1, 0.5);
  const int TB = 8, nb = 6;
  std::vector<float> e(32, 0.1f), x(size_t(2) * TB, NAN), dy(size_t(2) * TB, NAN);
  for (int b = 0; b < nb; ++b) {
    x[size_t(b)] = 0.3f * b - 0.7f;
    x[size_t(TB + b)] = 0.5f - 0.2f * b;
    dy[size_t(b)] = 1.f - 0.25f * b;
    dy[size_t(TB + b)] = 0.1f * b;
  }
  const TileRun one = test::run_tile(s, p.data(), e, x, dy, nb, TB, 64, MatPrecision::BF16);
  const TileRun two = test::run_tile(s, p.data(), e, x, dy, nb, TB, 64, MatPrecision::BF16, 2);
  CHECK(two.mmas == one.mmas + s.L * (2 * 4 * 1 + 2 * 1 * 2));  // a second backward: g_W and dh
  for (size_t i = s.off_inw(); i < p.size(); ++i) REQUIRE(two.g[i] == 2.f * one.g[i]);
  for (int o = 0; o < 32; ++o) REQUIRE(two.de[size_t(o)] == 2.f * one.de[size_t(o)]);
  CHECK(test::run_tile(s, p.data(), e, x, dy, nb, TB, 64, MatPrecision::FP32).mmas == 0);
  const NetShape s24{2, 24, 1};
  std::vector<float> p24(s24.n_params());
  init_params(s24, p24.data(), 5, 1, 0.5);
  CHECK(test::run_tile(s24, p24.data(), std::vector<float>(24, 0.f), x, dy, nb, TB, 64, MatPrecision::TF32).mmas == 0);
}

TEST_CASE("fp32 weight gradient: 8x4 outputs per thread give the numbers of 4x4, with fewer loads", "[emu][mma]") {
  // W = 128 at 256 threads takes 8 outputs × 4 inputs per thread (mlp_grad_rb), at 544 threads
  // 4 × 4: every element is the same ascending sum over the samples, so the same bits; and
  // against fp64 (the fp32 path's rounding only)
  const NetShape s{2, 128, 2};
  REQUIRE(mlp_grad_rb(128, 256) == 8);
  REQUIRE(mlp_grad_rb(128, 544) == 4);
  REQUIRE(mlp_grad_rb(64, 256) == 4);
  std::vector<float> p(s.n_params());
  init_params(s, p.data(), 31, 0, 0.5);
  const int TB = tile_stride(38), nb = 37;  // a partial last sample group
  std::mt19937 rng{7u};
  std::normal_distribution<float> nd(0.f, 1.f);
  std::vector<float> e(128), x(size_t(2) * TB, NAN), dy(size_t(2) * TB, NAN);
  for (float& v : e) v = 0.3f * nd(rng);
  for (int k = 0; k < 2; ++k)
    for (int b = 0; b < nb; ++b) {
      x[size_t(k) * TB + b] = 1.5f * nd(rng);
      dy[size_t(k) * TB + b] = nd(rng);
    }
  emu::Counts c8, c4;
  const TileRun r8 = test::run_tile(s, p.data(), e, x, dy, nb, TB, 256, MatPrecision::FP32, 1, &c8);
  const TileRun r4 = test::run_tile(s, p.data(), e, x, dy, nb, TB, 544, MatPrecision::FP32, 1, &c4);
  CHECK(r8.g == r4.g);
  CHECK(same_cols(r8.dx, r4.dx, 2, nb, TB));
  CHECK(same_cols(r8.y, r4.y, 2, nb, TB));
  std::cout << "[mma] fp32 W=128 nb=37: shared loads " << c8.shared_ld << " (8x4 weight gradient) against "
            << c4.shared_ld << " (4x4)\n";
  CHECK(c8.shared_ld < c4.shared_ld);
  const RefRun ref = reference(s, p, e, x, dy, nb, TB);
  double eh = 0;
  for (int l = 0; l < s.L; ++l) eh = std::max(eh, rel_range(r8.g, ref.g, s.off_hw(l), s.off_hb(l)));
  INFO("hidden weight gradients vs fp64: " << eh);
  CHECK(eh < 1e-5);
}

TEST_CASE("fp32 tile pass at odd W (output pairs and a last single output) against fp64", "[emu][mma]") {
  // the first layer and the output layer's dh take outputs in pairs, the last alone at odd W;
  // d = 2 and 3 (at W = 13 W_in is not 16-byte aligned: element loads; the 16-byte pair loads are
  // in the W = 128 cases above, against fp64 and across thread counts)
  for (int d : {2, 3}) {
    const NetShape s{d, 13, 2};
    std::vector<float> p(s.n_params());
    init_params(s, p.data(), 17, 0, 0.5);
    const int TB = tile_stride(16), nb = 14;
    std::mt19937 rng{uint32_t(d)};
    std::normal_distribution<float> nd(0.f, 1.f);
    std::vector<float> e(13), x(size_t(d) * TB, NAN), dy(size_t(d) * TB, NAN);
    for (float& v : e) v = 0.3f * nd(rng);
    for (int k = 0; k < d; ++k)
      for (int b = 0; b < nb; ++b) {
        x[size_t(k) * TB + b] = 1.5f * nd(rng);
        dy[size_t(k) * TB + b] = nd(rng);
      }
    const TileRun r = test::run_tile(s, p.data(), e, x, dy, nb, TB, 64, MatPrecision::FP32);
    const RefRun ref = reference(s, p, e, x, dy, nb, TB);
    const double ey = rel_cols(r.y, ref.y, d, nb, TB), edx = rel_cols(r.dx, ref.dx, d, nb, TB);
    const double eg = rel_range(r.g, ref.g, s.off_inw(), s.n_params()), ede = rel_range(r.de, ref.de, 0, 13);
    INFO("d=" << d << ": y " << ey << ", dx " << edx << ", g " << eg << ", de " << ede);
    CHECK(ey < 1e-5);
    CHECK(edx < 1e-5);
    CHECK(eg < 1e-5);
    CHECK(ede < 1e-5);
  }
}
