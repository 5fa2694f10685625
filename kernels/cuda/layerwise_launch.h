// Host entry points of the layer-wise sweeps on the device (kernels/cuda/layerwise_cuda.cu:
// kernels/layerwise/layerwise.h with CudaOps, kernels/cuda/layerwise_ops.cuh = cuBLAS sgemm + a
// grid-stride kernel per elementwise step + the fused path's embedding kernels). Plain C++; all pointers are device
// pointers in the backends' layouts (x: d×B column-major; parameters and gradients: the flat
// layout of engine/params.h). Everything runs on the default stream; scratch comes from a
// grow-only pool kept between calls; layerwise_loss_grad synchronizes (it reads the losses).
// Bc = samples per chunk (≤ 0: the whole batch); the scratch is about
// (4(L+1) + 2)·W·Bc + (⌈N/K⌉ + K + 15)·d·Bc floats.
// prec: FP32 (default cuBLAS math) or TF32 (CUBLAS_TF32_TENSOR_OP_MATH); BF16 is refused with a
// df::InputError (the layer-wise path has no bf16 operands).
//   layerwise_loss_grad  gf, gs (=) gradients of the batch-mean loss; loss (B, device, =, may be
//                        null); returns the mean of the per-sample losses
//   layerwise_loss       loss (B, device, =): the bound (D4)
//   layerwise_reverse    x: x_N → x_0 (=)
//   (both for DiffFlow or, with kind = DDPM and its schedule, for DDPM: pf is then not read)
//   layerwise_ddpm_loss_grad  DDPM's denoising loss (kernels/layerwise/ddpm.h): gs (=) gradient
//                        of the batch mean for the ε-network, loss (B, device, =); returns the mean
//   layerwise_launches   map kernels and cuBLAS calls issued so far (host counter; the embedding
//                        kernels count in cuda::kernel_launches)
#pragma once
#include "engine/grid.h"
#include "engine/model_kind.h"
#include "engine/params.h"
#include "kernels/cuda/precision.h"
#include "kernels/math/philox.h"

namespace df {
namespace cuda {

double layerwise_loss_grad(float* gf, float* gs, float* loss, const NetShape& s, const float* pf, const float* ps,
                           const float* x0, int B, const TimeGrid& grid, NoiseKey key, int K, int Bc,
                           MatPrecision prec);
void layerwise_loss(float* loss, const NetShape& s, const float* pf, const float* ps, const float* x0, int B,
                    const TimeGrid& grid, NoiseKey key, int Bc, MatPrecision prec,
                    ModelKind kind = ModelKind::DiffFlow, const VpSchedule& vp = {});
void layerwise_reverse(float* x, const NetShape& s, const float* pf, const float* ps, int B, const TimeGrid& grid,
                       NoiseKey key, bool deterministic, int Bc, MatPrecision prec,
                       ModelKind kind = ModelKind::DiffFlow, const VpSchedule& vp = {});
double layerwise_ddpm_loss_grad(float* gs, float* loss, const NetShape& s, const float* ps, const float* x0, int B,
                                const VpSchedule& vp, double t_min, NoiseKey key, int Bc, MatPrecision prec);
long layerwise_launches();

}  // namespace cuda
}  // namespace df
