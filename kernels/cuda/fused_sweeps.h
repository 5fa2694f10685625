// The fused DiffFlow sweeps (MATH.md §2–§5) as kernel bodies over the Exec interface: one block
// carries a tile of TB samples (the last tile may be partial) through all N steps with the
// states, drifts, scores and layer activations in shared memory (layout: sweep_args.h,
// TileLayout; size tile_layout(...).total floats). Blocks loop over tiles tile = bid, bid +
// nblocks, ... Same numbers as engine/diffflow.h: noise from normal4 with (key, stream, step,
// global sample index, dim/4), per-step constants rounded as there, per-element math from
// kernels/math. Only the order of float sums inside the network passes differs.
// c.prec (SweepCommon) rounds the operands of the MLP layer products (mlp_tile.h, precision.h);
// states, η, the loss and every accumulator stay fp32; the embedding bodies are always fp32.
// Memory accesses go through ex.ld / ex.st / ex.add (counted by the emulator's cost model).
// The noise is drawn TileLayout::nburst steps at a time (noise_burst) into the eps arrays.
//   embed_body          ef/es[j][W] = e(t_j) for j = 0..N, and when asked the transposed hidden
//                       weights wtf/wts (NetView::wt) and their fragment-order copies for the
//                       MMA path (fragf/frags, NetView::frag); grid embed_blocks, 5W + kStageFloats
//                       floats shared (=)
//   diffuse_tile        loss[b] = L_b (D4); xs = the checkpointed states when not null
//                       (every ckpt_k-th and x_N, sweep_args.h ckpt_slot)                   (=)
//   reverse_tile        x: x_N → x_0, (D2) with a noise-free last step, or probability flow     (=)
//   adjoint_tile        diffuse (loss =, xs =) then the adjoint (D5) segment by segment, the
//                       states between checkpoints recomputed into the block's segment buffer;
//                       per step the score's forward, the drift's forward and backward, the
//                       score's forward again (one shared cache set) and its backward;
//                       gradients of the batch mean into the block's slice of gacc (+=), see
//                       AdjointArgs (the slice has no embedding part: embed_backward_body)
//   reduce_body         out[p] = Σ_blocks part[blk·stride + gacc_src(p)], fixed order
//                       (deterministic), the flat order; the MLP parts to gf, gs where given (=)
//   embed_points_body   per (network, grid point) block: the point's scratch for the embedding
//                       gradient (embed_point_grad) into work; grid 2(N+1) blocks            (=)
//   embed_backward_body gf/gs (flat) embedding part = embedding gradients from work and the
//                       summed de_j, a thread per element (or 4: embed_grad_add), grid-stride (=)
#pragma once
#include "kernels/cuda/mlp_tile.h"

namespace df {

DF_HD MlpCacheView tile_cache(float* sm, const TileLayout& T, size_t z) {
  MlpCacheView c{sm + z, sm + T.h};
  if (T.pk_words) {
    c.pk = reinterpret_cast<uint32_t*>(sm + T.pk);
    c.pkf = mlp_pk_stride_f(T.TB);
    c.pks = mlp_pk_stride_s(T.TB);
  }
  return c;
}
DF_HD MlpCacheView cache_f(float* sm, const TileLayout& T) { return tile_cache(sm, T, T.zf); }
DF_HD MlpCacheView cache_s(float* sm, const TileLayout& T) { return tile_cache(sm, T, T.zs); }

// eps[s·d·ts + k·ts + b] = N(0, I) for (stream, step0 + s), s < nsteps, and samples b0 .. b0+nb-1
// (normal4 per quadruple of dimensions, as engine/diffflow.h draws them): the noise of nsteps
// steps in one pass over all the block's threads, where one step's d·nb draws alone would leave
// most of them waiting; ends with a barrier.
template <class Exec>
DF_HD void noise_burst(Exec& ex, const NoiseKey& key, uint32_t stream, int step0, int nsteps, int b0, int nb, int d,
                       int ts, float* eps) {
  const int nq = (d + 3) / 4, per = nb * nq;
  for (int idx = ex.tid(); idx < nsteps * per; idx += ex.nthreads()) {
    const int st = idx / per, r = idx % per, b = r / nq, q = r % nq;
    double z[4];  // normal_block's draw, stored through ex
    normal4(key, stream, uint32_t(step0 + st), uint32_t(b0 + b), uint32_t(q), z);
    float* e = eps + size_t(st) * size_t(d) * size_t(ts);
    for (int k = 4 * q; k < d && k < 4 * q + 4; ++k) ex.st(e, size_t(k) * size_t(ts) + b, float(z[k - 4 * q]));
  }
  ex.sync();
}

// The noise of step i of a run of steps first .. end-1 taken in ascending order: at every
// T.nburst-th step from first (and at first) the next T.nburst steps (fewer at the end) are
// drawn into eps0 (noise_burst, a barrier); returns step i's d×TB array in it.
template <class Exec>
DF_HD float* noise_step(Exec& ex, const TileLayout& T, const NoiseKey& key, uint32_t stream, int i, int first, int end,
                        int b0, int nb, int d, float* eps0) {
  const int slot = (i - first) % T.nburst;
  if (slot == 0) noise_burst(ex, key, stream, i, end - i < T.nburst ? end - i : T.nburst, b0, nb, d, T.ts, eps0);
  return eps0 + size_t(slot) * size_t(d) * size_t(T.ts);
}

struct EmbedArgs {
  NetView f, s;
  StepConsts st;
  float* ef = nullptr;  // [N+1][W]
  float* es = nullptr;
  float* wtf = nullptr;  // the transposed hidden weights of f and s (NetView::wt), L·W² each;
  float* wts = nullptr;  // null: not written (and no blocks for them)
  uint32_t* fragf = nullptr;  // with wtf: their fragment-order copies for prec (NetView::frag),
  uint32_t* frags = nullptr;  // 2·L·W² words each; null: not written
  MatPrecision prec = MatPrecision::FP32;
};

// Blocks of the embedding kernel: 2(N+1) embeddings, then 2L hidden-weight transpositions.
DF_HD int embed_blocks(const EmbedArgs& a) { return 2 * (a.st.N + 1) + (a.wtf ? 2 * a.f.L : 0); }

// wt[k·W + o] = w[o·W + k] (one W×W layer) through 32×32 tiles in shared memory (rows of 33
// floats: conflict-free both ways), so the reads and the writes are coalesced; sm: 32·33 floats.
template <class Exec> DF_HD void transpose_layer(Exec& ex, const float* w, float* wt, int W, float* sm) {
  const int tid = ex.tid(), nt = ex.nthreads();
  for (int r0 = 0; r0 < W; r0 += 32)
    for (int c0 = 0; c0 < W; c0 += 32) {
      for (int i = tid; i < 32 * 32; i += nt) {
        const int r = r0 + i / 32, c = c0 + i % 32;
        if (r < W && c < W) ex.st(sm, (i / 32) * 33 + i % 32, ex.ld(w, size_t(r) * W + c));
      }
      ex.sync();
      for (int i = tid; i < 32 * 32; i += nt) {
        const int c = c0 + i / 32, r = r0 + i % 32;  // wt's row c, column r
        if (r < W && c < W) ex.st(wt, size_t(c) * W + r, ex.ld(sm, (i % 32) * 33 + i / 32));
      }
      ex.sync();
    }
}

template <class Exec> DF_HD void embed_body(Exec& ex, const EmbedArgs& a) {
  const int N = a.st.N, W = a.f.W;
  float* sm = ex.template shared<float>();
  if (ex.bid() >= 2 * (N + 1)) {  // transposition blocks: (network, hidden layer)
    const int t = ex.bid() - 2 * (N + 1), net = t / a.f.L, l = t % a.f.L;
    const NetView& n = net == 0 ? a.f : a.s;
    const float* w = n.p + n.hw(l);
    float* wt = (net == 0 ? a.wtf : a.wts) + size_t(l) * W * W;
    transpose_layer(ex, w, wt, W, sm);  // ends with a barrier: wt is visible to the block
    uint32_t* fr = net == 0 ? a.fragf : a.frags;
    if (!fr || !mlp_use_mma(a.prec, W, 32)) return;
    Uint4* fw = reinterpret_cast<Uint4*>(fr + size_t(2 * l) * W * W);  // W_l, then W_lᵀ
    Uint4* fwt = reinterpret_cast<Uint4*>(fr + size_t(2 * l + 1) * W * W);
    for (size_t q = size_t(ex.tid()); q < mma_frag_quads(a.prec, W); q += size_t(ex.nthreads())) {
      ex.st(fw, q, mma_frag_quad(a.prec, W, q, [&](int r, int k) { return ex.ld(w, size_t(r) * W + k); }));
      ex.st(fwt, q, mma_frag_quad(a.prec, W, q, [&](int r, int k) { return ex.ld(wt, size_t(r) * W + k); }));
    }
    return;
  }
  const int net = ex.bid() / (N + 1), j = ex.bid() % (N + 1);
  const NetView& n = net == 0 ? a.f : a.s;
  float* out = (net == 0 ? a.ef : a.es) + size_t(j) * W;
  embed_point(ex, n, ex.ld(a.st.t, j), sm, sm + 2 * W, sm + 3 * W, out, sm + 5 * W);
}

// Diffuses samples b0 .. b0+nb-1; leaves x_N in sm + *x_at. Writes loss (and xs when set; with
// spath, the score's output at x_{i+1} to spath + i·d·ts, AdjointArgs::keep_s).
template <class Exec>
DF_HD void diffuse_one_tile(Exec& ex, const DiffuseArgs& a, const TileLayout& T, float* sm, int b0, int nb,
                            float* spath = nullptr) {
  const SweepCommon& c = a.c;
  const int d = c.f.d, ts = T.ts, N = c.st.N, B = c.B, W = c.f.W, tid = ex.tid(), nt = ex.nthreads();
  float *x = sm + T.x, *xn = sm + T.xn, *F = sm + T.F, *Fn = sm + T.Fn;
  float *Sn = sm + T.Sn, *eps = sm + T.eps, *loss = sm + T.loss;
  for (int idx = tid; idx < d * nb; idx += nt) {
    const int k = idx / nb, b = idx % nb;
    const float v = ex.ld(a.x0, size_t(b0 + b) * d + k);
    ex.st(x, k * ts + b, v);
    if (a.xs) ex.st(a.xs, size_t(b0 + b) * d + k, v);  // slot 0
  }
  for (int b = tid; b < nb; b += nt) ex.st(loss, b, 0.f);
  ex.sync();
  mlp_forward_tile(ex, c.f, c.ef, x, nb, ts, cache_f(sm, T), F, c.prec);
  float* const eps0 = eps;
  for (int i = 0; i < N; ++i) {
    eps = noise_step(ex, T, c.key, kStreamDiffuse, i, 0, N, b0, nb, d, eps0);
    const float dt = ex.ld(c.st.dt, i), sf = ex.ld(c.st.sf, i), sb = ex.ld(c.st.sb, i), g2 = ex.ld(c.st.g2, i);
    const int slot = a.xs ? ckpt_slot(i + 1, N, a.ckpt_k) : -1;
    for (int idx = tid; idx < d * nb; idx += nt) {
      const int k = idx / nb, b = idx % nb, e = k * ts + b;
      const float v = em_move(ex.ld(x, e), ex.ld(F, e), dt, sf, ex.ld(eps, e));
      ex.st(xn, e, v);
      if (slot >= 0) ex.st(a.xs, (size_t(slot) * B + b0 + b) * d + k, v);
    }
    ex.sync();
    mlp_forward_tile(ex, c.f, c.ef + size_t(i + 1) * W, xn, nb, ts, cache_f(sm, T), Fn, c.prec);
    mlp_forward_tile(ex, c.s, c.es + size_t(i + 1) * W, xn, nb, ts, cache_s(sm, T), Sn, c.prec);
    for (int b = tid; b < nb; b += nt)
      for (int k = 0; k < d; ++k) {
        const int e = k * ts + b;
        const float s = ex.ld(Sn, e);
        ex.add(loss, b, kl_term(eta_of(ex.ld(x, e), ex.ld(xn, e), ex.ld(Fn, e), s, g2, dt, sb), ex.ld(eps, e)));
        if (spath) ex.st(spath, size_t(i) * d * ts + e, s);
      }
    ex.sync();
    float* t = x; x = xn; xn = t;
    t = F; F = Fn; Fn = t;
  }
  for (int b = tid; b < nb; b += nt) {
    float sq = 0.f;
    for (int k = 0; k < d; ++k) {
      const float xk = ex.ld(x, k * ts + b);
      sq += xk * xk;
    }
    ex.st(a.loss, b0 + b, ex.ld(loss, b) + (0.5f * sq + a.term_c));
  }
  ex.sync();
}

template <class Exec> DF_HD void diffuse_tile(Exec& ex, const DiffuseArgs& a) {
  float* sm = ex.template shared<float>();
  const TileLayout T = tile_layout(a.c.f.d, a.c.f.W, a.c.f.L, a.c.TB, a.c.prec);
  const int ntiles = (a.c.B + a.c.TB - 1) / a.c.TB;
  for (int tile = ex.bid(); tile < ntiles; tile += ex.nblocks()) {
    const int b0 = tile * a.c.TB, nb = a.c.B - b0 < a.c.TB ? a.c.B - b0 : a.c.TB;
    diffuse_one_tile(ex, a, T, sm, b0, nb);
    ex.tile_done();
  }
}

template <class Exec> DF_HD void reverse_tile(Exec& ex, const ReverseArgs& a) {
  const SweepCommon& c = a.c;
  const int d = c.f.d, TB = c.TB, N = c.st.N, W = c.f.W, tid = ex.tid(), nt = ex.nthreads();
  float* sm = ex.template shared<float>();
  const TileLayout T = tile_layout(d, W, c.f.L, TB, c.prec);
  const int ts = T.ts;
  float *x = sm + T.x, *F = sm + T.F, *S = sm + T.Sn, *eta = sm + T.eps;
  const int ntiles = (c.B + TB - 1) / TB;
  for (int tile = ex.bid(); tile < ntiles; tile += ex.nblocks()) {
    const int b0 = tile * TB, nb = c.B - b0 < TB ? c.B - b0 : TB;
    for (int idx = tid; idx < d * nb; idx += nt)
      ex.st(x, (idx / nb) * ts + idx % nb, ex.ld(a.x, size_t(b0 + idx % nb) * d + idx / nb));
    ex.sync();
    for (int i = N - 1; i >= 0; --i) {
      const float dt = ex.ld(c.st.dt, i), g2 = ex.ld(c.st.g2, i), sb = ex.ld(c.st.sb, i);
      mlp_forward_tile(ex, c.f, c.ef + size_t(i + 1) * W, x, nb, ts, cache_f(sm, T), F, c.prec);
      mlp_forward_tile(ex, c.s, c.es + size_t(i + 1) * W, x, nb, ts, cache_s(sm, T), S, c.prec);
      const bool noisy = a.lambda > 0.f && i > 0;
      const float* et = eta;
      if (noisy) {  // steps N-1 down to 1, T.nburst at a time: the burst of [lo, i0] where i0 = i + slot
        const int slot = (N - 1 - i) % T.nburst, i0 = i + slot, lo = i0 - T.nburst + 1 > 1 ? i0 - T.nburst + 1 : 1;
        if (slot == 0) noise_burst(ex, c.key, kStreamReverse, lo, i0 - lo + 1, b0, nb, d, ts, eta);
        et = eta + size_t(i - lo) * size_t(d) * size_t(ts);
      }
      for (int idx = tid; idx < d * nb; idx += nt) {
        const int e = (idx / nb) * ts + idx % nb;
        ex.st(x, e, reverse_step(ex.ld(x, e), ex.ld(F, e), ex.ld(S, e), g2, dt, sb, noisy ? ex.ld(et, e) : 0.f, a.lambda));
      }
      ex.sync();
    }
    if (a.denoise) {  // Tweedie's step at t_0: the score at x_0
      mlp_forward_tile(ex, c.s, c.es, x, nb, ts, cache_s(sm, T), S, c.prec);
      for (int idx = tid; idx < d * nb; idx += nt) {
        const int e = (idx / nb) * ts + idx % nb;
        ex.st(x, e, tweedie_move(ex.ld(x, e), ex.ld(S, e), a.tw_var, a.tw_alpha));
      }
      ex.sync();
    }
    for (int idx = tid; idx < d * nb; idx += nt)
      ex.st(a.x, size_t(b0 + idx % nb) * d + idx / nb, ex.ld(x, (idx / nb) * ts + idx % nb));
    ex.sync();
    ex.tile_done();
  }
}

// Recomputes the states of segment c (steps cK .. e = min(cK + K, N)) of the tile into seg
// ([m][k·ts + b] = x_{cK+m}, ts = T.ts): both ends from the checkpoint slots c and c + 1, the
// states in between by the diffuse sweep's own move (same network pass, noise and constants, so
// the same bits). Uses x, xn, F, eps and the drift cache of shared memory; ends with a barrier.
template <class Exec>
DF_HD void recompute_segment(Exec& ex, const AdjointArgs& a, const TileLayout& T, float* sm, int b0, int nb, int cseg,
                             float* seg) {
  const SweepCommon& c = a.dif.c;
  const int d = c.f.d, ts = T.ts, N = c.st.N, B = c.B, W = c.f.W, K = a.dif.ckpt_k, tid = ex.tid(), nt = ex.nthreads();
  const int s0 = cseg * K, s1 = s0 + K < N ? s0 + K : N;
  const float* xs = a.dif.xs;
  float *x = sm + T.x, *xn = sm + T.xn, *F = sm + T.F, *eps = sm + T.eps;
  const size_t last = size_t(s1 - s0) * d * ts;
  for (int idx = tid; idx < d * nb; idx += nt) {
    const int k = idx / nb, b = idx % nb;
    const float v = ex.ld(xs, (size_t(cseg) * B + b0 + b) * d + k);
    ex.st(seg, k * ts + b, v);
    ex.st(x, k * ts + b, v);
    ex.st(seg, last + k * ts + b, ex.ld(xs, (size_t(cseg + 1) * B + b0 + b) * d + k));
  }
  ex.sync();
  float* const eps0 = eps;
  for (int i = s0; i < s1 - 1; ++i) {
    mlp_forward_tile(ex, c.f, c.ef + size_t(i) * W, x, nb, ts, cache_f(sm, T), F, c.prec);
    eps = noise_step(ex, T, c.key, kStreamDiffuse, i, s0, s1 - 1, b0, nb, d, eps0);
    const float dt = ex.ld(c.st.dt, i), sf = ex.ld(c.st.sf, i);
    float* out = seg + size_t(i + 1 - s0) * d * ts;
    for (int idx = tid; idx < d * nb; idx += nt) {
      const int e = (idx / nb) * ts + idx % nb;
      const float v = em_move(ex.ld(x, e), ex.ld(F, e), dt, sf, ex.ld(eps, e));
      ex.st(out, e, v);
      ex.st(xn, e, v);
    }
    ex.sync();
    float* t = x; x = xn; xn = t;
  }
}

// The adjoint walk of engine/diffflow.h diffflow_loss_grad over the tile, segment by segment
// from the last, each segment's states recomputed from its checkpoints (recompute_segment).
// gf, gs: the networks' gradients in the flat layout (only offsets ≥ inw are written here).
// spath: the score's outputs of the diffuse sweep (AdjointArgs::keep_s), or null.
template <class Exec>
DF_HD void adjoint_one_tile(Exec& ex, const AdjointArgs& a, const TileLayout& T, float* sm, int b0, int nb,
                            float* gf, float* gs, float* def, float* des, float* seg, const float* spath) {
  const SweepCommon& c = a.dif.c;
  const int d = c.f.d, ts = T.ts, N = c.st.N, W = c.f.W, K = a.dif.ckpt_k, tid = ex.tid(), nt = ex.nthreads();
  const float invB = a.inv_b;
  float *xj = sm + T.x, *xp = sm + T.xn, *F = sm + T.F, *S = sm + T.Sn;
  float *lam = sm + T.lam, *rcur = sm + T.rcur, *rprev = sm + T.rprev, *v = sm + T.v, *w = sm + T.w;
  float *jf = sm + T.jf, *js = sm + T.js, *dh = sm + T.dh, *dz = sm + T.dz;
  for (int cseg = ckpt_segments(N, K) - 1; cseg >= 0; --cseg) {
    recompute_segment(ex, a, T, sm, b0, nb, cseg, seg);
    const int s0 = cseg * K, s1 = s0 + K < N ? s0 + K : N;
    for (int j = s1; j > s0; --j) {
      const float* sj = seg + size_t(j - s0) * d * ts;
      const float* sp = seg + size_t(j - 1 - s0) * d * ts;
      for (int idx = tid; idx < d * nb; idx += nt) {
        const int e = (idx / nb) * ts + idx % nb;
        ex.st(xj, e, ex.ld(sj, e));
        ex.st(xp, e, ex.ld(sp, e));
      }
      ex.sync();
      // The score first, then the drift, whose pre-activations the drift's backward reads: the
      // sweeps keep one cache set (tile_layout's caches = 1), so the score's forward runs again
      // before its own backward (the same pass on the same state: the same bits). With spath the
      // diffuse sweep's output at this state stands in for the first (the same bits again: x_j,
      // stored or recomputed, is the state it was computed at).
      const float* Sj = S;
      if (spath)
        Sj = spath + size_t(j - 1) * d * ts;
      else
        mlp_forward_tile(ex, c.s, c.es + size_t(j) * W, xj, nb, ts, cache_s(sm, T), S, c.prec);
      mlp_forward_tile(ex, c.f, c.ef + size_t(j) * W, xj, nb, ts, cache_f(sm, T), F, c.prec);
      const float dtp = ex.ld(c.st.dt, j - 1), sb = ex.ld(c.st.sb, j - 1), g2 = ex.ld(c.st.g2, j - 1);
      const float dtj = j < N ? ex.ld(c.st.dt, j) : 0.f;
      for (int idx = tid; idx < d * nb; idx += nt) {
        const int e = (idx / nb) * ts + idx % nb;
        float r, ve, we;
        adjoint_cotangents(ex.ld(xp, e), ex.ld(xj, e), ex.ld(F, e), ex.ld(Sj, e), g2, dtp, sb, dtj, ex.ld(lam, e), j == N,
                           invB, &r, &ve, &we);
        ex.st(rprev, e, r);
        ex.st(v, e, ve);
        ex.st(w, e, we);
      }
      ex.sync();
      mlp_backward_tile(ex, c.f, xj, cache_f(sm, T), v, nb, ts, dh, dz, gf, def + size_t(j) * W, jf, c.prec);
      mlp_forward_tile(ex, c.s, c.es + size_t(j) * W, xj, nb, ts, cache_s(sm, T), S, c.prec);
      mlp_backward_tile(ex, c.s, xj, cache_s(sm, T), w, nb, ts, dh, dz, gs, des + size_t(j) * W, js, c.prec);
      for (int idx = tid; idx < d * nb; idx += nt) {
        const int e = (idx / nb) * ts + idx % nb;
        const float rp = ex.ld(rprev, e);
        ex.st(lam, e, adjoint_lambda(ex.ld(lam, e), ex.ld(xj, e), ex.ld(rcur, e), rp, ex.ld(jf, e), ex.ld(js, e), j == N, invB));
        ex.st(rcur, e, rp);
      }
      ex.sync();
    }
  }
  // j = 0: only the move is left (x_0 is the first state of segment 0, still in seg)
  for (int idx = tid; idx < d * nb; idx += nt) {
    const int e = (idx / nb) * ts + idx % nb;
    ex.st(xj, e, ex.ld(seg, e));
  }
  ex.sync();
  mlp_forward_tile(ex, c.f, c.ef, xj, nb, ts, cache_f(sm, T), F, c.prec);
  const float dt0 = ex.ld(c.st.dt, 0);
  for (int idx = tid; idx < d * nb; idx += nt) {
    const int e = (idx / nb) * ts + idx % nb;
    ex.st(v, e, dt0 * ex.ld(lam, e));
  }
  ex.sync();
  mlp_backward_tile(ex, c.f, xj, cache_f(sm, T), v, nb, ts, dh, dz, gf, def, static_cast<float*>(nullptr), c.prec);
}

// A block's gradient slice set to zero before its first backward pass adds into it (ex.red), in
// 16-byte stores: a slice starts on a 128-byte line and gstride is a multiple of 32 floats
// (gacc_size). Each block zeroes its own, so the launch needs no memset of all the slices first.
template <class Exec> DF_HD void zero_slice(Exec& ex, float* g, size_t n) {
  Float4* g4 = reinterpret_cast<Float4*>(g);
  const Float4 z{{0.f, 0.f, 0.f, 0.f}};
  for (size_t i = size_t(ex.tid()); i < n / 4; i += size_t(ex.nthreads())) ex.st(g4, i, z);
}

template <class Exec> DF_HD void adjoint_tile(Exec& ex, const AdjointArgs& a) {
  const SweepCommon& c = a.dif.c;
  float* sm = ex.template shared<float>();
  const TileLayout T = tile_layout(c.f.d, c.f.W, c.f.L, c.TB, c.prec);
  float* gacc = a.gacc + size_t(ex.bid()) * a.gstride;
  // The slice holds the parameters from inw on: index the flat layout through a pointer moved
  // back by inw (only offsets ≥ inw are ever written through it).
  float* gf = gacc + gacc_f(c.f) - c.f.inw;
  float* gs = gacc + gacc_s(c.f) - c.f.inw;
  float *def = gacc + gacc_def(c.f), *des = gacc + gacc_des(c.f, c.st.N);
  float* seg = a.seg + size_t(ex.bid()) * a.seg_stride;
  float* spath = a.keep_s ? sm + T.total : nullptr;  // past the layout (keep_s)
  zero_slice(ex, gacc, a.gstride);
  ex.sync();  // before any thread of the block adds into it
  const int ntiles = (c.B + c.TB - 1) / c.TB;
  for (int tile = ex.bid(); tile < ntiles; tile += ex.nblocks()) {
    const int b0 = tile * c.TB, nb = c.B - b0 < c.TB ? c.B - b0 : c.TB;
    diffuse_one_tile(ex, a.dif, T, sm, b0, nb, spath);
    adjoint_one_tile(ex, a, T, sm, b0, nb, gf, gs, def, des, seg, spath);
    ex.tile_done();
  }
}

// Where slice element p of the flat order sits in a slice adjoint_tile wrote: p, except that with
// mma (the sweeps' hidden layers on MMAs) each network's hidden weights are at mlp_grad_slot's
// places (the score's part from gacc_s; both networks have f's shape).
DF_HD size_t gacc_src(const NetView& f, bool mma, size_t p) {
  if (!mma) return p;
  const size_t Pm = gacc_mlp(f);
  const size_t parts[2] = {gacc_f(f), gacc_s(f)};  // each holds parameters inw .. n_params
  for (int k = 0; k < 2; ++k)
    if (p >= parts[k] && p < parts[k] + Pm) return parts[k] + mlp_grad_slot(f, true, p - parts[k] + f.inw) - f.inw;
  return p;
}

// out[p] = Σ_{k < nparts} part[k·stride + gacc_src(f, mma, p)] for p < n, summed in k order: the
// slices' sum in the flat order.
struct ReduceArgs {
  float* out = nullptr;
  const float* part = nullptr;
  size_t stride = 0, n = 0;
  int nparts = 0;
  NetView f;         // the networks' shape (offsets) and
  bool mma = false;  // whether the hidden weights are in accumulator order (gacc_src)
  // where set, the MLP parts go straight to the gradients (flat layout from off_inw) instead of
  // out: elements [0, pm) to gf, [s_off, s_off + pm) to gs (reduce_body)
  float *gf = nullptr, *gs = nullptr;
  size_t pm = 0, s_off = 0;
};

template <class Exec> DF_HD void reduce_body(Exec& ex, const ReduceArgs& a) {
  const size_t step = size_t(ex.nthreads()) * ex.nblocks();
  for (size_t p = size_t(ex.bid()) * ex.nthreads() + ex.tid(); p < a.n; p += step) {
    const size_t q = gacc_src(a.f, a.mma, p);
    float s = 0.f;
    for (int k = 0; k < a.nparts; ++k) s += ex.ld(a.part, size_t(k) * a.stride + q);
    if (a.gf && p < a.pm)
      ex.st(a.gf, p, s);
    else if (a.gs && p >= a.s_off && p < a.s_off + a.pm)
      ex.st(a.gs, p - a.s_off, s);
    else
      ex.st(a.out, p, s);
  }
}

struct EmbedBackwardArgs {
  NetView f, s;
  StepConsts st;
  float* gf = nullptr;          // the drift's gradient, flat layout: embedding part (=)
  float* gs = nullptr;          // the score's
  const float* def = nullptr;   // summed de_j of the drift, [N+1][W]
  const float* des = nullptr;   // of the score
  float* work = nullptr;        // scratch, embed_work_floats(W, N): [network][j][6W]
};

// Block (net, j) = (bid / (N+1), bid % (N+1)); the score's j = 0 is skipped (never evaluated at
// t_0; embed_backward_body does not read it).
template <class Exec> DF_HD void embed_points_body(Exec& ex, const EmbedBackwardArgs& a) {
  const int N = a.st.N, W = a.f.W, net = ex.bid() / (N + 1), j = ex.bid() % (N + 1);
  if (net == 1 && j == 0) return;
  const NetView& n = net == 0 ? a.f : a.s;
  const float* de = (net == 0 ? a.def : a.des) + size_t(j) * W;
  float* w = embed_work_net(a.work, W, N, net) + size_t(j) * kEmbedWork * size_t(W);
  embed_point_grad(ex, n, ex.ld(a.st.t, j), de, w, ex.template shared<float>());
}

// Whether embed_grad_add takes 16-byte accesses for network net's gradient g.
DF_HD bool embed_add_vec(const EmbedBackwardArgs& a, int net) {
  const NetView& n = net == 0 ? a.f : a.s;
  const float* g = net == 0 ? a.gf : a.gs;
  return mlp_vec4_ok(g + n.t1w, n.W) && mlp_vec4_ok(g + n.t2w, n.W) && mlp_vec4_ok(a.work, n.W);
}
DF_HD size_t embed_backward_items(const EmbedBackwardArgs& a) {
  return embed_add_items(a.f.W, embed_add_vec(a, 0)) + embed_add_items(a.s.W, embed_add_vec(a, 1));
}

template <class Exec> DF_HD void embed_backward_body(Exec& ex, const EmbedBackwardArgs& a) {
  const int N = a.st.N, W = a.f.W;
  const bool vf = embed_add_vec(a, 0), vs = embed_add_vec(a, 1);
  const size_t nf = embed_add_items(W, vf), n = nf + embed_add_items(W, vs);
  const size_t step = size_t(ex.nthreads()) * ex.nblocks();
  for (size_t q = size_t(ex.bid()) * ex.nthreads() + ex.tid(); q < n; q += step) {
    if (q < nf)
      embed_grad_add(ex, a.f, a.gf, a.work, a.def, 0, N, q, vf);
    else  // the score from j = 1
      embed_grad_add(ex, a.s, a.gs, embed_work_net(a.work, W, N, 1), a.des, 1, N, q - nf, vs);
  }
}

}  // namespace df
