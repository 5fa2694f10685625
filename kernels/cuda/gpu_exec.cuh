// GpuExec: the device side of the Exec interface the fused kernel bodies are written against
// (kernels/emu/block_emulator.h has the CPU side, EmuExec, with the same members).
//   tid(), nthreads(), bid(), nblocks()   threadIdx.x, blockDim.x, blockIdx.x, gridDim.x
//   sync()                                __syncthreads()
//   shared<T>()                           the dynamic shared memory (extern __shared__)
//   shfl_xor(v, mask)                     __shfl_xor_sync over the lanes present in the warp
//   atomic_add(p, v)                      atomicAdd
// Everything is inline; nvcc only.
#pragma once
#if !defined(__CUDACC__)
#error "gpu_exec.cuh is for nvcc only"
#endif
#include <cuda_runtime.h>

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
  template <class T> __device__ __forceinline__ T shfl_xor(T v, int mask) const {
    // lanes present in this warp (a partial last warp must not name absent lanes)
    const int first = int(threadIdx.x) & ~31;
    const int lanes = min(32, int(blockDim.x) - first);
    const unsigned active = lanes == 32 ? 0xFFFFFFFFu : ((1u << lanes) - 1u);
    return __shfl_xor_sync(active, v, mask);
  }
  __device__ __forceinline__ void atomic_add(float* p, float v) const { atomicAdd(p, v); }
  __device__ __forceinline__ void atomic_add(double* p, double v) const { atomicAdd(p, v); }
};

}  // namespace df
