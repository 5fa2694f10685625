// The CUDA device: the device policy of engine/device_backend.h on a real GPU (nvcc only).
// Memory through the CUDA runtime (cudaMalloc, cudaMemcpy, cudaMemset, cudaMemGetInfo); a
// launch runs body_kernel<K> (the kernel's body, kernels/cuda/kernel_bodies.h, on GpuExec) with
// the launch's grid, block and dynamic shared memory (opted in above 48 KB once per kernel), on
// the default stream, checked with CUDA_CHECK_LAUNCH; the layer-wise GEMMs and maps run on
// CudaOps (cuBLAS, kernels/cuda/layerwise_ops.cuh). Every kernel and library call counts as a
// launch. Not thread-safe: the backend is used from one host thread. It has never run on a device
// in this repository's CI.
#pragma once
#include <cublas_v2.h>  // before cuda_check.h, which then defines CUBLAS_CHECK
#include <cuda_runtime.h>

#include <string>

#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/gpu_exec.cuh"
#include "kernels/cuda/kernel_bodies.h"
#include "kernels/cuda/layerwise_ops.cuh"

namespace df {

// __launch_bounds__(threads, min_blocks) (kernel_bodies.h): the sweeps ask for one block per SM,
// which lets ptxas give a thread up to 255 registers. With the block size alone ptxas aimed at
// two 256-thread blocks (128 registers) and spilled them (AdjointK 820 B of spill stores, DiffuseK
// 192, ReverseK 180: the ptxas report of 5166c7e). At W = 128 they hold one block per SM anyway
// (shared memory); at W = 32, 64 the registers now keep them to one (docs/kernels.md).
template <class K> __global__ void __launch_bounds__(K::threads, K::min_blocks) body_kernel(typename K::args_type a) {
  GpuExec ex;
  K::run(ex, a);
}

class CudaDevice {
 public:
  CudaDevice() {
    int dev = 0;
    CUDA_CHECK(cudaGetDevice(&dev));
    CUDA_CHECK(cudaDeviceGetAttribute(&sm_count_, cudaDevAttrMultiProcessorCount, dev));
    int optin = 0;
    CUDA_CHECK(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev));
    smem_optin_ = std::size_t(optin);
    cudaDeviceProp p{};
    CUDA_CHECK(cudaGetDeviceProperties(&p, dev));
    name_ = p.name;
  }
  CudaDevice(const CudaDevice&) = delete;
  CudaDevice& operator=(const CudaDevice&) = delete;

  int sm_count() const { return sm_count_; }
  std::size_t smem_optin() const { return smem_optin_; }
  std::string name() const { return name_; }

  void* alloc_bytes(std::size_t bytes) {
    void* p = nullptr;
    CUDA_CHECK(cudaMalloc(&p, bytes ? bytes : 1));
    CUDA_CHECK(cudaMemset(p, 0, bytes ? bytes : 1));
    return p;
  }
  void free(void* p) noexcept {
    if (p) cudaFree(p);
  }
  void to_device(void* dst, const void* src, std::size_t b) { CUDA_CHECK(cudaMemcpy(dst, src, b, cudaMemcpyHostToDevice)); }
  void to_host(void* dst, const void* src, std::size_t b) { CUDA_CHECK(cudaMemcpy(dst, src, b, cudaMemcpyDeviceToHost)); }
  void copy(void* dst, const void* src, std::size_t b) { CUDA_CHECK(cudaMemcpy(dst, src, b, cudaMemcpyDeviceToDevice)); }
  void zero(void* p, std::size_t b) { CUDA_CHECK(cudaMemset(p, 0, b)); }
  bool memory_info(std::size_t* free_b, std::size_t* total_b) const {
    return cudaMemGetInfo(free_b, total_b) == cudaSuccess;
  }
  void sync() { CUDA_CHECK(cudaDeviceSynchronize()); }

  template <class K> void launch(int grid, int block, std::size_t smem, const typename K::args_type& a) {
    static bool opted = false;
    if (smem > 48 * 1024 && !opted) {
      CUDA_CHECK(cudaFuncSetAttribute(body_kernel<K>, cudaFuncAttributeMaxDynamicSharedMemorySize, int(smem_optin_)));
      opted = true;
    }
    body_kernel<K><<<grid, block, smem>>>(a);
    CUDA_CHECK_LAUNCH();
    ++launches_;
  }
  void count_launch() { ++launches_; }
  long launches() const { return launches_; }

 private:
  int sm_count_ = 1;
  std::size_t smem_optin_ = 48 * 1024;
  std::string name_;
  long launches_ = 0;
};

}  // namespace df
