// The CUDA backend's launch sequence (kernels/cuda/cuda_backend.cu) run through the CPU block
// emulator on host memory: the same kernel bodies (kernels/cuda/fused_sweeps.h), the same
// arguments, the same order of launches. Used by tests/test_emu_sweeps.cpp.
//   emu_embed               ef, es = e(t_j), [N+1][W] each                                     (=)
//   emu_diffflow_loss       loss[B] (D4)                                                       (=)
//   emu_diffflow_loss_grad  gf, gs = gradients of the batch-mean loss (P each); returns the mean;
//                           loss (optional) = per-sample L; K = checkpoint interval of the
//                           adjoint (1 = every state kept; clamped to 1..N); blocks balanced as
//                           adjoint_plan (sweep_args.h) balances them on the device           (=)
//   emu_reverse_sweep       x (d×B, sample-major): x_N → x_0                                   (=)
//   emu_pf_loglik           logp[B]: probability-flow log-likelihood (pf_loglik_tile.h), the
//                           embeddings of every evaluation time from embed_body; DDPM when
//                           given its schedule (fixed drift, ε-network in ps)                (=)
// Shapes: x0 d×B sample-major (x0[b*d + k]); parameters in the engine/params.h layout.
// EmuLaunch.prec sets SweepCommon.prec (operand rounding of the layer products), as the CUDA
// backend's precision setting does; FP32 by default.
#pragma once
#include <algorithm>
#include <vector>

#include "engine/likelihood.h"
#include "kernels/cuda/fused_sweeps.h"
#include "kernels/cuda/pf_loglik_tile.h"
#include "kernels/emu/block_emulator.h"

namespace df {

struct EmuLaunch {
  int TB = 8;          // samples per tile
  int threads = 64;    // threads per block
  int max_blocks = 3;  // blocks of the sweep kernels (each loops over its tiles)
  MatPrecision prec = MatPrecision::FP32;  // operands of the layer products (precision.h)
};

struct EmuSweepState {
  std::vector<float> consts, ef, es;
  SweepCommon c;
};

inline EmuSweepState emu_prepare(const NetShape& s, const float* pf, const float* ps, int B, const TimeGrid& grid,
                                 NoiseKey key, const EmuLaunch& L) {
  EmuSweepState st;
  const int N = grid.N();
  st.consts = make_step_consts(grid);
  st.ef.assign(size_t(N + 1) * s.W, 0.f);
  st.es.assign(size_t(N + 1) * s.W, 0.f);
  st.c.f = make_net_view(s, pf);
  st.c.s = make_net_view(s, ps);
  st.c.st = step_consts_view(st.consts.data(), N);
  st.c.B = B;
  st.c.TB = L.TB;
  st.c.key = key;
  st.c.prec = L.prec;
  EmbedArgs ea{st.c.f, st.c.s, st.c.st, st.ef.data(), st.es.data()};
  launch_emulated(2 * (N + 1), L.threads, 5 * size_t(s.W) * sizeof(float),
                  [&](EmuExec& ex) { embed_body(ex, ea); });
  st.c.ef = st.ef.data();
  st.c.es = st.es.data();
  return st;
}

inline int emu_blocks(int B, const EmuLaunch& L) {
  const int ntiles = (B + L.TB - 1) / L.TB;
  return ntiles < L.max_blocks ? ntiles : L.max_blocks;
}

inline size_t tile_smem_bytes(const NetShape& s, int TB) { return tile_layout(s.d, s.W, s.L, TB).total * sizeof(float); }

inline void emu_diffflow_loss(std::vector<float>& loss, const NetShape& s, const float* pf, const float* ps,
                              const float* x0, int B, const TimeGrid& grid, NoiseKey key, const EmuLaunch& L = {}) {
  EmuSweepState st = emu_prepare(s, pf, ps, B, grid, key, L);
  loss.assign(size_t(B), 0.f);
  DiffuseArgs a;
  a.c = st.c;
  a.x0 = x0;
  a.loss = loss.data();
  a.term_c = terminal_constant_f(grid, s.d);
  launch_emulated(emu_blocks(B, L), L.threads, tile_smem_bytes(s, L.TB), [&](EmuExec& ex) { diffuse_tile(ex, a); });
}

inline double emu_diffflow_loss_grad(std::vector<float>& gf, std::vector<float>& gs, std::vector<float>* loss_out,
                                     const NetShape& s, const float* pf, const float* ps, const float* x0, int B,
                                     const TimeGrid& grid, NoiseKey key, const EmuLaunch& L = {}, int K = 1) {
  const int N = grid.N();
  EmuSweepState st = emu_prepare(s, pf, ps, B, grid, key, L);
  const AdjointPlan plan = adjoint_plan(s, B, N, K, L.TB, L.max_blocks);
  std::vector<float> loss(static_cast<size_t>(B)), xs(plan.states), seg(plan.seg);
  const int G = plan.G;
  const size_t stride = gacc_size(st.c.f, N);
  std::vector<float> part(plan.slices, 0.f), total(plan.total, 0.f);
  AdjointArgs a;
  a.dif.c = st.c;
  a.dif.x0 = x0;
  a.dif.loss = loss.data();
  a.dif.xs = xs.data();
  a.dif.ckpt_k = plan.K;
  a.dif.term_c = terminal_constant_f(grid, s.d);
  a.seg = seg.data();
  a.seg_stride = seg_size(s.d, plan.K, L.TB);
  a.gacc = part.data();
  a.gstride = stride;
  a.inv_b = 1.0f / float(B);
  launch_emulated(G, L.threads, tile_smem_bytes(s, L.TB), [&](EmuExec& ex) { adjoint_tile(ex, a); });
  launch_emulated(4, L.threads, 0, [&](EmuExec& ex) { reduce_body(ex, total.data(), part.data(), stride, G, stride); });
  // the MLP parts to their place in the flat layout; the embedding parts from the summed de_j
  const size_t P = s.n_params(), off = s.off_inw(), Pm = P - off;
  gf.assign(P, 0.f);
  gs.assign(P, 0.f);
  std::copy(total.begin(), total.begin() + long(Pm), gf.begin() + long(off));
  std::copy(total.begin() + long(Pm), total.begin() + long(2 * Pm), gs.begin() + long(off));
  EmbedBackwardArgs eb{st.c.f, st.c.s, st.c.st, gf.data(), gs.data(), total.data() + gacc_def(st.c.f),
                       total.data() + gacc_des(st.c.f, N)};
  launch_emulated(2, L.threads, 8 * size_t(s.W) * sizeof(float), [&](EmuExec& ex) { embed_backward_body(ex, eb); });
  double mean = 0;
  for (float v : loss) mean += double(v);
  if (loss_out) *loss_out = loss;
  return mean / B;
}

inline void emu_reverse_sweep(float* x, const NetShape& s, const float* pf, const float* ps, int B,
                              const TimeGrid& grid, NoiseKey key, bool deterministic, const EmuLaunch& L = {}) {
  EmuSweepState st = emu_prepare(s, pf, ps, B, grid, key, L);
  ReverseArgs a;
  a.c = st.c;
  a.x = x;
  a.deterministic = deterministic ? 1 : 0;
  launch_emulated(emu_blocks(B, L), L.threads, tile_smem_bytes(s, L.TB), [&](EmuExec& ex) { reverse_tile(ex, a); });
}

inline void emu_pf_loglik(std::vector<float>& logp, const NetShape& s, const float* pf, const float* ps, const float* x0,
                          int B, const TimeGrid& grid, const GSchedule& g, const OdeOptions& opt,
                          const EmuLaunch& L = {}, const VpSchedule* ddpm = nullptr) {
  const PfConsts pc = pf_consts(grid, opt.substeps, g, ddpm);
  const int E = int(pc.t.size());
  std::vector<float> ef(size_t(E) * s.W), es(size_t(E) * s.W);
  StepConsts times;
  times.t = pc.t.data();
  times.N = E - 1;  // embed_body embeds t[0..N]
  EmbedArgs ea{make_net_view(s, pf), make_net_view(s, ps), times, ef.data(), es.data()};
  launch_emulated(2 * E, L.threads, 5 * size_t(s.W) * sizeof(float), [&](EmuExec& ex) { embed_body(ex, ea); });
  PfArgs a;
  a.f = ea.f;
  a.s = ea.s;
  a.ef = ef.data();
  a.es = es.data();
  a.gsq = pc.gsq.data();
  a.h = pc.h.data();
  a.steps = int(pc.h.size());
  a.B = B;
  a.TB = L.TB;
  a.x = x0;
  logp.assign(size_t(B), 0.f);
  a.logp = logp.data();
  a.exact_max_d = opt.exact_max_d;
  a.probes = opt.probes;
  a.probe_key = opt.probe_key;
  if (ddpm) {
    a.fscale = pc.fscale.data();
    a.sscale = pc.sscale.data();
  }
  launch_emulated(emu_blocks(B, L), L.threads, tile_smem_bytes(s, L.TB), [&](EmuExec& ex) { pf_loglik_tile(ex, a); });
}

}  // namespace df
