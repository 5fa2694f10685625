// A small SIMD vector type for the CPU kernels: Vec<T> holds kLanes<T> scalars of T in the
// widest vector registers the build targets (AVX-512: 64 bytes, AVX: 32, else 16), written with
// GCC/Clang vector extensions so one source compiles for every x86-64 level (and elsewhere).
//   load / store         unaligned, full vector;   load_n / store_n: the first n lanes only
//   bcast                one scalar in every lane
//   fma(a, b, c)         a·b + c, fused where the ISA has FMA (AVX2/AVX-512); else a·b + c
//   select(m, a, b)      lane-wise m ? a : b
// isa_name() says which instructions this build uses (printed by the benchmark).
// The bits of a sum do not depend on the vector width: every kernel accumulates each output
// element in one lane, in the same order. They do depend on whether FMA is used.
#pragma once
#include <cstdint>
#include <cstring>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace df {

#if defined(__AVX512F__)
constexpr int kVecBytes = 64;
#elif defined(__AVX__)
constexpr int kVecBytes = 32;
#else
constexpr int kVecBytes = 16;
#endif

inline const char* isa_name() {
#if defined(__AVX512F__)
  return "AVX-512 (16 floats per vector, FMA)";
#elif defined(__AVX2__) && defined(__FMA__)
  return "AVX2 (8 floats per vector, FMA)";
#elif defined(__AVX__)
  return "AVX (8 floats per vector, no FMA)";
#else
  return "SSE2 / generic (4 floats per vector, no FMA): a portable build, slower";
#endif
}

template <class T> constexpr int kLanes = kVecBytes / int(sizeof(T));

template <class T> struct Vec {
  typedef T raw __attribute__((vector_size(kVecBytes)));
  typedef std::int32_t iraw __attribute__((vector_size(kVecBytes)));
  static constexpr int n = kLanes<T>;
  raw v;
  Vec() = default;
  Vec(raw r) : v(r) {}
  T operator[](int i) const { return v[i]; }
};

// One broadcast instruction (writing 0 + s would cost an add: it is not s for s = −0).
inline Vec<float> bcast(float s) {
#if defined(__AVX512F__)
  return Vec<float>::raw(_mm512_set1_ps(s));
#elif defined(__AVX__)
  return Vec<float>::raw(_mm256_set1_ps(s));
#elif defined(__SSE2__)
  return Vec<float>::raw(_mm_set1_ps(s));
#else
  Vec<float>::raw r;
  for (int i = 0; i < kLanes<float>; ++i) r[i] = s;
  return r;
#endif
}
inline Vec<double> bcast(double s) {
#if defined(__AVX512F__)
  return Vec<double>::raw(_mm512_set1_pd(s));
#elif defined(__AVX__)
  return Vec<double>::raw(_mm256_set1_pd(s));
#elif defined(__SSE2__)
  return Vec<double>::raw(_mm_set1_pd(s));
#else
  Vec<double>::raw r;
  for (int i = 0; i < kLanes<double>; ++i) r[i] = s;
  return r;
#endif
}
template <class T> inline Vec<T> zero() { return Vec<T>{typename Vec<T>::raw{}}; }
template <class T> inline Vec<T> load(const T* p) {
  typename Vec<T>::raw r;
  std::memcpy(&r, p, sizeof r);
  return r;
}
template <class T> inline void store(T* p, Vec<T> a) { std::memcpy(p, &a.v, sizeof a.v); }
// The first n lanes (0 ≤ n ≤ lanes); the other lanes of the result are 0.
template <class T> inline Vec<T> load_n(const T* p, int n) {
  Vec<T> r = zero<T>();
  std::memcpy(&r.v, p, sizeof(T) * std::size_t(n));
  return r;
}
template <class T> inline void store_n(T* p, Vec<T> a, int n) { std::memcpy(p, &a.v, sizeof(T) * std::size_t(n)); }

template <class T> inline Vec<T> operator+(Vec<T> a, Vec<T> b) { return a.v + b.v; }
template <class T> inline Vec<T> operator-(Vec<T> a, Vec<T> b) { return a.v - b.v; }
template <class T> inline Vec<T> operator*(Vec<T> a, Vec<T> b) { return a.v * b.v; }
template <class T> inline Vec<T> operator-(Vec<T> a) { return -a.v; }
template <class T> inline Vec<T> operator*(Vec<T> a, T s) { return a.v * s; }
template <class T> inline Vec<T> operator+(Vec<T> a, T s) { return a.v + s; }

inline Vec<float> fma(Vec<float> a, Vec<float> b, Vec<float> c) {
#if defined(__AVX512F__)
  return Vec<float>::raw(_mm512_fmadd_ps(__m512(a.v), __m512(b.v), __m512(c.v)));
#elif defined(__FMA__) && defined(__AVX__)
  return Vec<float>::raw(_mm256_fmadd_ps(__m256(a.v), __m256(b.v), __m256(c.v)));
#else
  return a.v * b.v + c.v;
#endif
}
inline Vec<double> fma(Vec<double> a, Vec<double> b, Vec<double> c) {
#if defined(__AVX512F__)
  return Vec<double>::raw(_mm512_fmadd_pd(__m512d(a.v), __m512d(b.v), __m512d(c.v)));
#elif defined(__FMA__) && defined(__AVX__)
  return Vec<double>::raw(_mm256_fmadd_pd(__m256d(a.v), __m256d(b.v), __m256d(c.v)));
#else
  return a.v * b.v + c.v;
#endif
}
// Whether fma() is one rounding (the split products of the GELU need it to be exact).
constexpr bool kHasFma =
#if defined(__AVX512F__) || (defined(__FMA__) && defined(__AVX__))
    true;
#else
    false;
#endif

// Sum of the lanes, in a fixed tree (lane order within halves), for the small dot products.
template <class T> inline T hsum(Vec<T> a) {
  T s[kLanes<T>];
  std::memcpy(s, &a.v, sizeof s);
  for (int w = kLanes<T> / 2; w >= 1; w /= 2)
    for (int i = 0; i < w; ++i) s[i] += s[i + w];
  return s[0];
}

}  // namespace df
