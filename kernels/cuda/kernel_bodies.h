// Every kernel of the device backend as a tag: K::run(ex, args) calls the kernel's body on an
// execution interface (GpuExec on the GPU, EmuExec in the block emulator), K::threads is its
// block size bound and K::min_blocks the blocks per SM ptxas fits its registers to
// (__launch_bounds__(threads, min_blocks) on the GPU: 1 lets a 256-thread block's threads have
// 255 registers, which the sweeps take; PfLoglikK keeps the 64 it had before the bound, 4 blocks),
// K::name its name (Nsight, reports).
// A device policy launches a tag: dev.launch<K>(grid, block, dynamic_smem_bytes, args)
// (kernels/cuda/cuda_device.cuh, kernels/emu/emu_device.h), so the backend's launch sequence
// (engine/device_backend.h) is written once for both.
//   EmbedK          e(t_j) of both networks, their W_lᵀ           embed_body (fused_sweeps.h)
//   DiffuseK        the diffuse sweep and its loss                diffuse_tile
//   ReverseK        sampling                                      reverse_tile
//   AdjointK        diffuse + adjoint per tile, gradient slices   adjoint_tile
//   PfLoglikK       probability-flow likelihood                   pf_loglik_tile (pf_loglik_tile.h)
//   ReduceK         sum of the gradient slices, fixed order       reduce_body
//   EmbedPointsK    per grid point: the embedding gradient's terms  embed_points_body
//   EmbedBackwardK  embedding gradients from them, per element    embed_backward_body
//   EmaK, SqNormK   EMA and squared norm of one buffer (optim_bodies.h)
//   OptimK          Adam (+ EMA) of one or both networks            optim_body
//   SqNorm2K        both networks' norm partials in one launch      sq_norm2_body
//   ClipK           both norms and clip scales from the partials    clip_body
#pragma once
#include <stddef.h>

#include "kernels/cuda/fused_sweeps.h"
#include "kernels/cuda/optim_bodies.h"
#include "kernels/cuda/pf_loglik_tile.h"

namespace df {

struct EmaArgs {
  float* e = nullptr;
  const float* p = nullptr;
  size_t n = 0;
  float decay = 0.f;
};
struct SqNormArgs {
  double* part = nullptr;
  const float* g = nullptr;
  size_t n = 0;
};

constexpr int kSweepThreads = 256;  // threads per block of the tile kernels
constexpr int kFlatThreads = 256;   // threads per block of the flat (grid-stride) kernels

#define DF_KERNEL_TAG(Tag, Args, maxthreads, minblocks, body)               \
  struct Tag {                                                              \
    using args_type = Args;                                                 \
    static constexpr int threads = maxthreads;                              \
    static constexpr int min_blocks = minblocks;                            \
    static constexpr const char* name = #Tag;                               \
    template <class Exec> DF_HD static void run(Exec& ex, const Args& a) { body; } \
  }

DF_KERNEL_TAG(EmbedK, EmbedArgs, 1024, 1, embed_body(ex, a));
DF_KERNEL_TAG(DiffuseK, DiffuseArgs, kSweepThreads, 1, diffuse_tile(ex, a));
DF_KERNEL_TAG(ReverseK, ReverseArgs, kSweepThreads, 1, reverse_tile(ex, a));
DF_KERNEL_TAG(AdjointK, AdjointArgs, kSweepThreads, 1, adjoint_tile(ex, a));
DF_KERNEL_TAG(PfLoglikK, PfArgs, kSweepThreads, 4, pf_loglik_tile(ex, a));
DF_KERNEL_TAG(ReduceK, ReduceArgs, 1024, 1, reduce_body(ex, a));
DF_KERNEL_TAG(EmbedPointsK, EmbedBackwardArgs, 1024, 1, embed_points_body(ex, a));
DF_KERNEL_TAG(EmbedBackwardK, EmbedBackwardArgs, 1024, 1, embed_backward_body(ex, a));
DF_KERNEL_TAG(EmaK, EmaArgs, 1024, 1, ema_body(ex, a.e, a.p, a.n, a.decay));
DF_KERNEL_TAG(SqNormK, SqNormArgs, 1024, 1, sq_norm_body(ex, a.part, a.g, a.n));
DF_KERNEL_TAG(ClipK, ClipArgs, 32, 1, clip_body(ex, a));
DF_KERNEL_TAG(SqNorm2K, SqNorm2Args, 1024, 1, sq_norm2_body(ex, a));
DF_KERNEL_TAG(OptimK, OptimArgs, 1024, 1, optim_body(ex, a));

#undef DF_KERNEL_TAG

// The embedding kernels' launch shapes (from the arguments' W, N and L), written once for the
// backend and the layer-wise Ops.
template <class Dev> void launch_embed(Dev& dev, const EmbedArgs& a) {
  dev.template launch<EmbedK>(embed_blocks(a), 128, (5 * size_t(a.f.W) + kStageFloats) * sizeof(float), a);
}
// The embedding backward: a.work holds embed_work_floats(W, N) floats.
template <class Dev> void launch_embed_backward(Dev& dev, const EmbedBackwardArgs& a) {
  dev.template launch<EmbedPointsK>(2 * (a.st.N + 1), 128, embed_point_grad_floats(a.f.W) * sizeof(float), a);
  const size_t items = embed_backward_items(a), blocks = (items + kFlatThreads - 1) / kFlatThreads;
  dev.template launch<EmbedBackwardK>(int(blocks), kFlatThreads, 0, a);
}

}  // namespace df
