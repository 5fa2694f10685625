// Exact (erf) GELU and its first two derivatives, per element.
//   gelu_forward(x)  = x Φ(x) = ½ x (1 + erf(x/√2))
//   gelu_backward(x) = dGELU/dx = Φ(x) + x φ(x)
//   gelu_second(x)   = d²GELU/dx² = φ(x) (2 − x²)       (FFJORD's trace gradient needs it)
// φ is the standard normal density, Φ its distribution function. Templated on the scalar so the
// tests run the same code in double.
#pragma once
#include "kernels/math/df_hd.h"

namespace df {

template <class T> DF_HD T gelu_forward(T x) {
  using std::erf;
  return T(0.5) * x * (T(1) + erf(x * T(0.70710678118654752440)));
}

template <class T> DF_HD T normal_pdf(T x) {
  using std::exp;
  return T(0.39894228040143267794) * exp(T(-0.5) * x * x);
}

template <class T> DF_HD T gelu_backward(T x) {
  using std::erf;
  return T(0.5) * (T(1) + erf(x * T(0.70710678118654752440))) + x * normal_pdf(x);
}

template <class T> DF_HD T gelu_second(T x) {
  return normal_pdf(x) * (T(2) - x * x);
}

}  // namespace df
