// The Fourier MLP (MATH.md §7) on a tile of nb ≤ TB samples held in shared memory, written once
// against the Exec interface (GpuExec on the device, EmuExec on the CPU). Threads map to
// (neuron, sample) pairs; weights are read from global memory (fp32); every function ends with
// a block barrier, so its outputs are visible to the whole block on return.
// Precision (kernels/cuda/precision.h): every layer product of the per-sample MLP (input,
// hidden and output layers; forward, input cotangent and weight gradient) goes through
// operand_dot, which rounds both operands to prec and sums in fp32. This is the scalar
// emulation of a tensor-core MMA with the same operand rounding; a real mma.sync / wgmma path
// (bf16 or tf32 fragments, fp32 accumulators) is still to come and would replace these loops.
// Bias sums, GELU, the stored z/h caches and the time embedding (embed_point, per t, not per
// sample) stay fp32 whatever prec says. prec = FP32 gives the plain fp32 numbers bit for bit.
//   mlp_forward_tile   y (d×TB) = net(x, t) with e = e(t) given; caches z_l, h_l (W×TB each)  (=)
//   mlp_backward_tile  g[θ] += Σ_b (∂y_b/∂θ)ᵀ dy_b over the tile (no embedding part),
//                      de[W] += Σ_b dz_0 (the embedding's cotangent at this t),
//                      dx (d×TB, optional) = (∂y/∂x)ᵀ dy                         (+= g, de; = dx)
//   embed_point        e(t) = Linear(GELU(Linear([sin a, cos a]))), also feat, z1, g1 (=)
//   embed_backward_point  g[φ, t1, t2] += gradient of the embedding for cotangent de   (+=)
// The parameter gradients g, de live in a slice owned by this block (global memory): each index
// is written by exactly one thread per phase, so no atomics.
#pragma once
#include "kernels/cuda/precision.h"
#include "kernels/cuda/sweep_args.h"
#include "kernels/math/fourier.h"
#include "kernels/math/gelu.h"

namespace df {

template <class Exec>
DF_HD void mlp_forward_tile(Exec& ex, const NetView& n, const float* e, const float* x, int nb, int TB,
                            MlpCacheView c, float* y, MatPrecision prec = MatPrecision::FP32) {
  const int W = n.W, d = n.d, L = n.L, tid = ex.tid(), nt = ex.nthreads();
  const float* Win = n.p + n.inw;
  const float* bin = n.p + n.inb;
  for (int idx = tid; idx < W * nb; idx += nt) {
    const int o = idx / nb, b = idx % nb;
    const float acc = operand_dot(Win + o * d, 1, x + b, TB, d, prec);
    const float z = acc + (bin[o] + e[o]);
    c.z[o * TB + b] = z;
    c.h[o * TB + b] = gelu_forward(z);
  }
  ex.sync();
  for (int l = 0; l < L; ++l) {
    const float* Wl = n.p + n.hw(l);
    const float* bl = n.p + n.hb(l);
    const float* hin = c.h + size_t(l) * W * TB;
    float* zo = c.z + size_t(l + 1) * W * TB;
    float* ho = c.h + size_t(l + 1) * W * TB;
    for (int idx = tid; idx < W * nb; idx += nt) {
      const int o = idx / nb, b = idx % nb;
      const float acc = operand_dot(Wl + o * W, 1, hin + b, TB, W, prec);
      const float z = acc + bl[o];
      zo[o * TB + b] = z;
      ho[o * TB + b] = gelu_forward(z);
    }
    ex.sync();
  }
  const float* Wo = n.p + n.outw;
  const float* bo = n.p + n.outb;
  const float* hL = c.h + size_t(L) * W * TB;
  for (int idx = tid; idx < d * nb; idx += nt) {
    const int k = idx / nb, b = idx % nb;
    const float acc = operand_dot(Wo + k * W, 1, hL + b, TB, W, prec);
    y[k * TB + b] = acc + bo[k];
  }
  ex.sync();
}

// dh, dz: W×TB scratch. g: this network's gradient slice (P floats), de: W floats.
template <class Exec>
DF_HD void mlp_backward_tile(Exec& ex, const NetView& n, const float* x, MlpCacheView c, const float* dy, int nb,
                             int TB, float* dh, float* dz, float* g, float* de, float* dx,
                             MatPrecision prec = MatPrecision::FP32) {
  const int W = n.W, d = n.d, L = n.L, tid = ex.tid(), nt = ex.nthreads();
  // output layer
  const float* Wo = n.p + n.outw;
  const float* hL = c.h + size_t(L) * W * TB;
  for (int idx = tid; idx < d * W; idx += nt) {
    const int k = idx / W, i = idx % W;
    g[n.outw + idx] += operand_dot(dy + k * TB, 1, hL + i * TB, 1, nb, prec);
  }
  for (int k = tid; k < d; k += nt) {
    float s = 0.f;
    for (int b = 0; b < nb; ++b) s += dy[k * TB + b];
    g[n.outb + k] += s;
  }
  for (int idx = tid; idx < W * nb; idx += nt) {
    const int i = idx / nb, b = idx % nb;
    dh[i * TB + b] = operand_dot(Wo + i, W, dy + b, TB, d, prec);
  }
  ex.sync();
  // hidden layers, last to first
  for (int l = L; l >= 1; --l) {
    const float* zl = c.z + size_t(l) * W * TB;
    const float* hp = c.h + size_t(l - 1) * W * TB;
    for (int idx = tid; idx < W * nb; idx += nt) {
      const int i = idx / nb, b = idx % nb;
      dz[i * TB + b] = dh[i * TB + b] * gelu_backward(zl[i * TB + b]);
    }
    ex.sync();
    const float* Wl = n.p + n.hw(l - 1);
    for (int idx = tid; idx < W * W; idx += nt) {
      const int o = idx / W, i = idx % W;
      g[n.hw(l - 1) + idx] += operand_dot(dz + o * TB, 1, hp + i * TB, 1, nb, prec);
    }
    for (int o = tid; o < W; o += nt) {
      float s = 0.f;
      for (int b = 0; b < nb; ++b) s += dz[o * TB + b];
      g[n.hb(l - 1) + o] += s;
    }
    for (int idx = tid; idx < W * nb; idx += nt) {
      const int i = idx / nb, b = idx % nb;
      dh[i * TB + b] = operand_dot(Wl + i, W, dz + b, TB, W, prec);
    }
    ex.sync();
  }
  // first layer (input and time embedding)
  for (int idx = tid; idx < W * nb; idx += nt) {
    const int i = idx / nb, b = idx % nb;
    dz[i * TB + b] = dh[i * TB + b] * gelu_backward(c.z[i * TB + b]);
  }
  ex.sync();
  for (int idx = tid; idx < W * d; idx += nt) {
    const int o = idx / d, k = idx % d;
    g[n.inw + idx] += operand_dot(dz + o * TB, 1, x + k * TB, 1, nb, prec);
  }
  for (int o = tid; o < W; o += nt) {
    float s = 0.f;
    for (int b = 0; b < nb; ++b) s += dz[o * TB + b];
    g[n.inb + o] += s;
    de[o] += s;
  }
  if (dx) {
    const float* Win = n.p + n.inw;
    for (int idx = tid; idx < d * nb; idx += nt) {
      const int k = idx / nb, b = idx % nb;
      dx[k * TB + b] = operand_dot(Win + k, d, dz + b, TB, W, prec);
    }
  }
  ex.sync();
}

// e(t) for one t; feat (2W), z1 (W), g1 (W), e (W) in memory the block can see.
template <class Exec>
DF_HD void embed_point(Exec& ex, const NetView& n, float t, float* feat, float* z1, float* g1, float* e) {
  const int W = n.W, tid = ex.tid(), nt = ex.nthreads();
  for (int k = tid; k < W; k += nt) fourier_feature<float>(t, n.p[n.phi + k], k, W, &feat[k], &feat[W + k]);
  ex.sync();
  const float* W1 = n.p + n.t1w;
  for (int o = tid; o < W; o += nt) {
    float acc = 0.f;
    for (int i = 0; i < 2 * W; ++i) acc += W1[size_t(o) * 2 * W + i] * feat[i];
    z1[o] = acc + n.p[n.t1b + o];
    g1[o] = gelu_forward(z1[o]);
  }
  ex.sync();
  const float* W2 = n.p + n.t2w;
  for (int o = tid; o < W; o += nt) {
    float acc = 0.f;
    for (int i = 0; i < W; ++i) acc += W2[size_t(o) * W + i] * g1[i];
    e[o] = acc + n.p[n.t2b + o];
  }
  ex.sync();
}

// g += the embedding part of the gradient for cotangent de of e(t); feat, z1, g1 from
// embed_point at the same t; dz1 (W), dfeat (2W) scratch.
template <class Exec>
DF_HD void embed_backward_point(Exec& ex, const NetView& n, const float* de, const float* feat, const float* z1,
                                const float* g1, float* dz1, float* dfeat, float* g) {
  const int W = n.W, tid = ex.tid(), nt = ex.nthreads();
  const float* W2 = n.p + n.t2w;
  const float* W1 = n.p + n.t1w;
  for (int o = tid; o < W; o += nt) g[n.t2b + o] += de[o];
  for (int idx = tid; idx < W * W; idx += nt) g[n.t2w + idx] += de[idx / W] * g1[idx % W];
  for (int i = tid; i < W; i += nt) {
    float s = 0.f;
    for (int o = 0; o < W; ++o) s += W2[size_t(o) * W + i] * de[o];
    dz1[i] = s * gelu_backward(z1[i]);
  }
  ex.sync();
  for (int o = tid; o < W; o += nt) g[n.t1b + o] += dz1[o];
  for (int idx = tid; idx < W * 2 * W; idx += nt) g[n.t1w + idx] += dz1[idx / (2 * W)] * feat[idx % (2 * W)];
  for (int i = tid; i < 2 * W; i += nt) {
    float s = 0.f;
    for (int o = 0; o < W; ++o) s += W1[size_t(o) * 2 * W + i] * dz1[o];
    dfeat[i] = s;
  }
  ex.sync();
  // d sin a = cos a, d cos a = −sin a
  for (int k = tid; k < W; k += nt) g[n.phi + k] += dfeat[k] * feat[W + k] - dfeat[W + k] * feat[k];
  ex.sync();
}

}  // namespace df
