// __global__ wrappers of the kernel bodies (fused_sweeps.h, optim_bodies.h) over GpuExec, and
// their launchers (sweep_kernels.h). One block per tile loop for the sweeps (kSweepThreads
// threads, dynamic shared memory = tile_layout(...).total floats, opted in above 48 KB).
// The operand precision travels in the arguments (SweepCommon.prec); round_kernel applies the
// device conversions of precision.h elementwise (tests/gpu_test_precision.cpp).
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/fused_sweeps.h"
#include "kernels/cuda/gpu_exec.cuh"
#include "kernels/cuda/optim_bodies.h"
#include "kernels/cuda/pf_loglik_tile.h"
#include "kernels/cuda/sweep_kernels.h"

namespace df {
namespace {

__global__ void embed_kernel(EmbedArgs a) { GpuExec ex; embed_body(ex, a); }
__global__ void __launch_bounds__(cuda::kSweepThreads) diffuse_kernel(DiffuseArgs a) { GpuExec ex; diffuse_tile(ex, a); }
__global__ void __launch_bounds__(cuda::kSweepThreads) reverse_kernel(ReverseArgs a) { GpuExec ex; reverse_tile(ex, a); }
__global__ void __launch_bounds__(cuda::kSweepThreads) adjoint_kernel(AdjointArgs a) { GpuExec ex; adjoint_tile(ex, a); }
__global__ void reduce_kernel(float* out, const float* part, size_t stride, int nparts, size_t n) {
  GpuExec ex;
  reduce_body(ex, out, part, stride, nparts, n);
}
__global__ void __launch_bounds__(cuda::kSweepThreads) pf_loglik_kernel(PfArgs a) { GpuExec ex; pf_loglik_tile(ex, a); }
__global__ void embed_backward_kernel(EmbedBackwardArgs a) { GpuExec ex; embed_backward_body(ex, a); }
__global__ void adam_kernel(AdamArgs a) { GpuExec ex; adam_body(ex, a); }
__global__ void ema_kernel(float* e, const float* p, size_t n, float decay) { GpuExec ex; ema_body(ex, e, p, n, decay); }
__global__ void sq_norm_kernel(double* part, const float* g, size_t n) { GpuExec ex; sq_norm_body(ex, part, g, n); }
__global__ void round_kernel(float* out, const float* in, size_t n, MatPrecision p) {
  const size_t step = size_t(blockDim.x) * gridDim.x;
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step)
    out[i] = round_operand(in[i], p);
}

constexpr int kFlatThreads = 256;

long g_launches = 0;  // kernels launched through this file (cuda::kernel_launches)

int flat_blocks(size_t n) {
  const size_t b = (n + kFlatThreads - 1) / kFlatThreads;
  return int(b < 4096 ? (b > 0 ? b : 1) : 4096);
}

template <class Kernel> void allow_smem(Kernel k, size_t bytes) {
  if (bytes > 48 * 1024) CUDA_CHECK(cudaFuncSetAttribute(k, cudaFuncAttributeMaxDynamicSharedMemorySize, int(bytes)));
}

}  // namespace

namespace cuda {

long kernel_launches() { return g_launches; }

void launch_embed(const EmbedArgs& a, int W, int N) {
  embed_kernel<<<2 * (N + 1), 128, 5 * size_t(W) * sizeof(float)>>>(a);
  CUDA_CHECK_LAUNCH();
  ++g_launches;
}

void launch_diffuse(const DiffuseArgs& a, int blocks, size_t smem) {
  allow_smem(diffuse_kernel, smem);
  diffuse_kernel<<<blocks, kSweepThreads, smem>>>(a);
  CUDA_CHECK_LAUNCH();
  ++g_launches;
}

void launch_reverse(const ReverseArgs& a, int blocks, size_t smem) {
  allow_smem(reverse_kernel, smem);
  reverse_kernel<<<blocks, kSweepThreads, smem>>>(a);
  CUDA_CHECK_LAUNCH();
  ++g_launches;
}

void launch_adjoint(const AdjointArgs& a, int blocks, size_t smem) {
  allow_smem(adjoint_kernel, smem);
  adjoint_kernel<<<blocks, kSweepThreads, smem>>>(a);
  CUDA_CHECK_LAUNCH();
  ++g_launches;
}

void launch_pf_loglik(const PfArgs& a, int blocks, size_t smem) {
  allow_smem(pf_loglik_kernel, smem);
  pf_loglik_kernel<<<blocks, kSweepThreads, smem>>>(a);
  CUDA_CHECK_LAUNCH();
  ++g_launches;
}

void launch_reduce(float* out, const float* part, size_t stride, int nparts, size_t n) {
  reduce_kernel<<<flat_blocks(n), kFlatThreads>>>(out, part, stride, nparts, n);
  CUDA_CHECK_LAUNCH();
  ++g_launches;
}

void launch_embed_backward(const EmbedBackwardArgs& a, int W) {
  embed_backward_kernel<<<2, 256, 8 * size_t(W) * sizeof(float)>>>(a);
  CUDA_CHECK_LAUNCH();
  ++g_launches;
}

void launch_adam(const AdamArgs& a) {
  adam_kernel<<<flat_blocks(a.n), kFlatThreads>>>(a);
  CUDA_CHECK_LAUNCH();
  ++g_launches;
}

void launch_ema(float* e, const float* p, size_t n, float decay) {
  ema_kernel<<<flat_blocks(n), kFlatThreads>>>(e, p, n, decay);
  CUDA_CHECK_LAUNCH();
  ++g_launches;
}

void launch_sq_norm(double* part, const float* g, size_t n, int blocks) {
  sq_norm_kernel<<<blocks, kFlatThreads, kFlatThreads * sizeof(double)>>>(part, g, n);
  CUDA_CHECK_LAUNCH();
  ++g_launches;
}

void launch_round_operands(float* out, const float* in, size_t n, MatPrecision p) {
  round_kernel<<<flat_blocks(n), kFlatThreads>>>(out, in, n, p);
  CUDA_CHECK_LAUNCH();
  ++g_launches;
}

}  // namespace cuda
}  // namespace df
