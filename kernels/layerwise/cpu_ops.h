// CpuOps: the Ops policy of the layer-wise driver (layerwise.h) on the host, so the driver is
// tested on every commit (tests/test_layerwise.cpp). fp32 throughout: gemm is a plain triple loop
// summing over k in ascending order, map a serial loop, the embedding steps run the fused path's
// bodies through the block emulator. Memory: host vectors owned by the CpuOps object.
#pragma once
#include <cstring>
#include <memory>
#include <vector>

#include "kernels/emu/block_emulator.h"
#include "kernels/layerwise/layerwise.h"

namespace df {

class CpuOps {
 public:
  long calls = 0;  // gemm + map + embedding steps issued (the count a device would launch)

  float* alloc(size_t n) {
    mem_.push_back(std::make_unique<float[]>(n ? n : 1));
    float* p = mem_.back().get();
    std::memset(p, 0, (n ? n : 1) * sizeof(float));
    return p;
  }
  void upload(float* dst, const float* host, size_t n) { std::memcpy(dst, host, n * sizeof(float)); }
  void download(float* host, const float* src, size_t n) { std::memcpy(host, src, n * sizeof(float)); }
  void copy(float* dst, const float* src, size_t n) { std::memmove(dst, src, n * sizeof(float)); }

  // C (m×n) = op(A)·op(B) + beta·C, column-major; op(X) = Xᵀ when the flag is set.
  void gemm(bool ta, bool tb, int m, int n, int k, const float* A, int lda, const float* B, int ldb, float beta,
            float* C, int ldc) {
    ++calls;
    for (int j = 0; j < n; ++j)
      for (int i = 0; i < m; ++i) {
        float s = 0.f;
        for (int l = 0; l < k; ++l) {
          const float a = ta ? A[l + size_t(i) * lda] : A[i + size_t(l) * lda];
          const float b = tb ? B[j + size_t(l) * ldb] : B[l + size_t(j) * ldb];
          s += a * b;
        }
        float& c = C[i + size_t(j) * ldc];
        c = beta == 0.f ? s : beta * c + s;
      }
  }

  template <class F> void map(size_t n, const F& f) {
    ++calls;
    for (size_t i = 0; i < n; ++i) f(i);
  }

  void embed(const EmbedArgs& a, int W, int N) {
    ++calls;
    launch_emulated(2 * (N + 1), 64, 5 * size_t(W) * sizeof(float), [&](EmuExec& ex) { embed_body(ex, a); });
  }
  void embed_backward(const EmbedBackwardArgs& a, int W) {
    ++calls;
    launch_emulated(2, 64, 8 * size_t(W) * sizeof(float), [&](EmuExec& ex) { embed_backward_body(ex, a); });
  }

 private:
  std::vector<std::unique_ptr<float[]>> mem_;
};

}  // namespace df
