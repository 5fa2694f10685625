// The warp-MMA check kernel (kernels/cuda/mma_check.h): mma_fragments_body over GpuExec.
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/gpu_exec.cuh"
#include "kernels/cuda/mma_check.h"

namespace df {
namespace {

__global__ void mma_fragments_kernel(MmaFragArgs a) {
  GpuExec ex;
  mma_fragments_body(ex, a);
}

}  // namespace

namespace cuda {

void launch_mma_fragments(const MmaFragArgs& args, int nwarps) {
  mma_fragments_kernel<<<1, 32 * nwarps>>>(args);
  CUDA_CHECK_LAUNCH();
}

}  // namespace cuda
}  // namespace df
