// Φ and φ of the standard normal over SIMD vectors, for the GELU family of kernels/math/gelu.h
// (which calls normal_cdf_pdf; this file supplies the Vec overloads).
//   float lanes:  φ(x) = exp(−x²/2)/√(2π) by a polynomial exp (x²/2 split into a rounded part
//                 and its exact error by FMA, so large |x| keeps its accuracy);
//                 Φ(−s) = ½ exp(−s²/2) R(s), s = |x|, R piecewise polynomial (26 intervals of
//                 width ½ on [0, 13), degree 6, kernels/cpu/normal_tables.h), Φ(x) = 1 − Φ(−x)
//                 for x ≥ 0; Φ(−s) and φ are 0 beyond s = 12.6 (where they are below 1e−34).
//                 Within a few ulp of the double-precision Φ, φ for |x| ≤ 12.6
//                 (tests/kernels/test_normal_simd.cpp).
//   double lanes: the scalar definitions lane by lane (std::erfc, std::exp): the double path
//                 serves the finite-difference tests, where accuracy is what counts.
#pragma once
#include "kernels/cpu/normal_tables.h"
#include "kernels/cpu/simd.h"
#include "kernels/math/gelu.h"

namespace df {

namespace simd_detail {

using VF = Vec<float>;
using VI = Vec<float>::iraw;

inline VI as_int(VF a) { return (VI)a.v; }  // vector casts reinterpret the bits
inline VF as_float(VI a) { return (VF::raw)a; }
inline VF vabs(VF a) { return as_float(as_int(a) & (VI{} + 0x7fffffff)); }
inline VF vmin(VF a, VF b) { return as_float((as_int(a) & (VI)(a.v < b.v)) | (as_int(b) & ~(VI)(a.v < b.v))); }
inline VF select(VI m, VF a, VF b) { return as_float((as_int(a) & m) | (as_int(b) & ~m)); }

// table[i] for i in 0..31, lane-wise.
inline VF lookup32(const float* table, VI i) {
#if defined(__AVX512F__)
  return VF::raw(_mm512_permutex2var_ps(_mm512_load_ps(table), __m512i(i), _mm512_load_ps(table + 16)));
#else
  VF r;
  for (int k = 0; k < VF::n; ++k) r.v[k] = table[i[k]];
  return r;
#endif
}

// round(a) to the nearest integer (as a float); a·2^k; a − ⌊a⌋ (AVX-512 has one instruction each)
inline VF round_int(VF a) {
#if defined(__AVX512F__)
  return VF::raw(_mm512_roundscale_ps(__m512(a.v), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
#else
  const VF magic = bcast(12582912.0f);  // 1.5·2^23: adding it rounds to an integer
  return (a + magic) - magic;
#endif
}
inline VF scale_pow2(VF a, VF k) {
#if defined(__AVX512F__)
  return VF::raw(_mm512_scalef_ps(__m512(a.v), __m512(k.v)));
#else
  const VI ki = __builtin_convertvector(k.v, VI);
  return a * as_float((ki + 127) << 23);
#endif
}

// exp(−u) for u in [0, 87] (callers clamp; 87 keeps the result a normal float): 2^k e^r with k = round(−u/ln2), |r| ≤ ln2/2.
inline VF exp_neg(VF u) {
  const VF kf = round_int(u * -1.44269504088896341f);
  VF r = fma(kf, bcast(-0.693359375f), -u);  // ln 2 in two parts (the first exact times k)
  r = fma(kf, bcast(2.12194440e-4f), r);
  VF p = fma(bcast(kExpP[4]), r, bcast(kExpP[3]));
  p = fma(p, r, bcast(kExpP[2]));
  p = fma(p, r, bcast(kExpP[1]));
  p = fma(p, r, bcast(kExpP[0]));
  return scale_pow2(fma(p, r * r, r) + 1.0f, kf);
}

}  // namespace simd_detail

inline void normal_cdf_pdf(Vec<float> x, Vec<float>* cdf, Vec<float>* pdf) {
  using namespace simd_detail;
  // s = |x| clamped to the table's last interval, so nothing below overflows (x = ±inf included)
  const VF s = vabs(x), sc = vmin(s, bcast(12.999f));
  // u = s²/2 = u_hi + u_lo exactly (u_lo = 0 without FMA); exp(−u) ≈ exp(−u_hi)(1 − u_lo),
  // set to 0 beyond s = 12.6 (Φ(−s) < 1e−36 there; a NaN x propagates through x·Φ and x·φ)
  const VF hs = sc * 0.5f;
  const VF u_hi = hs * sc;
  const VF u_lo = kHasFma ? fma(hs, sc, -u_hi) : zero<float>();
  VF e = exp_neg(u_hi);
  e = fma(e, -u_lo, e);
  e = as_float(as_int(e) & ~(VI)(s.v > 12.6f));
  // ½R(s) on the interval i = ⌊2s⌋, u = 2s − i
  const VF s2 = sc * 2.0f;
  const VI i = __builtin_convertvector(s2.v, VI);
  const VF t = s2 - VF(__builtin_convertvector(i, VF::raw));
  VF r = lookup32(kNormalR[6], i);
  for (int j = 5; j >= 0; --j) r = fma(r, t, lookup32(kNormalR[j], i));
  const VF q = e * r;  // Φ(−s)
  *cdf = select((VI)(x.v < 0.0f), q, bcast(1.0f) - q);
  *pdf = e * 0.39894228040143267794f;
}

template <class T> inline Vec<T> normal_cdf(Vec<T> x) {
  Vec<T> c, p;
  normal_cdf_pdf(x, &c, &p);
  return c;
}

inline void normal_cdf_pdf(Vec<double> x, Vec<double>* cdf, Vec<double>* pdf) {
  for (int k = 0; k < Vec<double>::n; ++k) {
    double c, p;
    normal_cdf_pdf(x.v[k], &c, &p);
    cdf->v[k] = c;
    pdf->v[k] = p;
  }
}

}  // namespace df
