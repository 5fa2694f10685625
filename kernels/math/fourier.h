// The Fourier time features of MATH.md §7: a_k = ω_k t + φ_k with ω = linspace(0.1, 100, W)
// fixed and φ learned; the features are [sin a, cos a] (2W values, sines first).
#pragma once
#include "kernels/math/df_hd.h"

namespace df {

template <class T> DF_HD T fourier_omega(int k, int W) {
  return W > 1 ? T(0.1) + (T(100) - T(0.1)) * T(k) / T(W - 1) : T(0.1);
}

// out[k] = sin(a_k), out[W + k] = cos(a_k) for one k.
template <class T> DF_HD void fourier_feature(T t, T phi_k, int k, int W, T* sin_out, T* cos_out) {
  using std::cos;
  using std::sin;
  T a = fourier_omega<T>(k, W) * t + phi_k;
  *sin_out = sin(a);
  *cos_out = cos(a);
}

}  // namespace df
