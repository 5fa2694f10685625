// `diffflow-bench shapes`: the launch shapes of the kernels as the device backend picks them on
// an H200 (227 KB of opt-in shared memory per block), for the static kernel report
// (scripts/kernel-report.py): one JSON line per network width, with the tile (samples per
// block), threads per block and dynamic shared memory of the tile kernels (diffuse, reverse,
// adjoint, pf_loglik), and the embedding kernels' shapes as launch_embed issues them (recorded
// by a device policy that only records). The operand precision is an argument of the same
// kernels, but the tile's rows depend on it. The adjoint kernel's shared memory adds the score
// path it keeps where it fits (adjoint_smem_bytes, at N = 30), and the
// probability-flow kernel picks its own tile for its two cache sets (pf_tile, pf_smem_bytes).
#include <cstdio>
#include <cstring>
#include <string>

#include "engine/device_backend.h"

namespace {
// A device policy that records launches instead of running them.
struct Recorder {
  std::string last;
  template <class K> void launch(int grid, int block, std::size_t smem, const typename K::args_type&) {
    char b[160];
    std::snprintf(b, sizeof b, "\"%s\": {\"grid\": %d, \"threads\": %d, \"smem_bytes\": %zu}", K::name, grid, block, smem);
    last += (last.empty() ? "" : ", ") + std::string(b);
  }
};
}  // namespace

int cmd_shapes(int argc, char** argv) {
  if (argc > 2 && (!std::strcmp(argv[2], "--help") || !std::strcmp(argv[2], "-h"))) {
    std::puts("usage: diffflow-bench shapes   (JSON lines: W, prec, d, L, tile, threads, smem_bytes)");
    return 0;
  }
  const std::size_t optin = 227 * 1024;
  for (int W : {32, 64, 128})
    for (df::MatPrecision p : {df::MatPrecision::FP32, df::MatPrecision::TF32, df::MatPrecision::BF16}) {
      const df::NetShape s{2, W, 3};
      // the tile the backend picks at the PERF.md batch on the H200's 132 SMs (its rows depend on
      // the precision)
      const int tb = df::pick_tile(s, optin, 0, p, 10000, 132);
      const int pf_tb = df::pick_tile(s, optin, 0, df::MatPrecision::FP32, 10000, 132, 2);
      Recorder rec;  // the embedding kernels as the backend launches them at N = 30
      float dummy = 0.f;    // a non-null wtf: the launch has its transposition blocks (never written)
      df::EmbedArgs ea;
      ea.f.W = ea.s.W = W;
      ea.f.L = ea.s.L = s.L;
      ea.st.N = 30;
      ea.wtf = ea.wts = &dummy;
      df::EmbedBackwardArgs eb;
      eb.f.W = eb.s.W = W;
      eb.st.N = 30;  // 2(N+1) point blocks; the element kernel's grid (the fallback items: null pointers)
      df::launch_embed(rec, ea);
      df::launch_embed_backward(rec, eb);
      std::printf("{\"W\": %d, \"prec\": \"%s\", \"d\": %d, \"L\": %d, \"tile\": %d, \"threads\": %d, "
                  "\"smem_bytes\": %zu, \"adjoint_smem_bytes\": %zu, \"pf_tile\": %d, \"pf_smem_bytes\": %zu, %s}\n",
                  W, df::mat_precision_name(p), s.d, s.L, tb, df::sweep_threads(0), df::tile_smem_bytes(s, tb, p),
                  df::adjoint_smem_bytes(s, tb, p, 30, optin), pf_tb,
                  df::tile_smem_bytes(s, pf_tb, df::MatPrecision::FP32, 2), rec.last.c_str());
    }
  return 0;
}
