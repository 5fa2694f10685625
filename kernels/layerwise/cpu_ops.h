// CpuOps: the Ops policy of the layer-wise driver (layerwise.h) on the emulated device
// (kernels/emu/emu_device.h), so the driver runs in CI exactly as the CUDA backend drives it.
//   gemm   cuBLAS's conventions (column-major, transposes, alpha, beta, leading dimensions), a
//          plain loop summing over k in ascending order; TF32 operands rounded by round_tf32 (a
//          model of cuBLAS's TF32 math: its rounding and summation order may differ in the last
//          bits); BF16 refused at construction, as CudaOps refuses it
//   map    a serial loop
//   embed / embed_backward   the fused path's embedding kernels launched on the emulated device
//   alloc  zeroed device memory, freed when the CpuOps goes
// Every gemm, map and kernel counts as one launch of the device.
#pragma once
#include <vector>

#include "kernels/cuda/kernel_bodies.h"
#include "kernels/emu/emu_device.h"
#include "kernels/layerwise/layerwise.h"
#include "kernels/math/errors.h"

namespace df {

class CpuOps {
 public:
  explicit CpuOps(EmuDevice& dev, MatPrecision p = MatPrecision::FP32) : dev_(dev), prec_(p) {
    if (p == MatPrecision::BF16) throw InputError(kLayerwiseNoBf16);
  }
  CpuOps(const CpuOps&) = delete;
  CpuOps& operator=(const CpuOps&) = delete;
  ~CpuOps() {
    for (float* p : mem_) dev_.free(p);
  }

  float* alloc(size_t n) {
    float* p = static_cast<float*>(dev_.alloc_bytes((n ? n : 1) * sizeof(float)));
    mem_.push_back(p);
    return p;
  }
  void upload(float* dst, const float* host, size_t n) { dev_.to_device(dst, host, n * sizeof(float)); }
  void download(float* host, const float* src, size_t n) { dev_.to_host(host, src, n * sizeof(float)); }
  void copy(float* dst, const float* src, size_t n) { dev_.copy(dst, src, n * sizeof(float)); }

  void gemm(bool ta, bool tb, int m, int n, int k, float alpha, const float* A, int lda, const float* B, int ldb,
            float beta, float* C, int ldc) {
    dev_.count_launch();
    const MatPrecision p = prec_ == MatPrecision::TF32 ? MatPrecision::TF32 : MatPrecision::FP32;
    for (int j = 0; j < n; ++j)
      for (int i = 0; i < m; ++i) {
        float s = 0.f;
        for (int l = 0; l < k; ++l) {
          const float a = ta ? A[l + size_t(i) * lda] : A[i + size_t(l) * lda];
          const float b = tb ? B[j + size_t(l) * ldb] : B[l + size_t(j) * ldb];
          s += round_operand(a, p) * round_operand(b, p);
        }
        float& c = C[i + size_t(j) * ldc];
        c = beta == 0.f ? alpha * s : beta * c + alpha * s;
      }
  }

  template <class F> void map(size_t n, const F& f) {
    dev_.count_launch();
    for (size_t i = 0; i < n; ++i) f(i);
  }

  void embed(const EmbedArgs& a) { launch_embed(dev_, a); }
  void embed_backward(const EmbedBackwardArgs& a) { launch_embed_backward(dev_, a); }

 private:
  EmuDevice& dev_;
  MatPrecision prec_;
  std::vector<float*> mem_;
};

}  // namespace df
