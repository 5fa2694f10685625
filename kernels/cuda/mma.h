// Warp-level tensor-core matrix products (mma.sync, sm_80+) for the fused kernels, written over
// the Exec interface: GpuExec (gpu_exec.cuh) issues the PTX instruction, EmuExec
// (kernels/emu/block_emulator.h) runs a scalar emulation with the same operand rounding.
// Compiled by g++ (emulated kernels) and nvcc.
//
// The two Exec operations (one 16×8 output tile per warp; every lane passes its fragments):
//   ex.mma_tf32_m16n8k8(d[4], a[4], b[2], c[4])   D (16×8) = A (16×8) · B (8×8) + C      (=)
//        mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32; a, b are floats that already
//        hold tf32 values (round_tf32: the low 13 bits are 0; the emulator throws otherwise)
//   ex.mma_bf16_m16n8k16(d[4], a[4], b[2], c[4])  D (16×8) = A (16×16) · B (16×8) + C     (=)
//        mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32; a, b are uint32 words of two
//        bf16 each (pack_bf16x2: the lower-index element in the low 16 bits)
// c and d are fp32 accumulators and may be the same array. All 32 lanes of the warp must make
// the call together (warp-uniform control flow, a full warp: the emulator throws in a partial
// warp, the device instruction is undefined there).
//
// Fragment layouts (PTX ISA, "Matrix Fragments for mma.m16n8k8 / m16n8k16"), with the lane's
// group g = lane / 4 and thread-in-group t = lane % 4; (row, col):
//   tf32 m16n8k8   A: a0 (g, t)  a1 (g+8, t)  a2 (g, t+4)  a3 (g+8, t+4)
//                  B: b0 (t, g)  b1 (t+4, g)
//   bf16 m16n8k16  A: a0 {(g, 2t), (g, 2t+1)}      a1 {(g+8, 2t), (g+8, 2t+1)}
//                     a2 {(g, 2t+8), (g, 2t+9)}    a3 {(g+8, 2t+8), (g+8, 2t+9)}
//                  B: b0 {(2t, g), (2t+1, g)}      b1 {(2t+8, g), (2t+9, g)}
//   both, C and D: c0 (g, 2t)  c1 (g, 2t+1)  c2 (g+8, 2t)  c3 (g+8, 2t+1)
// The *_lane_reg functions below are the inverse maps (element → lane, register, half) that the
// emulator uses to gather a warp's fragments.
//
// Emulation (EmuExec): one warp exchange of every lane's fragments, then each lane forms its four
// outputs as s = c; s += a_k·b_k for k = 0, 1, ..., K−1 in fp32. The products of two tf32 or two
// bf16 values are exact in fp32, so this equals operand_dot's sum (precision.h) over the same k
// range bit for bit. The hardware sums the K products of one instruction in an order and with an
// internal precision of its own: device and emulation agree to fp32 summation differences only
// (tests/gpu_test_precision.cpp, never run).
//
// Helpers:
//   pack_bf16x2(lo, hi)             the word of two bf16 values round_bf16(lo), round_bf16(hi)
//   warp_tile_mmar(ex, p, K, areg, ns, nt, breg, acc)  acc[s][j] (16×8, C/D layout) += A_s·B_j
//                  for the ns ≤ kMmaStrips (2) 16-row strips and nt ≤ kMmaParts (5) column tiles
//                  of a warp's 32×40 output, K a multiple of mma_kstep(p): one A fragment per
//                  strip and k step (areg) for all nt tiles, one B fragment per tile and k step
//                  (breg) for all ns strips; one warp
//   warp_tile_mma(ex, p, K, areg, ns, nt, fb, acc)  the same with B_j(k, c) = fb(k, 8j + c)
//                  gathered element by element; warp_tile_mma_gather also gathers A (fa(r, k),
//                  r < 16·ns);
//                  mma_frag_a reads A from memory in fragment order (mma_frag_quad: a lane's four
//                  registers as one 16-byte load), written once per call for the hidden weights
//                  (NetView::frag); fa and fb return fp32 values (0 for padding: nothing outside
//                  the operands' extent may be read), rounded here to p, TF32 or BF16  (+=)
//   mma_c_offset(W, r, c)           where element (r, c) of a W×W matrix sits in accumulator
//                  order (the MMA path's hidden weight gradients)
//   mma_out_row(lane, j), mma_out_col(lane, j)   the (row, col) of accumulator j of a lane
//   mma_fragments_body(ex, args)    one mma per warp on fragments from global memory (device
//                                   against emulator checks, kernels/cuda/mma_check.h)        (=)
#pragma once
#include <stdint.h>

#include "kernels/cuda/precision.h"
#include "kernels/math/df_hd.h"

namespace df {

// k per instruction: 8 (tf32) or 16 (bf16)
DF_HD int mma_kstep(MatPrecision p) { return p == MatPrecision::BF16 ? 16 : 8; }

DF_HD uint32_t pack_bf16x2(float lo, float hi) {
  return (f32_bits(round_bf16(hi)) & 0xFFFF0000u) | (f32_bits(round_bf16(lo)) >> 16);
}
DF_HD float bf16x2_lo(uint32_t w) { return f32_from_bits(w << 16); }
DF_HD float bf16x2_hi(uint32_t w) { return f32_from_bits(w & 0xFFFF0000u); }

// Accumulator j (0..3) of a lane: row g or g+8, column 2t or 2t+1.
DF_HD int mma_out_row(int lane, int j) { return (lane >> 2) + (j >= 2 ? 8 : 0); }
DF_HD int mma_out_col(int lane, int j) { return 2 * (lane & 3) + (j & 1); }

// Inverse maps: which lane and register (and, for bf16, which half: 0 = low 16 bits) hold an
// element of a fragment.
struct MmaSlot {
  int lane, reg, half;
};
DF_HD MmaSlot mma_tf32_a_slot(int row, int k) { return MmaSlot{(row & 7) * 4 + (k & 3), (row >> 3) + 2 * (k >> 2), 0}; }
DF_HD MmaSlot mma_tf32_b_slot(int k, int col) { return MmaSlot{col * 4 + (k & 3), k >> 2, 0}; }
DF_HD MmaSlot mma_bf16_a_slot(int row, int k) {
  return MmaSlot{(row & 7) * 4 + ((k & 7) >> 1), (row >> 3) + 2 * (k >> 3), k & 1};
}
DF_HD MmaSlot mma_bf16_b_slot(int k, int col) { return MmaSlot{col * 4 + ((k & 7) >> 1), k >> 3, k & 1}; }
DF_HD MmaSlot mma_c_slot(int row, int col) { return MmaSlot{(row & 7) * 4 + (col >> 1), 2 * (row >> 3) + (col & 1), 0}; }

// Two floats as one 8-byte access (the weight-gradient adds of a lane's adjacent outputs).
struct alignas(8) Float2 {
  float v[2];
};
// Two 32-bit words as one 8-byte access (adjacent packed operand words).
struct alignas(8) Uint2 {
  uint32_t v[2];
};
// Four 32-bit words as one 16-byte access (a lane's A registers in fragment order).
struct alignas(16) Uint4 {
  uint32_t v[4];
};

// The A registers of lane `lane` for the k step from k0 (mma_kstep(p) columns), A(r, k) = fa(r, k)
// (r < 16): tf32 elements as the bits of round_tf32, bf16 pairs packed (pack_bf16x2).
template <class FA> DF_HD void mma_a_regs(MatPrecision p, int lane, int k0, const FA& fa, uint32_t a[4]) {
  const int g = lane >> 2, t = lane & 3;
  if (p == MatPrecision::BF16) {
    const int k = k0 + 2 * t;
    a[0] = pack_bf16x2(fa(g, k), fa(g, k + 1));
    a[1] = pack_bf16x2(fa(g + 8, k), fa(g + 8, k + 1));
    a[2] = pack_bf16x2(fa(g, k + 8), fa(g, k + 9));
    a[3] = pack_bf16x2(fa(g + 8, k + 8), fa(g + 8, k + 9));
  } else {
    const int k = k0 + t;
    a[0] = f32_bits(round_tf32(fa(g, k)));
    a[1] = f32_bits(round_tf32(fa(g + 8, k)));
    a[2] = f32_bits(round_tf32(fa(g, k + 4)));
    a[3] = f32_bits(round_tf32(fa(g + 8, k + 4)));
  }
}

// The B registers of lane `lane` for the k step from k0, B(k, c) = fb(k, c) (c < 8).
template <class FB> DF_HD void mma_b_regs(MatPrecision p, int lane, int k0, const FB& fb, uint32_t b[2]) {
  const int g = lane >> 2, t = lane & 3;
  if (p == MatPrecision::BF16) {
    const int k = k0 + 2 * t;
    b[0] = pack_bf16x2(fb(k, g), fb(k + 1, g));
    b[1] = pack_bf16x2(fb(k + 8, g), fb(k + 9, g));
  } else {
    b[0] = f32_bits(round_tf32(fb(k0 + t, g)));
    b[1] = f32_bits(round_tf32(fb(k0 + t + 4, g)));
  }
}

// acc += A·B for one k step on registers from mma_a_regs / mma_b_regs.
template <class Exec> DF_HD void mma_step(Exec& ex, MatPrecision p, const uint32_t a[4], const uint32_t b[2], float acc[4]) {
  if (p == MatPrecision::BF16) {
    ex.mma_bf16_m16n8k16(acc, a, b, acc);
    return;
  }
  const float af[4] = {f32_from_bits(a[0]), f32_from_bits(a[1]), f32_from_bits(a[2]), f32_from_bits(a[3])};
  const float bf[2] = {f32_from_bits(b[0]), f32_from_bits(b[1])};
  ex.mma_tf32_m16n8k8(acc, af, bf, acc);
}

// A matrix in A-fragment order (mma_frag_*): for a 16-row strip of A, k step kt holds each lane's
// four registers (mma_a_regs, already rounded to p) as one Uint4 at strip[kt·32 + lane], so a
// warp loads its A fragment as 512 consecutive bytes. A W×W matrix (W % 16 == 0) takes
// mma_frag_quads(p, W) Uint4: strip m (rows 16m ..) starts at m·(W / mma_kstep(p))·32.
DF_HD size_t mma_frag_quads(MatPrecision p, int W) { return size_t(W / 16) * size_t(W / mma_kstep(p)) * 32; }

// Uint4 q of that order for A(r, k) = fa(r, k) (the whole matrix's rows and columns).
template <class FA> DF_HD Uint4 mma_frag_quad(MatPrecision p, int W, size_t q, const FA& fa) {
  const int lane = int(q % 32), nk = W / mma_kstep(p);
  const int tile = int(q / 32), m0 = (tile / nk) * 16, k0 = (tile % nk) * mma_kstep(p);
  Uint4 u;
  mma_a_regs(p, lane, k0, [&](int r, int k) { return fa(m0 + r, k); }, u.v);
  return u;
}

// The most 16×8 tiles a warp's output strip holds: 16×40, so that a tile of up to 40 samples
// takes one A fragment per k step for all its samples (each weight fragment read once per pass).
constexpr int kMmaParts = 5;
// The most 16-row strips of a warp's output: 2, so that every B fragment read serves two A
// fragments (the forward's and dh's activations are read by W / 32 warps instead of W / 16, the
// weight gradient's by W / 32 strips of warps). At W = 128 the forward and dh keep 4 of a block's
// 8 warps busy: fewer shared-memory reads for fewer warps to hide their latency with.
constexpr int kMmaStrips = 2;

// acc[s][j] += A_s·B_j for ns 16-row strips (1 ≤ ns ≤ kMmaStrips) and nt 16×8 tiles of columns
// (1 ≤ nt ≤ kMmaParts), both warp-uniform, over K (a multiple of mma_kstep(p)): areg(s, kt, k0, a)
// puts the lane's A registers of strip s and k step kt (columns k0 ..) in a, once for all nt
// tiles; breg(j, kt, k0, b) the B registers of tile j, once for all ns strips. Each accumulator
// still sums its k steps in ascending order, so the numbers do not depend on ns. (The loops have
// constant bounds, so acc stays in registers on the device.)
template <class Exec, class AR, class BR>
DF_HD void warp_tile_mmar(Exec& ex, MatPrecision p, int K, const AR& areg, int ns, int nt, const BR& breg,
                          float acc[kMmaStrips][kMmaParts][4]) {
  for (int k0 = 0, kt = 0; k0 < K; k0 += mma_kstep(p), ++kt) {
    uint32_t a[kMmaStrips][4] = {};
    for (int s = 0; s < kMmaStrips; ++s) {
      if (s >= ns) break;
      areg(s, kt, k0, a[s]);
    }
    for (int j = 0; j < kMmaParts; ++j) {
      if (j >= nt) break;
      uint32_t b[2];
      breg(j, kt, k0, b);
      for (int s = 0; s < kMmaStrips; ++s) {
        if (s >= ns) break;
        mma_step(ex, p, a[s], b, acc[s][j]);
      }
    }
  }
}
// The same with B_j(k, c) = fb(k, 8j + c) gathered element by element (rounded here).
template <class Exec, class AR, class FB>
DF_HD void warp_tile_mma(Exec& ex, MatPrecision p, int K, const AR& areg, int ns, int nt, const FB& fb,
                         float acc[kMmaStrips][kMmaParts][4]) {
  const int lane = ex.tid() & 31;
  warp_tile_mmar(
      ex, p, K, areg, ns, nt,
      [&](int j, int, int k0, uint32_t b[2]) {
        mma_b_regs(p, lane, k0, [&](int k, int c) { return fb(k, 8 * j + c); }, b);
      },
      acc);
}

// The A registers of k step kt from a strip in fragment order (one 16-byte load per lane).
template <class Exec> DF_HD void mma_frag_a(Exec& ex, const Uint4* strip, int kt, uint32_t a[4]) {
  const Uint4 q = ex.ld(strip, size_t(kt) * 32 + (ex.tid() & 31));
  for (int i = 0; i < 4; ++i) a[i] = q.v[i];
}

// warp_tile_mma with A(r, k) = fa(r, k) (r < 16·ns) gathered element by element (rounded here,
// mma_a_regs: the registers mma_frag_a reads from the fragment-order copy, so the same numbers).
// Every lane of a full warp must call it with the same p, K, ns and nt.
template <class Exec, class FA, class FB>
DF_HD void warp_tile_mma_gather(Exec& ex, MatPrecision p, int K, const FA& fa, int ns, int nt, const FB& fb,
                                float acc[kMmaStrips][kMmaParts][4]) {
  const int lane = ex.tid() & 31;
  warp_tile_mma(
      ex, p, K,
      [&](int s, int, int k0, uint32_t a[4]) {
        mma_a_regs(p, lane, k0, [&](int r, int k) { return fa(16 * s + r, k); }, a);
      },
      ns, nt, fb, acc);
}

// BF16 operands kept packed in shared memory (two bf16 per 32-bit word, pack_bf16x2), so that a
// fragment register is one word load:
//   k-paired (the forward's and dh's B: K = features, N = samples): word [k/2][n] holds
//     (k even, k odd) of column n; B registers of lane (g, t): words [k0/2 + t][n] and
//     [k0/2 + 4 + t][n] for n = n0 + g; rows of a stride ≡ 8 (mod 16) words: conflict-free
//   n-paired (the weight gradient's A and B: K = samples): word [r][k/2] holds (k even, k odd)
//     of row r; A registers of lane (g, t): words [g][k0/2 + t], [g+8][..], [g][k0/2 + 4 + t],
//     [g+8][..]; B registers: [n][k0/2 + t], [n][k0/2 + 4 + t] for n = n0 + g; rows of a stride
//     ≡ 4 (mod 8) words: conflict-free
// w(row, col) returns the word at (row, col) of the array (or 0 for padding).
template <class FW> DF_HD void mma_bf16_b_kpaired(int lane, int k0, int n, const FW& w, uint32_t b[2]) {
  const int t = lane & 3;
  b[0] = w(k0 / 2 + t, n);
  b[1] = w(k0 / 2 + 4 + t, n);
}
template <class FW> DF_HD void mma_bf16_a_npaired(int lane, int k0, int r0, const FW& w, uint32_t a[4]) {
  const int g = lane >> 2, c = k0 / 2 + (lane & 3);
  a[0] = w(r0 + g, c);
  a[1] = w(r0 + g + 8, c);
  a[2] = w(r0 + g, c + 4);
  a[3] = w(r0 + g + 8, c + 4);
}
template <class FW> DF_HD void mma_bf16_b_npaired(int lane, int k0, int n, const FW& w, uint32_t b[2]) {
  const int c = k0 / 2 + (lane & 3);
  b[0] = w(n, c);
  b[1] = w(n, c + 4);
}

// Stores a lane's four outputs v (C layout of the 16×8 tile at rows m0 (a multiple of 16),
// columns n0) as k-paired words w[row/2·ts + col] (rows 2i, 2i+1 in one word), trading rows with
// lane ^ 4 (two shuffles: every lane of the warp must call it); columns ≥ nb are not stored.
template <class Exec>
DF_HD void mma_store_kpaired(Exec& ex, uint32_t* w, int ts, int m0, int n0, int nb, const float v[4]) {
  const int lane = ex.tid() & 31, g = lane >> 2, col = n0 + 2 * (lane & 3);
  const bool odd = (g & 1) != 0;
  // an even g keeps rows g, g+1 (its upper row and the partner's), an odd g rows g+7, g+8
  const float r0 = ex.shfl_xor(odd ? v[0] : v[2], 4), r1 = ex.shfl_xor(odd ? v[1] : v[3], 4);
  const size_t row = size_t((odd ? m0 + g + 7 : m0 + g) / 2) * size_t(ts);
  if (col < nb) ex.st(w, row + col, odd ? pack_bf16x2(r0, v[2]) : pack_bf16x2(v[0], r0));
  if (col + 1 < nb) ex.st(w, row + col + 1, odd ? pack_bf16x2(r1, v[3]) : pack_bf16x2(v[1], r1));
}

// Accumulator order of a W×W matrix (W % 16 == 0; the MMA path's weight gradients): the 16×8
// tiles in row-major order of tiles, each as 32 lanes × its four accumulators (C/D layout), so
// that a lane's four outputs of one tile are one 16-byte block and a warp's 512 consecutive bytes.
// mma_c_offset: the position of element (r, c).
DF_HD size_t mma_c_offset(int W, int r, int c) {
  const MmaSlot s = mma_c_slot(r & 15, c & 7);
  return (size_t(r >> 4) * size_t(W >> 3) + size_t(c >> 3)) * 128 + size_t(s.lane) * 4 + size_t(s.reg);
}

// One mma per warp on fragments given per lane: thread tid (warp w, lane l) reads a[tid·4 + i],
// b[tid·2 + i], c[tid·4 + i] and writes d[tid·4 + i]. a, b hold the raw 32-bit registers:
// tf32 values as float bits (TF32) or packed bf16 pairs (BF16). Launch with a multiple of 32
// threads, one block.
struct MmaFragArgs {
  const uint32_t* a = nullptr;  // 4 per thread
  const uint32_t* b = nullptr;  // 2 per thread
  const float* c = nullptr;     // 4 per thread
  float* d = nullptr;           // 4 per thread
  MatPrecision prec = MatPrecision::TF32;
};

template <class Exec> DF_HD void mma_fragments_body(Exec& ex, const MmaFragArgs& f) {
  const int i = ex.tid();
  float c[4], d[4];
  for (int j = 0; j < 4; ++j) c[j] = f.c[4 * i + j];
  if (f.prec == MatPrecision::BF16) {
    uint32_t a[4], b[2];
    for (int j = 0; j < 4; ++j) a[j] = f.a[4 * i + j];
    for (int j = 0; j < 2; ++j) b[j] = f.b[2 * i + j];
    ex.mma_bf16_m16n8k16(d, a, b, c);
  } else {
    float a[4], b[2];
    for (int j = 0; j < 4; ++j) a[j] = f32_from_bits(f.a[4 * i + j]);
    for (int j = 0; j < 2; ++j) b[j] = f32_from_bits(f.b[2 * i + j]);
    ex.mma_tf32_m16n8k8(d, a, b, c);
  }
  for (int j = 0; j < 4; ++j) f.d[4 * i + j] = d[j];
}

}  // namespace df
