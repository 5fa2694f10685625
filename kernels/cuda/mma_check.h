// Host launchers of the device check kernels (kernels/cuda/mma_check.cu), for
// tests/gpu_test_precision.cpp. Pointers are device pointers; they synchronize nothing.
//   launch_mma_fragments(args, nwarps)   mma_fragments_body (kernels/cuda/mma.h) with GpuExec on
//                                        one block of 32·nwarps threads: args.d (=) one m16n8k8
//                                        tf32 or m16n8k16 bf16 MMA per warp, to compare the
//                                        device mma.sync with the emulator's
//   launch_round_operands(out, in, n, p) out[i] = round_operand(in[i], p) with the device
//                                        conversion instructions (cvt.rna.tf32.f32, cvt.rn.bf16.f32) (=)
#pragma once
#include <stddef.h>

#include "kernels/cuda/mma.h"
#include "kernels/cuda/precision.h"

namespace df {
namespace cuda {

void launch_mma_fragments(const MmaFragArgs& args, int nwarps);
void launch_round_operands(float* out, const float* in, size_t n, MatPrecision p);

}  // namespace cuda
}  // namespace df
