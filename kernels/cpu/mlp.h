// CPU twin of the Fourier MLP passes (MATH.md §7), batched over samples with Eigen.
// Shapes: x, y, dx, dy, u are d×B (one column per sample); activations are W×B.
//   mlp_embed     e(t) for one time t                                   (= into EmbedCache)
//   mlp_forward   y = net(x, t)                                         (=; fills the cache)
//   mlp_backward  dparams += (∂y/∂θ)ᵀ dy;  dx = (∂y/∂x)ᵀ dy            (+= params, = dx)
//   mlp_jvp       ju = (∂y/∂x) u                                        (=)
// The time embedding depends on t only: computed once per call, and its gradient is the batch
// sum of the first layer's pre-activation gradient, back-propagated once.
// Templated on the scalar: float for training, double for the gradient checks.
#pragma once
#include <Eigen/Dense>
#include <vector>

#include "engine/params.h"
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
  std::vector<MatX<T>> z;  // pre-activations z_0..z_L, W×B each
  std::vector<MatX<T>> h;  // activations GELU(z_l)
};

template <class T> void mlp_embed(EmbedCache<T>& ec, const NetShape& s, const T* p, T t) {
  const int W = s.W;
  ec.t = t;
  ec.feat.resize(2 * W);
  for (int k = 0; k < W; ++k) fourier_feature<T>(t, p[s.off_phi() + k], k, W, &ec.feat[k], &ec.feat[W + k]);
  ec.z1 = ConstRowMap<T>(p + s.off_t1w(), W, 2 * W) * ec.feat + ConstVecMap<T>(p + s.off_t1b(), W);
  ec.g1 = ec.z1.unaryExpr([](T v) { return gelu_forward(v); });
  ec.e = ConstRowMap<T>(p + s.off_t2w(), W, W) * ec.g1 + ConstVecMap<T>(p + s.off_t2b(), W);
}

template <class T>
void mlp_forward(MatX<T>& y, const NetShape& s, const T* p, const MatX<T>& x, const EmbedCache<T>& ec,
                 Opt<MlpCache<T>> cache) {
  const int W = s.W;
  MatX<T> z = ConstRowMap<T>(p + s.off_inw(), W, s.d) * x;
  z.colwise() += ConstVecMap<T>(p + s.off_inb(), W) + ec.e;
  MatX<T> h = z.unaryExpr([](T v) { return gelu_forward(v); });
  if (cache) {
    cache->z.resize(s.L + 1);
    cache->h.resize(s.L + 1);
    cache->z[0] = z;
    cache->h[0] = h;
  }
  for (int l = 0; l < s.L; ++l) {
    z.noalias() = ConstRowMap<T>(p + s.off_hw(l), W, W) * h;
    z.colwise() += ConstVecMap<T>(p + s.off_hb(l), W);
    h = z.unaryExpr([](T v) { return gelu_forward(v); });
    if (cache) {
      cache->z[l + 1] = z;
      cache->h[l + 1] = h;
    }
  }
  y.noalias() = ConstRowMap<T>(p + s.off_outw(), s.d, W) * h;
  y.colwise() += ConstVecMap<T>(p + s.off_outb(), s.d);
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
template <class T>
void mlp_backward(T* dp, Opt<MatX<T>> dx, const NetShape& s, const T* p, const MatX<T>& x,
                  const EmbedCache<T>& ec, const MlpCache<T>& cache, const MatX<T>& dy) {
  const int W = s.W, L = s.L;
  RowMap<T>(dp + s.off_outw(), s.d, W).noalias() += dy * cache.h[L].transpose();
  VecMap<T>(dp + s.off_outb(), s.d) += dy.rowwise().sum();
  MatX<T> dh = ConstRowMap<T>(p + s.off_outw(), s.d, W).transpose() * dy;
  MatX<T> dz;
  for (int l = L; l >= 1; --l) {
    dz = dh.cwiseProduct(cache.z[l].unaryExpr([](T v) { return gelu_backward(v); }));
    RowMap<T>(dp + s.off_hw(l - 1), W, W).noalias() += dz * cache.h[l - 1].transpose();
    VecMap<T>(dp + s.off_hb(l - 1), W) += dz.rowwise().sum();
    dh.noalias() = ConstRowMap<T>(p + s.off_hw(l - 1), W, W).transpose() * dz;
  }
  dz = dh.cwiseProduct(cache.z[0].unaryExpr([](T v) { return gelu_backward(v); }));
  RowMap<T>(dp + s.off_inw(), W, s.d).noalias() += dz * x.transpose();
  VecX<T> de = dz.rowwise().sum();
  VecMap<T>(dp + s.off_inb(), W) += de;
  if (dx) dx->noalias() = ConstRowMap<T>(p + s.off_inw(), W, s.d).transpose() * dz;
  mlp_embed_backward(dp, s, p, ec, de);
}

// Forward-mode tangent: ju = J(x) u at the cached state.
template <class T>
void mlp_jvp(MatX<T>& ju, const NetShape& s, const T* p, const MlpCache<T>& cache, const MatX<T>& u) {
  const int W = s.W;
  MatX<T> dz = ConstRowMap<T>(p + s.off_inw(), W, s.d) * u;
  MatX<T> dh = dz.cwiseProduct(cache.z[0].unaryExpr([](T v) { return gelu_backward(v); }));
  for (int l = 0; l < s.L; ++l) {
    dz.noalias() = ConstRowMap<T>(p + s.off_hw(l), W, W) * dh;
    dh = dz.cwiseProduct(cache.z[l + 1].unaryExpr([](T v) { return gelu_backward(v); }));
  }
  ju.noalias() = ConstRowMap<T>(p + s.off_outw(), s.d, W) * dh;
}

}  // namespace df
