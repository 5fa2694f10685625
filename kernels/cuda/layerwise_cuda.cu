// The entry points of layerwise_launch.h: the layer-wise driver (kernels/layerwise/layerwise.h,
// kernels/layerwise/ddpm.h) run with CudaOps (layerwise_ops.cuh). Each call builds one CudaOps
// (precision check, math mode), runs the driver on the default stream and, where it returns a
// mean loss, waits for the losses.
#include "kernels/cuda/layerwise_launch.h"
#include "kernels/cuda/layerwise_ops.cuh"
#include "kernels/layerwise/ddpm.h"

namespace df {
namespace cuda {

double layerwise_loss_grad(float* gf, float* gs, float* loss, const NetShape& s, const float* pf, const float* ps,
                           const float* x0, int B, const TimeGrid& grid, NoiseKey key, int K, int Bc,
                           MatPrecision prec) {
  CudaOps ops(prec);
  return lw_loss_grad(ops, gf, gs, loss, s, pf, ps, x0, B, grid, key, K, Bc);
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
  CudaOps ops(prec);
  return lw_ddpm_loss_grad(ops, gs, loss, s, ps, x0, B, vp, t_min, key, Bc);
}

long layerwise_launches() { return lw_launch_count(); }

}  // namespace cuda
}  // namespace df
