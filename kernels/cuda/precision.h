// Operand precision of the fused kernels' layer products (PERF.md §2): states, η, the loss and
// every accumulator stay fp32; only the two operands of a layer product (a weight and an
// activation, or two activation/cotangent tiles for a weight gradient) are rounded before the
// multiply, and the products are summed in fp32. Compiled by g++ (emulated kernels) and nvcc.
//   MatPrecision   FP32 (default: no rounding, the numbers of the plain fp32 kernels bit for
//                  bit), TF32 (10 mantissa bits), BF16 (7 mantissa bits)
//   round_tf32(x)  as cvt.rna.tf32.f32 (wmma::__float_to_tf32): round to nearest, ties AWAY
//                  from zero, to 10 explicit mantissa bits; the low 13 bits of the result are 0
//   round_bf16(x)  as __float2bfloat16_rn (cvt.rn.bf16.f32) and back to float: round to
//                  nearest, ties to EVEN, to 7 explicit mantissa bits; low 16 bits are 0
//   round_operand(x, p)     one of the above, or x itself for FP32
//   operand_dot(ex, a, sa, b, sb, n, p)  Σ_{i<n} r(a[i·sa])·r(b[i·sb]) in fp32, i ascending:
//                  one output element of a layer product, one thread. At TF32 / BF16 the fused
//                  kernels use it where their products do not tile for the warp MMAs
//                  (kernels/cuda/mlp_tile.h: input and output layers, W % 16 != 0, fewer than
//                  32 threads); the hidden layers run on mma.sync (kernels/cuda/mma.h), whose
//                  CPU emulation sums in this same order (products of rounded operands are
//                  exact in fp32, so the emulated MMA equals operand_dot bit for bit), while the
//                  device MMA sums in its own order (fp32 summation-order differences only)
//   mat_precision_name / parse_mat_precision  "fp32" | "tf32" | "bf16" (host)
// Both roundings are written with bit operations (round_*_bits) so the CPU emulation rounds
// exactly like the conversion instructions; on the device (sm_80+) the instructions themselves
// are used. Special values: ±Inf stay ±Inf; a NaN stays a NaN (the bit version returns a quiet
// NaN with the input's sign; the bf16 instruction returns the canonical NaN 0x7FFF, the
// tf32 one a NaN: only "is NaN" is specified); finite values that round past the largest
// finite number become ±Inf (no saturation, as the instructions without .satfinite); subnormals
// are rounded like normals (no flush to zero).
// Checked against known values by tests/test_emu_precision.cpp; the device instructions
// against the bit versions by tests/gpu_test_precision.cpp (never run: no GPU so far).
#pragma once
#include <stdint.h>
#include <string.h>

#include "kernels/math/df_hd.h"

#if defined(__CUDACC__)
#include <cuda_bf16.h>
#endif

namespace df {

enum class MatPrecision : int { FP32 = 0, TF32 = 1, BF16 = 2 };

DF_HD uint32_t f32_bits(float x) {
  uint32_t u;
  memcpy(&u, &x, sizeof u);
  return u;
}

DF_HD float f32_from_bits(uint32_t u) {
  float x;
  memcpy(&x, &u, sizeof x);
  return x;
}

DF_HD bool f32_bits_nan(uint32_t u) { return (u & 0x7FFFFFFFu) > 0x7F800000u; }

// Round to nearest, ties away from zero, keeping 10 mantissa bits (cvt.rna.tf32.f32). Adding
// half an ulp (0x1000) to the sign-magnitude pattern and truncating rounds the magnitude half
// away from zero; a carry into the exponent is the correct next binade (or Inf).
DF_HD float round_tf32_bits(float x) {
  uint32_t u = f32_bits(x);
  if (f32_bits_nan(u)) return f32_from_bits((u | 0x00400000u) & 0xFFFFE000u);
  if ((u & 0x7F800000u) == 0x7F800000u) return x;  // ±Inf
  u = (u + 0x00001000u) & 0xFFFFE000u;
  return f32_from_bits(u);
}

// Round to nearest, ties to even, keeping 7 mantissa bits (__float2bfloat16_rn).
DF_HD float round_bf16_bits(float x) {
  uint32_t u = f32_bits(x);
  if (f32_bits_nan(u)) return f32_from_bits((u | 0x00400000u) & 0xFFFF0000u);
  if ((u & 0x7F800000u) == 0x7F800000u) return x;  // ±Inf
  u = (u + 0x00007FFFu + ((u >> 16) & 1u)) & 0xFFFF0000u;
  return f32_from_bits(u);
}

DF_HD float round_tf32(float x) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  uint32_t r;
  asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(x));
  return __uint_as_float(r);
#else
  return round_tf32_bits(x);
#endif
}

DF_HD float round_bf16(float x) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  return __bfloat162float(__float2bfloat16_rn(x));
#else
  return round_bf16_bits(x);
#endif
}

DF_HD float round_operand(float x, MatPrecision p) {
  return p == MatPrecision::BF16 ? round_bf16(x) : p == MatPrecision::TF32 ? round_tf32(x) : x;
}

// Σ_{i<n} r(a[i·sa])·r(b[i·sb]), fp32 accumulation in ascending i. FP32 runs the plain loop
// (acc += a·b, the expression of the original kernels), so its numbers are unchanged.
// The loads and products go through ex (counted in the emulator's cost model).
template <class Exec>
DF_HD float operand_dot(Exec& ex, const float* a, int sa, const float* b, int sb, int n, MatPrecision p) {
  float acc = 0.f;
  if (p == MatPrecision::FP32) {
    for (int i = 0; i < n; ++i) acc = ex.fma(acc, ex.ld(a, i * sa), ex.ld(b, i * sb));
  } else if (p == MatPrecision::BF16) {
    for (int i = 0; i < n; ++i) acc = ex.fma(acc, round_bf16(ex.ld(a, i * sa)), round_bf16(ex.ld(b, i * sb)));
  } else {
    for (int i = 0; i < n; ++i) acc = ex.fma(acc, round_tf32(ex.ld(a, i * sa)), round_tf32(ex.ld(b, i * sb)));
  }
  return acc;
}

// ---- host helpers ------------------------------------------------------------------------
inline const char* mat_precision_name(MatPrecision p) {
  return p == MatPrecision::BF16 ? "bf16" : p == MatPrecision::TF32 ? "tf32" : "fp32";
}

// "fp32" | "tf32" | "bf16" → *out; false (and *out untouched) for anything else.
inline bool parse_mat_precision(const char* s, MatPrecision* out) {
  if (!s) return false;
  if (strcmp(s, "fp32") == 0) { *out = MatPrecision::FP32; return true; }
  if (strcmp(s, "tf32") == 0) { *out = MatPrecision::TF32; return true; }
  if (strcmp(s, "bf16") == 0) { *out = MatPrecision::BF16; return true; }
  return false;
}

}  // namespace df
