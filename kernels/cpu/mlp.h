// CPU twin of the Fourier MLP passes (MATH.md §7), batched over samples: the products are the
// register-blocked SIMD kernels of kernels/cpu/gemm.h over the packed weights of
// kernels/cpu/mlp_weights.h, with bias and GELU fused after each product (kernels/cpu/normal_simd.h);
// the time embedding (one vector per call) uses Eigen.
// Shapes: x, y, dx, dy, u are d×B (one column per sample); activations are W×B.
//   mlp_embed     e(t) for one time t                                   (= into EmbedCache)
//   mlp_forward   y = net(x, t)                                         (=; fills the cache)
//   mlp_backward  dparams += (∂y/∂θ)ᵀ dy;  dx = (∂y/∂x)ᵀ dy            (+= params, = dx)
//   mlp_jvp       ju = (∂y/∂x) u                                        (=)
// The time embedding depends on t only: computed once per call, and its gradient is the batch
// sum of the first layer's pre-activation gradient, back-propagated once.
// Every pass takes the packed weights (MlpWeights, built once per sweep) or, for convenience,
// the flat parameters (then packed on the fly).
// Templated on the scalar: float for training, double for the gradient checks.
#pragma once
#include <Eigen/Dense>
#include <vector>

#include "kernels/math/net_shape.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/mlp_weights.h"
#include "kernels/cpu/normal_simd.h"
#include "kernels/math/fourier.h"
#include "kernels/math/gelu.h"

namespace df {

template <class T> using MatX = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
template <class T> using VecX = Eigen::Matrix<T, Eigen::Dynamic, 1>;
template <class T>
using ConstRowMap = Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;
template <class T>
using RowMap = Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;
template <class T> using ConstVecMap = Eigen::Map<const VecX<T>>;
template <class T> using VecMap = Eigen::Map<VecX<T>>;

// Non-deduced context, so a nullptr can be passed where a cache or output pointer is optional.
template <class T> struct NoDeduce { using type = T; };
template <class T> using Opt = typename NoDeduce<T>::type*;

template <class T> struct EmbedCache {
  T t = T(0);
  VecX<T> feat;  // [sin a; cos a], 2W
  VecX<T> z1;    // pre-activation of embedding layer 1, W
  VecX<T> g1;    // GELU(z1), W
  VecX<T> e;     // e(t), W
};

template <class T> struct MlpCache {
  std::vector<MatX<T>> h;   // activations GELU(z_l), l = 0..L, W×B each
  std::vector<MatX<T>> gp;  // GELU'(z_l): the backward and tangent passes multiply by it
  std::vector<MatX<T>> z;   // pre-activations z_l, kept only when keep_z (GELU'' needs them)
  bool keep_z = false;
};

namespace mlp_detail {

// Per-thread scratch for the intermediate layers of the passes that keep no cache.
template <class T> T* scratch(int slot, std::size_t n) {
  thread_local std::vector<T> bufs[6];
  std::vector<T>& b = bufs[slot];
  if (b.size() < n) b.resize(n);
  return b.data();
}

// Applies f(zv, m, j, r) to each vector of the tile rows [r0, r0+rows) × columns [j0, j0+cols)
// of a column-major W-row matrix: m = lanes valid in this vector (the last may be partial).
template <class T, class F> void for_tile(int r0, int rows, int j0, int cols, F&& f) {
  constexpr int L = kLanes<T>;
  for (int j = j0; j < j0 + cols; ++j)
    for (int r = r0; r < r0 + rows; r += L) f(std::min(L, r0 + rows - r), j, r);
}

template <class T> Vec<T> ld(const T* p, int m) { return m == kLanes<T> ? load(p) : load_n(p, m); }
template <class T> void st(T* p, Vec<T> v, int m) {
  if (m == kLanes<T>) store(p, v);
  else store_n(p, v, m);
}

// Epilogue out ⊙= gp on each tile (W×n matrices). gp comes from a cache, often the trajectory
// store in memory: the next tile's lines are fetched ahead.
template <class T> auto times_gp(T* out, const T* gp, int W, int n) {
  return [=](int r0, int rows, int j0, int cols) {
    if (j0 + cols < n) prefetch_cols(gp + std::size_t(j0 + cols) * W + r0, W, std::min(cols, n - j0 - cols), rows);
    for_tile<T>(r0, rows, j0, cols, [&](int m, int j, int r) {
      const std::size_t at = std::size_t(j) * W + r;
      st(out + at, ld(out + at, m) * ld(gp + at, m), m);
    });
  };
}

// y (d×n) = out.w h + out.b: dot products below one vector of outputs, else a k-major product.
template <class T> void output_layer(MatX<T>& y, const MlpWeights<T>& w, const T* h, int n) {
  const NetShape& s = w.s;
  y.resize(s.d, n);
  if (s.d < kLanes<T>) gemm_dot(s.d, n, s.W, w.p + s.off_outw(), s.W, h, s.W, y.data(), s.d);
  else gemm_kmajor(s.d, n, s.W, w.fout(), w.dp, h, s.W, y.data(), s.d);
  y.colwise() += ConstVecMap<T>(w.p + s.off_outb(), s.d);
}

}  // namespace mlp_detail

template <class T> void mlp_embed(EmbedCache<T>& ec, const NetShape& s, const T* p, T t) {
  const int W = s.W;
  ec.t = t;
  ec.feat.resize(2 * W);
  for (int k = 0; k < W; ++k) fourier_feature<T>(t, p[s.off_phi() + k], k, W, &ec.feat[k], &ec.feat[W + k]);
  ec.z1 = ConstRowMap<T>(p + s.off_t1w(), W, 2 * W) * ec.feat + ConstVecMap<T>(p + s.off_t1b(), W);
  ec.g1 = ec.z1.unaryExpr([](T v) { return gelu_forward(v); });
  ec.e = ConstRowMap<T>(p + s.off_t2w(), W, W) * ec.g1 + ConstVecMap<T>(p + s.off_t2b(), W);
}

// Each layer: one k-major product, then bias (+ e(t) at the input layer) and GELU on the tile
// while it is in L1. With a cache, h_l and GELU'(z_l) (and z_l when keep_z) are kept.
template <class T>
void mlp_forward(MatX<T>& y, const MlpWeights<T>& w, const MatX<T>& x, const EmbedCache<T>& ec,
                 Opt<MlpCache<T>> cache) {
  using namespace mlp_detail;
  const NetShape& s = w.s;
  const int W = s.W, L = s.L, n = int(x.cols());
  const VecX<T> c0 = ConstVecMap<T>(w.p + s.off_inb(), W) + ec.e;
  const bool keep_z = cache && cache->keep_z;
  if (cache) {
    cache->h.resize(L + 1);
    cache->gp.resize(L + 1);
    cache->z.resize(keep_z ? L + 1 : 0);
  }
  const T* in = x.data();
  for (int l = 0; l <= L; ++l) {
    // The product goes to a scratch tile that stays in cache; the epilogue writes h (and GELU',
    // z) once, to the cache arrays, which may be a trajectory store in memory: their next tile's
    // lines are asked for (with intent to write) ahead.
    T *h, *gp = nullptr, *zc = nullptr;
    T* z = scratch<T>(2, std::size_t(W) * n);
    if (cache) {
      cache->h[l].resize(W, n);
      cache->gp[l].resize(W, n);
      h = cache->h[l].data();
      gp = cache->gp[l].data();
      if (keep_z) {
        cache->z[l].resize(W, n);
        zc = cache->z[l].data();
      }
    } else {
      h = scratch<T>(l % 2, std::size_t(W) * n);
    }
    const T* bias = l == 0 ? c0.data() : w.p + s.off_hb(l - 1);
    auto epi = [&](int r0, int rows, int j0, int cols) {
      if (gp && j0 + cols < n) {
        const int next = std::min(cols, n - j0 - cols);
        for (T* a : {h, gp, zc})
          if (a) prefetch_cols_for_write(a + std::size_t(j0 + cols) * W + r0, W, next, rows);
      }
      for_tile<T>(r0, rows, j0, cols, [&](int m, int j, int r) {
        const std::size_t at = std::size_t(j) * W + r;
        const Vec<T> zv = ld(z + at, m) + ld(bias + r, m);
        if (zc) st(zc + at, zv, m);
        if (gp) {
          Vec<T> g, g1;
          gelu_pair(zv, &g, &g1);
          st(h + at, g, m);
          st(gp + at, g1, m);
        } else {
          st(h + at, gelu_forward(zv), m);
        }
      });
    };
    if (l == 0) gemm_kmajor(W, n, s.d, w.fin(), w.Wp, in, s.d, z, W, epi);
    else gemm_kmajor(W, n, W, w.fh(l - 1), w.Wp, in, W, z, W, epi);
    in = h;
  }
  output_layer(y, w, in, n);
}

template <class T>
void mlp_forward(MatX<T>& y, const NetShape& s, const T* p, const MatX<T>& x, const EmbedCache<T>& ec,
                 Opt<MlpCache<T>> cache) {
  mlp_forward(y, MlpWeights<T>(s, p), x, ec, cache);
}

// dparams += gradient of the time embedding's parameters for de = ∂L/∂e(t) (W).
template <class T>
void mlp_embed_backward(T* dp, const NetShape& s, const T* p, const EmbedCache<T>& ec, const VecX<T>& de) {
  const int W = s.W;
  VecMap<T>(dp + s.off_t2b(), W) += de;
  RowMap<T>(dp + s.off_t2w(), W, W).noalias() += de * ec.g1.transpose();
  VecX<T> dz1 = (ConstRowMap<T>(p + s.off_t2w(), W, W).transpose() * de)
                    .cwiseProduct(ec.z1.unaryExpr([](T v) { return gelu_backward(v); }));
  VecMap<T>(dp + s.off_t1b(), W) += dz1;
  RowMap<T>(dp + s.off_t1w(), W, 2 * W).noalias() += dz1 * ec.feat.transpose();
  VecX<T> dfeat = ConstRowMap<T>(p + s.off_t1w(), W, 2 * W).transpose() * dz1;
  for (int k = 0; k < W; ++k)  // d sin a = cos a, d cos a = −sin a
    dp[s.off_phi() + k] += dfeat[k] * ec.feat[W + k] - dfeat[W + k] * ec.feat[k];
}

// Back-propagates dy through the network at the cached state. dx may be null.
//   dz_L = (out.wᵀ dy) ⊙ GELU'(z_L);  dW_l += dz_{l+1} h_lᵀ;  dz_l = (h[l].wᵀ dz_{l+1}) ⊙ GELU'(z_l)
template <class T>
void mlp_backward(T* dp, Opt<MatX<T>> dx, const MlpWeights<T>& w, const MatX<T>& x, const EmbedCache<T>& ec,
                  const MlpCache<T>& cache, const MatX<T>& dy) {
  using namespace mlp_detail;
  const NetShape& s = w.s;
  const int W = s.W, L = s.L, d = s.d, n = int(dy.cols());
  gemm_acc_nt(d, W, n, dy.data(), d, cache.h[L].data(), W, dp + s.off_outw(), W);
  rowsum_acc(dp + s.off_outb(), d, n, dy.data(), d);
  T* dz = scratch<T>(2, std::size_t(W) * n);
  T* dz2 = scratch<T>(3, std::size_t(W) * n);
  gemm_kmajor(W, n, d, w.bout(), w.Wp, dy.data(), d, dz, W, times_gp(dz, cache.gp[L].data(), W, n));
  for (int l = L; l >= 1; --l) {
    gemm_acc_nt(W, W, n, dz, W, cache.h[l - 1].data(), W, dp + s.off_hw(l - 1), W);
    rowsum_acc(dp + s.off_hb(l - 1), W, n, dz, W);
    gemm_kmajor(W, n, W, w.bh(l - 1), w.Wp, dz, W, dz2, W, times_gp(dz2, cache.gp[l - 1].data(), W, n));
    std::swap(dz, dz2);
  }
  // input layer: in.w += dz_0 xᵀ, vectorized along the longer of W and d
  if (d >= kLanes<T>) {
    gemm_acc_nt(W, d, n, dz, W, x.data(), d, dp + s.off_inw(), d);
  } else {
    T* t = scratch<T>(4, std::size_t(d) * W);
    std::fill(t, t + std::size_t(d) * W, T(0));
    gemm_acc_nt(d, W, n, x.data(), d, dz, W, t, W);
    for (int o = 0; o < W; ++o)
      for (int i = 0; i < d; ++i) dp[s.off_inw() + std::size_t(o) * d + i] += t[std::size_t(i) * W + o];
  }
  VecX<T> de = VecX<T>::Zero(W);
  rowsum_acc(de.data(), W, n, dz, W);
  VecMap<T>(dp + s.off_inb(), W) += de;
  if (dx) {
    dx->resize(d, n);
    if (d < kLanes<T>) gemm_dot(d, n, W, w.fin(), w.Wp, dz, W, dx->data(), d);
    else gemm_kmajor(d, n, W, w.bin(), w.dp, dz, W, dx->data(), d);
  }
  mlp_embed_backward(dp, s, w.p, ec, de);
}

template <class T>
void mlp_backward(T* dp, Opt<MatX<T>> dx, const NetShape& s, const T* p, const MatX<T>& x,
                  const EmbedCache<T>& ec, const MlpCache<T>& cache, const MatX<T>& dy) {
  mlp_backward(dp, dx, MlpWeights<T>(s, p), x, ec, cache, dy);
}

// Forward-mode tangent: ju = J(x) u at the cached state (ż_0 = in.w u, ḣ_l = GELU'(z_l) ⊙ ż_l).
template <class T>
void mlp_jvp(MatX<T>& ju, const MlpWeights<T>& w, const MlpCache<T>& cache, const MatX<T>& u) {
  using namespace mlp_detail;
  const NetShape& s = w.s;
  const int W = s.W, n = int(u.cols());
  T* a = scratch<T>(4, std::size_t(W) * n);
  T* b = scratch<T>(5, std::size_t(W) * n);
  gemm_kmajor(W, n, s.d, w.fin(), w.Wp, u.data(), s.d, a, W, times_gp(a, cache.gp[0].data(), W, n));
  for (int l = 0; l < s.L; ++l) {
    gemm_kmajor(W, n, W, w.fh(l), w.Wp, a, W, b, W, times_gp(b, cache.gp[l + 1].data(), W, n));
    std::swap(a, b);
  }
  ju.resize(s.d, n);
  if (s.d < kLanes<T>) gemm_dot(s.d, n, W, w.p + s.off_outw(), W, a, W, ju.data(), s.d);
  else gemm_kmajor(s.d, n, W, w.fout(), w.dp, a, W, ju.data(), s.d);
}

template <class T>
void mlp_jvp(MatX<T>& ju, const NetShape& s, const T* p, const MlpCache<T>& cache, const MatX<T>& u) {
  mlp_jvp(ju, MlpWeights<T>(s, p), cache, u);
}

}  // namespace df
