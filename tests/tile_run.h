// One forward and backward pass of kernels/cuda/mlp_tile.h on a tile in one emulated block, for
// the tests of the network passes (test_emu_mma.cpp, test_emu_counts.cpp). Shared memory holds
// x, y, dy, dx (d×TB), dh, dz (W×TB) and the caches, all in rows of ts floats; x and dy (host,
// [k·ts + b]) are written for the nb valid columns only (the rest stays NaN, so a read of padding
// shows); y and dx come back the same way. With counts set, the launch is counted (the emulator's
// cost model, kernels/emu/emu_counts.h) and its counts stored there. The forward pass reads the
// hidden weights transposed (NetView::wt, from hidden_transposed) and the MMAs read them in
// fragment order (NetView::frag, from hidden_fragments, at TF32 / BF16 with W % 16 == 0) unless
// transposed is false. odd_g: the gradient at an address that is not 16-byte aligned (the MMA
// weight gradient's 16-byte adds fall back to scalar adds). At BF16 the MMAs read their operands
// from the packed scratch (MlpCacheView::pk) unless packed is false (the fp32 gathers). The
// gradient comes back in the flat order whatever the path kept (mlp_grad_slot).
#pragma once
#include <cmath>
#include <vector>

#include "engine/params.h"
#include "kernels/cuda/mlp_tile.h"
#include "kernels/emu/block_emulator.h"

namespace df {
namespace test {

struct TileRun {
  std::vector<float> y, dx, g, de;
  long mmas = 0;
};

// The hidden weights of parameters p transposed as NetView::wt holds them (the host's reference
// for the embedding kernel's transposition).
inline std::vector<float> hidden_transposed(const NetShape& s, const float* p) {
  const int W = s.W;
  std::vector<float> wt(hidden_floats(s));
  for (int l = 0; l < s.L; ++l)
    for (int o = 0; o < W; ++o)
      for (int k = 0; k < W; ++k) wt[size_t(l) * W * W + size_t(k) * W + o] = p[s.off_hw(l) + size_t(o) * W + k];
  return wt;
}

// NetView::frag for parameters p at precision prec (TF32 or BF16, W % 16 == 0): W_l and W_lᵀ
// of every hidden layer through mma_frag_quad, as the embedding kernel writes them.
inline std::vector<uint32_t> hidden_fragments(const NetShape& s, const float* p, MatPrecision prec) {
  const int W = s.W;
  std::vector<uint32_t> fr(2 * hidden_floats(s), 0u);
  for (int l = 0; l < s.L; ++l) {
    const float* w = p + s.off_hw(l);
    for (size_t q = 0; q < mma_frag_quads(prec, W); ++q) {
      const Uint4 a = mma_frag_quad(prec, W, q, [&](int r, int k) { return w[size_t(r) * W + k]; });
      const Uint4 b = mma_frag_quad(prec, W, q, [&](int r, int k) { return w[size_t(k) * W + r]; });
      for (int i = 0; i < 4; ++i) {
        fr[size_t(2 * l) * W * W + 4 * q + size_t(i)] = a.v[i];
        fr[size_t(2 * l + 1) * W * W + 4 * q + size_t(i)] = b.v[i];
      }
    }
  }
  return fr;
}

// p: the network's parameters (s.n_params() floats, at any address); backward `repeats` times.
inline TileRun run_tile(const NetShape& s, const float* p, const std::vector<float>& e, const std::vector<float>& x,
                        const std::vector<float>& dy, int nb, int ts, int threads, MatPrecision prec, int repeats = 1,
                        emu::Counts* counts = nullptr, bool transposed = true, bool odd_g = false,
                        bool packed = true) {
  NetView n = make_net_view(s, p);
  const std::vector<float> wt = transposed ? hidden_transposed(s, p) : std::vector<float>();
  const bool frag = transposed && prec != MatPrecision::FP32 && s.W % 16 == 0;
  const std::vector<uint32_t> fr = frag ? hidden_fragments(s, p, prec) : std::vector<uint32_t>();
  if (transposed) n.wt = wt.data();
  if (frag) n.frag = fr.data();
  const int d = s.d, W = s.W, L = s.L;
  const size_t sd = size_t(d) * ts, a = size_t(W) * ts, c = size_t(L + 1) * a;
  const size_t ox = 0, oy = sd, ody = 2 * sd, odx = 3 * sd, odh = 4 * sd, odz = odh + a, oz = odz + size_t(W) * size_t(ts | 1), oh = oz + c;
  const size_t opk = oh + 2 * a, pkw = packed && mlp_packs(prec, W) ? mlp_pk_words(W, ts) : 0;
  const size_t total = opk + pkw;  // z: L+1 arrays, h: 2 work arrays, the packed bf16 scratch
  TileRun r;
  r.y.assign(sd, NAN);
  r.dx.assign(sd, NAN);
  std::vector<float> gbuf(s.n_params() + 1, 0.f);
  float* g = gbuf.data() + (odd_g ? 1 : 0);  // odd_g: the gradient 4 bytes off 8-byte alignment
  r.de.assign(size_t(W), 0.f);
  const long before = emu::mma_count();
  auto body = [&](EmuExec& ex) {
    float* sm = ex.shared<float>();
    for (int i = ex.tid(); i < d * nb; i += ex.nthreads()) {
      const int k = i / nb, b = i % nb;
      sm[ox + k * ts + b] = x[size_t(k) * ts + b];
      sm[ody + k * ts + b] = dy[size_t(k) * ts + b];
    }
    ex.sync();
    MlpCacheView cv{sm + oz, sm + oh};
    if (pkw) {
      cv.pk = reinterpret_cast<uint32_t*>(sm + opk);
      cv.pkf = mlp_pk_stride_f(ts);
      cv.pks = mlp_pk_stride_s(ts);
    }
    mlp_forward_tile(ex, n, e.data(), sm + ox, nb, ts, cv, sm + oy, prec);
    for (int rep = 0; rep < repeats; ++rep)
      mlp_backward_tile(ex, n, sm + ox, cv, sm + ody, nb, ts, sm + odh, sm + odz, g, r.de.data(), sm + odx,
                        prec);
    for (int i = ex.tid(); i < d * nb; i += ex.nthreads()) {
      const int k = i / nb, b = i % nb;
      r.y[size_t(k) * ts + b] = sm[oy + k * ts + b];
      r.dx[size_t(k) * ts + b] = sm[odx + k * ts + b];
    }
  };
  if (counts) {
    *counts = launch_emulated_counted(1, threads, total * sizeof(float), 1, body).sum;
  } else {
    launch_emulated(1, threads, total * sizeof(float), body);
  }
  r.mmas = emu::mma_count() - before;
  // the flat order (the MMA path keeps the hidden weights in accumulator order)
  const bool mma = mlp_use_mma(prec, W, threads);
  r.g.resize(s.n_params());
  for (size_t q = 0; q < s.n_params(); ++q) r.g[q] = g[mlp_grad_slot(n, mma, q)];
  return r;
}

}  // namespace test
}  // namespace df
