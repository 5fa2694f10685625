// The Fourier MLP (MATH.md §7) on a tile of nb ≤ TB samples held in shared memory, written once
// against the Exec interface (GpuExec on the device, EmuExec on the CPU). Weights are read from
// global memory (fp32); every function ends with a block barrier, so its outputs are visible to
// the whole block on return.
// Precision (kernels/cuda/precision.h, kernels/cuda/mma.h):
//   prec = FP32: the hidden layers' three products (forward z = W_l h, backward dh = W_lᵀ dz,
//     weight gradient dz hᵀ) are register-blocked (blocked_forward_layer, blocked_backward_dh,
//     blocked_weight_grad: a thread keeps 16 to 32 outputs' sums in registers; forward and dh load
//     weights 16 bytes at a time when mlp_vec4_ok, the forward from the transposed copy
//     NetView::wt, one output per thread without it); the input and output layers map threads to
//     (neuron, sample) pairs, one dot product per output (the plain loop of operand_dot). Every
//     output is summed in operand_dot's order: the numbers of the kernels before the option (and
//     before the blocking), bit for bit.
//   prec = TF32 / BF16, the hidden W×W layers (when W % 16 == 0 and the block has at least one
//     full warp): warp-level tensor-core MMAs (ex.mma_tf32_m16n8k8 / ex.mma_bf16_m16n8k16) with
//     the operands rounded to prec and fp32 accumulators; each warp owns whole output
//     tiles, 32 features × 40 samples in the forward and dh, 32 × 32 weights in the weight
//     gradient (two 16-row strips: per k step one A fragment per strip for its up to five 16×8
//     parts, one B fragment per part for both strips; tile t = warp, warp + nwarps,
//     ...; each output element is written by exactly one lane, no atomics); a partial last warp
//     sits these products out:
//       forward      z (W×nb) = W_l h:    M = W (16s), N = samples (8s), K = W (8s / 16s)
//       backward     dh (W×nb) = W_lᵀ dz: M = W, N = samples, K = W
//       weight grad  g_W (W×W) += dz hᵀ:  M = W (16s), N = W (8s), K = nb samples (8s / 16s)
//     Samples past nb (a partial tile, or nb not a multiple of 8 or 16) enter as explicit zeros:
//     nothing beyond a tile's nb columns is read (the emulator's NaN-filled shared memory would
//     show it). The emulated MMA sums in fp32 in ascending k, the order of operand_dot, and the
//     products of rounded operands are exact, so on the CPU this path gives the operand_dot
//     numbers bit for bit; the device MMA sums in its own order (fp32 rounding differences).
//     The weights' A fragments (forward W_l, dh W_lᵀ) come from the fragment-order copy
//     NetView::frag (one 16-byte load per lane and k step, a warp's load 512 consecutive bytes;
//     element by element from W_l without it); the activations' fragments are gathered element by
//     element from shared memory at TF32 and read as packed bf16 pairs at BF16 when the caller
//     gives the scratch MlpCacheView::pk (one word per register: the forward's h_l and dz
//     paired along the features, dz and h_{l-1} along the samples for the weight gradient; the
//     same rounded values, so the same numbers; no ldmatrix); the weight gradient is kept in accumulator order
//     (mlp_grad_slot), so a lane adds its four outputs of a 16×8 tile as one 16-byte
//     reduction (ex.red). This path has never run on a GPU.
//   Everything else at TF32 / BF16 takes the FP32 loops with the operands rounded to prec (fp32
//     sums): the input layer (K = d), the output layer and dx (M = d), the input- and output-layer
//     weight gradients, and the hidden layers (blocked) when W % 16 != 0 or the block has fewer
//     than 32 threads. Same operand rounding as the MMA path.
// Bias sums, GELU, the stored z/h caches and the time embedding (embed_point, per t, not per
// sample) stay fp32 whatever prec says.
// Every shared- and global-memory access goes through ex.ld / ex.st / ex.add / ex.red and every product of
// a dot loop through ex.fma (in operand_dot and the embedding's loops): plain accesses and
// products on both sides, counted by the emulator's cost model (kernels/emu/emu_counts.h).
// Tile arrays hold nb samples in rows of ts ≥ nb floats (element [row·ts + b]; the sweeps pass
// TileLayout::ts, sweep_args.h tile_stride: odd for the fp32 loops, ≡ 8 mod 16 for the MMAs).
//   mlp_forward_tile   y (d×TB) = net(x, t) with e = e(t) given; caches z_l (W×TB each) in c.z,
//                      the activations h_l pass through the two work arrays c.h         (=)
//   mlp_backward_tile  from the forward's c.z (c.h: scratch, h_l recomputed from z_l)
//                      g[θ] += Σ_b (∂y_b/∂θ)ᵀ dy_b over the tile (no embedding part; θ's
//                      gradient at g[mlp_grad_slot(n, mma, θ)]: the MMA path keeps the hidden
//                      weights in accumulator order),
//                      de[W] += Σ_b dz_0 (the embedding's cotangent at this t),
//                      dx (d×TB, optional) = (∂y/∂x)ᵀ dy                         (+= g, de; = dx)
//   embed_point        e(t) = Linear(GELU(Linear([sin a, cos a]))), also feat, z1, g1 (=); its
//                      two products stage the weights in shared memory (staged_rows_dot); its
//                      features and first layer are embed_layer1, which the backward reuses
//   embed_point_grad   one grid point's recomputed features and first layer, and its cotangent
//                      de_j taken back to them, into a scratch of 6W floats            (=)
//   embed_grad_add     g[φ, b1, T1, b2, T2] = the grid points' terms from that scratch summed
//                      from 0 in ascending j, one thread per element (or 4): the bits of adding
//                      them into a zeroed gradient                                     (=)
//   mlp_use_mma(prec, W, nthreads)  whether the hidden layers take the MMA path
// The parameter gradients g, de live in a slice owned by this block (global memory), addressed
// g[n.<offset> + index] (the caller may pass a rebased g): each index is added to by exactly one
// thread per phase, as a reduction in memory (ex.red: red.global.add, no load comes back to the
// SM). A thread's adds to one address follow its program order and a phase's are performed before
// the barrier that ends it lets the next phase's threads go on, so each element receives the adds
// in the order the read-modify-writes had: the same sums, the same bits (the device side of this
// argument is unverified: no GPU has run it).
#pragma once
#include "kernels/cuda/mma.h"
#include "kernels/cuda/precision.h"
#include "kernels/cuda/sweep_args.h"
#include "kernels/math/fourier.h"
#include "kernels/math/gelu.h"

namespace df {

// The hidden layers run on warp MMAs: a rounded precision, W a multiple of 16, a full warp.
DF_HD bool mlp_use_mma(MatPrecision prec, int W, int nthreads) {
  return prec != MatPrecision::FP32 && W % 16 == 0 && nthreads >= 32;
}

// Where mlp_backward_tile adds the gradient of parameter p (its flat index, NetView offsets): at p,
// except that on the MMA path (mma = mlp_use_mma(...)) each hidden layer's W×W weight block is
// in accumulator order (mma_c_offset), a lane's four outputs of a 16×8 tile side by side.
DF_HD size_t mlp_grad_slot(const NetView& n, bool mma, size_t p) {
  if (!mma || p < n.hw0) return p;
  const size_t l = (p - n.hw0) / n.hstride, q = (p - n.hw0) % n.hstride, W = size_t(n.W);
  if (l >= size_t(n.L) || q >= W * W) return p;
  return n.hw(int(l)) + mma_c_offset(n.W, int(q / W), int(q % W));
}

// The (16·kMmaStrips)×tw output tiles (tw a multiple of 8, at most 8·kMmaParts) of an M×N product
// (M % 16 == 0) among the block's full warps: calls tile(m0, n0, ns) for the tiles of this
// thread's warp, ns the tile's 16-row strips (kMmaStrips, fewer in a last row of tiles when M is
// not a multiple of 16·kMmaStrips: W = 48, 80, 112); threads of a partial last warp call nothing.
// Each tile starts with a __syncwarp: the code before it may leave the lanes diverged (the
// previous tile's stores past nb, a bias loop over W outputs when W is not a multiple of 32: 48,
// 80, 112), and the tile's mma.sync.aligned needs them converged.
template <class Exec, class Tile>
DF_HD void for_warp_tiles(Exec& ex, int M, int N, int tw, const Tile& tile) {
  const int nwarps = ex.nthreads() / 32, warp = ex.tid() / 32;
  if (warp >= nwarps) return;
  constexpr int tm = 16 * kMmaStrips;
  const int tn = (N + tw - 1) / tw, ntiles = ((M + tm - 1) / tm) * tn;
  for (int t = warp; t < ntiles; t += nwarps) {
    ex.syncwarp();
    const int m0 = (t / tn) * tm, ns = (M - m0) / 16;
    tile(m0, (t % tn) * tw, ns < kMmaStrips ? ns : kMmaStrips);
  }
}

// The 16-row strip from row m0 of hidden layer l's W_l (t = 0) or W_lᵀ (t = 1) in fragment
// order (NetView::frag, precision p).
DF_HD const Uint4* mlp_frag_strip(const NetView& n, MatPrecision p, int l, int t, int m0) {
  return reinterpret_cast<const Uint4*>(n.frag + size_t(2 * l + t) * size_t(n.W) * size_t(n.W)) +
         size_t(m0 / 16) * size_t(n.W / mma_kstep(p)) * 32;
}

// The forward's and dh's warp tiles are 16·kMmaStrips features × kMmaSamples samples (all of a
// tile of up to 40 samples: one A fragment, a weight read, per strip and k step serves them all,
// and one B fragment, an activation read, both strips); the weight gradient's are 32 × 32 weights.
constexpr int kMmaSamples = 8 * kMmaParts, kMmaGradCols = 32;
// The weight gradient shares warp_tile_mmar's accumulator shape (kMmaStrips × kMmaParts 16x8
// tiles) and fills the first kMmaGradCols / 8 of each strip's; the rest stay zero and unread (the
// device drops them).
static_assert(kMmaGradCols % 8 == 0 && kMmaGradCols / 8 <= kMmaParts, "weight-gradient tiles exceed the accumulator");

// The 16×8 tiles (1 to parts) of a warp's 16×(8·parts) output from column n0 that hold columns
// < nb.
DF_HD int mlp_ntiles(int n0, int nb, int parts = kMmaParts) {
  const int t = (nb - n0 + 7) / 8;
  return t < parts ? t : parts;
}

// acc[s][j] (s < ns, j < mlp_ntiles(n0, nb): the 16×8 tiles at rows m0 + 16s and columns n0 + 8j
// of the tile's samples) += A_s·B over K = W, for A_s the 16-row strip from m0 + 16s of hidden
// layer l's W_l (t = 0) or W_lᵀ (t = 1) and B(k, c) = src[k·ts + c], zero past nb; with src2
// (BF16 only) B's registers are words of the k-paired copy src2[(k/2)·ts2 + c] instead (mma.h
// mma_bf16_b_kpaired: the same values, packed). With NetView::frag one 16-byte A load per lane,
// strip and k step; without, A's elements from W_l. Either serves all the tiles.
template <class Exec>
DF_HD void mlp_strip_mma(Exec& ex, const NetView& n, MatPrecision prec, int l, int t, int m0, int ns, int n0, int nb,
                         int ts, const float* src, const uint32_t* src2, int ts2,
                         float acc[kMmaStrips][kMmaParts][4]) {
  const int W = n.W, nt = mlp_ntiles(n0, nb), lane = ex.tid() & 31;
  const float* Wl = n.p + n.hw(l);
  const auto areg = [&](int s, int kt, int k0, uint32_t a[4]) {
    const int r0 = m0 + 16 * s;
    if (n.frag) {
      mma_frag_a(ex, mlp_frag_strip(n, prec, l, t, r0), kt, a);
    } else {
      mma_a_regs(prec, lane, k0, [&](int r, int k) {
        return ex.ld(Wl, t == 0 ? size_t(r0 + r) * W + k : size_t(k) * W + r0 + r);
      }, a);
    }
  };
  if (src2) {
    warp_tile_mmar(ex, prec, W, areg, ns, nt, [&](int j, int, int k0, uint32_t b[2]) {
      const int col = n0 + 8 * j + (lane >> 2);
      mma_bf16_b_kpaired(lane, k0, col, [&](int r, int c) { return c < nb ? ex.ld(src2, size_t(r) * ts2 + c) : 0u; }, b);
    }, acc);
  } else {
    warp_tile_mma(
        ex, prec, W, areg, ns, nt, [&](int k, int c) { return n0 + c < nb ? ex.ld(src, k * ts + n0 + c) : 0.f; }, acc);
  }
}

// Rounds x up to a multiple of m.
DF_HD int mlp_round_up(int x, int m) { return (x + m - 1) / m * m; }

// ---- register-blocked products of the hidden layers (the path without MMAs) --------------------
// Each thread owns a small block of outputs and keeps their sums in registers, so every loaded
// weight and activation feeds several FMAs; each output is still one sum in ascending order from
// 0.f with operand_dot's operand rounding, so the numbers are operand_dot's, bit for bit.
// The forward and dh loops load 4 weights as one 16-byte access, which needs W % 4 == 0 and
// 16-byte aligned weights (mlp_vec4_ok; otherwise the callers keep the one-output loops); the
// forward reads them from the transposed copy (NetView::wt), so that consecutive outputs are
// consecutive in memory.

struct alignas(16) Float4 {
  float v[4];
};

// Whether every row of an array of rows of W floats from w is 16-byte aligned (one answer for all
// the rows, so the lanes of a warp reading different rows take one path).
DF_HD bool mlp_vec4_ok(const float* w, int W) { return W % 4 == 0 && (reinterpret_cast<uintptr_t>(w) & 15u) == 0; }

// Whether rows of stride ts in p take 8-byte accesses of sample pairs (ts even, p 8-byte aligned).
DF_HD bool mlp_vec2_ok(const float* p, int ts) { return ts % 2 == 0 && (reinterpret_cast<uintptr_t>(p) & 7u) == 0; }
// Two adjacent elements p[e], p[e + 1] (the second only when two; e even): one 8-byte access when
// two and vec2 (mlp_vec2_ok, or any 8-byte aligned pair), one by one otherwise; the same values
// either way (a load leaves 0 where it reads nothing).
template <class Exec> DF_HD Float2 mlp_ld_pair(Exec& ex, const float* p, size_t e, bool two, bool vec2) {
  if (two && vec2) return ex.ld(reinterpret_cast<const Float2*>(p + e), 0);
  Float2 v{{ex.ld(p, e), 0.f}};
  if (two) v.v[1] = ex.ld(p, e + 1);
  return v;
}
template <class Exec> DF_HD void mlp_st_pair(Exec& ex, float* p, size_t e, bool two, bool vec2, Float2 v) {
  if (two && vec2) {
    ex.st(reinterpret_cast<Float2*>(p + e), 0, v);
  } else {
    ex.st(p, e, v.v[0]);
    if (two) ex.st(p, e + 1, v.v[1]);
  }
}

// operand_dot(ex, a, 1, b, sb, n, p) bit for bit (the same products summed in the same order), with
// the contiguous a read 4 elements at a time as 16-byte accesses when vec (a row of an array with
// mlp_vec4_ok; the remainder, and every element when !vec, one at a time): the input and output
// layers' products, whose weight rows or sample rows are contiguous.
template <class Exec>
DF_HD float operand_dot_a4(Exec& ex, const float* a, const float* b, int sb, int n, MatPrecision p, bool vec) {
  float acc = 0.f;
  int i = 0;
  if (vec)
    for (; i + 4 <= n; i += 4) {
      const Float4 v = ex.ld(reinterpret_cast<const Float4*>(a + i), 0);
      for (int q = 0; q < 4; ++q) acc = ex.fma(acc, round_operand(v.v[q], p), round_operand(ex.ld(b, (i + q) * sb), p));
    }
  for (; i < n; ++i) acc = ex.fma(acc, round_operand(ex.ld(a, i), p), round_operand(ex.ld(b, i * sb), p));
  return acc;
}

// Σ_{b<n} row[b] in ascending b from 0.f (the bias gradients' sums over a tile's samples), the
// row read 4 floats at a time as 16-byte accesses when vec (as operand_dot_a4), and a remaining
// pair as one 8-byte access (at ts = 40 the lanes' rows fall on 4 banks: the pair halves the
// tail's 8-way conflicted instructions): the same sum.
// stagger (vec only; taken where the row has at least 8 chunks of 4): the lanes whose
// (tid / 4) % 2 is 1 read chunk k − 1 of their row in round k of n/4 + 1 rounds, the others chunk
// k (where that is outside the row's chunks, chunk 7 or n/4 − 8, which share its banks, and drop
// the value), so that with a thread per row (nthreads % 8 == 0) and rows of ts ≡ 8 (mod 16)
// floats a quarter-warp's 8 rows fall on 8 distinct groups of 4 banks where rows o and o + 4
// shared one (2-way). Every lane of a warp runs the same rounds; the sum is the same.
template <class Exec> DF_HD float row_sum_a4(Exec& ex, const float* row, int n, bool vec, bool stagger = false) {
  float s = 0.f;
  int b = 0;
  if (vec) {
    const int nc = n / 4;
    if (stagger && nc >= 8) {
      const int lag = (ex.tid() >> 2) & 1;
      DF_NO_UNROLL
      for (int k = 0; k <= nc; ++k) {
        const int ch = k - lag;
        const bool in = ch >= 0 && ch < nc;
        const int rd = in ? ch : (ch < 0 ? 7 : nc - 8);  // chunks 8 apart share banks
        const Float4 v = ex.ld(reinterpret_cast<const Float4*>(row + 4 * rd), 0);
        if (in)
          for (int q = 0; q < 4; ++q) s += v.v[q];
      }
      b = 4 * nc;
    } else {
      for (; b + 4 <= n; b += 4) {
        const Float4 v = ex.ld(reinterpret_cast<const Float4*>(row + b), 0);
        for (int q = 0; q < 4; ++q) s += v.v[q];
      }
    }
    if (b + 2 <= n) {
      const Float2 v = ex.ld(reinterpret_cast<const Float2*>(row + b), 0);
      s += v.v[0];
      s += v.v[1];
      b += 2;
    }
  }
  for (; b < n; ++b) s += ex.ld(row, b);
  return s;
}

// dx (D×nb, rows of ts) = W_inᵀ dz for D = d = 2 or 4 inputs: a thread per sample sums all D
// inputs, reading row o of W_in (D consecutive floats, 4·D-byte aligned) as one access and dz
// (rows of tso) once per o; each sum is operand_dot(W_in + k, D, dz + b, tso, W), bit for bit.
template <int D, class Exec>
DF_HD void input_dx_rows(Exec& ex, const float* Win, const float* dz, float* dx, int W, int nb, int ts, int tso,
                         MatPrecision p) {
  static_assert(D == 2 || D == 4, "rows of 2 or 4 floats");
  for (int b = ex.tid(); b < nb; b += ex.nthreads()) {
    float acc[D];
    for (int k = 0; k < D; ++k) acc[k] = 0.f;
    for (int o = 0; o < W; ++o) {
      float w[D];
      if constexpr (D == 2) {
        const Float2 v = ex.ld(reinterpret_cast<const Float2*>(Win + size_t(o) * 2), 0);
        w[0] = v.v[0], w[1] = v.v[1];
      } else {
        const Float4 v = ex.ld(reinterpret_cast<const Float4*>(Win + size_t(o) * 4), 0);
        for (int k = 0; k < 4; ++k) w[k] = v.v[k];
      }
      const float g = round_operand(ex.ld(dz, o * tso + b), p);
      for (int k = 0; k < D; ++k) acc[k] = ex.fma(acc[k], round_operand(w[k], p), g);
    }
    for (int k = 0; k < D; ++k) ex.st(dx, k * ts + b, acc[k]);
  }
}

// The samples a blocked thread keeps (RB below): 4 up to 32 samples, 5 above, so that a tile of
// up to 40 samples has at most 8 sample groups and a warp's lanes are 4 output (or input) quads ×
// 8 sample groups whose activation loads fall in distinct banks (10 groups of 4 put the first and
// the ninth on one bank: a 2-way conflict on every such load).
DF_HD int mlp_blocked_rb(int nb) { return nb <= 32 ? 4 : 5; }

// zo (W×nb) = Wl h + bl, ho = GELU(zo), from the transposed weights wt (wt[k·W + o] = Wl[o][k],
// NetView::wt): a thread owns 4 consecutive outputs × RB samples (mlp_blocked_rb) and loads
// wt[k][o0 .. o0+3] as one 16-byte access per k (4·RB FMAs per weight load and RB activation
// loads). At nb = 8·RB a warp's lanes are 4 output quads × 8 sample groups, so a weight load is 64
// consecutive bytes (one line) that serves all the samples, and an activation load serves 4
// outputs (a broadcast among the quads).
template <int RB, class Exec>
DF_HD void blocked_forward_layer(Exec& ex, const float* wt, const float* bl, const float* hin, float* zo, float* ho,
                                 int W, int nb, int ts, MatPrecision prec) {
  constexpr int RO = 4;
  const int nbg = (nb + RB - 1) / RB, items = (W / RO) * nbg;
  for (int it = ex.tid(); it < items; it += ex.nthreads()) {
    const int o0 = (it / nbg) * RO, b0 = (it % nbg) * RB;
    float acc[RO][RB];
    for (int r = 0; r < RO; ++r)
      for (int c = 0; c < RB; ++c) acc[r][c] = 0.f;
    const Float4* col = reinterpret_cast<const Float4*>(wt + o0);  // row k of wt at col + k·W/4
    for (int k = 0; k < W; ++k) {
      const Float4 w = ex.ld(col, size_t(k) * (W / 4));
      float h[RB];
      for (int c = 0; c < RB; ++c) h[c] = b0 + c < nb ? round_operand(ex.ld(hin, k * ts + b0 + c), prec) : 0.f;
      for (int r = 0; r < RO; ++r) {
        const float wr = round_operand(w.v[r], prec);
        for (int c = 0; c < RB; ++c) acc[r][c] = ex.fma(acc[r][c], wr, h[c]);
      }
    }
    for (int r = 0; r < RO; ++r)
      for (int c = 0; c < RB; ++c) {
        if (b0 + c >= nb) continue;
        const int o = o0 + r, b = b0 + c;
        const float z = acc[r][c] + ex.ld(bl, o);
        ex.st(zo, o * ts + b, z);
        ex.st(ho, o * ts + b, gelu_forward(z));
      }
  }
}

// dh (W×nb) = Wlᵀ dz: a thread owns 4 consecutive inputs × RB samples (mlp_blocked_rb) and reads
// Wl[o][i0 .. i0+3] as one 16-byte access per o; at nb = 8·RB a warp's lanes are 4 input groups
// (64 consecutive bytes of a row) × 8 sample groups.
template <int RB, class Exec>
DF_HD void blocked_backward_dh(Exec& ex, const float* Wl, const float* dz, float* dh, int W, int nb, int ts,
                               MatPrecision prec) {
  constexpr int RI = 4;
  const int nbg = (nb + RB - 1) / RB, items = (W / RI) * nbg;
  for (int it = ex.tid(); it < items; it += ex.nthreads()) {
    const int i0 = (it / nbg) * RI, b0 = (it % nbg) * RB;
    float acc[RI][RB];
    for (int r = 0; r < RI; ++r)
      for (int c = 0; c < RB; ++c) acc[r][c] = 0.f;
    for (int o = 0; o < W; ++o) {
      const Float4 w = ex.ld(reinterpret_cast<const Float4*>(Wl + size_t(o) * W + i0), 0);
      float g[RB];
      for (int c = 0; c < RB; ++c) g[c] = b0 + c < nb ? round_operand(ex.ld(dz, o * ts + b0 + c), prec) : 0.f;
      for (int r = 0; r < RI; ++r) {
        const float wr = round_operand(w.v[r], prec);
        for (int c = 0; c < RB; ++c) acc[r][c] = ex.fma(acc[r][c], wr, g[c]);
      }
    }
    for (int r = 0; r < RI; ++r)
      for (int c = 0; c < RB; ++c)
        if (b0 + c < nb) ex.st(dh, (i0 + r) * ts + b0 + c, acc[r][c]);
  }
}

// g[off + o·W + i] += Σ_b dz[o][b] h[i][b] (b < nb): a thread owns RO consecutive outputs o × 4
// inputs i spaced G = ⌈W/4⌉ apart, so a warp's lanes read consecutive rows of h (no bank
// conflicts at the odd row stride), share the rows of dz (broadcasts) and add to consecutive
// gradient elements; RO + 4 loads per 4·RO FMAs. Any W; RO = 8 where that still gives every
// thread an item ((W/8)·(W/4) ≥ threads: W ≥ 128 at 256 threads), 4 otherwise (mlp_grad_rb).
// (8 × 8 per thread, 16 loads per 64 FMAs, spills: 88 B of spill stores in the adjoint kernel
// even at its 255 registers, one block per SM.)
DF_HD int mlp_grad_rb(int W, int nthreads) { return (W / 8) * (W / 4) >= nthreads ? 8 : 4; }
template <int RO, class Exec>
DF_HD void blocked_weight_grad(Exec& ex, float* g, size_t off, const float* dz, const float* hp, int W, int nb, int ts,
                               MatPrecision prec) {
  constexpr int RI = 4;
  const int G = (W + RI - 1) / RI, items = ((W + RO - 1) / RO) * G;
  for (int it = ex.tid(); it < items; it += ex.nthreads()) {
    const int o0 = (it / G) * RO, ig = it % G;
    float acc[RO][RI];
    for (int r = 0; r < RO; ++r)
      for (int c = 0; c < RI; ++c) acc[r][c] = 0.f;
    for (int b = 0; b < nb; ++b) {
      float a[RO], h[RI];
      for (int r = 0; r < RO; ++r) a[r] = o0 + r < W ? round_operand(ex.ld(dz, (o0 + r) * ts + b), prec) : 0.f;
      for (int c = 0; c < RI; ++c) h[c] = ig + G * c < W ? round_operand(ex.ld(hp, (ig + G * c) * ts + b), prec) : 0.f;
      for (int r = 0; r < RO; ++r)
        for (int c = 0; c < RI; ++c) acc[r][c] = ex.fma(acc[r][c], a[r], h[c]);
    }
    for (int r = 0; r < RO; ++r)
      for (int c = 0; c < RI; ++c)
        if (o0 + r < W && ig + G * c < W) ex.red(g, off + size_t(o0 + r) * W + ig + G * c, acc[r][c]);
  }
}

// RBMax: the most samples per blocked fp32 thread compiled in (5; the probability-flow kernel, whose
// tiles keep two cache sets and whose registers are tight, compiles only 4, one first-layer output
// per thread and no packed bf16 copy: its hidden MMAs, if any, gather from the fp32 h).
template <class Exec, int RBMax = 5>
DF_HD void mlp_forward_tile(Exec& ex, const NetView& n, const float* e, const float* x, int nb, int ts,
                            MlpCacheView c, float* y, MatPrecision prec = MatPrecision::FP32) {
  const int W = n.W, d = n.d, L = n.L, tid = ex.tid(), nt = ex.nthreads();
  const bool mma = mlp_use_mma(prec, W, nt);
  // BF16 MMAs with the packed scratch: h_l also as k-paired words, array l % 2 of c.pk
  const bool packed = RBMax >= 5 && mma && prec == MatPrecision::BF16 && c.pk;
  const size_t pkn = size_t(W / 2) * size_t(c.pkf);
  const float* Win = n.p + n.inw;
  const float* bin = n.p + n.inb;
  // packed: the fp32 h_l is only stored for the output layer (l = L); the hidden layers read
  // the packed copy
  // z_0, h_0 of outputs o and, when two, o + 1 at sample b into h: x read once for both, W_in's
  // two rows as one 16-byte access at d = 2 (o even), the biases and e as 8-byte pairs where
  // aligned; each sum is operand_dot(W_in + o·d, 1, x + b, ts, d), bit for bit
  const bool win4 = d == 2 && (reinterpret_cast<uintptr_t>(Win) & 15u) == 0;
  const bool be2 = ((reinterpret_cast<uintptr_t>(bin) | reinterpret_cast<uintptr_t>(e)) & 7u) == 0;
  const auto first = [&](int o, int b, bool two, float h[2]) {
    float acc[2] = {0.f, 0.f};
    if (two && win4) {
      const Float4 w = ex.ld(reinterpret_cast<const Float4*>(Win + o * 2), 0);
      for (int k = 0; k < 2; ++k) {
        const float xv = round_operand(ex.ld(x, k * ts + b), prec);
        acc[0] = ex.fma(acc[0], round_operand(w.v[k], prec), xv);
        acc[1] = ex.fma(acc[1], round_operand(w.v[2 + k], prec), xv);
      }
    } else {
      for (int k = 0; k < d; ++k) {
        const float xv = round_operand(ex.ld(x, k * ts + b), prec);
        acc[0] = ex.fma(acc[0], round_operand(ex.ld(Win, o * d + k), prec), xv);
        if (two) acc[1] = ex.fma(acc[1], round_operand(ex.ld(Win, (o + 1) * d + k), prec), xv);
      }
    }
    const Float2 bb = mlp_ld_pair(ex, bin, size_t(o), two, be2), ee = mlp_ld_pair(ex, e, size_t(o), two, be2);
    for (int q = 0; q < (two ? 2 : 1); ++q) {
      const float z = acc[q] + (bb.v[q] + ee.v[q]);
      h[q] = gelu_forward(z);
      ex.st(c.z, (o + q) * ts + b, z);
      if (!packed || L == 0) ex.st(c.h, (o + q) * ts + b, h[q]);
    }
  };
  // a thread per output pair (and the last output alone when W is odd); packed: one word of the
  // packed copy. With RBMax < 5 (the probability-flow kernel: registers tight, the pairs spilled
  // there; never packed, above) one output per thread.
  if constexpr (RBMax < 5) {
    for (int idx = tid; idx < W * nb; idx += nt) {
      float h[2];
      first(idx / nb, idx % nb, false, h);
    }
  } else {
    for (int idx = tid; idx < ((W + 1) / 2) * nb; idx += nt) {
      const int o = 2 * (idx / nb), b = idx % nb;
      float h[2];
      first(o, b, o + 1 < W, h);
      if (packed) ex.st(c.pk, size_t(o / 2) * c.pkf + b, pack_bf16x2(h[0], h[1]));
    }
  }
  ex.sync();
  for (int l = 0; l < L; ++l) {
    const float* Wl = n.p + n.hw(l);
    const float* bl = n.p + n.hb(l);
    const float* hin = c.h + size_t(l % 2) * W * ts;  // h_l
    float* zo = c.z + size_t(l + 1) * W * ts;
    float* ho = c.h + size_t((l + 1) % 2) * W * ts;
    if (mma) {  // z (W×nb) = W_l h on warp MMAs
      const uint32_t* pin = packed ? c.pk + size_t(l % 2) * pkn : nullptr;
      uint32_t* pout = packed && l + 1 < L ? c.pk + size_t((l + 1) % 2) * pkn : nullptr;
      const bool zv2 = mlp_vec2_ok(zo, ts) && mlp_vec2_ok(ho, ts);
      for_warp_tiles(ex, W, nb, kMmaSamples, [&](int m0, int n0, int ns) {
        float acc[kMmaStrips][kMmaParts][4] = {};
        mlp_strip_mma(ex, n, prec, l, 0, m0, ns, n0, nb, ts, hin, pin, c.pkf, acc);
        const int lane = tid & 31, ntl = mlp_ntiles(n0, nb);
        for (int s = 0; s < kMmaStrips; ++s) {
          if (s >= ns) break;
          const int r0 = m0 + 16 * s;
          for (int jt = 0; jt < kMmaParts; ++jt) {
            if (jt >= ntl) break;
            float hv[4] = {0.f, 0.f, 0.f, 0.f};
            for (int j = 0; j < 4; j += 2) {  // rows g and g + 8, each at columns 2t, 2t + 1
              const int o = r0 + mma_out_row(lane, j), b = n0 + 8 * jt + mma_out_col(lane, j);
              if (b >= nb) continue;
              const bool two = b + 1 < nb;
              const float bo = ex.ld(bl, o);
              Float2 z{{0.f, 0.f}};
              for (int q = 0; q < (two ? 2 : 1); ++q) {
                z.v[q] = acc[s][jt][j + q] + bo;
                hv[j + q] = gelu_forward(z.v[q]);
              }
              mlp_st_pair(ex, zo, size_t(o) * ts + b, two, zv2, z);
              if (!pout) mlp_st_pair(ex, ho, size_t(o) * ts + b, two, zv2, Float2{{hv[j], hv[j + 1]}});
            }
            if (pout) mma_store_kpaired(ex, pout, c.pkf, r0, n0 + 8 * jt, nb, hv);
          }
        }
      });
    } else if (n.wt && mlp_vec4_ok(n.wt, W)) {
      const float* wt = n.wt + size_t(l) * W * W;
      constexpr int RB5 = RBMax >= 5 ? 5 : 4;  // RBMax = 4: 4 samples per thread at any nb
      if (mlp_blocked_rb(nb) == 5)
        blocked_forward_layer<RB5>(ex, wt, bl, hin, zo, ho, W, nb, ts, prec);
      else
        blocked_forward_layer<4>(ex, wt, bl, hin, zo, ho, W, nb, ts, prec);
    } else {
      for (int idx = tid; idx < W * nb; idx += nt) {
        const int o = idx / nb, b = idx % nb;
        const float acc = operand_dot(ex, Wl + o * W, 1, hin + b, ts, W, prec);
        const float z = acc + ex.ld(bl, o);
        ex.st(zo, o * ts + b, z);
        ex.st(ho, o * ts + b, gelu_forward(z));
      }
    }
    ex.sync();
  }
  const float* Wo = n.p + n.outw;
  const float* bo = n.p + n.outb;
  const float* hL = c.h + size_t(L % 2) * W * ts;
  const bool wo4 = mlp_vec4_ok(Wo, W);
  for (int idx = tid; idx < d * nb; idx += nt) {
    const int k = idx / nb, b = idx % nb;
    const float acc = operand_dot_a4(ex, Wo + k * W, hL + b, ts, W, prec, wo4);
    ex.st(y, k * ts + b, acc + ex.ld(bo, k));
  }
  ex.sync();
}

// dh: W×TB scratch (rows of ts), dz: W rows of ts | 1 floats. g: this network's gradient slice
// (P floats), de: W floats.
template <class Exec>
DF_HD void mlp_backward_tile(Exec& ex, const NetView& n, const float* x, MlpCacheView c, const float* dy, int nb,
                             int ts, float* dh, float* dz, float* g, float* de, float* dx,
                             MatPrecision prec = MatPrecision::FP32) {
  const int W = n.W, d = n.d, L = n.L, tid = ex.tid(), nt = ex.nthreads();
  const bool mma = mlp_use_mma(prec, W, nt);
  // BF16 MMAs with the packed scratch: each hidden layer's dz k-paired (dh's B) and n-paired (the
  // weight gradient's A), h_{l-1} n-paired (its B), in c.pk (sweep_args.h mlp_pk_words)
  const bool packed = mma && prec == MatPrecision::BF16 && c.pk;
  uint32_t* pzf = c.pk;
  uint32_t* pzs = packed ? c.pk + size_t(W / 2) * size_t(c.pkf) : nullptr;
  uint32_t* phs = packed ? pzs + size_t(W) * size_t(c.pks) : nullptr;
  // The activations are not cached: h_L, then h_{l-1} with layer l's dz, are recomputed from the
  // pre-activations into hb (the same gelu_forward of the same z: the forward's bits).
  // h_L and the first layer's dz, whose rows the loops below read one per lane, get rows of the
  // odd stride tso (= ts on the fp32 path; ts + 1 where the MMAs want ts ≡ 8 mod 16): 32 lanes on
  // 32 banks. h_L spans both work arrays (W·tso ≤ 2·W·ts floats), dz has W·tso floats.
  const int tso = ts | 1;
  float* hb = c.h;
  const float* zL = c.z + size_t(L) * W * ts;
  for (int idx = tid; idx < W * nb; idx += nt) {
    const int i = idx / nb, b = idx % nb;
    ex.st(hb, i * tso + b, gelu_forward(ex.ld(zL, i * ts + b)));
  }
  ex.sync();
  // output layer
  const float* Wo = n.p + n.outw;
  const float* hL = hb;
  const bool dy4 = mlp_vec4_ok(dy, ts);
  for (int idx = tid; idx < d * W; idx += nt) {
    const int k = idx / W, i = idx % W;
    ex.red(g, n.outw + idx, operand_dot_a4(ex, dy + k * ts, hL + i * tso, 1, nb, prec, dy4));
  }
  for (int k = tid; k < d; k += nt) {
    ex.red(g, n.outb + k, row_sum_a4(ex, dy + k * ts, nb, dy4));
  }
  // dh = W_outᵀ dy: a thread per input pair i, i + 1 (the last alone when W is odd) and sample,
  // dy read once for both and W_out's two columns as one 8-byte access where aligned; each sum is
  // operand_dot(W_out + i, W, dy + b, ts, d), bit for bit
  const bool wo2 = mlp_vec2_ok(Wo, W);
  for (int idx = tid; idx < ((W + 1) / 2) * nb; idx += nt) {
    const int i = 2 * (idx / nb), b = idx % nb;
    const bool two = i + 1 < W;
    float acc[2] = {0.f, 0.f};
    for (int k = 0; k < d; ++k) {
      const float g = round_operand(ex.ld(dy, k * ts + b), prec);
      const Float2 w = mlp_ld_pair(ex, Wo, size_t(k) * W + i, two, wo2);
      for (int q = 0; q < 2; ++q) acc[q] = ex.fma(acc[q], round_operand(w.v[q], prec), g);
    }
    for (int q = 0; q < (two ? 2 : 1); ++q) ex.st(dh, (i + q) * ts + b, acc[q]);
  }
  ex.sync();
  // hidden layers, last to first
  for (int l = L; l >= 1; --l) {
    const float* zl = c.z + size_t(l) * W * ts;
    const float* zp = c.z + size_t(l - 1) * W * ts;
    const float* hp = hb;  // h_{l-1}, recomputed here (the last reads of h_l were before the barrier)
    if (packed) {
      // a thread per 2 features × 2 samples: dz, and the packed words of dz and h_{l-1}. A feature
      // pair takes rl consecutive threads, the smallest rl ≥ ⌈nb/2⌉ with rl ≡ ts (mod 16) (ts ≥
      // nb; 24 at nb = 38, ts = 40): thread k's sample pairs then fall on bank pair k mod 16 of
      // every row it reads, so a half-warp's 8-byte accesses are conflict-free where feature
      // pairs of 19 threads made the half-warps that straddle two of them 2-way; the threads past
      // ⌈nb/2⌉ idle. Sample pairs move as 8-byte accesses where the rows allow (ts even and the
      // arrays 8-byte aligned, as the sweeps' layout has them), element by element otherwise.
      // Where a warp's lanes run the same rounds (whole warps and (W/2)·rl a multiple of 32, as at
      // the MMA paths' ts ≡ 8 mod 16), each round ends at ex.lineup(): the emulator counts a
      // round's accesses as the instructions SIMT runs with the idle lanes off.
      const int nbh = (nb + 1) / 2, rl = nbh + ((ts - nbh) & 15);
      const bool rounds = nt % 32 == 0 && (W / 2) * rl % 32 == 0;
      const bool pairs = ts % 2 == 0 && ((reinterpret_cast<uintptr_t>(dh) | reinterpret_cast<uintptr_t>(dz) |
                                          reinterpret_cast<uintptr_t>(c.z) | reinterpret_cast<uintptr_t>(c.pk)) &
                                         7u) == 0;
      for (int idx = tid; idx < (W / 2) * rl; idx += nt) {
        const int i = 2 * (idx / rl), b = 2 * (idx % rl);
        if (b >= nb) {
          if (rounds) ex.lineup();
          continue;
        }
        const bool two = b + 1 < nb;
        float dv[2][2], hv[2][2];  // [feature i + r][sample b + q], 0 past nb
        for (int r = 0; r < 2; ++r) {
          const int e = (i + r) * ts + b;
          const Float2 gd = mlp_ld_pair(ex, dh, e, two, pairs), zc = mlp_ld_pair(ex, zl, e, two, pairs),
                       zq = mlp_ld_pair(ex, zp, e, two, pairs);
          Float2 o;
          for (int q = 0; q < 2; ++q) {
            const bool in = q == 0 || two;
            o.v[q] = dv[r][q] = in ? gd.v[q] * gelu_backward(zc.v[q]) : 0.f;
            hv[r][q] = in ? gelu_forward(zq.v[q]) : 0.f;
          }
          mlp_st_pair(ex, dz, e, two, pairs, o);
        }
        const size_t wf = size_t(i / 2) * c.pkf + b;  // even (pkf and b are)
        if (two && pairs) {
          const Uint2 w{{pack_bf16x2(dv[0][0], dv[1][0]), pack_bf16x2(dv[0][1], dv[1][1])}};
          ex.st(reinterpret_cast<Uint2*>(pzf + wf), 0, w);
        } else {
          for (int q = 0; q < (two ? 2 : 1); ++q) ex.st(pzf, wf + q, pack_bf16x2(dv[0][q], dv[1][q]));
        }
        for (int r = 0; r < 2; ++r) {
          ex.st(pzs, size_t(i + r) * c.pks + b / 2, pack_bf16x2(dv[r][0], dv[r][1]));
          ex.st(phs, size_t(i + r) * c.pks + b / 2, pack_bf16x2(hv[r][0], hv[r][1]));
        }
        if (rounds) ex.lineup();
      }
    } else {
      for (int idx = tid; idx < W * nb; idx += nt) {
        const int e = (idx / nb) * ts + idx % nb;
        ex.st(dz, e, ex.ld(dh, e) * gelu_backward(ex.ld(zl, e)));
        ex.st(hb, e, gelu_forward(ex.ld(zp, e)));
      }
    }
    ex.sync();
    const float* Wl = n.p + n.hw(l - 1);
    if (mma) {
      const int lane = tid & 31;
      // g_W (W×W) += dz hᵀ in accumulator order (mlp_grad_slot): K = the tile's samples, zero
      // past nb. A warp's 32×32 output shares each A fragment among a strip's four 16×8 tiles and
      // each B fragment between its two strips, and a lane adds its four outputs of a tile as one
      // 16-byte reduction (ex.red; the warp's 512 consecutive bytes) when the slice is 16-byte
      // aligned, one by one otherwise.
      float* gw = g + n.hw(l - 1);
      const bool quads = (reinterpret_cast<uintptr_t>(gw) & 15u) == 0;
      for_warp_tiles(ex, W, W, kMmaGradCols, [&](int m0, int n0, int ns) {
        float acc[kMmaStrips][kMmaParts][4] = {};
        const int ntl = mlp_ntiles(n0, W, kMmaGradCols / 8), K = mlp_round_up(nb, mma_kstep(prec));
        if (packed) {  // A and B registers as words of the n-paired copies (zero past nb)
          const auto word = [&](const uint32_t* p, int r, int cw) { return 2 * cw < nb ? ex.ld(p, size_t(r) * c.pks + cw) : 0u; };
          warp_tile_mmar(
              ex, prec, K,
              [&](int s, int, int k0, uint32_t a[4]) {
                mma_bf16_a_npaired(lane, k0, m0 + 16 * s, [&](int r, int cw) { return word(pzs, r, cw); }, a);
              },
              ns, ntl,
              [&](int j, int, int k0, uint32_t bb[2]) {
                mma_bf16_b_npaired(lane, k0, n0 + 8 * j + (lane >> 2), [&](int r, int cw) { return word(phs, r, cw); }, bb);
              },
              acc);
        } else {
          warp_tile_mma_gather(
              ex, prec, K, [&](int r, int k) { return k < nb ? ex.ld(dz, (m0 + r) * ts + k) : 0.f; }, ns, ntl,
              [&](int k, int cc) { return k < nb ? ex.ld(hp, (n0 + cc) * ts + k) : 0.f; }, acc);
        }
        for (int s = 0; s < kMmaStrips; ++s) {
          if (s >= ns) break;
          for (int j = 0; j < kMmaGradCols / 8; ++j) {
            if (j >= ntl) break;
            float* q = gw + mma_c_offset(W, m0 + 16 * s, n0 + 8 * j) + size_t(lane) * 4;  // the tile's lane block
            if (quads)
              ex.red(reinterpret_cast<Float4*>(q), 0, Float4{{acc[s][j][0], acc[s][j][1], acc[s][j][2], acc[s][j][3]}});
            else
              for (int i = 0; i < 4; ++i) ex.red(q, i, acc[s][j][i]);
          }
        }
      });
    } else {
      if (mlp_grad_rb(W, nt) == 8)
        blocked_weight_grad<8>(ex, g, n.hw(l - 1), dz, hp, W, nb, ts, prec);
      else
        blocked_weight_grad<4>(ex, g, n.hw(l - 1), dz, hp, W, nb, ts, prec);
    }
    // bias sums: a thread per feature over its row of dz, 16-byte reads when ts % 4 == 0. At the
    // MMA paths' ts ≡ 8 mod 16 a quarter-warp's 8 rows fall on 4 groups of 4 banks (2-way; one
    // float per lane was a 4-way conflict at ts = 44), so rows 4..7 of every 8 read one chunk
    // behind the others (row_sum_a4's stagger): 8 groups, conflict-free, for one round more
    const bool dz4 = mlp_vec4_ok(dz, ts);
    for (int o = tid; o < W; o += nt) ex.red(g, n.hb(l - 1) + o, row_sum_a4(ex, dz + o * ts, nb, dz4, (ts & 15) == 8));
    if (mma) {  // dh (W×nb) = W_lᵀ dz (for_warp_tiles reconverges the lanes the bias loop left apart)
      const int lane = tid & 31;
      const bool dhv2 = mlp_vec2_ok(dh, ts);
      for_warp_tiles(ex, W, nb, kMmaSamples, [&](int m0, int n0, int ns) {
        float acc[kMmaStrips][kMmaParts][4] = {};
        mlp_strip_mma(ex, n, prec, l - 1, 1, m0, ns, n0, nb, ts, dz, packed ? pzf : nullptr, c.pkf, acc);
        for (int s = 0; s < kMmaStrips; ++s) {
          if (s >= ns) break;
          for (int jt = 0; jt < kMmaParts; ++jt)
            for (int j = 0; j < 4; j += 2) {
              const int i = m0 + 16 * s + mma_out_row(lane, j), b = n0 + 8 * jt + mma_out_col(lane, j);
              if (b < nb)
                mlp_st_pair(ex, dh, size_t(i) * ts + b, b + 1 < nb, dhv2, Float2{{acc[s][jt][j], acc[s][jt][j + 1]}});
            }
        }
      });
    } else if (mlp_vec4_ok(Wl, W)) {
      if (mlp_blocked_rb(nb) == 4)
        blocked_backward_dh<4>(ex, Wl, dz, dh, W, nb, ts, prec);
      else
        blocked_backward_dh<5>(ex, Wl, dz, dh, W, nb, ts, prec);
    } else {
      for (int idx = tid; idx < W * nb; idx += nt) {
        const int i = idx / nb, b = idx % nb;
        ex.st(dh, i * ts + b, operand_dot(ex, Wl + i, W, dz + b, ts, W, prec));
      }
    }
    ex.sync();
  }
  // first layer (input and time embedding); dz in rows of tso
  for (int idx = tid; idx < W * nb; idx += nt) {
    const int i = idx / nb, b = idx % nb;
    ex.st(dz, i * tso + b, ex.ld(dh, i * ts + b) * gelu_backward(ex.ld(c.z, i * ts + b)));
  }
  ex.sync();
  const bool x4 = mlp_vec4_ok(x, ts);
  for (int idx = tid; idx < W * d; idx += nt) {
    const int o = idx / d, k = idx % d;
    // (x's row first: it is the one a 16-byte access can read; the products are the same)
    ex.red(g, n.inw + idx, operand_dot_a4(ex, x + k * ts, dz + o * tso, 1, nb, prec, x4));
  }
  for (int o = tid; o < W; o += nt) {
    const float s = row_sum_a4(ex, dz + o * tso, nb, false);  // odd tso: element reads
    ex.red(g, n.inb + o, s);
    ex.red(de, o, s);
  }
  if (dx) {
    const float* Win = n.p + n.inw;
    const uintptr_t wa = reinterpret_cast<uintptr_t>(Win);
    if (d == 2 && (wa & 7u) == 0) {
      input_dx_rows<2>(ex, Win, dz, dx, W, nb, ts, tso, prec);
    } else if (d == 4 && (wa & 15u) == 0) {
      input_dx_rows<4>(ex, Win, dz, dx, W, nb, ts, tso, prec);
    } else {
      for (int idx = tid; idx < d * nb; idx += nt) {
        const int k = idx / nb, b = idx % nb;
        ex.st(dx, k * ts + b, operand_dot(ex, Win + k, d, dz + b, tso, W, prec));
      }
    }
  }
  ex.sync();
}

// For o < M: out(o, Σ_{i<K} A[o·K + i]·v[i]), each sum from 0.f in ascending i (ex.fma), the
// numbers of one thread per output reading its row. The block stages up to 128 rows × 32 columns
// of A at a time in shared memory (stage: kStageFloats floats, rows of 33, so that 32 lanes reading
// 32 rows hit 32 banks): a warp's global loads are 128 consecutive bytes of one row instead of one
// word from each of 32 rows. Every thread of the block calls it (barriers inside); out(o, sum)
// runs on the thread that summed o.
constexpr int kStageRows = 128, kStageCols = 32, kStageFloats = kStageRows * (kStageCols + 1);
template <class Exec, class Out>
DF_HD void staged_rows_dot(Exec& ex, const float* A, int M, int K, const float* v, float* stage, const Out& out) {
  const int tid = ex.tid(), nt = ex.nthreads(), rows = nt < kStageRows ? nt : kStageRows;
  for (int r0 = 0; r0 < M; r0 += rows) {
    const int R = M - r0 < rows ? M - r0 : rows;
    float acc = 0.f;
    for (int i0 = 0; i0 < K; i0 += kStageCols) {
      const int C = K - i0 < kStageCols ? K - i0 : kStageCols;
      for (int idx = tid; idx < R * kStageCols; idx += nt) {
        const int r = idx / kStageCols, c = idx % kStageCols;
        if (c < C) ex.st(stage, r * (kStageCols + 1) + c, ex.ld(A, size_t(r0 + r) * K + i0 + c));
      }
      ex.sync();
      if (tid < R)
        for (int c = 0; c < C; ++c) acc = ex.fma(acc, ex.ld(stage, tid * (kStageCols + 1) + c), ex.ld(v, i0 + c));
      ex.sync();
    }
    if (tid < R) out(r0 + tid, acc);
  }
}

// The features of e(t) and its first layer: feat (2W), z1 (W), g1 = GELU(z1) (W) in memory the
// block can see, ending with a barrier; stage: kStageFloats floats of shared memory
// (staged_rows_dot). The forward (embed_point) and the backward's recompute (embed_point_grad).
template <class Exec>
DF_HD void embed_layer1(Exec& ex, const NetView& n, float t, float* feat, float* z1, float* g1, float* stage) {
  const int W = n.W, tid = ex.tid(), nt = ex.nthreads();
  for (int k = tid; k < W; k += nt) {
    float fs, fc;
    fourier_feature<float>(t, ex.ld(n.p, n.phi + k), k, W, &fs, &fc);
    ex.st(feat, k, fs);
    ex.st(feat, W + k, fc);
  }
  ex.sync();
  staged_rows_dot(ex, n.p + n.t1w, W, 2 * W, feat, stage, [&](int o, float acc) {
    const float z = acc + ex.ld(n.p, n.t1b + o);
    ex.st(z1, o, z);
    ex.st(g1, o, gelu_forward(z));
  });
  ex.sync();
}

// e(t) for one t; feat (2W), z1 (W), g1 (W), e (W) in memory the block can see; stage:
// kStageFloats floats of shared memory (staged_rows_dot).
template <class Exec>
DF_HD void embed_point(Exec& ex, const NetView& n, float t, float* feat, float* z1, float* g1, float* e,
                       float* stage) {
  embed_layer1(ex, n, t, feat, z1, g1, stage);
  staged_rows_dot(ex, n.p + n.t2w, n.W, n.W, g1, stage,
                  [&](int o, float acc) { ex.st(e, o, acc + ex.ld(n.p, n.t2b + o)); });
  ex.sync();
}

// For i < M: out(i, Σ_{o<K} A[o·lda + i]·v[o]), each sum from 0.f in ascending o (ex.fma): Aᵀ v,
// a thread per column i of A (the embedding backward's two transposed products).
template <class Exec, class Out>
DF_HD void cols_dot(Exec& ex, const float* A, int lda, int M, int K, const float* v, const Out& out) {
  for (int i = ex.tid(); i < M; i += ex.nthreads()) {
    float s = 0.f;
    for (int o = 0; o < K; ++o) s = ex.fma(s, ex.ld(A, size_t(o) * lda + i), ex.ld(v, o));
    out(i, s);
  }
}

// The embedding backward runs in two launches (kernel_bodies.h launch_embed_backward): one block
// per (network, grid point) recomputes the point's features and first layer and backpropagates
// its de_j to the features (embed_point_grad), writing what the gradient's terms need to a
// scratch buffer; then one thread per gradient element (4 consecutive ones where 16-byte accesses
// reach them) sums the points' terms from 0 in ascending j (embed_grad_add). Each element is
// written once, and its sum is the one of adding one point after another into a zeroed gradient.
// The scratch: embed_work_floats (sweep_args.h).
// Shared floats of embed_point_grad at width W: z1, dz1 and the stage (the features and g1 go
// straight to the scratch).
DF_HD size_t embed_point_grad_floats(int W) { return size_t(2) * size_t(W) + kStageFloats; }

// The scratch of point j for e(t_j) with cotangent de (W floats): w[0, 2W) the features,
// w[2W, 3W) GELU(z1) (embed_layer1 writes both there), w[3W, 4W) dz1 = (W2ᵀ de) ⊙ GELU'(z1),
// w[4W, 6W) dfeat = W1ᵀ dz1, each sum in ascending order (staged_rows_dot, cols_dot). Every
// thread of the block calls it; sm: embed_point_grad_floats(W) floats of shared memory.
template <class Exec>
DF_HD void embed_point_grad(Exec& ex, const NetView& n, float t, const float* de, float* w, float* sm) {
  const int W = n.W;
  float *z1 = sm, *dz1 = z1 + W, *stage = dz1 + W;
  embed_layer1(ex, n, t, w, z1, w + 2 * W, stage);
  cols_dot(ex, n.p + n.t2w, W, W, W, de, [&](int i, float s) {
    const float v = s * gelu_backward(ex.ld(z1, i));
    ex.st(dz1, i, v);
    ex.st(w, 3 * W + i, v);
  });
  ex.sync();
  cols_dot(ex, n.p + n.t1w, 2 * W, 2 * W, W, dz1, [&](int i, float s) { ex.st(w, 4 * W + i, s); });
}

// The number of work items of embed_grad_add for one network: one per 4 consecutive elements of
// T2 and T1 where vec (16-byte accesses), one per element otherwise, and one per row o (b2, b1,
// φ).
DF_HD size_t embed_add_items(int W, bool vec) {
  const size_t w2 = size_t(W) * size_t(W), hidden = 3 * w2;
  return (vec ? hidden / 4 : hidden) + size_t(W);
}

// Item q < embed_add_items(W, vec) of one network: g = 0 + Σ_{j=j0..N} its terms, in ascending j
// (the bits of adding them into a zeroed g), the point's scratch at work + j·6W (embed_point_grad)
// and its cotangent at de + j·W. vec: T1's and
// T2's rows of g and the scratch 16-byte aligned with W % 4 == 0.
template <class Exec>
DF_HD void embed_grad_add(Exec& ex, const NetView& n, float* g, const float* work, const float* de, int j0, int N,
                          size_t q, bool vec) {
  const int W = n.W;
  const size_t ws = size_t(kEmbedWork) * size_t(W), w2 = size_t(W) * size_t(W);
  const size_t per = vec ? 4 : 1, n2 = w2 / per, n1 = 2 * w2 / per;
  if (q < n2 + n1) {
    // T2 += de_j ⊗ g1_j (rows of W), T1 += dz1_j ⊗ feat_j (rows of 2W)
    const bool t2 = q < n2;
    const size_t e = (t2 ? q : q - n2) * per;
    const int C = t2 ? W : 2 * W, r = int(e / size_t(C)), c = int(e % size_t(C));
    float* gp = g + (t2 ? n.t2w : n.t1w) + e;
    const float* av = t2 ? de : work + 3 * W;
    const int as = t2 ? W : int(ws);
    const float* bv = work + (t2 ? 2 * W : 0);
    if (vec) {
      Float4* p4 = reinterpret_cast<Float4*>(gp);
      Float4 v{{0.f, 0.f, 0.f, 0.f}};
      for (int j = j0; j <= N; ++j) {
        const float x = ex.ld(av, size_t(j) * as + r);
        const Float4 y = ex.ld(reinterpret_cast<const Float4*>(bv + size_t(j) * ws + c), 0);
        for (int k = 0; k < 4; ++k) v.v[k] += x * y.v[k];
      }
      ex.st(p4, 0, v);
    } else {
      float v = 0.f;
      for (int j = j0; j <= N; ++j) v += ex.ld(av, size_t(j) * as + r) * ex.ld(bv, size_t(j) * ws + c);
      ex.st(gp, 0, v);
    }
    return;
  }
  const int o = int(q - n2 - n1);
  float b2 = 0.f, b1 = 0.f, ph = 0.f;
  for (int j = j0; j <= N; ++j) {
    const float* wj = work + size_t(j) * ws;
    b2 += ex.ld(de, size_t(j) * W + o);
    b1 += ex.ld(wj, 3 * W + o);
    // d sin a = cos a, d cos a = −sin a
    ph += ex.ld(wj, 4 * W + o) * ex.ld(wj, W + o) - ex.ld(wj, 5 * W + o) * ex.ld(wj, o);
  }
  ex.st(g, n.t2b + o, b2);
  ex.st(g, n.t1b + o, b1);
  ex.st(g, n.phi + o, ph);
}

}  // namespace df
