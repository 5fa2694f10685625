// CudaOps: the device Ops policy of the layer-wise driver (kernels/layerwise/layerwise.h; the
// interface is listed at the top of that file). nvcc only.
//   gemm   cublasSgemm on one handle (created on first use, default stream), fp32 operands;
//          math mode per CudaOps: default math for FP32, CUBLAS_TF32_TENSOR_OP_MATH for TF32;
//          BF16 is refused at construction with a df::InputError
//   map    map_kernel<F>: grid-stride loop over i < n, 256 threads, at most 4096 blocks
//   embed / embed_backward   the fused path's embedding kernels, launched on the CudaDevice
//   alloc  a grow-only pool of cudaMalloc'd buffers kept for the life of the program: the i-th
//          alloc of a CudaOps reuses the pool's i-th buffer when it is large enough (the driver
//          allocates in the same order call after call, so steady-state calls do not
//          cudaMalloc), zeroed on the default stream. One CudaOps alive at a time.
// Every cuBLAS status and runtime error is checked (cuda_check.h: expression, status, file:line).
// Every gemm, map and kernel counts as one launch of the CudaDevice. Not thread-safe: the backend
// is used from one host thread. Never run on a device in this repository's CI.
#pragma once
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <utility>
#include <vector>

#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/kernel_bodies.h"
#include "kernels/cuda/precision.h"
#include "kernels/layerwise/layerwise.h"
#include "kernels/math/errors.h"

namespace df {

// f(i) for every i < n, grid-stride.
template <class F> __global__ void map_kernel(size_t n, F f) {
  const size_t step = size_t(blockDim.x) * gridDim.x;
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) f(i);
}

// The one cuBLAS handle of the layer-wise path, on the default stream.
inline cublasHandle_t lw_cublas_handle() {
  static cublasHandle_t h = [] {
    cublasHandle_t x = nullptr;
    CUBLAS_CHECK(cublasCreate(&x));
    return x;
  }();
  return h;
}

template <class Dev> class CudaOps {
 public:
  CudaOps(Dev& dev, MatPrecision p) : dev_(dev) {
    if (p == MatPrecision::BF16) throw InputError(kLayerwiseNoBf16);
    CUBLAS_CHECK(cublasSetMathMode(lw_cublas_handle(),
                                   p == MatPrecision::TF32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
  }
  CudaOps(const CudaOps&) = delete;
  CudaOps& operator=(const CudaOps&) = delete;

  // n zeroed floats from the pool (see the header).
  float* alloc(size_t n) {
    n = n ? n : 1;
    auto& pool = pool_();
    if (next_ == pool.size()) pool.push_back({nullptr, 0});
    auto& slot = pool[next_++];
    if (slot.second < n) {
      if (slot.first) CUDA_CHECK(cudaFree(slot.first));
      slot.first = nullptr;
      CUDA_CHECK(cudaMalloc(&slot.first, n * sizeof(float)));
      slot.second = n;
    }
    CUDA_CHECK(cudaMemsetAsync(slot.first, 0, n * sizeof(float), 0));
    return slot.first;
  }
  // dst (device, n) = host (=); synchronous
  void upload(float* dst, const float* host, size_t n) {
    CUDA_CHECK(cudaMemcpy(dst, host, n * sizeof(float), cudaMemcpyHostToDevice));
  }
  // host (n) = src (device) (=); synchronous (waits for the work queued before it)
  void download(float* host, const float* src, size_t n) {
    CUDA_CHECK(cudaMemcpy(host, src, n * sizeof(float), cudaMemcpyDeviceToHost));
  }
  // dst = src (device, n) (=), on the default stream
  void copy(float* dst, const float* src, size_t n) {
    CUDA_CHECK(cudaMemcpyAsync(dst, src, n * sizeof(float), cudaMemcpyDeviceToDevice, 0));
  }
  // C (m×n) = alpha·op(A)·op(B) + beta·C, column-major, op = transpose when the flag is set
  void gemm(bool ta, bool tb, int m, int n, int k, float alpha, const float* A, int lda, const float* B, int ldb,
            float beta, float* C, int ldc) {
    CUBLAS_CHECK(cublasSgemm(lw_cublas_handle(), ta ? CUBLAS_OP_T : CUBLAS_OP_N, tb ? CUBLAS_OP_T : CUBLAS_OP_N, m, n,
                             k, &alpha, A, lda, B, ldb, &beta, C, ldc));
    dev_.count_launch();
  }
  // f(i) for i < n, one kernel launch
  template <class F> void map(size_t n, const F& f) {
    if (n == 0) return;
    const size_t blocks = (n + 255) / 256;
    map_kernel<<<unsigned(blocks < 4096 ? blocks : 4096), 256>>>(n, f);
    CUDA_CHECK_LAUNCH();
    dev_.count_launch();
  }
  // ef/es (=) e(t_j)
  void embed(const EmbedArgs& a) { launch_embed(dev_, a); }
  // gf/gs embedding parts (+=) from de
  void embed_backward(const EmbedBackwardArgs& a) { launch_embed_backward(dev_, a); }

 private:
  static std::vector<std::pair<float*, size_t>>& pool_() {
    static std::vector<std::pair<float*, size_t>> p;
    return p;
  }
  Dev& dev_;
  size_t next_ = 0;
};

}  // namespace df
