// GpuExec: the device side of the Exec interface the fused kernel bodies are written against
// (kernels/emu/block_emulator.h has the CPU side, EmuExec, with the same members).
//   tid(), nthreads(), bid(), nblocks()   threadIdx.x, blockDim.x, blockIdx.x, gridDim.x
//   sync()                                __syncthreads()
//   syncwarp()                            __syncwarp over the lanes present in the warp
//   lineup()                              nothing (the emulator's counts line the lanes up there)
//   tile_done(keep_bytes)                 nothing (the emulator poisons shared memory there)
//   shared<T>()                           the dynamic shared memory (extern __shared__)
//   shfl_xor(v, mask)                     __shfl_xor_sync over the lanes present in the warp
//   shfl(v, src_lane)                     __shfl_sync over the lanes present in the warp
//   mma_tf32_m16n8k8(d, a, b, c)          mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32
//   mma_bf16_m16n8k16(d, a, b, c)         mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
//   atomic_add(p, v)                      atomicAdd
//   ld(p, i), st(p, i, v), add(p, i, v)   p[i]; p[i] = v; p[i] += v (the emulator counts them)
//   red(p, i, v)                          p[i] += v in global memory by atomicAdd with the result
//                                         unused (red.global.add; a Float2 / Float4 as one vector
//                                         reduction, sm_90), no load in the SM
//   fma(c, a, b)                          c + a·b as one FFMA (__fmaf_rn: explicit, so it stays one
//                                         under the build's --fmad=false)
// The MMAs (fragment layouts and operand formats: kernels/cuda/mma.h) are warp-collective: all
// 32 lanes of a full warp must execute them together; sm_80 or newer (older targets trap).
// Everything is inline; nvcc only.
#pragma once
#if !defined(__CUDACC__)
#error "gpu_exec.cuh is for nvcc only"
#endif
#include <cuda_runtime.h>
#include <stdint.h>

namespace df {

struct GpuExec {
  __device__ __forceinline__ int tid() const { return int(threadIdx.x); }
  __device__ __forceinline__ int nthreads() const { return int(blockDim.x); }
  __device__ __forceinline__ int bid() const { return int(blockIdx.x); }
  __device__ __forceinline__ int nblocks() const { return int(gridDim.x); }
  __device__ __forceinline__ void sync() const { __syncthreads(); }
  template <class T> __device__ __forceinline__ T* shared() const {
    extern __shared__ __align__(16) unsigned char df_dynamic_smem[];
    return reinterpret_cast<T*>(df_dynamic_smem);
  }
  // the lanes present in this thread's warp (a partial last warp must not name absent lanes)
  __device__ __forceinline__ unsigned warp_mask() const {
    const int first = int(threadIdx.x) & ~31;
    const int lanes = min(32, int(blockDim.x) - first);
    return lanes == 32 ? 0xFFFFFFFFu : ((1u << lanes) - 1u);
  }
  __device__ __forceinline__ void tile_done(size_t = 0) const {}
  // reconverges this warp's lanes (before a warp MMA that follows a divergent loop)
  __device__ __forceinline__ void syncwarp() const { __syncwarp(warp_mask()); }
  // the emulator lines the warp's lanes up here for its counts; nothing passes between them
  __device__ __forceinline__ void lineup() const {}
  template <class T> __device__ __forceinline__ T shfl_xor(T v, int mask) const {
    // lanes present in this warp (a partial last warp must not name absent lanes)
    return __shfl_xor_sync(warp_mask(), v, mask);
  }
  template <class T> __device__ __forceinline__ T shfl(T v, int src_lane) const {
    return __shfl_sync(warp_mask(), v, src_lane);
  }
  // d (=) A·B + c; a, b hold tf32 values (round_tf32), c and d may be the same array.
  __device__ __forceinline__ void mma_tf32_m16n8k8(float d[4], const float a[4], const float b[2],
                                                   const float c[4]) const {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    asm volatile(
        "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
        "{%10, %11, %12, %13};\n"
        : "=f"(d[0]), "=f"(d[1]), "=f"(d[2]), "=f"(d[3])
        : "r"(__float_as_uint(a[0])), "r"(__float_as_uint(a[1])), "r"(__float_as_uint(a[2])),
          "r"(__float_as_uint(a[3])), "r"(__float_as_uint(b[0])), "r"(__float_as_uint(b[1])), "f"(c[0]), "f"(c[1]),
          "f"(c[2]), "f"(c[3]));
#else
    __trap();
#endif
  }
  // d (=) A·B + c; a, b are bf16 pairs (pack_bf16x2), c and d may be the same array.
  __device__ __forceinline__ void mma_bf16_m16n8k16(float d[4], const uint32_t a[4], const uint32_t b[2],
                                                    const float c[4]) const {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
        "{%10, %11, %12, %13};\n"
        : "=f"(d[0]), "=f"(d[1]), "=f"(d[2]), "=f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]), "f"(c[0]), "f"(c[1]), "f"(c[2]),
          "f"(c[3]));
#else
    __trap();
#endif
  }
  template <class T, class I> __device__ __forceinline__ T ld(const T* p, I i) const { return p[i]; }
  template <class T, class I, class V> __device__ __forceinline__ void st(T* p, I i, V v) const { p[i] = v; }
  template <class T, class I, class V> __device__ __forceinline__ void add(T* p, I i, V v) const { p[i] += v; }
  template <class I> __device__ __forceinline__ void red(float* p, I i, float v) const { atomicAdd(p + i, v); }
  template <class T, class I> __device__ __forceinline__ void red(T* p, I i, const T& v) const {
    static_assert(sizeof(T) == 8 || sizeof(T) == 16, "red: a float or a vector of 2 or 4 floats");
    const float* s = reinterpret_cast<const float*>(&v);
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    if constexpr (sizeof(T) == 16)
      atomicAdd(reinterpret_cast<float4*>(p + i), make_float4(s[0], s[1], s[2], s[3]));
    else
      atomicAdd(reinterpret_cast<float2*>(p + i), make_float2(s[0], s[1]));
#else
    float* d = reinterpret_cast<float*>(p + i);
    for (int k = 0; k < int(sizeof(T) / 4); ++k) atomicAdd(d + k, s[k]);
#endif
  }
  __device__ __forceinline__ float fma(float c, float a, float b) const { return __fmaf_rn(a, b, c); }
  __device__ __forceinline__ void atomic_add(float* p, float v) const { atomicAdd(p, v); }
  __device__ __forceinline__ void atomic_add(double* p, double v) const { atomicAdd(p, v); }
};

}  // namespace df
