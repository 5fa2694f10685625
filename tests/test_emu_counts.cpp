// The block emulator's counts for the cost model (kernels/emu/emu_counts.h, launch_emulated_counted)
// on tiny bodies whose counts are known by hand: shared-memory wavefronts (conflict-free, 2-way,
// 16- and 32-way conflicts, a broadcast, 8-byte accesses per half-warp), global sectors and lines
// (coalesced against strided), warp instructions of divergent lanes, FMAs, barriers, shuffles and
// MMAs, block sampling (only the counted blocks run) and footprints; the tile stride (no conflicts
// in the weight-gradient loops at the odd stride, the same numbers as at stride TB); and that counting leaves a
// kernel's numbers unchanged (a body, and the emulated backend's loss and gradients with every
// block counted, bit for bit), with every launch of the iteration in the log.
#include <catch2/catch.hpp>

#include <cmath>
#include <iostream>
#include <cstring>
#include <vector>

#include "engine/backend.h"
#include "kernels/cuda/optim_bodies.h"
#include "kernels/emu/block_emulator.h"
#include "tests/emu_run.h"
#include "tests/sweep_setup.h"
#include "tests/tile_run.h"

using namespace df;

namespace {

// One warp (or nthreads threads) of one block reading shared float index(tid) once.
template <class Index> emu::Counts shared_read(int nthreads, Index index) {
  const emu::LaunchCounts lc = launch_emulated_counted(1, nthreads, 4096 * sizeof(float), 1, [&](EmuExec& ex) {
    float* s = ex.shared<float>();
    volatile float v = ex.ld(s, index(ex.tid()));
    (void)v;
  });
  return lc.sum;
}

// One forward and backward pass (test::run_tile) of a tile of nb samples whose shared arrays
// have rows of ts floats (one block of 256 threads), counted; the gradient it gives and dx (the
// nb valid columns, [k·nb + b], so that strides compare). p: the drift's parameters (su.pf's
// values; a copy at an address that is not 16-byte aligned makes the hidden layers' dh take the
// one-output loop instead of the 16-byte weight loads); transposed false: the fp32 forward
// without NetView::wt (one output per thread); packed false: bf16's MMAs gather their operands
// from the fp32 arrays instead of the packed copies.
struct TileCount {
  emu::Counts c;
  std::vector<float> g, dx;
};
TileCount tile_pass_counted(const test::SweepSetup& su, int nb, int ts, const float* p,
                            MatPrecision prec = MatPrecision::FP32, bool transposed = true, bool packed = true) {
  const int d = su.s.d;
  std::vector<float> x(size_t(d) * ts, NAN), dy(size_t(d) * ts, NAN);
  for (int k = 0; k < d; ++k)
    for (int b = 0; b < nb; ++b) {
      x[size_t(k) * ts + b] = su.x0[size_t(b) * d + k];
      dy[size_t(k) * ts + b] = 0.5f - su.x0[size_t(b) * d + k];
    }
  TileCount r;
  const test::TileRun t =
      test::run_tile(su.s, p, std::vector<float>(size_t(su.s.W), 0.25f), x, dy, nb, ts, 256, prec, 1, &r.c, transposed,
                     false, packed);
  r.g = t.g;
  for (int k = 0; k < d; ++k)
    for (int b = 0; b < nb; ++b) r.dx.push_back(t.dx[size_t(k) * ts + b]);
  return r;
}

}  // namespace

TEST_CASE("counts: the tile stride removes the weight-gradient bank conflicts", "[emu][counts]") {
  // lane i of a weight-gradient loop reads sample b of row i: at a row stride of 16 floats the
  // 32 lanes of a warp share 2 banks (16-way); the layout's odd stride spreads them over 32
  test::SweepSetup su(2, 32, 2, 16, 1, 5, 6, NoiseKey{1, 1});
  CHECK(tile_stride(16) == 17);
  CHECK(tile_stride(8) == 9);
  CHECK(tile_stride(3) == 3);
  CHECK(tile_layout(2, 32, 2, 16).ts == 17);
  const TileCount even = tile_pass_counted(su, 16, 16, su.pf.data()),
                  odd = tile_pass_counted(su, 16, tile_stride(16), su.pf.data());
  const double we = double(even.c.shared_wavefronts) / double(even.c.shared_ld + even.c.shared_st);
  const double wo = double(odd.c.shared_wavefronts) / double(odd.c.shared_ld + odd.c.shared_st);
  INFO("wavefronts per shared instruction: stride 16 " << we << ", stride 17 " << wo);
  // the same accesses laid out differently, except that at the even stride the 16-byte-aligned
  // rows let the bias sums and the input and output layers' row reads take 16-byte loads
  // (operand_dot_a4): fewer instructions, never more
  CHECK(even.c.shared_ld < odd.c.shared_ld);
  CHECK(we > 2.0);
  CHECK(wo < 1.5);
  CHECK(even.g == odd.g);  // and the same numbers
  CHECK(even.dx == odd.dx);
}

TEST_CASE("counts: the tensor-core strides remove the fragment gathers' bank conflicts", "[emu][counts]") {
  // the MMAs' fragments have lanes read 4 (B: rows 2t or t at column g) or 8 rows (the weight
  // gradient: row g at column 2t or t) at once, and their accumulators are stored by 4 rows per
  // half-warp: fewer shared wavefronts at 24 (≡ 8 mod 16) than at 17
  CHECK(tile_stride(16, 128, MatPrecision::BF16) == 24);
  CHECK(tile_stride(16, 128, MatPrecision::TF32) == 24);
  CHECK(tile_stride(16, 128, MatPrecision::FP32) == 17);
  CHECK(tile_stride(16, 24, MatPrecision::BF16) == 17);  // W % 16 != 0: the fp32 loops
  CHECK(tile_stride(38, 128, MatPrecision::BF16) == 40);
  CHECK(tile_stride(8, 32, MatPrecision::BF16) == 8);
  CHECK(tile_stride(8, 32, MatPrecision::TF32) == 8);
  CHECK(tile_stride(3, 32, MatPrecision::TF32) == 8);
  CHECK(tile_layout(2, 32, 2, 16, MatPrecision::BF16).ts == 24);
  // W = 128 (the PERF.md width), where the hidden layers' MMAs dominate the pass
  test::SweepSetup su(2, 128, 1, 16, 1, 5, 6, NoiseKey{1, 1});
  for (MatPrecision prec : {MatPrecision::TF32, MatPrecision::BF16}) {
    // (bf16 through the fp32 gathers: with the packed copies its strides do not matter, below)
    const TileCount odd = tile_pass_counted(su, 16, 17, su.pf.data(), prec, true, false);
    const TileCount mma = tile_pass_counted(su, 16, tile_stride(16, 128, prec), su.pf.data(), prec, true, false);
    const double wo = double(odd.c.shared_wavefronts) / double(odd.c.shared_ld + odd.c.shared_st);
    const double wm = double(mma.c.shared_wavefronts) / double(mma.c.shared_ld + mma.c.shared_st);
    INFO(mat_precision_name(prec) << ": wavefronts per shared instruction " << wo << " at 17, " << wm << " at "
                                  << tile_stride(16, 128, prec));
    CHECK(mma.c.shared_ld < odd.c.shared_ld);  // 16-byte row loads at 20 (above), the same otherwise
    // measured: bf16 0.75, tf32 0.92 (0.62 and 0.96 at the earlier stride 20, ≡ 4 mod 8, whose
    // bf16 gathers were conflict-free: bf16 takes the packed copies in the sweeps, below)
    CHECK(wm < (prec == MatPrecision::BF16 ? 0.8 : 0.95) * wo);
    CHECK(mma.g == odd.g);
    CHECK(mma.dx == odd.dx);
    // against ts = 20 on the sweeps' path (bf16 packed): the accumulators' 8-byte stores are
    // conflict-free at 24, 2-way at 20
    const TileCount s20 = tile_pass_counted(su, 16, 20, su.pf.data(), prec, true, true);
    const TileCount s24 = tile_pass_counted(su, 16, tile_stride(16, 128, prec), su.pf.data(), prec, true, true);
    INFO("shared wavefronts at 20: " << s20.c.shared_wavefronts << ", at 24: " << s24.c.shared_wavefronts);
    std::cout << "[counts] " << mat_precision_name(prec) << " W=128: shared wavefronts " << s24.c.shared_wavefronts
              << " at ts = 24 against " << s20.c.shared_wavefronts << " at 20\n";
    CHECK(s24.c.shared_wavefronts < s20.c.shared_wavefronts);
    CHECK(s24.g == s20.g);
    CHECK(s24.dx == s20.dx);
  }
}

TEST_CASE("counts: bf16 MMA operands from the packed copies: same numbers, fewer shared wavefronts", "[emu][counts]") {
  // the forward's h, dz and h_{l-1} as bf16 pairs (one word per fragment register, conflict-free
  // strides) against the element-by-element gathers of the fp32 arrays; W = 128 and W = 48
  // (the weight gradient's last warp tile has two 16x8 parts), nb = 16 and 11 (a partial pair)
  for (int W : {128, 48})
    for (int nb : {16, 11}) {
      test::SweepSetup su(2, W, 2, 16, 1, 5, 6, NoiseKey{1, 1});
      const int ts = tile_stride(16, W, MatPrecision::BF16);
      const TileCount pk = tile_pass_counted(su, nb, ts, su.pf.data(), MatPrecision::BF16, true, true);
      const TileCount gt = tile_pass_counted(su, nb, ts, su.pf.data(), MatPrecision::BF16, true, false);
      INFO("W=" << W << " nb=" << nb << ": shared wavefronts packed " << pk.c.shared_wavefronts << ", gathered "
                << gt.c.shared_wavefronts << "; shared loads " << pk.c.shared_ld << " and " << gt.c.shared_ld);
      CHECK(pk.g == gt.g);
      CHECK(pk.dx == gt.dx);
      CHECK(pk.c.mma_bf16 == gt.c.mma_bf16);
      CHECK(pk.c.shared_ld < gt.c.shared_ld);
      std::cout << "[counts] bf16 packed operands W=" << W << " nb=" << nb << ": shared wavefronts "
                << pk.c.shared_wavefronts << " against " << gt.c.shared_wavefronts << " gathered\n";
      // measured at ts ≡ 8 mod 16 (the gathers 2-way there): 0.62 (W = 128, nb = 16), 0.72
      // (nb = 11); at W = 48 the packing's extra stores and the dz pass's idle lanes cancel more
      // of what the gathers save (0.75 and 0.91)
      if (W == 128) CHECK(pk.c.shared_wavefronts < (nb == 16 ? 0.7 : 0.8) * gt.c.shared_wavefronts);
    }
}

TEST_CASE("counts: the register-blocked fp32 layers: same numbers, fewer loads", "[emu][counts]") {
  // the same pass with the weights 16-byte aligned and transposed (blocked forward and dh: each
  // 16-byte weight load feeds 4 outputs × 2 samples; a warp's forward weight load is 64
  // consecutive bytes) and at an odd address without the transposed copy (one output per thread
  // there); the weight gradient is blocked in both (its order against operand_dot: test_emu_mma,
  // fewer than 32 threads, against the MMAs' ascending sums)
  test::SweepSetup su(2, 32, 2, 16, 1, 5, 6, NoiseKey{1, 1});
  std::vector<float> buf(su.pf.size() + 4);
  float* mis = buf.data() + 1;
  std::memcpy(mis, su.pf.data(), su.pf.size() * sizeof(float));
  REQUIRE(mlp_vec4_ok(su.pf.data() + su.s.off_hw(0), su.s.W));
  REQUIRE(!mlp_vec4_ok(mis + su.s.off_hw(0), su.s.W));
  for (int nb : {16, 13}) {
    const TileCount blk = tile_pass_counted(su, nb, tile_stride(16), su.pf.data());
    const TileCount one = tile_pass_counted(su, nb, tile_stride(16), mis, MatPrecision::FP32, false);
    INFO("nb " << nb << ": global loads " << blk.c.global_ld << " blocked, " << one.c.global_ld
                << " one output per thread; FMAs " << blk.c.fma_lanes << ", " << one.c.fma_lanes);
    CHECK(blk.g == one.g);
    CHECK(blk.dx == one.dx);
    CHECK(blk.c.fma_lanes >= one.c.fma_lanes);  // the blocked loops compute the padding samples too
    CHECK(2 * blk.c.global_ld < one.c.global_ld);
    CHECK(blk.c.shared_ld < one.c.shared_ld);
  }
}

TEST_CASE("counts: the MMAs read the weights' A fragments in fragment order", "[emu][counts]") {
  // W = 32: the hidden layers on warp MMAs; with NetView::frag (forward W_l and dh W_lᵀ: one
  // 16-byte load per lane and k step) and without (elements gathered from W_l)
  test::SweepSetup su(2, 32, 2, 16, 1, 5, 6, NoiseKey{1, 1});
  for (MatPrecision prec : {MatPrecision::TF32, MatPrecision::BF16})
    for (int nb : {16, 11}) {
      const TileCount frag = tile_pass_counted(su, nb, tile_stride(16), su.pf.data(), prec, true);
      const TileCount elem = tile_pass_counted(su, nb, tile_stride(16), su.pf.data(), prec, false);
      INFO(mat_precision_name(prec) << " nb " << nb << ": global loads " << frag.c.global_ld << " in fragment order, "
                                    << elem.c.global_ld << " without; lines " << frag.c.global_lines << ", "
                                    << elem.c.global_lines);
      CHECK(frag.c.mma_tf32 + frag.c.mma_bf16 == elem.c.mma_tf32 + elem.c.mma_bf16);
      CHECK(frag.c.mma_tf32 + frag.c.mma_bf16 > 0);
      CHECK(frag.c.global_ld < elem.c.global_ld);  // the whole pass: input and output layers too
      CHECK(2 * frag.c.global_lines < elem.c.global_lines);
      CHECK(frag.g == elem.g);
      CHECK(frag.dx == elem.dx);
    }
}

TEST_CASE("counts: the MMA weight gradient adds a lane's four outputs as one 16-byte access", "[emu][counts]") {
  // a slice 16-byte aligned (one 16-byte reduction per lane and 16x8 tile, in accumulator order)
  // and 4 bytes off (four scalar reductions): the same numbers, fewer global instructions and
  // 128-byte lines; neither loads the slice (ex.red)
  test::SweepSetup su(2, 32, 2, 16, 1, 5, 6, NoiseKey{1, 1});
  const int ts = tile_stride(16), d = su.s.d, nb = 13;
  std::vector<float> x(size_t(d) * ts, NAN), dy(size_t(d) * ts, NAN);
  for (int k = 0; k < d; ++k)
    for (int b = 0; b < nb; ++b) {
      x[size_t(k) * ts + b] = su.x0[size_t(b) * d + k];
      dy[size_t(k) * ts + b] = 0.5f - su.x0[size_t(b) * d + k];
    }
  const std::vector<float> e(size_t(su.s.W), 0.25f);
  emu::Counts pc, sc;
  const test::TileRun quad = test::run_tile(su.s, su.pf.data(), e, x, dy, nb, ts, 256, MatPrecision::BF16, 2, &pc);
  const test::TileRun one =
      test::run_tile(su.s, su.pf.data(), e, x, dy, nb, ts, 256, MatPrecision::BF16, 2, &sc, true, true);
  INFO("global stores " << pc.global_st << " with quads, " << sc.global_st << " without; lines " << pc.global_lines
                        << " and " << sc.global_lines);
  CHECK(quad.g == one.g);
  CHECK(quad.mmas == one.mmas);
  // W = 32, L = 2, 2 repeats: 2·2·(32·32/128) = 32 tiles of 16x8, each 3 warp reductions fewer
  // (one 16-byte reduction instead of four); the rest of the backward is the same, and its global
  // loads (parameters, fragments) are those of the forward and dh alone
  CHECK(sc.global_st - pc.global_st == 3 * 2 * 2 * (32 * 32 / 128));
  CHECK(sc.global_ld == pc.global_ld);
  CHECK(pc.global_lines < sc.global_lines);
}

TEST_CASE("counts: shared-memory wavefronts and bank conflicts", "[emu][counts]") {
  const auto c1 = shared_read(32, [](int t) { return t; });  // consecutive words: conflict-free
  CHECK(c1.shared_ld == 1);
  CHECK(c1.shared_wavefronts == 1);
  CHECK(c1.global_ld == 0);
  const auto c2 = shared_read(32, [](int t) { return 2 * t; });  // lanes t and t+16 share a bank
  CHECK(c2.shared_wavefronts == 2);
  const auto c16 = shared_read(32, [](int t) { return 16 * t; });  // banks 0 and 16, 16 words each
  CHECK(c16.shared_wavefronts == 16);
  const auto c32 = shared_read(32, [](int t) { return 32 * t; });  // one bank, 32 words
  CHECK(c32.shared_wavefronts == 32);
  const auto cb = shared_read(32, [](int) { return 5; });  // one word: a broadcast
  CHECK(cb.shared_wavefronts == 1);
  const auto cp = shared_read(32, [](int t) { return t / 2; });  // pairs share a word
  CHECK(cp.shared_wavefronts == 1);
  const auto c3 = shared_read(32, [](int t) { return (t % 4) * 32; });  // 4 distinct words in bank 0
  CHECK(c3.shared_wavefronts == 4);
  // 8-byte accesses: two half-warps of 16 lanes × 2 words, conflict-free within each
  const emu::LaunchCounts d = launch_emulated_counted(1, 32, 64 * sizeof(double), 1, [&](EmuExec& ex) {
    double* s = ex.shared<double>();
    ex.st(s, ex.tid(), 1.0);                 // 2 wavefronts
    volatile double v = ex.ld(s, 2 * (ex.tid() % 16));  // stride 2 doubles: 2-way within a half: 2 + 2
    (void)v;
  });
  CHECK(d.sum.shared_st == 1);
  CHECK(d.sum.shared_ld == 1);
  CHECK(d.sum.shared_wavefronts == 2 + 4);
}

TEST_CASE("counts: the bias sums' rows 4..7 of every 8 one chunk behind: conflict-free 16-byte reads, the same sums",
          "[emu][counts]") {
  // 32 lanes, lane o summing row o of n floats in rows of ts = 40 (≡ 8 mod 16, the MMA paths'
  // stride): without the stagger a quarter-warp's rows o and o + 4 share a group of 4 banks (8
  // wavefronts per 16-byte instruction); with it (lanes 4..7 of every 8 a chunk behind) 4, for
  // one round more (n = 38: 9 chunks and an 8-byte tail, the sweeps' tile; n = 32: 8 chunks, the
  // fewest that take it); under 8 chunks (n = 28) it is not taken. The same sums bit for bit.
  for (int n : {38, 32, 28}) {
    const int ts = 40, nc = n / 4;
    const bool takes = nc >= 8;
    std::vector<float> sum[2];
    emu::Counts c[2];
    for (int lagged = 0; lagged < 2; ++lagged) {
      sum[lagged].assign(32, 0.f);
      c[lagged] = launch_emulated_counted(1, 32, size_t(32 * ts) * sizeof(float), 1, [&](EmuExec& ex) {
                    float* sm = ex.shared<float>();
                    const int o = ex.tid();
                    for (int b = 0; b < ts; ++b)
                      ex.st(sm, o * ts + b, 0.37f * float(b + 1) - 0.11f * float(o) + 1e-3f * float(b * b));
                    ex.sync();
                    sum[lagged][size_t(o)] = row_sum_a4(ex, sm + o * ts, n, true, lagged == 1);
                  }).sum;
    }
    INFO("n=" << n);
    CHECK(sum[0] == sum[1]);
    const int tail = n % 4 >= 2 ? 1 : 0;  // the 8-byte tail, the same in both
    CHECK(c[0].shared_ld == nc + tail);
    CHECK(c[1].shared_ld == nc + tail + (takes ? 1 : 0));
    // the fill and the tail are the same in both: the difference is the chunks' wavefronts
    CHECK(c[0].shared_wavefronts - c[1].shared_wavefronts == (takes ? 8 * nc - 4 * (nc + 1) : 0));
  }
}

TEST_CASE("counts: global sectors, lines and bytes", "[emu][counts]") {
  alignas(128) static float g[32 * 64];
  const emu::LaunchCounts co = launch_emulated_counted(1, 32, 0, 1, [&](EmuExec& ex) {
    volatile float v = ex.ld(g, ex.tid());  // 128 contiguous, aligned bytes
    (void)v;
  });
  CHECK(co.sum.global_ld == 1);
  CHECK(co.sum.global_bytes == 128);
  CHECK(co.sum.global_sectors == 4);
  CHECK(co.sum.global_lines == 1);
  CHECK(co.sum.l2_sectors == 4);
  CHECK(co.sum.footprint_sectors == 4);
  CHECK(co.sum.shared_ld == 0);
  const emu::LaunchCounts st = launch_emulated_counted(1, 32, 0, 1, [&](EmuExec& ex) {
    volatile float v = ex.ld(g, 32 * ex.tid());  // one float per line
    (void)v;
    volatile float w = ex.ld(g, 0);  // every lane the same float
    (void)w;
  });
  CHECK(st.sum.global_ld == 2);
  CHECK(st.sum.global_bytes == 2 * 128);
  CHECK(st.sum.global_sectors == 32 + 1);
  CHECK(st.sum.global_lines == 32 + 1);
  CHECK(st.sum.l2_sectors == 32);  // the second load's sector was loaded before: an L1 hit
  CHECK(st.sum.footprint_sectors == 32);  // the broadcast's sector is among the 32
  // ex.add: a load and a store of the same sectors
  alignas(128) static float acc[64];
  const emu::LaunchCounts ad = launch_emulated_counted(1, 64, 0, 1, [&](EmuExec& ex) { ex.add(acc, ex.tid(), 1.f); });
  CHECK(ad.sum.global_ld == 2);  // one per warp
  CHECK(ad.sum.global_st == 2);
  CHECK(ad.sum.global_sectors == 4 * 4);
  CHECK(ad.sum.l2_sectors == 4 * 4);  // stores always reach L2
  // a sector loaded again after a barrier reaches L2 again
  const emu::LaunchCounts re = launch_emulated_counted(1, 32, 0, 1, [&](EmuExec& ex) {
    volatile float v = ex.ld(g, ex.tid());
    ex.sync();
    v = ex.ld(g, ex.tid());
    v = ex.ld(g, 31 - ex.tid());
    (void)v;
  });
  CHECK(re.sum.global_sectors == 3 * 4);
  CHECK(re.sum.l2_sectors == 2 * 4);
  CHECK(acc[63] == 1.f);
  // ex.red: a reduction in memory, one store instruction and no load, for a float and for a
  // Float4 (four floats added element by element)
  alignas(128) static float rf[64 + 4 * 32];
  for (int i = 0; i < 64 + 4 * 32; ++i) rf[i] = float(i);
  const emu::LaunchCounts rd = launch_emulated_counted(1, 64, 0, 1, [&](EmuExec& ex) {
    ex.red(rf, ex.tid(), 0.5f);
    if (ex.tid() < 32)
      ex.red(reinterpret_cast<Float4*>(rf + 64), ex.tid(), Float4{{1.f, 2.f, 3.f, 4.f}});  // 512 bytes
  });
  CHECK(rd.sum.global_ld == 0);
  CHECK(rd.sum.global_st == 2 + 1);
  CHECK(rd.sum.global_bytes == 64 * 4 + 32 * 16);
  CHECK(rd.sum.global_sectors == 2 * 4 + 16);
  CHECK(rd.sum.global_lines == 2 + 4);
  CHECK(rd.sum.l2_sectors == 2 * 4 + 16);
  CHECK(rf[0] == 0.5f);
  CHECK(rf[63] == 63.5f);
  CHECK(rf[64] == 65.f);    // element 0 of lane 0's Float4: + 1
  CHECK(rf[67] == 71.f);    // element 3: + 4
  CHECK(rf[191] == 195.f);  // element 3 of lane 31's
  // the device's vector reductions take global memory only: on shared memory the emulator throws
  CHECK_THROWS_WITH(launch_emulated(1, 32, 64 * sizeof(float),
                                    [&](EmuExec& ex) {
                                      ex.red(ex.shared<Float4>(), ex.tid() % 16, Float4{{1.f, 1.f, 1.f, 1.f}});
                                    }),
                    Catch::Contains("vector reduction on shared memory"));
}

TEST_CASE("counts: divergent lanes, FMAs, barriers, shuffles", "[emu][counts]") {
  // 40 threads (a partial warp of 8), grid-stride loop over 50 elements: warp 0 makes two
  // instructions (32 lanes, then lanes 0..9), warp 1 one (lanes 32..39)
  const emu::LaunchCounts lc = launch_emulated_counted(2, 40, 64 * sizeof(float), 2, [&](EmuExec& ex) {
    float* s = ex.shared<float>();
    float acc = 0.f;
    for (int i = ex.tid(); i < 50; i += ex.nthreads()) acc = ex.fma(acc, ex.ld(s, i), 2.f);
    ex.sync();
    for (int k = 0; k < (ex.tid() < 16 ? 5 : 3); ++k) acc = ex.fma(acc, acc, 1.f);  // per warp: 5
    ex.sync();
    ex.sync();
    if (ex.tid() < 32) acc += ex.shfl_xor(acc, 1);
  });
  CHECK(lc.counted_blocks == 2);
  CHECK(lc.sum.shared_ld == 2 * 3);
  CHECK(lc.sum.shared_wavefronts == 2 * 3);
  CHECK(lc.sum.barriers == 2 * 3);
  CHECK(lc.sum.shfl == 2 * 1);
  // FMAs: loop 1 lanes 0..9 two, the rest one (warp 0: 2 instructions, warp 1: 1); loop 2: 16 lanes
  // of five and 24 of three (warp 0: 5, warp 1: 3)
  CHECK(lc.sum.fma_lanes == 2 * (50 + 16 * 5 + 24 * 3));
  CHECK(lc.sum.fma_warp == 2 * ((2 + 1) + (5 + 3)));
}

TEST_CASE("counts: MMAs, block sampling and unchanged results", "[emu][counts]") {
  // one bf16 MMA per warp, 64 threads: 2 MMAs per block; 3 blocks, 2 counted, the third skipped
  std::vector<float> out(3 * 64, -1.f);
  const emu::LaunchCounts lc = launch_emulated_counted(3, 64, 0, 2, [&](EmuExec& ex) {
    const std::uint32_t a[4] = {0, 0, 0, 0}, b[2] = {0, 0};
    const float c[4] = {1.f, 1.f, 1.f, 1.f};
    float d[4];
    ex.mma_bf16_m16n8k16(d, a, b, c);
    out[size_t(ex.bid()) * 64 + ex.tid()] = d[0];
  });
  CHECK(lc.sum.mma_bf16 == 2 * 2);
  CHECK(lc.sum.mma_tf32 == 0);
  CHECK(lc.counted_blocks == 2);
  CHECK(lc.grid == 3);
  CHECK(out[0] == 1.f);
  CHECK(out[64 + 63] == 1.f);
  CHECK(out[128] == -1.f);  // block 2 did not run

  // the sum of squares counted and not: the same bits; its loads are coalesced, one per warp
  alignas(32) static float g[1000];
  for (int i = 0; i < 1000; ++i) g[i] = 0.001f * float(i) - 0.3f;
  alignas(32) static double p1[2], p2[2];
  launch_emulated(2, 96, 96 * sizeof(double), [&](EmuExec& ex) { sq_norm_body(ex, p1, g, 1000); });
  const emu::LaunchCounts sq =
      launch_emulated_counted(2, 96, 96 * sizeof(double), 2, [&](EmuExec& ex) { sq_norm_body(ex, p2, g, 1000); });
  CHECK(std::memcmp(p1, p2, sizeof p1) == 0);
  CHECK(sq.sum.barriers == 2 * 2);
  CHECK(sq.sum.shfl == 2 * 3 * 5);  // 5 butterflies per warp, 3 warps per block
  // 1000 floats over 192 threads: each block's warps read 96 or fewer consecutive floats per pass
  CHECK(sq.sum.global_bytes == 1000 * 4 + 2 * 8);  // the loads and the two partial sums
  CHECK(sq.sum.footprint_sectors == 1000 * 4 / 32 + 1);
}

TEST_CASE("counts: the emulated backend counted and not gives the same bits", "[emu][counts][backend]") {
  test::SweepSetup su(2, 16, 1, 21, 3, 4, 9, NoiseKey{3, 1});
  const std::size_t P = su.s.n_params();
  for (MatPrecision prec : {MatPrecision::FP32, MatPrecision::BF16}) {
    DYNAMIC_SECTION(mat_precision_name(prec)) {
      emu::CountLog log;
      log.count_blocks = 1000;  // every block runs (and is counted)
      BackendOptions o = test::emu_options(test::EmuShape{8, 64, 3}, prec);
      BackendOptions oc = o;
      oc.emu_log = &log;
      test::BackendRun a(make_emu_backend(o)), b(make_emu_backend(oc));
      double loss[2];
      std::vector<float> gf[2], gs[2];
      test::BackendRun* runs[2] = {&a, &b};
      for (int k = 0; k < 2; ++k) {
        test::BackendRun& r = *runs[k];
        Buf &pf = r.up(su.pf), &ps = r.up(su.ps), &x = r.up(su.x0), &g1 = r.zeros(P), &g2 = r.zeros(P);
        loss[k] = r.be->diffflow_loss_grad(g1, g2, pf, ps, su.s, x, 21, su.grid, su.key, 2);
        gf[k] = r.down(g1);
        gs[k] = r.down(g2);
      }
      CHECK(std::memcmp(&loss[0], &loss[1], sizeof(double)) == 0);
      CHECK(gf[0] == gf[1]);
      CHECK(gs[0] == gs[1]);
      // the launch sequence: embedding, the adjoint (each block zeroes its own slice), the
      // reduction (the MLP parts straight into the gradients), the embedding's backward (its part
      // written): no memset, no copy; every kernel counted on all its blocks
      std::vector<std::string> names;
      for (const auto& l : log.launches) names.push_back(l.name);
      const std::vector<std::string> want = {"EmbedK", "AdjointK", "ReduceK", "EmbedPointsK", "EmbedBackwardK"};
      CHECK(names == want);
      for (const auto& l : log.launches) {
        CHECK(l.counted_blocks == l.grid);
        // the reduction and the embedding's per-element adds have no barrier
        CHECK((l.sum.barriers > 0) == (l.name != "ReduceK" && l.name != "EmbedBackwardK"));
        CHECK(l.sum.global_ld > 0);
      }
      const emu::Counts& adj = log.launches[1].sum;  // AdjointK
      CHECK(adj.fma_warp > 0);
      CHECK(adj.shared_wavefronts >= adj.shared_ld + adj.shared_st);
      if (prec == MatPrecision::BF16) CHECK(adj.mma_bf16 > 0);
      else CHECK(adj.mma_bf16 == 0);
    }
  }
}
