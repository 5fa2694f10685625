// DDPM's denoising loss and its gradient (engine/ddpm.h, MATH.md §9) on the layer-wise path:
//   L_b = |ε_b − ε_θ(α_t x0_b + σ_t ε_b, t)|², gradient of the batch mean into the ε-network
// (the score slot's parameters). t is drawn once per group of 16 consecutive samples (global
// index / 16) exactly as the CPU reference draws it (uniform_at, stream kStreamDDPM, step 0);
// ε from normal_at (step 1, sample, dim). The group times, α_t and σ_t are formed on the host in
// double and rounded to float as the reference rounds them; the embeddings of all group times
// come from the fused path's embedding kernel (row 0 of the table is a placeholder: the
// embedding backward skips the score network's first time). Chunks are whole groups.
//   lw_ddpm_loss_grad  gs (=) gradient of the batch-mean loss (flat layout, P); loss (B, =);
//                      returns the mean loss
#pragma once
#include <cmath>

#include "kernels/math/vp.h"
#include "kernels/layerwise/layerwise.h"

namespace df {
namespace lw {

// xt = α_g x0 + σ_g ε, ε from the counter-based stream; one thread per (sample, dim)
struct DdpmNoisy {
  float *xt, *eps;
  const float *x0, *al, *sg;
  NoiseKey key;
  int b0, d;
  DF_HD void operator()(size_t i) const {
    const int b = int(i / size_t(d)), k = int(i % size_t(d)), gb = b0 + b;
    const float e = float(normal_at(key, kStreamDDPM, 1, uint32_t(gb), uint32_t(k)));
    eps[i] = e;
    const int g = gb / kDdpmGroup;
    xt[i] = al[g] * x0[i] + sg[g] * e;
  }
};
// loss[b] = |pred − ε|², dy = (2/B)(pred − ε); one thread per sample
struct DdpmResidual {
  float *loss, *dy;
  const float *pred, *eps;
  float two_over_b;
  int d;
  DF_HD void operator()(size_t b) const {
    float l = 0.f;
    for (int k = 0; k < d; ++k) {
      const size_t e = b * d + k;
      const float r = pred[e] - eps[e];
      l += r * r;
      dy[e] = two_over_b * r;
    }
    loss[b] = l;
  }
};
// de[1 + g][o] += Σ over the chunk's samples of group g of dz0[o][b]; one thread per (o, group)
struct GroupRowSum {
  float* de;
  const float* dz;
  int W, b0, n, g0;
  DF_HD void operator()(size_t i) const {
    const int o = int(i % size_t(W)), g = g0 + int(i / size_t(W));
    const int lo = g * kDdpmGroup - b0 > 0 ? g * kDdpmGroup - b0 : 0;
    const int hi = (g + 1) * kDdpmGroup - b0 < n ? (g + 1) * kDdpmGroup - b0 : n;
    float s = 0.f;
    for (int b = lo; b < hi; ++b) s += dz[size_t(o) + size_t(W) * b];
    de[size_t(W) * (1 + g) + o] += s;
  }
};

}  // namespace lw

template <class Ops>
double lw_ddpm_loss_grad(Ops& ops, float* gs, float* loss, const NetShape& shape, const float* ps, const float* x0,
                       int B, const VpSchedule& vp, double t_min, NoiseKey key, int Bc) {
  using namespace lw;
  const int d = shape.d, W = shape.W, G = (B + kDdpmGroup - 1) / kDdpmGroup;
  Bc = chunk_size(B, Bc);
  Bc = (Bc + kDdpmGroup - 1) / kDdpmGroup * kDdpmGroup;  // whole groups per chunk
  // host: group times (row 0 a placeholder), α, σ
  std::vector<float> times(size_t(G) + 1, 0.5f), al(static_cast<size_t>(G)), sg(static_cast<size_t>(G));
  for (int g = 0; g < G; ++g) {
    const double t = t_min + (1.0 - t_min) * uniform_at(key, kStreamDDPM, 0, uint32_t(g), 0);
    times[size_t(g) + 1] = float(t);
    al[size_t(g)] = float(vp.alpha(t));
    sg[size_t(g)] = float(vp.sigma(t));
  }
  float *dt = ops.alloc(times.size()), *dal = ops.alloc(al.size()), *dsg = ops.alloc(sg.size());
  ops.upload(dt, times.data(), times.size());
  ops.upload(dal, al.data(), al.size());
  ops.upload(dsg, sg.data(), sg.size());
  StepConsts st;
  st.t = dt;
  st.N = G;  // embed t[0..G]
  const NetView v = make_net_view(shape, ps);
  float *etab = ops.alloc((size_t(G) + 1) * W), *spare = ops.alloc((size_t(G) + 1) * W);
  ops.embed(EmbedArgs{v, v, st, spare, etab});
  const size_t P = shape.n_params(), sz = size_t(d) * Bc;
  ops.map(P, Fill{gs, 0.f});
  float* de = ops.alloc((size_t(G) + 1) * W);
  Cache c = make_cache(ops, shape, Bc);
  float *xt = ops.alloc(sz), *eps = ops.alloc(sz), *pred = ops.alloc(sz), *dy = ops.alloc(sz);
  float *dh = ops.alloc(size_t(W) * Bc), *dz = ops.alloc(size_t(W) * Bc);
  for (int b0 = 0; b0 < B; b0 += Bc) {
    const int n = std::min(Bc, B - b0);
    ops.map(size_t(d) * n, DdpmNoisy{xt, eps, x0 + size_t(b0) * d, dal, dsg, key, b0, d});
    forward(ops, v, etab, xt, n, c, pred, b0);
    ops.map(size_t(n), DdpmResidual{loss + b0, dy, pred, eps, 2.0f / float(B), d});
    backward(ops, v, xt, c, dy, n, dh, dz, gs, static_cast<float*>(nullptr), static_cast<float*>(nullptr));
    const int g0 = b0 / kDdpmGroup, g1 = (b0 + n - 1) / kDdpmGroup;
    ops.map(size_t(W) * size_t(g1 - g0 + 1), GroupRowSum{de, dz, W, b0, n, g0});
  }
  // the embedding's gradient: the score slot skips row 0 (a placeholder with de = 0); the drift
  // slot's output goes to scratch
  float *gdummy = ops.alloc(P), *dezero = ops.alloc((size_t(G) + 1) * W);
  ops.embed_backward(EmbedBackwardArgs{v, v, st, gdummy, gs, dezero, de, ops.alloc(embed_work_floats(W, G))});
  return download_mean(ops, loss, B);
}

// The floats one lw_ddpm_loss_grad call takes from ops memory (its peak, as lw_loss_grad_floats).
inline size_t lw_ddpm_loss_grad_floats(const NetShape& s, int B, int Bc) {
  const size_t G = size_t((B + kDdpmGroup - 1) / kDdpmGroup), W = size_t(s.W);
  Bc = lw::chunk_size(B, Bc);
  Bc = (Bc + kDdpmGroup - 1) / kDdpmGroup * kDdpmGroup;
  const size_t sz = size_t(s.d) * Bc, a = W * Bc;
  const size_t cache = 2 * size_t(s.L + 1) * a + size_t(Bc) + W;
  return (G + 1) + 2 * G + 2 * (G + 1) * W + (G + 1) * W + cache + 4 * sz + 2 * a + s.n_params() + (G + 1) * W +
         embed_work_floats(s.W, int(G));
}

}  // namespace df
