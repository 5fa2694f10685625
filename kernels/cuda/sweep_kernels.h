// Host-side launchers of the fused sweep, embedding, reduction and optimizer kernels
// (kernels/cuda/sweep_kernels.cu: thin __global__ wrappers over the bodies in fused_sweeps.h and
// optim_bodies.h, run with GpuExec). All launch on the default stream and check the launch
// (CUDA_CHECK_LAUNCH); none synchronizes. Pointers are device pointers; see the bodies' headers
// for shapes and (=)/(+=).
// Operand precision: the sweep launchers take it inside their arguments, SweepCommon.prec
// (sweep_args.h; default MatPrecision::FP32 = the plain fp32 kernels), so their signatures are
// unchanged: a backend sets c.prec once where it fills SweepCommon. The embedding, reduction,
// optimizer and norm kernels are fp32 only.
//   launch_round_operands  out[i] = round_operand(in[i], p) with the device conversion
//                          instructions (cvt.rna.tf32.f32, cvt.rn.bf16.f32), for checking the
//                          host bit versions of precision.h against the device (=)
#pragma once
#include <stddef.h>

#include "kernels/cuda/optim_bodies.h"
#include "kernels/cuda/precision.h"
#include "kernels/cuda/sweep_args.h"

namespace df {

struct EmbedArgs;
struct EmbedBackwardArgs;
struct PfArgs;

namespace cuda {

constexpr int kSweepThreads = 256;  // threads per block of the tile kernels

void launch_embed(const EmbedArgs& a, int W, int N);                  // 2(N+1) blocks
void launch_diffuse(const DiffuseArgs& a, int blocks, size_t smem_bytes);
void launch_reverse(const ReverseArgs& a, int blocks, size_t smem_bytes);
void launch_adjoint(const AdjointArgs& a, int blocks, size_t smem_bytes);
void launch_pf_loglik(const PfArgs& a, int blocks, size_t smem_bytes);  // pf_loglik_tile.h
void launch_reduce(float* out, const float* part, size_t stride, int nparts, size_t n);
void launch_embed_backward(const EmbedBackwardArgs& a, int W);         // 2 blocks
void launch_adam(const AdamArgs& a);
void launch_ema(float* e, const float* p, size_t n, float decay);
void launch_sq_norm(double* part, const float* g, size_t n, int blocks);  // part[blocks]
void launch_round_operands(float* out, const float* in, size_t n, MatPrecision p);

// Kernels launched by the launchers above since the program started (host counter, not
// thread-safe: the backend is used from one host thread).
long kernel_launches();

}  // namespace cuda
}  // namespace df
