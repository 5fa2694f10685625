// CudaOps: the device Ops policy of the layer-wise driver (kernels/layerwise/layerwise.h), and
// the entry points of layerwise_launch.h. gemm = cublasSgemm on one handle (created on first use,
// default stream; TF32 math mode when asked), map = map_kernel<F> (grid-stride, 256 threads),
// embed / embed_backward = the fused path's kernels (sweep_kernels.h), memory = a grow-only pool
// of cudaMalloc'd buffers reused call after call (so cudaMemGetInfo sees it, as it sees the
// fused path's scratch). Not thread-safe: the backend is used from one host thread.
// Never run on a device in this repository's CI.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <utility>
#include <vector>

#include "host/errors.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/layerwise_launch.h"
#include "kernels/cuda/sweep_kernels.h"
#include "kernels/layerwise/ddpm.h"
#include "kernels/layerwise/layerwise.h"

namespace df {
namespace {

long g_lw_launches = 0;

template <class F> __global__ void map_kernel(size_t n, F f) {
  const size_t step = size_t(blockDim.x) * gridDim.x;
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) f(i);
}

cublasHandle_t handle() {
  static cublasHandle_t h = [] {
    cublasHandle_t x = nullptr;
    CUBLAS_CHECK(cublasCreate(&x));
    return x;
  }();
  return h;
}

class CudaOps {
 public:
  explicit CudaOps(MatPrecision p) {
    if (p == MatPrecision::BF16)
      throw InputError("--precision bf16: the layer-wise path (W > 128, tiles too large for shared memory, DDPM training) supports fp32 and tf32 only");
    CUBLAS_CHECK(cublasSetMathMode(handle(), p == MatPrecision::TF32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
  }
  CudaOps(const CudaOps&) = delete;
  CudaOps& operator=(const CudaOps&) = delete;

  // The i-th allocation of a call reuses the pool's i-th buffer when it is large enough (the
  // driver allocates in the same order every call), so steady-state calls do not cudaMalloc;
  // the pool lives until the program ends. Zeroed on the stream, as the driver expects.
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
  void upload(float* dst, const float* host, size_t n) {
    CUDA_CHECK(cudaMemcpy(dst, host, n * sizeof(float), cudaMemcpyHostToDevice));
  }
  void download(float* host, const float* src, size_t n) {
    CUDA_CHECK(cudaMemcpy(host, src, n * sizeof(float), cudaMemcpyDeviceToHost));
  }
  void copy(float* dst, const float* src, size_t n) {
    CUDA_CHECK(cudaMemcpyAsync(dst, src, n * sizeof(float), cudaMemcpyDeviceToDevice, 0));
  }
  void gemm(bool ta, bool tb, int m, int n, int k, const float* A, int lda, const float* B, int ldb, float beta,
            float* C, int ldc) {
    const float one = 1.f;
    CUBLAS_CHECK(cublasSgemm(handle(), ta ? CUBLAS_OP_T : CUBLAS_OP_N, tb ? CUBLAS_OP_T : CUBLAS_OP_N, m, n, k, &one, A,
                             lda, B, ldb, &beta, C, ldc));
    ++g_lw_launches;
  }
  template <class F> void map(size_t n, const F& f) {
    if (n == 0) return;
    const size_t blocks = (n + 255) / 256;
    map_kernel<<<unsigned(blocks < 4096 ? blocks : 4096), 256>>>(n, f);
    CUDA_CHECK_LAUNCH();
    ++g_lw_launches;
  }
  void embed(const EmbedArgs& a, int W, int N) {
    cuda::launch_embed(a, W, N);  // counted by cuda::kernel_launches
  }
  void embed_backward(const EmbedBackwardArgs& a, int W) {
    cuda::launch_embed_backward(a, W);  // counted by cuda::kernel_launches
  }

 private:
  static std::vector<std::pair<float*, size_t>>& pool_() {
    static std::vector<std::pair<float*, size_t>> p;
    return p;
  }
  size_t next_ = 0;
};

}  // namespace

namespace cuda {

double layerwise_loss_grad(float* gf, float* gs, float* loss, const NetShape& s, const float* pf, const float* ps,
                           const float* x0, int B, const TimeGrid& grid, NoiseKey key, int K, int Bc,
                           MatPrecision prec) {
  std::vector<float> h(static_cast<size_t>(B));
  {
    CudaOps ops(prec);
    lw_loss_grad(ops, gf, gs, loss, s, pf, ps, x0, B, grid, key, K, Bc);
    ops.download(h.data(), loss, h.size());
  }
  double mean = 0;
  for (float v : h) mean += double(v);
  return mean / B;
}

void layerwise_loss(float* loss, const NetShape& s, const float* pf, const float* ps, const float* x0, int B,
                    const TimeGrid& grid, NoiseKey key, int Bc, MatPrecision prec, ModelKind kind,
                    const VpSchedule& vp) {
  CudaOps ops(prec);
  lw_loss(ops, loss, s, pf, ps, x0, B, grid, key, Bc, lw::lw_model(kind, vp, grid));
}

void layerwise_reverse(float* x, const NetShape& s, const float* pf, const float* ps, int B, const TimeGrid& grid,
                       NoiseKey key, bool deterministic, int Bc, MatPrecision prec, ModelKind kind,
                       const VpSchedule& vp) {
  CudaOps ops(prec);
  lw_reverse(ops, x, s, pf, ps, B, grid, key, deterministic, Bc, lw::lw_model(kind, vp, grid));
}

double layerwise_ddpm_loss_grad(float* gs, float* loss, const NetShape& s, const float* ps, const float* x0, int B,
                                const VpSchedule& vp, double t_min, NoiseKey key, int Bc, MatPrecision prec) {
  std::vector<float> h(static_cast<size_t>(B));
  CudaOps ops(prec);
  lw_ddpm_loss_grad(ops, gs, loss, s, ps, x0, B, vp, t_min, key, Bc);
  ops.download(h.data(), loss, h.size());
  double mean = 0;
  for (float v : h) mean += double(v);
  return mean / B;
}

long layerwise_launches() { return g_lw_launches; }

}  // namespace cuda
}  // namespace df
