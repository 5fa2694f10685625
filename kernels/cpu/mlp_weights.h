// One network's weights as the CPU products read them (kernels/cpu/gemm.h): every matrix the
// forward, backward and tangent passes multiply by, copied k-major with its rows padded to whole
// vectors (Wp = W rounded up to the lanes, dp likewise). Built once per sweep call from the flat
// parameters (engine/params.h layout) and shared read-only by the threads; the biases, the time
// embedding and the output layer's row-major rows are read from the flat buffer itself.
//   fin   [d][Wp]     in.wᵀ        z_0 = in.w x            (also dx = in.wᵀ dz_0 as rows, d < lanes)
//   fh[l] [W][Wp]     h[l].wᵀ      z_{l+1} = h[l].w h_l
//   fout  [W][dp]     out.wᵀ       y = out.w h_L           (only d ≥ lanes; else dot products)
//   bout  [d][Wp]     out.w        dh_L = out.wᵀ dy
//   bh[l] [W][Wp]     h[l].w       dh_l = h[l].wᵀ dz_{l+1}
//   bin   [W][dp]     in.w         dx = in.wᵀ dz_0         (only d ≥ lanes)
#pragma once
#include <vector>

#include "kernels/math/net_shape.h"
#include "kernels/cpu/gemm.h"

namespace df {

template <class T> struct MlpWeights {
  NetShape s;
  const T* p = nullptr;
  int Wp = 0, dp = 0;
  std::vector<T> buf;
  std::size_t o_fin = 0, o_fh = 0, o_fout = 0, o_bout = 0, o_bh = 0, o_bin = 0;

  MlpWeights() = default;
  MlpWeights(const NetShape& shape, const T* params) : s(shape), p(params) {
    if (!p) return;
    const int W = s.W, d = s.d, L = s.L;
    Wp = round_up_lanes<T>(W);
    dp = round_up_lanes<T>(d);
    const bool wide_d = d >= kLanes<T>;
    const std::size_t hw = std::size_t(W) * Wp;
    o_fin = 0;
    o_fh = o_fin + std::size_t(d) * Wp;
    o_fout = o_fh + std::size_t(L) * hw;
    o_bout = o_fout + (wide_d ? std::size_t(W) * dp : 0);
    o_bh = o_bout + std::size_t(d) * Wp;
    o_bin = o_bh + std::size_t(L) * hw;
    buf.assign(o_bin + (wide_d ? std::size_t(W) * dp : 0), T(0));
    // transpose: dst[k·ld + m] = src[m·K + k] (src row-major M×K); rows: dst[k·ld + m] = src[k·M + m]
    auto transpose = [&](std::size_t dst, const T* src, int M, int K, int ld) {
      for (int m = 0; m < M; ++m)
        for (int k = 0; k < K; ++k) buf[dst + std::size_t(k) * ld + m] = src[std::size_t(m) * K + k];
    };
    auto rows = [&](std::size_t dst, const T* src, int K, int M, int ld) {
      for (int k = 0; k < K; ++k)
        for (int m = 0; m < M; ++m) buf[dst + std::size_t(k) * ld + m] = src[std::size_t(k) * M + m];
    };
    transpose(o_fin, p + s.off_inw(), W, d, Wp);
    for (int l = 0; l < L; ++l) {
      transpose(o_fh + std::size_t(l) * hw, p + s.off_hw(l), W, W, Wp);
      rows(o_bh + std::size_t(l) * hw, p + s.off_hw(l), W, W, Wp);
    }
    rows(o_bout, p + s.off_outw(), d, W, Wp);
    if (wide_d) {
      transpose(o_fout, p + s.off_outw(), d, W, dp);
      rows(o_bin, p + s.off_inw(), W, d, dp);
    }
  }
  bool empty() const { return p == nullptr; }
  const T* fin() const { return buf.data() + o_fin; }
  const T* fh(int l) const { return buf.data() + o_fh + std::size_t(l) * s.W * Wp; }
  const T* fout() const { return buf.data() + o_fout; }
  const T* bout() const { return buf.data() + o_bout; }
  const T* bh(int l) const { return buf.data() + o_bh + std::size_t(l) * s.W * Wp; }
  const T* bin() const { return buf.data() + o_bin; }
};

}  // namespace df
