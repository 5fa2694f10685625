// Arguments and shared-memory layout of the fused sweep kernels (kernels/cuda/fused_sweeps.h),
// compiled by g++ (emulated kernels) and nvcc (device kernels). Plain structs of pointers and
// sizes, passed by value to a kernel.
//   NetView     one network's flat parameters (engine/params.h layout) with the offsets the
//               host took from NetShape, so the layout is written once (in NetShape)
//   StepConsts  per-step float constants, rounded exactly as the CPU sweeps round them:
//               t[N+1] = float(t_j), dt[N] = float(Δ_i), sf[N] = σF_i, sb[N] = σB_i,
//               g2[N] = float(g_{i+1}²)
//   SweepCommon.prec  operand precision of the MLP layer products (kernels/cuda/precision.h;
//               FP32 default = the plain fp32 kernels); the embedding stays fp32
//   TileLayout  offsets (in floats) of a block's shared arrays for a tile of TB samples, rows of
//               ts = tile_stride(TB, W, prec) floats (TB rounded up to odd for the fp32 loops, 24
//               for the MMAs at TB = 16: fewer bank conflicts): states/cotangents d×TB
//               ([k*ts + b]), activations W×TB ([i*ts + b]): dh, dz, two activation work
//               arrays shared by both networks, and one or two sets of L+1 pre-activations (the
//               sweeps: one, which both networks share; the probability-flow kernel: one each)
// Host-only helpers (make_net_view, make_step_consts) are inline host functions.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "kernels/cuda/precision.h"
#include "kernels/math/df_hd.h"
#include "kernels/math/philox.h"
#include "kernels/math/sde.h"

namespace df {

struct NetView {
  const float* p = nullptr;
  // The hidden layers' weights transposed, L blocks of W×W with wt[l·W² + k·W + o] = W_l[o][k]
  // (written per call by the embedding kernel, EmbedArgs::wtf/wts); null: the forward pass reads
  // W_l itself (one output per thread).
  const float* wt = nullptr;
  // The hidden weights in MMA A-fragment order for the call's precision (mma.h mma_frag_quad,
  // rounded to it; only when the hidden layers take the MMA path): W_l at word 2l·W², W_lᵀ at
  // (2l+1)·W² (the bf16 copies fill the first half of their W² words); null: the MMAs gather A
  // element by element from W_l.
  const uint32_t* frag = nullptr;
  int d = 0, W = 0, L = 0;
  size_t phi = 0, t1w = 0, t1b = 0, t2w = 0, t2b = 0, inw = 0, inb = 0, hw0 = 0, hstride = 0, outw = 0, outb = 0;
  size_t n_params = 0;
  DF_HD size_t hw(int l) const { return hw0 + size_t(l) * hstride; }
  DF_HD size_t hb(int l) const { return hw(l) + size_t(W) * W; }
};

struct StepConsts {
  const float* t = nullptr;  // N+1
  const float* dt = nullptr;
  const float* sf = nullptr;
  const float* sb = nullptr;
  const float* g2 = nullptr;  // N each
  int N = 0;
};

// Common to every sweep: the two networks, the grid, the tile size and the batch.
struct SweepCommon {
  NetView f, s;
  StepConsts st;
  const float* ef = nullptr;  // e_f(t_j), [N+1][W] (embed kernel)
  const float* es = nullptr;  // e_s(t_j), [N+1][W]
  int B = 0, TB = 8;
  NoiseKey key;
  MatPrecision prec = MatPrecision::FP32;  // operands of the layer products (precision.h)
};

// Checkpoint slots of the state store (xs) for checkpoint interval K ≥ 1: x_j is kept when
// j % K == 0 (slot j / K, j < N) and x_N always (slot ckpt_segments = ⌈N/K⌉). K = 1 keeps every
// state (slot j). Segment c (0 ≤ c < ⌈N/K⌉) covers the steps cK .. min(cK + K, N); its two ends
// are slots c and c + 1, the states in between are recomputed by the adjoint.
DF_HD int ckpt_segments(int N, int K) { return (N + K - 1) / K; }
DF_HD int ckpt_slots(int N, int K) { return ckpt_segments(N, K) + 1; }
DF_HD int ckpt_slot(int j, int N, int K) { return j == N ? ckpt_segments(N, K) : (j % K == 0 ? j / K : -1); }

// diffuse_tile: loss[b] = L_b of (D4) (=); xs (optional) = the checkpointed states, slot-major
// [ckpt_slots(N, ckpt_k)][B][d] (=).
struct DiffuseArgs {
  SweepCommon c;
  const float* x0 = nullptr;  // d×B, sample-major (x0[b*d + k])
  float* loss = nullptr;      // B
  float* xs = nullptr;        // ckpt_slots(N, ckpt_k)·B·d or null
  int ckpt_k = 1;             // checkpoint interval K of xs (1 = every state)
  float term_c = 0.f;         // terminal constant (d/2) log 2π + d log(g_N/g_0)
};

// adjoint_tile: diffuse (loss, checkpointed states) then the stochastic adjoint (D5), segment by
// segment from the last: the states between two checkpoints are recomputed (the same code as the
// diffuse sweep, so the same bits) into the block's segment buffer seg + bid·seg_stride,
// (K+1)·d·ts floats (ts = tile_stride(TB, W, prec)) laid out [m][k·ts + b] for the state
// x_{cK+m}. Each block owns a gradient slice of gacc (stride gstride = gacc_size) laid out
// [gf: Pm][gs: Pm][de_f: (N+1)W][de_s: (N+1)W] at the gacc_* offsets (each part 128-byte aligned),
// where Pm = n_params − inw is the network's parameters after its time embedding (the
// embedding's own gradient is formed once from the summed de_j, embed_backward_body), and adds
// (+=) its tiles' gradients of the batch mean (cotangents carry inv_b = 1/B) into it, the hidden
// weights at mlp_grad_slot's places (reduce_body puts them back in the flat order).
struct AdjointArgs {
  DiffuseArgs dif;  // dif.xs is required; dif.ckpt_k = K
  float* seg = nullptr;
  size_t seg_stride = 0;
  float* gacc = nullptr;
  size_t gstride = 0;
  float inv_b = 1.f;
  // Where there is room for it: the score's outputs S(x_j), j = 1 .. N, kept in shared memory
  // past the tile layout (adjoint_spath_floats) by the diffuse sweep, so the adjoint's step j
  // reads them instead of running the score's forward a second time (its other forward, right
  // before its backward, refills the shared cache set). Any K: the walk's states, recomputed or
  // stored, are the ones the diffuse sweep evaluated the score at.
  int keep_s = 0;
};

// reverse_tile: x (d×B, sample-major) holds x_N on entry and x_0 on exit (=). The sampler
// (engine/sampler.h): lambda of the Eq. 17 family; denoise: Tweedie's step at t_0 with
// (tw_var, tw_alpha) (engine/model_family.h tweedie_at_start).
struct ReverseArgs {
  SweepCommon c;
  float* x = nullptr;
  float lambda = 1.f;
  int denoise = 0;
  float tw_var = 0.f, tw_alpha = 1.f;
};

// Offsets of the gradient slice of one block (compact: no room for the embedding parameters;
// each part and each slice starts on a 128-byte line, so the MMA path's 16-byte adds stay aligned
// whatever d is and a warp's 512 bytes are 4 lines).
DF_HD size_t gacc_align(size_t x) { return (x + 31) / 32 * 32; }
DF_HD size_t gacc_mlp(const NetView& f) { return f.n_params - f.inw; }
DF_HD size_t gacc_f(const NetView&) { return 0; }
DF_HD size_t gacc_s(const NetView& f) { return gacc_align(gacc_mlp(f)); }
DF_HD size_t gacc_def(const NetView& f) { return 2 * gacc_s(f); }
DF_HD size_t gacc_des(const NetView& f, int N) { return gacc_def(f) + size_t(N + 1) * f.W; }
// The slice's size for Pm = n_params − inw, N steps and width W (the stride between slices).
DF_HD size_t gacc_size_for(size_t Pm, int N, int W) { return gacc_align(2 * gacc_align(Pm) + 2 * size_t(N + 1) * W); }
DF_HD size_t gacc_size(const NetView& f, int N) { return gacc_size_for(gacc_mlp(f), N, f.W); }
// The embedding backward's scratch (kernel_bodies.h launch_embed_backward), per network and grid
// point j = 0..N: the features (2W), GELU(z1) (W), dz1 (W) and dfeat (2W) (mlp_tile.h
// embed_point_grad).
constexpr int kEmbedWork = 6;
DF_HD size_t embed_work_floats(int W, int N) { return size_t(2) * size_t(N + 1) * size_t(kEmbedWork) * size_t(W); }
// Network net's (0 the drift, 1 the score) part of that scratch; point j at + j·kEmbedWork·W.
DF_HD float* embed_work_net(float* work, int W, int N, int net) {
  return work + size_t(net) * size_t(N + 1) * size_t(kEmbedWork) * size_t(W);
}

// The row stride of a tile's arrays (shared memory and the segment buffer), in floats, for the
// hidden layers' path (W and the operand precision prec; W = 0: the fp32 stride):
//   fp32 loops (prec FP32, or W % 16 != 0): TB rounded up to an odd number. The weight-gradient
//     loops have lane i read sample b of row i (dz, h_{l-1}, x: element i·ts + b); with an odd
//     stride 32 consecutive rows fall in 32 different banks, where ts = TB = 16 put them in 2 (a
//     16-way conflict on every such load).
//   MMAs (TF32, BF16): the smallest ts ≥ TB with ts ≡ 8 (mod 16), 24 for TB = 16, 40 for 38. The
//     forward's and dh's accumulators are stored by lane (g, t) at row g (and g + 8), columns
//     2t, 2t + 1 as one 8-byte store (mlp_tile.h mlp_st_pair): a half-warp's four rows g·ts then
//     start on four distinct multiples of 8 banks, conflict-free (2-way at ts ≡ 4 mod 8). TF32's
//     B fragments (lane (g, t) reads row t at column g) are conflict-free too, and its weight
//     gradient's gathers (lane g reads row g at column t) 2-way. BF16 reads its fragments from the
//     packed copies (mlp_pk_stride_*), whose strides are their own; its gathers (tests only) are
//     2-way. The bias sums' 16-byte row reads (8 rows per quarter-warp) are 2-way (conflict-free
//     at ts ≡ 4 mod 8). Cost model at the PERF.md shape: bf16 2.43 -> 2.32, tf32 3.45 -> 3.14 ms
//     against ts ≡ 4 (mod 8), which the cost model had found slightly better before the 8-byte
//     stores. At the odd stride 17 all of these were 2- to 4-way.
// Any ts ≥ TB gives the same numbers: only the banks change.
DF_HD int tile_stride(int TB, int W = 0, MatPrecision prec = MatPrecision::FP32) {
  if (prec == MatPrecision::FP32 || W <= 0 || W % 16 != 0) return TB | 1;
  int ts = TB;
  while (ts % 16 != 8) ++ts;
  return ts;
}
DF_HD size_t seg_size(int d, int K, int TB, int W = 0, MatPrecision prec = MatPrecision::FP32) {
  return size_t(K + 1) * size_t(d) * size_t(tile_stride(TB, W, prec));
}

// Floats of the adjoint's score path (AdjointArgs::keep_s) for a tile: N·d·ts (ts = tile_stride(TB, W, prec)).
DF_HD size_t adjoint_spath_floats(int d, int N, int TB, int W, MatPrecision prec) {
  return size_t(N) * size_t(d) * size_t(tile_stride(TB, W, prec));
}

// A network's pass over a tile keeps only the pre-activations z_l; the activations h_l =
// GELU(z_l) live in two W×TB work arrays (the forward's h_l in array l % 2; the backward pass
// recomputes h_{l-1} from z_{l-1} into array 0 where its weight gradient needs it), so both
// networks share the work arrays and a tile of twice the samples fits the same shared memory.
struct MlpCacheView {
  float* z;  // (L+1) W×TB pre-activations z_0 .. z_L (=, read by the backward and the JVP)
  float* h;  // 2 W×TB work arrays for the activations (scratch: nothing in them outlives a pass)
  // BF16 tensor-core path only (null otherwise): scratch for the MMA operands packed as bf16
  // pairs (mma.h, mma_bf16_*; mlp_pk_words words), k-paired rows of pkf words, n-paired rows of
  // pks words (mlp_pk_stride_f / _s). Shared by both networks like h.
  uint32_t* pk = nullptr;
  int pkf = 0, pks = 0;
};

// The packed operand scratch of the BF16 tensor-core path for tiles of up to TB samples: k-paired
// arrays (W/2 rows of samples) with rows of the smallest stride ≥ TB that is ≡ 8 (mod 16), n-paired
// arrays (W rows of sample pairs) with rows of the smallest stride ≥ ⌈TB/2⌉ that is ≡ 4 (mod 8):
// the fragments' word loads are then conflict-free (mma.h). The forward uses two k-paired arrays
// (h_l in, h_{l+1} out), the backward one k-paired (dz for dh) and two n-paired (dz and h_{l-1}
// for the weight gradient), at the offsets of mlp_pk_*.
DF_HD int mlp_pk_stride_f(int TB) {
  int s = TB;
  while (s % 16 != 8) ++s;
  return s;
}
DF_HD int mlp_pk_stride_s(int TB) {
  int s = (TB + 1) / 2;
  while (s % 8 != 4) ++s;
  return s;
}
DF_HD size_t mlp_pk_f(int W, int TB) { return size_t(W / 2) * size_t(mlp_pk_stride_f(TB)); }  // one k-paired array
DF_HD size_t mlp_pk_s(int W, int TB) { return size_t(W) * size_t(mlp_pk_stride_s(TB)); }      // one n-paired array
DF_HD size_t mlp_pk_words(int W, int TB) {
  const size_t f = mlp_pk_f(W, TB), s = mlp_pk_s(W, TB);
  return f + (f > 2 * s ? f : 2 * s);
}
// Whether precision prec at width W keeps the packed scratch (the BF16 tensor-core path).
DF_HD bool mlp_packs(MatPrecision prec, int W) { return prec == MatPrecision::BF16 && W % 16 == 0; }

// The noise burst's budget: at most kNoiseBurstSteps steps and about kNoiseBurstFloats floats of
// shared memory (at least one step: large d draws one step at a time, as before).
constexpr int kNoiseBurstSteps = 16;
constexpr size_t kNoiseBurstFloats = 2048;

struct TileLayout {
  int ts, TB;                                                            // row stride (tile_stride), samples
  int nburst;  // steps of noise drawn at once (noise_burst): eps holds nburst d×TB arrays
  size_t x, xn, F, Fn, Sn, eps, loss, lam, rcur, rprev, v, w, jf, js;  // d×TB (loss: TB)
  size_t dh, dz;                                                         // W×TB (dz: rows of ts | 1)
  size_t h;                                                              // 2 W×TB (MlpCacheView::h)
  size_t zf, zs;  // (L+1) W×TB each; zs = zf when the layout has one set (caches = 1)
  int caches;      // sets of pre-activations: 1 (the sweeps) or 2 (pf_loglik_tile)
  size_t pk, pk_words;  // the packed BF16 operand scratch (mlp_pk_words; 0 words off that path)
  size_t total;                                                          // floats
};

// caches: the sets of pre-activations kept, 1 or 2. The sweeps keep one, which both networks
// share: only the adjoint's backward passes read a forward's cache, and it runs each network's
// backward right after that network's own forward (fused_sweeps.h adjoint_one_tile), which lets a
// tile hold about 1.4 times the samples. The probability-flow kernel keeps one per network (its
// tangent passes of both networks follow both forwards).
DF_HD TileLayout tile_layout(int d, int W, int L, int TB, MatPrecision prec = MatPrecision::FP32, int caches = 1) {
  TileLayout t;
  t.caches = caches < 2 ? 1 : 2;
  t.ts = tile_stride(TB, W, prec);
  t.TB = TB;
  const size_t s = size_t(d) * t.ts, a = size_t(W) * t.ts, c = size_t(L + 1) * a;
  size_t o = 0;
  t.x = o; o += s; t.xn = o; o += s; t.F = o; o += s; t.Fn = o; o += s; t.Sn = o; o += s;
  t.nburst = int(kNoiseBurstFloats / (s > 0 ? s : 1));
  t.nburst = t.nburst < 1 ? 1 : (t.nburst > kNoiseBurstSteps ? kNoiseBurstSteps : t.nburst);
  t.eps = o; o += size_t(t.nburst) * s; t.lam = o; o += s; t.rcur = o; o += s; t.rprev = o; o += s;
  t.v = o; o += s; t.w = o; o += s; t.jf = o; o += s; t.js = o; o += s;
  t.loss = o; o += size_t(TB);
  o = (o + 3) / 4 * 4;  // 16-byte align the activations
  t.dh = o; o += a; t.dz = o; o += size_t(W) * size_t(t.ts | 1); t.h = o; o += 2 * a;  // dz: rows of ts | 1 (mlp_tile.h)
  t.zf = o; o += c; t.zs = t.caches == 2 ? o : t.zf; o += t.caches == 2 ? c : 0;
  t.pk = o; t.pk_words = mlp_packs(prec, W) ? mlp_pk_words(W, TB) : 0; o += t.pk_words;
  t.total = o;
  return t;
}

}  // namespace df

// ---- host-only helpers -------------------------------------------------------------------
#include <cmath>
#include <vector>

#include "kernels/math/net_shape.h"
#include "kernels/math/time_grid.h"

namespace df {

// Floats of one network's hidden weights (L·W², the size of NetView::wt).
inline size_t hidden_floats(const NetShape& s) { return size_t(s.L) * size_t(s.W) * size_t(s.W); }

inline NetView make_net_view(const NetShape& s, const float* p) {
  NetView v;
  v.p = p;
  v.d = s.d; v.W = s.W; v.L = s.L;
  v.phi = s.off_phi(); v.t1w = s.off_t1w(); v.t1b = s.off_t1b(); v.t2w = s.off_t2w(); v.t2b = s.off_t2b();
  v.inw = s.off_inw(); v.inb = s.off_inb(); v.hw0 = s.off_hw(0);
  v.hstride = s.L > 1 ? s.off_hw(1) - s.off_hw(0) : size_t(s.W) * s.W + s.W;
  v.outw = s.off_outw(); v.outb = s.off_outb(); v.n_params = s.n_params();
  return v;
}

// [t (N+1) | dt (N) | sf (N) | sb (N) | g2 (N)], rounded as engine/diffflow.h rounds them.
inline size_t step_consts_floats(int N) { return size_t(N + 1 + 4 * N); }
inline std::vector<float> make_step_consts(const TimeGrid& g) {
  const int N = g.N();
  std::vector<float> c(step_consts_floats(N));
  for (int j = 0; j <= N; ++j) c[size_t(j)] = float(g.t[size_t(j)]);
  for (int i = 0; i < N; ++i) {
    const float dt = float(g.dt(i));
    c[size_t(N + 1 + i)] = dt;
    c[size_t(2 * N + 1 + i)] = sigma_forward(float(g.g[size_t(i)]), dt);
    c[size_t(3 * N + 1 + i)] = sigma_backward(float(g.g[size_t(i + 1)]), dt);
    c[size_t(4 * N + 1 + i)] = float(g.g[size_t(i + 1)] * g.g[size_t(i + 1)]);
  }
  return c;
}

inline StepConsts step_consts_view(const float* base, int N) {
  StepConsts s;
  s.N = N;
  s.t = base;
  s.dt = base + N + 1;
  s.sf = base + 2 * N + 1;
  s.sb = base + 3 * N + 1;
  s.g2 = base + 4 * N + 1;
  return s;
}

// The same expression as engine/diffflow.h terminal_constant<float> (which pulls in Eigen, kept
// out of nvcc); tests/test_emu_sweeps.cpp checks the two agree bit for bit.
inline float terminal_constant_f(const TimeGrid& g, int d) {
  return float(0.5 * d * std::log(2 * M_PI) + d * std::log(g.g.back() / g.g.front()));
}

}  // namespace df

namespace df {

// The buffers one fused diffflow_loss_grad call needs on the device, in floats, for B samples,
// N steps, checkpoint interval K (clamped to 1..N), tiles of TB samples and at most max_blocks
// persistent blocks. The blocks are balanced: G = ⌈tiles / rounds⌉ with rounds = ⌈tiles /
// max_blocks⌉, so every block runs the same number of tiles (or one fewer) and no slice is
// allocated for a block that would only lengthen the last round. The CUDA backend allocates
// exactly these; bench/ and the tests read the plan.
struct AdjointPlan {
  int G = 1, TB = 1, K = 1, tiles = 1;
  size_t states = 0;  // ckpt_slots(N, K)·B·d
  size_t seg = 0;     // G·(K+1)·d·tile_stride(TB, W, prec)
  size_t slices = 0;  // G·gacc_size, or embed_work_floats if more: the embedding backward's
                      // scratch reuses the slices once they are reduced
  size_t total = 0;   // gacc_size (the reduced gradient)
  size_t loss = 0;    // B
  size_t consts = 0;  // step constants, both embeddings, both transposed hidden weights and
                      // their fragment-order copies: 5N+1 + 2(N+1)W + 2LW² + 4LW²
  size_t floats() const { return states + seg + slices + total + loss + consts; }
  size_t bytes() const { return floats() * sizeof(float); }
};

inline AdjointPlan adjoint_plan(const NetShape& s, int B, int N, int K, int TB, int max_blocks,
                                MatPrecision prec = MatPrecision::FP32) {
  AdjointPlan p;
  p.K = K < 1 ? 1 : (K > N ? N : K);
  p.TB = TB;
  p.tiles = (B + TB - 1) / TB;
  const int mb = max_blocks < 1 ? 1 : max_blocks;
  const int rounds = (p.tiles + mb - 1) / mb;
  p.G = (p.tiles + rounds - 1) / rounds;
  const size_t P = s.n_params(), Pm = P - s.off_inw(), gsz = gacc_size_for(Pm, N, s.W);
  p.states = size_t(ckpt_slots(N, p.K)) * size_t(B) * size_t(s.d);
  p.seg = size_t(p.G) * seg_size(s.d, p.K, TB, s.W, prec);
  p.slices = size_t(p.G) * gsz;
  if (p.slices < embed_work_floats(s.W, N)) p.slices = embed_work_floats(s.W, N);
  p.total = gsz;
  p.loss = size_t(B);
  p.consts = size_t(5 * N + 1) + 2 * size_t(N + 1) * size_t(s.W) + 6 * hidden_floats(s);
  return p;
}

}  // namespace df
