// The layer-wise DiffFlow sweeps: the same algorithm as the fused kernels (kernels/cuda/
// fused_sweeps.h) and the CPU reference (engine/diffflow.h), over a whole chunk of samples at a
// time, as GEMMs plus elementwise steps. For shapes the fused kernels do not cover (W > 128,
// d > 64) and as a second reference for them. Written once, as a host driver templated on an
// Ops policy that owns memory and runs the steps:
//   ops.alloc(n)                    n zeroed floats, freed with ops (float*)
//   ops.upload(dst, host, n)        host → ops memory; ops.download(host, src, n) the reverse
//   ops.copy(dst, src, n)           within ops memory
//   ops.gemm(ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc)
//                                   C (m×n) = alpha·op(A)·op(B) + beta·C, column-major, as
//                                   cublasSgemm takes them
//   ops.map(n, f)                   f(i) for i < n, any order (f writes only its own outputs)
//   ops.embed(EmbedArgs), ops.embed_backward(EmbedBackwardArgs)
//                                   the fused path's embedding kernels (e(t_j), and the embedding
//                                   gradient from the summed de_j), launched on the ops' device
// CpuOps (cpu_ops.h) runs it on the emulated device (tested on every commit); CudaOps
// (kernels/cuda/layerwise_ops.cuh) with cuBLAS and a grid-stride kernel per map.
// Layout: states d×Bc column-major (sample b at x + b·d, as the backends' buffers), activations
// W×Bc column-major. The flat parameter matrices are row-major [out][in], i.e. column-major
// in×out: a forward product is gemm(T, N). Gradients accumulate with beta = 1 in a fixed order
// (chunks in order, steps from N down), so results are deterministic.
// Bias gradients and the embedding cotangents de_j are row sums over the chunk's samples, taken
// as a product with a vector of ones (one GEMM instead of a serial loop per row on the device;
// on the host the same ascending sum as a loop).
// Per chunk of Bc samples, the adjoint follows that chunk's diffuse sweep, keeping every K-th
// state and x_N of the chunk (sweep_args.h ckpt_slot) and recomputing each segment: memory is
// (⌈N/K⌉+1)·d·Bc states + (K+1)·d·Bc for a segment + (4(L+1)+2)·W·Bc activations and their
// cotangents + O(d·Bc + W + P).
//   lw_loss_grad  gf, gs (=) gradients of the batch-mean loss (flat layout, P each); loss[B] (=,
//                 optional); returns the mean loss
//   lw_loss       loss[B] (=) (D4)
//   lw_reverse    x (d×B): x_N → x_0 (the λ family with a noise-free last step; Tweedie's step) (=)
// lw_loss and lw_reverse also run DDPM (LwModel: fixed drift, score from the ε-network; the
// drift parameters are then not read).
// Same noise (normal4, global sample index), constants and per-element math as the other paths.
#pragma once
#include <algorithm>
#include <vector>

#include "kernels/cuda/fused_sweeps.h"
#include "kernels/math/gelu.h"
#include "kernels/math/philox.h"
#include "kernels/math/sde.h"
#include "kernels/math/vp.h"

namespace df {

// The layer-wise path's refusal of bf16 operands (CpuOps and CudaOps alike).
constexpr const char* kLayerwiseNoBf16 =
    "bf16 matrix operands: the layer-wise path (W > 128, a network whose tile does not fit shared memory, or "
    "DDPM training) supports fp32 and tf32 only";

namespace lw {

// ---- elementwise steps ---------------------------------------------------------------------
// z (W×n) += bias[o] (+ e[o]); h = gelu(z)
// With group_b0 ≥ 0, e is a table of embeddings [1 + groups][W] and column b takes row
// 1 + (group_b0 + b) / kDdpmGroup (DDPM: one time per group of samples; row 0 unused).
struct BiasGelu {
  float *z, *h;
  const float *bias, *e;
  int W;
  int group_b0 = -1;
  DF_HD void operator()(size_t i) const {
    const int o = int(i % size_t(W));
    const float* ee = e;
    if (e && group_b0 >= 0) ee = e + size_t(W) * size_t(1 + (group_b0 + int(i / size_t(W))) / kDdpmGroup);
    const float zz = z[i] + (ee ? bias[o] + ee[o] : bias[o]);
    z[i] = zz;
    h[i] = gelu_forward(zz);
  }
};
// y (d×n) += bias[k]
struct BiasAdd {
  float* y;
  const float* bias;
  int d;
  DF_HD void operator()(size_t i) const { y[i] += bias[i % size_t(d)]; }
};
// dz = dh ⊙ gelu'(z)
struct GeluBack {
  float* dz;
  const float *dh, *z;
  DF_HD void operator()(size_t i) const { dz[i] = dh[i] * gelu_backward(z[i]); }
};
// g[r] += s[r] and de[r] += s[r] (one row sum into two accumulators)
struct AddRows {
  float *g, *de;
  const float* s;
  DF_HD void operator()(size_t r) const {
    g[r] += s[r];
    de[r] += s[r];
  }
};
// eps (d×n) = N(0, I) for (stream, step), samples b0 + b; one thread per (b, quadruple)
struct Noise {
  float* eps;
  NoiseKey key;
  uint32_t stream;
  int step, b0, d, nq;
  DF_HD void operator()(size_t i) const {
    const int b = int(i / size_t(nq)), q = int(i % size_t(nq));
    normal_block(key, stream, uint32_t(step), uint32_t(b0 + b), q, d, eps + size_t(b) * d, 1);
  }
};
struct EmMove {
  float* xn;
  const float *x, *F, *eps;
  float dt, sf;
  DF_HD void operator()(size_t i) const { xn[i] = em_move(x[i], F[i], dt, sf, eps[i]); }
};
// loss[b] += Σ_k kl_term(η, ε) of the step
struct KlAccum {
  float* loss;
  const float *x, *xn, *Fn, *Sn, *eps;
  float g2, dt, sb;
  int d;
  DF_HD void operator()(size_t b) const {
    float acc = loss[b];
    for (int k = 0; k < d; ++k) {
      const size_t e = b * d + k;
      acc += kl_term(eta_of(x[e], xn[e], Fn[e], Sn[e], g2, dt, sb), eps[e]);
    }
    loss[b] = acc;
  }
};
// loss[b] += ½|x_N|² + c
struct Terminal {
  float* loss;
  const float* x;
  float c;
  int d;
  DF_HD void operator()(size_t b) const {
    float sq = 0.f;
    for (int k = 0; k < d; ++k) sq += x[b * d + k] * x[b * d + k];
    loss[b] = loss[b] + (0.5f * sq + c);
  }
};
// The cotangents of step j (fused_sweeps.h adjoint_one_tile)
struct Cotangents {
  float *rprev, *v, *w;
  const float *xp, *xj, *F, *S, *lam;
  float g2, dtp, sb, dtj, invB;
  int last;  // j == N
  DF_HD void operator()(size_t e) const {
    adjoint_cotangents(xp[e], xj[e], F[e], S[e], g2, dtp, sb, dtj, lam[e], last != 0, invB, &rprev[e], &v[e], &w[e]);
  }
};
struct LamUpdate {
  float *lam, *rcur;
  const float *xj, *rprev, *jf, *js;
  float invB;
  int last;
  DF_HD void operator()(size_t e) const {
    lam[e] = adjoint_lambda(lam[e], xj[e], rcur[e], rprev[e], jf[e], js[e], last != 0, invB);
    rcur[e] = rprev[e];
  }
};
struct Fill {
  float* y;
  float v;
  DF_HD void operator()(size_t e) const { y[e] = v; }
};
struct Scale {
  float* y;
  const float* x;
  float a;
  DF_HD void operator()(size_t e) const { y[e] = a * x[e]; }
};
struct ReverseStep {
  float* x;
  const float *F, *S, *eta;
  float g2, dt, sb, lambda;
  DF_HD void operator()(size_t e) const { x[e] = reverse_step(x[e], F[e], S[e], g2, dt, sb, eta ? eta[e] : 0.f, lambda); }
};
struct TweedieStep {
  float* x;
  const float* S;
  float var, alpha;
  DF_HD void operator()(size_t e) const { x[e] = tweedie_move(x[e], S[e], var, alpha); }
};

// ---- the network passes ----------------------------------------------------------------------
// Workspace of one network for a chunk: the activation caches z_l, h_l (W×Bc each, l = 0..L),
// ones (Bc, all 1: the row sums of the bias gradients are products with it) and rsum (W, the
// row sum that feeds both the input bias's gradient and de_j).
struct Cache {
  std::vector<float*> z, h;
  float *ones = nullptr, *rsum = nullptr;
};

template <class Ops> Cache make_cache(Ops& ops, const NetShape& s, int Bc) {
  Cache c;
  for (int l = 0; l <= s.L; ++l) {
    c.z.push_back(ops.alloc(size_t(s.W) * Bc));
    c.h.push_back(ops.alloc(size_t(s.W) * Bc));
  }
  c.ones = ops.alloc(size_t(Bc));
  ops.map(size_t(Bc), Fill{c.ones, 1.f});
  c.rsum = ops.alloc(size_t(s.W));
  return c;
}

// y (d×n) = net(x, t) with e = e(t); fills the cache.
// group_b0 ≥ 0: per-group embeddings (BiasGelu) for samples group_b0 .. group_b0 + n − 1.
template <class Ops>
void forward(Ops& ops, const NetView& v, const float* e, const float* x, int n, Cache& c, float* y,
             int group_b0 = -1) {
  const int W = v.W, d = v.d;
  const size_t a = size_t(W) * n;
  ops.gemm(true, false, W, n, d, 1.f, v.p + v.inw, d, x, d, 0.f, c.z[0], W);
  ops.map(a, BiasGelu{c.z[0], c.h[0], v.p + v.inb, e, W, group_b0});
  for (int l = 0; l < v.L; ++l) {
    ops.gemm(true, false, W, n, W, 1.f, v.p + v.hw(l), W, c.h[size_t(l)], W, 0.f, c.z[size_t(l + 1)], W);
    ops.map(a, BiasGelu{c.z[size_t(l + 1)], c.h[size_t(l + 1)], v.p + v.hb(l), nullptr, W, -1});
  }
  ops.gemm(true, false, d, n, W, 1.f, v.p + v.outw, W, c.h[size_t(v.L)], W, 0.f, y, d);
  ops.map(size_t(d) * n, BiasAdd{y, v.p + v.outb, d});
}

// g (flat layout, the parts after the embedding) += Σ_b (∂y_b/∂θ)ᵀ dy_b; de (W, optional) +=
// Σ_b dz_0; dx (d×n, optional) = (∂y/∂x)ᵀ dy. dh, dz: W×n scratch; dz holds dz_0 on return.
// Bias rows: g_b += m·1 (the cache's ones), samples summed in a fixed order.
template <class Ops>
void backward(Ops& ops, const NetView& v, const float* x, const Cache& c, const float* dy, int n, float* dh,
              float* dz, float* g, float* de, float* dx) {
  const int W = v.W, d = v.d, L = v.L;
  const size_t a = size_t(W) * n;
  ops.gemm(false, true, W, d, n, 1.f, c.h[size_t(L)], W, dy, d, 1.f, g + v.outw, W);
  ops.gemm(false, false, d, 1, n, 1.f, dy, d, c.ones, n, 1.f, g + v.outb, d);
  ops.gemm(false, false, W, n, d, 1.f, v.p + v.outw, W, dy, d, 0.f, dh, W);
  for (int l = L; l >= 1; --l) {
    ops.map(a, GeluBack{dz, dh, c.z[size_t(l)]});
    ops.gemm(false, true, W, W, n, 1.f, c.h[size_t(l - 1)], W, dz, W, 1.f, g + v.hw(l - 1), W);
    ops.gemm(false, false, W, 1, n, 1.f, dz, W, c.ones, n, 1.f, g + v.hb(l - 1), W);
    ops.gemm(false, false, W, n, W, 1.f, v.p + v.hw(l - 1), W, dz, W, 0.f, dh, W);
  }
  ops.map(a, GeluBack{dz, dh, c.z[0]});
  ops.gemm(false, true, d, W, n, 1.f, x, d, dz, W, 1.f, g + v.inw, d);
  if (de) {
    ops.gemm(false, false, W, 1, n, 1.f, dz, W, c.ones, n, 0.f, c.rsum, W);
    ops.map(size_t(W), AddRows{g + v.inb, de, c.rsum});
  } else {
    ops.gemm(false, false, W, 1, n, 1.f, dz, W, c.ones, n, 1.f, g + v.inb, W);
  }
  if (dx) ops.gemm(false, false, d, n, W, 1.f, v.p + v.inw, d, dz, W, 0.f, dx, d);
}

// ---- model family ------------------------------------------------------------------------
// DiffFlow (both networks learned) or DDPM through the same sweeps (engine/diffflow.h
// eval_drift/eval_score): f = −½β(t)x, s = −ε_θ(x, t)/σ_t, with the per-grid-point factors
// formed on the host in double from the float time, as the CPU reference forms them.
struct LwModel {
  bool ddpm = false;                  // the fixed drift and the ε-network's score
  std::vector<float> fscale, sscale;  // [N+1], DDPM only (engine/device_consts.h lw_model)
};

// ---- shared set-up ------------------------------------------------------------------------
struct Setup {
  NetView f, s;
  StepConsts st;
  float *ef = nullptr, *es = nullptr;  // [N+1][W]
};

// F = f(x, t_j) and S = s(x, t_j) (with caches) for the model family.
template <class Ops>
void eval_f(Ops& ops, const Setup& u, const LwModel& m, int j, const float* x, int n, Cache& c, float* F) {
  if (m.ddpm)
    ops.map(size_t(u.f.d) * n, Scale{F, x, m.fscale[size_t(j)]});
  else
    forward(ops, u.f, u.ef + size_t(j) * u.f.W, x, n, c, F);
}
template <class Ops>
void eval_s(Ops& ops, const Setup& u, const LwModel& m, int j, const float* x, int n, Cache& c, float* S) {
  forward(ops, u.s, u.es + size_t(j) * u.s.W, x, n, c, S);
  if (m.ddpm) ops.map(size_t(u.s.d) * n, Scale{S, S, m.sscale[size_t(j)]});
}

// The host copy of the step constants (the device copy is not readable from the host).
struct HostConsts {
  std::vector<float> c;
  StepConsts st;
  explicit HostConsts(const TimeGrid& g) : c(make_step_consts(g)), st(step_consts_view(c.data(), g.N())) {}
};

// The step constants in ops memory (from hc) and the embeddings e(t_j) of both networks.
template <class Ops>
Setup setup(Ops& ops, const NetShape& shape, const float* pf, const float* ps, const HostConsts& hc) {
  Setup u;
  const int N = hc.st.N;
  float* dc = ops.alloc(hc.c.size());
  ops.upload(dc, hc.c.data(), hc.c.size());
  u.st = step_consts_view(dc, N);
  u.f = make_net_view(shape, pf);
  u.s = make_net_view(shape, ps);
  u.ef = ops.alloc(size_t(N + 1) * shape.W);
  u.es = ops.alloc(size_t(N + 1) * shape.W);
  ops.embed(EmbedArgs{u.f, u.s, u.st, u.ef, u.es});
  return u;
}

// Mean of the B per-sample values at dev, summed in double in sample order (engine/diffflow.h).
template <class Ops> double download_mean(Ops& ops, const float* dev, int B) {
  std::vector<float> h(static_cast<size_t>(B));
  ops.download(h.data(), dev, h.size());
  double mean = 0;
  for (float l : h) mean += double(l);
  return mean / B;
}

// Diffuse sweep of one chunk (samples b0 .. b0+n−1): loss (n, =); when xs is not null, the
// checkpointed states of the chunk, slot-major [ckpt_slots][n][d] (=).
template <class Ops>
void diffuse_chunk(Ops& ops, const Setup& u, const LwModel& md, const HostConsts& hc, const float* x0, int b0, int n,
                   NoiseKey key, float term_c, float* loss, float* xs, int K, Cache& cf, Cache& cs, float* x,
                   float* xn, float* F, float* Fn, float* Sn, float* eps) {
  const int d = u.f.d, N = u.st.N;
  const size_t sz = size_t(d) * n;
  ops.copy(x, x0, sz);
  if (xs) ops.copy(xs, x, sz);
  ops.map(size_t(n), Fill{loss, 0.f});
  eval_f(ops, u, md, 0, x, n, cf, F);
  for (int i = 0; i < N; ++i) {
    const float dt = hc.st.dt[i], sf = hc.st.sf[i], sb = hc.st.sb[i], g2 = hc.st.g2[i];
    ops.map(size_t(n) * ((d + 3) / 4), Noise{eps, key, kStreamDiffuse, i, b0, d, (d + 3) / 4});
    ops.map(sz, EmMove{xn, x, F, eps, dt, sf});
    const int slot = xs ? ckpt_slot(i + 1, N, K) : -1;
    if (slot >= 0) ops.copy(xs + size_t(slot) * sz, xn, sz);
    eval_f(ops, u, md, i + 1, xn, n, cf, Fn);
    eval_s(ops, u, md, i + 1, xn, n, cs, Sn);
    ops.map(size_t(n), KlAccum{loss, x, xn, Fn, Sn, eps, g2, dt, sb, d});
    std::swap(x, xn);
    std::swap(F, Fn);
  }
  ops.map(size_t(n), Terminal{loss, x, term_c, d});
}

inline int chunk_size(int B, int Bc) { return Bc < 1 || Bc > B ? B : Bc; }

}  // namespace lw

// gf, gs (=): gradients of the batch-mean loss, flat layout; loss (B, =, ops memory, optional:
// null keeps the per-sample losses in scratch); returns the mean loss (downloaded, summed in
// double in sample order as engine/diffflow.h sums it). K: checkpoint interval (clamped to
// 1..N); Bc: samples per chunk (≤ 0: the whole batch).
template <class Ops>
double lw_loss_grad(Ops& ops, float* gf, float* gs, float* loss, const NetShape& shape, const float* pf,
                    const float* ps, const float* x0, int B, const TimeGrid& grid, NoiseKey key, int K, int Bc) {
  using namespace lw;
  const int N = grid.N(), d = shape.d, W = shape.W;
  K = std::max(1, std::min(K, N));
  Bc = chunk_size(B, Bc);
  if (!loss) loss = ops.alloc(size_t(B));
  const HostConsts hc(grid);
  const Setup u = setup(ops, shape, pf, ps, hc);
  const float term_c = terminal_constant_f(grid, d), invB = 1.0f / float(B);
  const size_t P = shape.n_params(), sz = size_t(d) * Bc, a = size_t(W) * Bc;
  ops.map(P, Fill{gf, 0.f});
  ops.map(P, Fill{gs, 0.f});
  float* de = ops.alloc(2 * size_t(N + 1) * W);  // [de_f: (N+1)W][de_s: (N+1)W]
  float* def = de;
  float* des = de + size_t(N + 1) * W;
  Cache cf = make_cache(ops, shape, Bc), cs = make_cache(ops, shape, Bc);
  float *x = ops.alloc(sz), *xn = ops.alloc(sz), *F = ops.alloc(sz), *Fn = ops.alloc(sz), *S = ops.alloc(sz);
  float *eps = ops.alloc(sz), *lam = ops.alloc(sz), *rcur = ops.alloc(sz), *rprev = ops.alloc(sz);
  float *v = ops.alloc(sz), *w = ops.alloc(sz), *jf = ops.alloc(sz), *js = ops.alloc(sz);
  float *dh = ops.alloc(a), *dz = ops.alloc(a);
  float* xs = ops.alloc(size_t(ckpt_slots(N, K)) * sz);
  float* seg = ops.alloc(size_t(K + 1) * sz);
  for (int b0 = 0; b0 < B; b0 += Bc) {
    const int n = std::min(Bc, B - b0);
    const size_t m = size_t(d) * n;
    diffuse_chunk(ops, u, LwModel{}, hc, x0 + size_t(b0) * d, b0, n, key, term_c, loss + b0, xs, K, cf, cs, x, xn, F,
                  Fn, S, eps);
    for (int c = ckpt_segments(N, K) - 1; c >= 0; --c) {
      const int s0 = c * K, s1 = std::min(N, s0 + K);
      ops.copy(seg, xs + size_t(c) * m, m);
      ops.copy(seg + size_t(s1 - s0) * m, xs + size_t(c + 1) * m, m);
      for (int i = s0; i < s1 - 1; ++i) {  // the states in between, by the diffuse sweep's move
        forward(ops, u.f, u.ef + size_t(i) * W, seg + size_t(i - s0) * m, n, cf, F);
        ops.map(size_t(n) * ((d + 3) / 4), Noise{eps, key, kStreamDiffuse, i, b0, d, (d + 3) / 4});
        ops.map(m, EmMove{seg + size_t(i + 1 - s0) * m, seg + size_t(i - s0) * m, F, eps, hc.st.dt[i], hc.st.sf[i]});
      }
      for (int j = s1; j > s0; --j) {
        const float* xj = seg + size_t(j - s0) * m;
        const float* xp = seg + size_t(j - 1 - s0) * m;
        forward(ops, u.f, u.ef + size_t(j) * W, xj, n, cf, F);
        forward(ops, u.s, u.es + size_t(j) * W, xj, n, cs, S);
        const float dtp = hc.st.dt[j - 1], sb = hc.st.sb[j - 1], g2 = hc.st.g2[j - 1];
        const float dtj = j < N ? hc.st.dt[j] : 0.f;
        ops.map(m, Cotangents{rprev, v, w, xp, xj, F, S, lam, g2, dtp, sb, dtj, invB, j == N});
        backward(ops, u.f, xj, cf, v, n, dh, dz, gf, def + size_t(j) * W, jf);
        backward(ops, u.s, xj, cs, w, n, dh, dz, gs, des + size_t(j) * W, js);
        ops.map(m, LamUpdate{lam, rcur, xj, rprev, jf, js, invB, j == N});
      }
    }
    // j = 0: only the move is left (x_0 is seg[0] of segment 0)
    forward(ops, u.f, u.ef, seg, n, cf, F);
    ops.map(m, Scale{v, lam, hc.st.dt[0]});
    backward(ops, u.f, seg, cf, v, n, dh, dz, gf, def, static_cast<float*>(nullptr));
  }
  ops.embed_backward(EmbedBackwardArgs{u.f, u.s, u.st, gf, gs, def, des, ops.alloc(embed_work_floats(W, N))});
  return download_mean(ops, loss, B);
}

// The floats one lw_loss_grad call takes from ops memory, with `loss` given (B more when it is
// null). All of them live to the end of the call, so this is its peak: the memory estimate of a
// training iteration on the layer-wise path (checked against the emulated device's peak).
inline size_t lw_loss_grad_floats(const NetShape& s, int B, int N, int K, int Bc) {
  K = std::max(1, std::min(K, N));
  Bc = lw::chunk_size(B, Bc);
  const size_t sz = size_t(s.d) * Bc, a = size_t(s.W) * Bc, NW = size_t(N + 1) * s.W;
  const size_t setup = size_t(5 * N + 1) + 2 * NW;                   // step constants, embeddings
  const size_t caches = 2 * (2 * size_t(s.L + 1) * a + size_t(Bc) + size_t(s.W));  // both networks
  return setup + 2 * NW + caches + 13 * sz + 2 * a + size_t(ckpt_slots(N, K)) * sz + size_t(K + 1) * sz +
         embed_work_floats(s.W, N);  // the embedding backward's scratch
}

// loss (B, =): the per-sample bound (D4).
template <class Ops>
void lw_loss(Ops& ops, float* loss, const NetShape& shape, const float* pf, const float* ps, const float* x0, int B,
             const TimeGrid& grid, NoiseKey key, int Bc, const lw::LwModel& md = {}) {
  using namespace lw;
  const int d = shape.d;
  Bc = chunk_size(B, Bc);
  const HostConsts hc(grid);
  const Setup u = setup(ops, shape, md.ddpm ? ps : pf, ps, hc);
  const size_t sz = size_t(d) * Bc;
  Cache cf = make_cache(ops, shape, Bc), cs = make_cache(ops, shape, Bc);
  float *x = ops.alloc(sz), *xn = ops.alloc(sz), *F = ops.alloc(sz), *Fn = ops.alloc(sz), *S = ops.alloc(sz);
  float* eps = ops.alloc(sz);
  for (int b0 = 0; b0 < B; b0 += Bc) {
    const int n = std::min(Bc, B - b0);
    diffuse_chunk(ops, u, md, hc, x0 + size_t(b0) * d, b0, n, key, terminal_constant_f(grid, d), loss + b0,
                  static_cast<float*>(nullptr), 1, cf, cs, x, xn, F, Fn, S, eps);
  }
}

// x (d×B, =): x_N in, x_0 out, by the λ family (engine/sampler.h); with denoise, then Tweedie's
// step (x + var·s(x, t_0)) / alpha.
struct LwSampler {
  float lambda = 1.f;
  bool denoise = false;
  float var = 0.f, alpha = 1.f;
  LwSampler() = default;
  LwSampler(bool deterministic) : lambda(deterministic ? 0.f : 1.f) {}  // NOLINT: as engine/sampler.h
};
template <class Ops>
void lw_reverse(Ops& ops, float* x, const NetShape& shape, const float* pf, const float* ps, int B,
                const TimeGrid& grid, NoiseKey key, const LwSampler& smp, int Bc, const lw::LwModel& md = {}) {
  using namespace lw;
  const int d = shape.d, N = grid.N();
  Bc = chunk_size(B, Bc);
  const HostConsts hc(grid);
  const Setup u = setup(ops, shape, md.ddpm ? ps : pf, ps, hc);
  const size_t sz = size_t(d) * Bc;
  Cache cf = make_cache(ops, shape, Bc), cs = make_cache(ops, shape, Bc);
  float *F = ops.alloc(sz), *S = ops.alloc(sz), *eta = ops.alloc(sz);
  for (int b0 = 0; b0 < B; b0 += Bc) {
    const int n = std::min(Bc, B - b0);
    float* xc = x + size_t(b0) * d;
    for (int i = N - 1; i >= 0; --i) {
      eval_f(ops, u, md, i + 1, xc, n, cf, F);
      eval_s(ops, u, md, i + 1, xc, n, cs, S);
      const bool noisy = smp.lambda > 0.f && i > 0;
      if (noisy) ops.map(size_t(n) * ((d + 3) / 4), Noise{eta, key, kStreamReverse, i, b0, d, (d + 3) / 4});
      ops.map(size_t(d) * n,
              ReverseStep{xc, F, S, noisy ? eta : nullptr, hc.st.g2[i], hc.st.dt[i], hc.st.sb[i], smp.lambda});
    }
    if (smp.denoise) {
      eval_s(ops, u, md, 0, xc, n, cs, S);
      ops.map(size_t(d) * n, TweedieStep{xc, S, smp.var, smp.alpha});
    }
  }
}

}  // namespace df
