// The device check kernels (kernels/cuda/mma_check.h): mma_fragments_body over GpuExec, and the
// device conversions of precision.h elementwise.
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/gpu_exec.cuh"
#include "kernels/cuda/mma_check.h"

namespace df {
namespace {

__global__ void mma_fragments_kernel(MmaFragArgs a) {
  GpuExec ex;
  mma_fragments_body(ex, a);
}

__global__ void round_kernel(float* out, const float* in, size_t n, MatPrecision p) {
  const size_t step = size_t(blockDim.x) * gridDim.x;
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) out[i] = round_operand(in[i], p);
}

}  // namespace

namespace cuda {

void launch_mma_fragments(const MmaFragArgs& args, int nwarps) {
  mma_fragments_kernel<<<1, 32 * nwarps>>>(args);
  CUDA_CHECK_LAUNCH();
}

void launch_round_operands(float* out, const float* in, size_t n, MatPrecision p) {
  const size_t blocks = (n + 255) / 256;
  round_kernel<<<unsigned(blocks < 4096 ? (blocks > 0 ? blocks : 1) : 4096), 256>>>(out, in, n, p);
  CUDA_CHECK_LAUNCH();
}

}  // namespace cuda
}  // namespace df
