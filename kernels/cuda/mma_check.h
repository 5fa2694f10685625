// Host launcher of the warp-MMA check kernel (kernels/cuda/mma_check.cu): runs
// mma_fragments_body (kernels/cuda/mma.h) with GpuExec on one block of 32·nwarps threads, so the
// device mma.sync can be compared with the emulator's on the same fragments
// (tests/gpu_test_precision.cpp). Pointers are device pointers; synchronizes nothing.
//   launch_mma_fragments(args, nwarps)   args.d (=) one m16n8k8 tf32 or m16n8k16 bf16 MMA per warp
#pragma once
#include "kernels/cuda/mma.h"

namespace df {
namespace cuda {

void launch_mma_fragments(const MmaFragArgs& args, int nwarps);

}  // namespace cuda
}  // namespace df
