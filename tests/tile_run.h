// One forward and backward pass of kernels/cuda/mlp_tile.h on a tile in one emulated block, for
// the tests of the network passes (test_emu_mma.cpp, test_emu_counts.cpp). Shared memory holds
// x, y, dy, dx (d×TB), dh, dz (W×TB) and the caches, all in rows of ts floats; x and dy (host,
// [k·ts + b]) are written for the nb valid columns only (the rest stays NaN, so a read of padding
// shows); y and dx come back the same way. With counts set, the launch is counted (the emulator's
// cost model, kernels/emu/emu_counts.h) and its counts stored there. The forward pass reads the
// hidden weights transposed (NetView::wt, from hidden_transposed) unless transposed is false.
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

// p: the network's parameters (s.n_params() floats, at any address); backward `repeats` times.
inline TileRun run_tile(const NetShape& s, const float* p, const std::vector<float>& e, const std::vector<float>& x,
                        const std::vector<float>& dy, int nb, int ts, int threads, MatPrecision prec, int repeats = 1,
                        emu::Counts* counts = nullptr, bool transposed = true) {
  NetView n = make_net_view(s, p);
  const std::vector<float> wt = transposed ? hidden_transposed(s, p) : std::vector<float>();
  if (transposed) n.wt = wt.data();
  const int d = s.d, W = s.W, L = s.L;
  const size_t sd = size_t(d) * ts, a = size_t(W) * ts, c = size_t(L + 1) * a;
  const size_t ox = 0, oy = sd, ody = 2 * sd, odx = 3 * sd, odh = 4 * sd, odz = odh + a, oz = odz + a, oh = oz + c;
  const size_t total = oh + c;
  TileRun r;
  r.y.assign(sd, NAN);
  r.dx.assign(sd, NAN);
  r.g.assign(s.n_params(), 0.f);
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
    const MlpCacheView cv{sm + oz, sm + oh};
    mlp_forward_tile(ex, n, e.data(), sm + ox, nb, ts, cv, sm + oy, prec);
    for (int rep = 0; rep < repeats; ++rep)
      mlp_backward_tile(ex, n, sm + ox, cv, sm + ody, nb, ts, sm + odh, sm + odz, r.g.data(), r.de.data(), sm + odx,
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
  return r;
}

}  // namespace test
}  // namespace df
