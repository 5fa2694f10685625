// Exact (erf) GELU and its first two derivatives, per element, from the standard normal
// distribution function Φ and density φ:
//   gelu_forward(x)  = x Φ(x)                          (= ½ x (1 + erf(x/√2)))
//   gelu_backward(x) = dGELU/dx = Φ(x) + x φ(x)
//   gelu_second(x)   = d²GELU/dx² = φ(x) (2 − x²)       (FFJORD's trace gradient needs it)
//   gelu_pair(x, g, gp): g = GELU(x), gp = GELU'(x) from one evaluation of Φ and φ
// This is the one definition of the GELU family. T is a scalar (float or double: Φ through
// erfc, exact in both tails, φ through exp) or a SIMD vector of the CPU kernels, for which
// kernels/cpu/normal_simd.h supplies normal_cdf_pdf (a polynomial Φ within a few ulp of the
// scalar one, tested against double precision in tests/kernels/test_normal_simd.cpp).
#pragma once
#include "kernels/math/df_hd.h"

namespace df {

template <class T> DF_HD T normal_pdf(T x) {
  using std::exp;
  return T(0.39894228040143267794) * exp(T(-0.5) * x * x);
}

// Φ(x) = ½ erfc(−x/√2): no cancellation for negative x (where 1 + erf(x/√2) would lose digits).
template <class T> DF_HD T normal_cdf(T x) {
  using std::erfc;
  return T(0.5) * erfc(x * T(-0.70710678118654752440));
}

template <class T> DF_HD void normal_cdf_pdf(T x, T* cdf, T* pdf) {
  *cdf = normal_cdf(x);
  *pdf = normal_pdf(x);
}

template <class T> DF_HD void gelu_pair(T x, T* g, T* gp) {
  T c, p;
  normal_cdf_pdf(x, &c, &p);
  *g = x * c;
  *gp = c + x * p;
}

template <class T> DF_HD T gelu_forward(T x) { return x * normal_cdf(x); }

template <class T> DF_HD T gelu_backward(T x) { return normal_cdf(x) + x * normal_pdf(x); }

template <class T> DF_HD T gelu_second(T x) { return normal_pdf(x) * (T(2) - x * x); }

}  // namespace df
