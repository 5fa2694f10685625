// The device backend (engine/backend.h), written once over a device policy Dev:
//   CudaDevice (kernels/cuda/cuda_device.cuh, nvcc): the CUDA runtime, cuBLAS  → engine/cuda_backend.cu
//   EmuDevice  (kernels/emu/emu_device.h, g++): host memory, the block emulator → engine/emu_backend.cpp
// Dev provides memory (alloc_bytes, free, to_device, to_host, copy, zero, memory_info), launches
// (launch<K>(grid, block, dynamic smem, args) for the kernels of kernels/cuda/kernel_bodies.h),
// the layer-wise Ops (Ops<Dev>: CudaOps or CpuOps, GEMMs with cuBLAS's conventions), the launch
// counter, sm_count and the shared-memory limit. Everything else, the launch sequence included,
// is here, so the emulated device runs the very code a GPU runs:
//   diffflow_loss_grad  embed → adjoint (diffuse + adjoint per tile; states kept every K steps
//                       and at N, the segments between recomputed into a per-block buffer; any K
//                       gives the same bits) → reduce of the per-block gradient slices (fixed
//                       order, the MLP parts straight into gf, gs) → embed_backward (a block per
//                       grid point, then a thread per element, writing the embedding part; its
//                       scratch is the reduced slices); gf, gs (=). Buffers:
//                       adjoint_plan, exactly.
//   diffflow_loss       embed → diffuse; per-sample loss to the host (=)
//   reverse_sweep       embed → reverse, x in place (=)
//   pf_loglik           embed (every RK4 evaluation time) → pf_loglik (fp32, exact or Hutchinson
//                       trace); logp (=)
//   DDPM                training, bound and sampling on the layer-wise path (fixed drift, one time
//                       embedding per group of kDdpmGroup samples), its likelihood through the
//                       pf_loglik kernel with the fixed drift; FFJORD: the CPU reference
//                       (engine/backend_models.cpp) on host copies
//   layer-wise path     for W > 128, a tile that does not fit shared memory with 4 samples, or
//                       BackendOptions::force_layerwise: the DiffFlow sweeps as GEMMs +
//                       elementwise steps (kernels/layerwise), chunks of layerwise_chunk samples
//   grad_sq_norm        per-block partial sums in double, summed on the host in block order
//   train_step          loss_grad, both norms' partials (SqNorm2K), clip scales (ClipK), both
//                       networks' Adam + EMA (OptimK), one copy back at the end; DiffFlow on the
//                       fused path: 8 kernels, as one graph (Dev::begin_graph, run_graph) when
//                       the last iteration had the same shape
//   adam_update, ema_update  flat kernels over kernels/math/adam.h (OptimK on one network, EmaK)
// Device memory is owned: DevMem (one buffer) and the grow-only scratch pools are freed in their
// destructors, so nothing leaks when a sweep throws.
#pragma once
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "engine/backend.h"
#include "engine/device_consts.h"
#include "kernels/cuda/kernel_bodies.h"
#include "kernels/layerwise/ddpm.h"
#include "kernels/layerwise/layerwise.h"
#include "kernels/math/errors.h"

namespace df {

// One grow-only device buffer of T, reused across calls, freed with its owner.
template <class Dev, class T> class DevScratch {
 public:
  explicit DevScratch(Dev& d) : dev_(d) {}
  DevScratch(const DevScratch&) = delete;
  DevScratch& operator=(const DevScratch&) = delete;
  ~DevScratch() { dev_.free(p_); }
  T* get(std::size_t want) {
    if (want > n_) {
      dev_.free(p_);
      p_ = nullptr;
      n_ = 0;
      p_ = static_cast<T*>(dev_.alloc_bytes(std::max<std::size_t>(want, 1) * sizeof(T)));
      n_ = want;
    }
    return p_;
  }
  std::size_t size() const { return n_; }

 private:
  Dev& dev_;
  T* p_ = nullptr;
  std::size_t n_ = 0;
};

// The fused kernels' launch shape, as the backend picks it (also read by bench/ and the static
// kernel report, scripts/kernel-report.py):
//   tile_smem_bytes   dynamic shared memory of a tile of TB samples (its rows: tile_stride of
//                     the operand precision; caches: sets of pre-activations, 1 for the sweeps,
//                     2 for the probability-flow kernel, sweep_args.h tile_layout)
//   pick_tile         TB: `requested` when > 0 (it must fit), else balanced_tile of the largest
//                     TB ≤ kMaxTile that fits smem_optin; InputError when none does
//   balanced_tile     for B samples on `sms` persistent blocks and at most tb_max per tile: the
//                     smallest TB that keeps the rounds of tiles per block at ⌈B / (tb_max·sms)⌉,
//                     rounded up to even, and no less than min(16, tb_max) (B = 10,000 on 132 SMs:
//                     26 for tb_max 32, 3 rounds on 129 blocks, where 32 gives 3 rounds on 105)
//   sweep_threads     threads per block of the tile kernels (`requested` when > 0, else 256)
constexpr int kMaxTile = kMmaSamples;  // the most samples pick_tile puts in a tile (40: one MMA warp tile)
inline std::size_t tile_smem_bytes(const NetShape& s, int TB, MatPrecision prec = MatPrecision::FP32, int caches = 1) {
  return tile_layout(s.d, s.W, s.L, TB, prec, caches).total * sizeof(float);
}
inline int balanced_tile(int tb_max, int B, int sms) {
  if (B < 1 || sms < 1) return tb_max;
  const long per_round = long(tb_max) * sms, rounds = (B + per_round - 1) / per_round;
  int tb = int((B + rounds * sms - 1) / (rounds * sms));
  tb += tb & 1;
  const int lo = tb_max < 16 ? tb_max : 16;
  return tb < lo ? lo : (tb > tb_max ? tb_max : tb);
}
inline int pick_tile(const NetShape& s, std::size_t smem_optin, int requested, MatPrecision prec = MatPrecision::FP32,
                     int B = 0, int sms = 0, int caches = 1) {
  if (requested > 0) {
    if (tile_smem_bytes(s, requested, prec, caches) > smem_optin)
      throw InputError("network " + s.str() + ": a tile of " + std::to_string(requested) +
                       " samples does not fit the device's shared memory");
    return requested;
  }
  for (int tb = kMaxTile; tb >= 1; --tb)
    if (tile_smem_bytes(s, tb, prec, caches) <= smem_optin) return balanced_tile(tb, B, sms);
  throw InputError("network " + s.str() + " does not fit in shared memory even with one sample per block");
}
inline int sweep_threads(int requested) { return requested > 0 ? requested : kSweepThreads; }
// The adjoint kernel's dynamic shared memory: the tile's, plus the score path (AdjointArgs::keep_s)
// when both fit smem_optin (whatever K: the path is per tile, not per batch); *keep_s says which.
inline std::size_t adjoint_smem_bytes(const NetShape& s, int TB, MatPrecision prec, int N, std::size_t smem_optin,
                                      int* keep_s = nullptr) {
  const std::size_t base = tile_smem_bytes(s, TB, prec),
                    path = adjoint_spath_floats(s.d, N, TB, s.W, prec) * sizeof(float);
  const bool keep = base + path <= smem_optin;
  if (keep_s) *keep_s = keep ? 1 : 0;
  return keep ? base + path : base;
}

template <class Dev, template <class> class Ops> class DeviceBackend : public Backend {
 public:
  DeviceBackend(std::unique_ptr<Dev> dev, std::string name, const BackendOptions& o)
      : dev_(std::move(dev)), name_(std::move(name)), opt_(o), consts_(*dev_), embed_(*dev_), loss_(*dev_),
        states_(*dev_), seg_(*dev_), part_(*dev_), scale_(*dev_), sq_(*dev_) {
    if (opt_.layerwise_chunk < 1) throw InputError("layer-wise chunk: expected a positive number of samples");
    if (opt_.tile_samples < 0 || opt_.block_threads < 0) throw InputError("tile shape: expected positive numbers");
  }
  ~DeviceBackend() override {
    for (float* p : owned_) dev_->free(p);
  }
  std::string name() const override { return name_; }
  std::string device_name() const override { return dev_->name(); }
  long kernel_launches() const override { return dev_->launches(); }
  long graph_launches() const override { return dev_->graphs_run(); }
  bool memory_info(std::size_t* free_b, std::size_t* total_b) override { return dev_->memory_info(free_b, total_b); }
  void sync() override { dev_->sync(); }
  void set_precision(MatPrecision p) override { opt_.precision = p; }
  const BackendOptions& options() const { return opt_; }
  Dev& device() { return *dev_; }

  Buf alloc(std::size_t n) override {
    Buf b;
    b.ptr = static_cast<float*>(dev_->alloc_bytes(std::max<std::size_t>(n, 1) * sizeof(float)));
    b.n = n;
    owned_.push_back(b.ptr);
    return b;
  }
  void release(Buf& b) override {
    auto it = std::find(owned_.begin(), owned_.end(), b.ptr);
    if (it != owned_.end()) owned_.erase(it);
    dev_->free(b.ptr);
    b = Buf{};
  }
  void upload(Buf& dst, const float* host, std::size_t n) override { dev_->to_device(dst.ptr, host, n * sizeof(float)); }
  void download(float* host, const Buf& src, std::size_t n) override { dev_->to_host(host, src.ptr, n * sizeof(float)); }

  // The buffers one fused diffflow_loss_grad call allocates, for the memory-plan test and bench/.
  AdjointPlan plan_for(const NetShape& shape, int B, int N, int K) const {
    return adjoint_plan(shape, B, N, K, pick_tb(shape, B, opt_.precision), dev_->sm_count(), opt_.precision);
  }
  bool takes_layerwise(const NetShape& s) const { return layerwise(s); }

  double diffflow_loss_grad(Buf& gf, Buf& gs, const Buf& pf, const Buf& ps, const NetShape& shape, const Buf& x0,
                            int B, const TimeGrid& grid, NoiseKey key, int K) override {
    check_batch(B);
    if (layerwise(shape)) {
      Ops<Dev> ops(*dev_, opt_.precision);
      return lw_loss_grad(ops, gf.ptr, gs.ptr, loss_.get(std::size_t(B)), shape, pf.ptr, ps.ptr, x0.ptr, B, grid, key,
                          K, opt_.layerwise_chunk);
    }
    std::vector<float> loss(static_cast<std::size_t>(B));
    dev_->to_host(loss.data(), enqueue_loss_grad(gf, gs, pf, ps, shape, x0, B, grid, key, K), loss.size() * sizeof(float));
    return batch_mean(loss);
  }

  // One training iteration with no host round trip between the gradients and its end: the loss
  // and gradients (DiffFlow on the fused path: enqueue_loss_grad; DDPM, the layer-wise path and
  // FFJORD: train_loss_grad, which waits for its loss), both networks' squared norms (SqNorm2K,
  // per-block partials, one launch) and clip scales (ClipK, on the device: the host's sums and
  // scales, bit for bit), Adam (reading its scale from there) and EMA of the networks that train
  // in one launch (OptimK); then one copy back of the two squared norms (and, on the fused path,
  // of the per-sample losses). On the fused DiffFlow path with BackendOptions::graphs the work is
  // captured as one graph (dev.begin_graph / run_graph: a CUDA graph on the GPU, re-captured every
  // iteration and updated in place, so the step constants, the noise key and Adam's step go with
  // it; the emulated device records and replays it, refusing any host synchronization or
  // allocation in between), except on the first iteration of a shape, which runs the same code
  // launch by launch and so sizes every scratch pool before a capture.
  StepOutcome train_step(StepNet (&nets)[2], const ModelDesc& m, const Buf& x0, int B, const TimeGrid& grid,
                         NoiseKey key, int K, const StepHyper& h) override {
    const std::size_t n = nets[0].g->n;
    for (const StepNet& sn : nets)
      if (sn.g->n != n || sn.p->n != n) return Backend::train_step(nets, m, x0, B, grid, key, K, h);
    check_batch(B);
    const bool fused = m.kind == ModelKind::DiffFlow && !layerwise(m.shape);
    const std::vector<long> sig = {long(B), long(grid.N()), long(K), long(m.shape.d), long(m.shape.W),
                                   long(m.shape.L), long(opt_.precision), long(n)};
    const bool graph = fused && opt_.graphs && sig == step_sig_;
    step_sig_ = fused ? sig : std::vector<long>();
    std::vector<float> loss(fused ? static_cast<std::size_t>(B) : 0);
    double sq[2] = {0, 0}, mean = 0;
    // a graph copies through host staging: the step constants in, the losses and norms out
    if (graph)
      dev_->begin_graph((step_consts_floats(grid.N()) + std::size_t(B)) * sizeof(float) + sizeof sq);
    try {
      const float* l = nullptr;
      if (fused)
        l = enqueue_loss_grad(*nets[0].g, *nets[1].g, *nets[0].p, *nets[1].p, m.shape, x0, B, grid, key, K);
      else
        mean = train_loss_grad(*nets[0].g, *nets[1].g, *nets[0].p, *nets[1].p, m, x0, B, grid, key, K);
      const int nparts = norm_blocks(n);
      double* part = sq_.get(std::size_t(2 * nparts + 2));
      float* scale = scale_.get(2);
      SqNorm2Args sn;
      sn.part = part;
      sn.g[0] = nets[0].g->ptr;
      sn.g[1] = nets[1].g->ptr;
      sn.n = n;
      sn.nblk = nparts;
      dev_->template launch<SqNorm2K>(2 * nparts, kFlatThreads, kFlatThreads * sizeof(double), sn);
      ClipArgs c;
      c.part = part;
      c.nparts = nparts;
      c.clip = h.clip;
      c.sq = part + 2 * nparts;
      c.scale = scale;
      dev_->template launch<ClipK>(1, 1, 0, c);
      OptimArgs o;  // a network that does not train: no elements, no EMA
      for (int k = 0; k < 2; ++k) {
        if (!nets[k].trains) continue;
        AdamHyper ah = h.adam;
        ah.lr = nets[k].lr;
        o.net[k] = adam_args(*nets[k].p, *nets[k].g, *nets[k].m, *nets[k].v, ah, h.step, 1.f, scale + k);
        o.ema[k] = nets[k].ema->ptr;
      }
      o.decay = h.ema;
      if (nets[0].trains || nets[1].trains)
        dev_->template launch<OptimK>(flat_blocks(o.net[0].n + o.net[1].n), kFlatThreads, 0, o);
      if (fused) dev_->to_host_later(loss.data(), l, loss.size() * sizeof(float));
      dev_->to_host_later(sq, c.sq, sizeof sq);
      if (graph) dev_->run_graph();
    } catch (...) {
      if (graph) dev_->abort_graph();
      step_sig_.clear();  // the next iteration runs launch by launch
      throw;
    }
    StepOutcome out;
    out.loss = fused ? batch_mean(loss) : mean;
    for (int k = 0; k < 2; ++k) out.gn[k] = std::sqrt(sq[k]);
    return out;
  }

  // DiffFlow: the fused sweep's plan or the layer-wise path's allocations, plus the per-sample
  // loss pool; DDPM: the layer-wise path's; FFJORD runs on host copies (host memory).
  std::size_t train_bytes(const ModelDesc& m, int B, int N, int K) const override {
    const std::size_t f = sizeof(float), loss = std::size_t(B) * f;
    if (m.kind == ModelKind::FFJORD) return host_train_bytes(m, B, N, K);
    if (m.kind == ModelKind::DDPM) return lw_ddpm_loss_grad_floats(m.shape, B, opt_.layerwise_chunk) * f + loss;
    if (layerwise(m.shape)) return lw_loss_grad_floats(m.shape, B, N, K, opt_.layerwise_chunk) * f + loss;
    return plan_for(m.shape, B, N, K).bytes();
  }

  // DDPM's training loss on the layer-wise path (kernels/layerwise/ddpm.h); the others as the
  // base class runs them.
  double train_loss_grad(Buf& gf, Buf& gs, const Buf& pf, const Buf& ps, const ModelDesc& m, const Buf& x0, int B,
                         const TimeGrid& grid, NoiseKey key, int K) override {
    if (m.kind != ModelKind::DDPM) return Backend::train_loss_grad(gf, gs, pf, ps, m, x0, B, grid, key, K);
    check_batch(B);
    dev_->zero(gf.ptr, gf.n * sizeof(float));
    Ops<Dev> ops(*dev_, opt_.precision);
    return lw_ddpm_loss_grad(ops, gs.ptr, loss_.get(std::size_t(B)), m.shape, ps.ptr, x0.ptr, B, m.vp, m.t_min, key,
                             opt_.layerwise_chunk);
  }

  // DDPM's bound and sampling on the layer-wise path; DiffFlow and FFJORD as the base class.
  void bound(std::vector<double>& loss, const Buf& pf, const Buf& ps, const ModelDesc& m, const Buf& x0, int B,
             const TimeGrid& grid, NoiseKey key) override {
    if (m.kind != ModelKind::DDPM) return Backend::bound(loss, pf, ps, m, x0, B, grid, key);
    check_batch(B);
    float* l = loss_.get(std::size_t(B));
    Ops<Dev> ops(*dev_, opt_.precision);
    lw_loss(ops, l, m.shape, ps.ptr, ps.ptr, x0.ptr, B, grid, key, opt_.layerwise_chunk, lw_model(m.kind, m.vp, grid));
    to_host(loss, l, B);
  }
  long sample(Buf& x, const Buf& pf, const Buf& ps, const ModelDesc& m, int B, const TimeGrid& grid, NoiseKey key,
              const Sampler& smp) override {
    if (m.kind != ModelKind::DDPM) return Backend::sample(x, pf, ps, m, B, grid, key, smp);
    check_batch(B);
    Ops<Dev> ops(*dev_, opt_.precision);
    lw_reverse(ops, x.ptr, m.shape, ps.ptr, ps.ptr, B, grid, key, device_sampler(smp, m.kind, m.vp, grid), opt_.layerwise_chunk,
               lw_model(m.kind, m.vp, grid));
    return sample_passes(m, grid, smp);
  }

  void diffflow_loss(std::vector<double>& loss, const Buf& pf, const Buf& ps, const NetShape& shape, const Buf& x0,
                     int B, const TimeGrid& grid, NoiseKey key) override {
    check_batch(B);
    float* l = loss_.get(std::size_t(B));
    if (layerwise(shape)) {
      Ops<Dev> ops(*dev_, opt_.precision);
      lw_loss(ops, l, shape, pf.ptr, ps.ptr, x0.ptr, B, grid, key, opt_.layerwise_chunk);
    } else {
      DiffuseArgs a;
      a.c = prepare(shape, pf, ps, B, grid, key);
      a.x0 = x0.ptr;
      a.loss = l;
      a.term_c = terminal_constant_f(grid, shape.d);
      dev_->template launch<DiffuseK>(blocks_for(B, a.c.TB), threads(), smem_bytes(shape, a.c.TB, a.c.prec), a);
    }
    to_host(loss, l, B);
  }

  void reverse_sweep(Buf& x, const Buf& pf, const Buf& ps, const NetShape& shape, int B, const TimeGrid& grid,
                     NoiseKey key, const Sampler& smp) override {
    check_batch(B);
    const LwSampler ds = device_sampler(smp, ModelKind::DiffFlow, VpSchedule{}, grid);
    if (layerwise(shape)) {
      Ops<Dev> ops(*dev_, opt_.precision);
      lw_reverse(ops, x.ptr, shape, pf.ptr, ps.ptr, B, grid, key, ds, opt_.layerwise_chunk);
      return;
    }
    ReverseArgs a;
    a.c = prepare(shape, pf, ps, B, grid, key);
    a.x = x.ptr;
    a.lambda = ds.lambda;
    a.denoise = ds.denoise ? 1 : 0;
    a.tw_var = ds.var;
    a.tw_alpha = ds.alpha;
    dev_->template launch<ReverseK>(blocks_for(B, a.c.TB), threads(), smem_bytes(shape, a.c.TB, a.c.prec), a);
    dev_->sync();
  }

  void pf_loglik(std::vector<double>& logp, const Buf& pf, const Buf& ps, const NetShape& shape, const Buf& x0, int B,
                 const TimeGrid& grid, const GSchedule& g, const OdeOptions& opt) override {
    run_pf(logp, pf, ps, shape, x0, B, pf_consts(grid, opt.substeps, g), opt, false);
  }

  // DDPM's probability-flow likelihood through the same kernel (fixed drift, ε-network);
  // DiffFlow as pf_loglik, FFJORD as the base class runs it.
  void loglik(std::vector<double>& logp, long* nfe, const Buf& pf, const Buf& ps, const ModelDesc& m, const Buf& x0,
              int B, const TimeGrid& grid, const GSchedule& g, const OdeOptions& opt) override {
    // the probability-flow kernel holds a tile of the networks in shared memory: a wider or
    // larger network (d = 784) takes the CPU reference on host copies
    if (m.kind != ModelKind::FFJORD && !pf_kernel_fits(m.shape)) return host_loglik(logp, nfe, pf, ps, m, x0, B, grid, g, opt);
    if (m.kind != ModelKind::DDPM) return Backend::loglik(logp, nfe, pf, ps, m, x0, B, grid, g, opt);
    run_pf(logp, ps, ps, m.shape, x0, B, pf_consts(grid, opt.substeps, g, &m.vp), opt, true);
    if (nfe) *nfe = 4L * opt.substeps * grid.N();
  }

  double grad_sq_norm(const Buf& g) override {
    const int blocks = norm_blocks(g.n);
    double* part = sq_.get(std::size_t(blocks));
    dev_->template launch<SqNormK>(blocks, kFlatThreads, kFlatThreads * sizeof(double), SqNormArgs{part, g.ptr, g.n});
    std::vector<double> h(static_cast<std::size_t>(blocks));
    dev_->to_host(h.data(), part, std::size_t(blocks) * sizeof(double));
    double s = 0;
    for (double v : h) s += v;
    return s;
  }

  void adam_update(Buf& p, const Buf& g, Buf& m, Buf& v, const AdamHyper& h, long step, float scale) override {
    OptimArgs o;  // the first network only, no EMA
    o.net[0] = adam_args(p, g, m, v, h, step, scale, nullptr);
    dev_->template launch<OptimK>(flat_blocks(p.n), kFlatThreads, 0, o);
  }

  void ema_update(Buf& e, const Buf& p, float decay) override {
    dev_->template launch<EmaK>(flat_blocks(p.n), kFlatThreads, 0, EmaArgs{e.ptr, p.ptr, p.n, decay});
  }

 private:
  // The fused path's loss and gradients of diffflow_loss_grad, launched; returns the per-sample
  // losses on the device.
  const float* enqueue_loss_grad(Buf& gf, Buf& gs, const Buf& pf, const Buf& ps, const NetShape& shape, const Buf& x0,
                                 int B, const TimeGrid& grid, NoiseKey key, int K) {
    const int N = grid.N();
    SweepCommon c = prepare(shape, pf, ps, B, grid, key);
    const AdjointPlan plan = adjoint_plan(shape, B, N, K, c.TB, dev_->sm_count(), c.prec);
    const int G = plan.G;
    const std::size_t stride = gacc_size(c.f, N);
    // G slices (each zeroed by its block: zero_slice; later the embedding's scratch), their sum
    float* part = part_.get(plan.slices + plan.total);
    float* total = part + plan.slices;
    AdjointArgs a;
    a.dif.c = c;
    a.dif.x0 = x0.ptr;
    a.dif.loss = loss_.get(std::size_t(B));
    a.dif.xs = states_.get(plan.states);
    a.dif.ckpt_k = plan.K;
    a.dif.term_c = terminal_constant_f(grid, shape.d);
    a.seg = seg_.get(plan.seg);
    a.seg_stride = seg_size(shape.d, plan.K, c.TB, shape.W, c.prec);
    a.gacc = part;
    a.gstride = stride;
    a.inv_b = 1.0f / float(B);
    const std::size_t smem = adjoint_smem_bytes(shape, c.TB, c.prec, N, dev_->smem_optin(), &a.keep_s);
    dev_->template launch<AdjointK>(G, threads(), smem, a);
    // the summed slices: their MLP parts straight into the gradients after the embedding part,
    // the de_j into total; the embedding part (=) from the summed de_j
    const std::size_t off = shape.off_inw(), Pm = shape.n_params() - off;
    ReduceArgs r{total, part, stride, stride, G, c.f, mlp_use_mma(c.prec, shape.W, threads())};
    r.gf = gf.ptr + off;
    r.gs = gs.ptr + off;
    r.pm = Pm;
    r.s_off = gacc_s(c.f);
    dev_->template launch<ReduceK>(flat_blocks(stride), kFlatThreads, 0, r);
    launch_embed_backward(*dev_, EmbedBackwardArgs{c.f, c.s, c.st, gf.ptr, gs.ptr, total + gacc_def(c.f),
                                                   total + gacc_des(c.f, N), part});
    return a.dif.loss;
  }

  // The batch mean of per-sample losses, summed in double in sample order.
  static double batch_mean(const std::vector<float>& loss) {
    double mean = 0;
    for (float v : loss) mean += v;
    return mean / double(loss.size());
  }

  // The blocks (and per-block partial sums) of the squared norm of n floats.
  static int norm_blocks(std::size_t n) {
    return int(std::min<std::size_t>(std::max<std::size_t>((n + 255) / 256, 1), 1024));
  }
  // Adam's arguments for p with the gradient scale `scale`, or *scale_at (on the device) when
  // that is set.
  static AdamArgs adam_args(Buf& p, const Buf& g, Buf& m, Buf& v, const AdamHyper& h, long step, float scale,
                            const float* scale_at) {
    AdamArgs a;
    a.p = p.ptr; a.m = m.ptr; a.v = v.ptr; a.g = g.ptr; a.n = p.n;
    a.scale = scale; a.lr = h.lr; a.beta1 = h.beta1; a.beta2 = h.beta2; a.eps = h.eps;
    a.bc1 = float(1.0 - std::pow(double(h.beta1), double(step)));  // as the CPU backend
    a.bc2 = float(1.0 - std::pow(double(h.beta2), double(step)));
    a.scale_at = scale_at;
    return a;
  }

  // Step constants and the time embeddings e(t_j) of both networks, on the device.
  SweepCommon prepare(const NetShape& shape, const Buf& pf, const Buf& ps, int B, const TimeGrid& grid, NoiseKey key) {
    const int N = grid.N();
    const std::vector<float> consts = make_step_consts(grid);
    float* dc = consts_.get(consts.size());
    dev_->to_device(dc, consts.data(), consts.size() * sizeof(float));
    const EmbedArgs ea = embed_call(shape, pf, ps, step_consts_view(dc, N), opt_.precision);
    SweepCommon c;
    c.f = ea.f;
    c.s = ea.s;
    c.st = ea.st;
    c.ef = ea.ef;
    c.es = ea.es;
    c.B = B;
    c.TB = pick_tb(shape, B, opt_.precision);
    c.key = key;
    c.prec = opt_.precision;
    return c;
  }

  // The embedding kernel of one call at the times st.t[0..st.N] (embed_body): the embeddings
  // e(t_j) of both networks, their hidden weights transposed and, when precision p takes the
  // MMA path, in fragment order, into the embed_ pool (the plan's constants); launched here.
  // Returns its arguments, whose network views carry wt (and frag).
  EmbedArgs embed_call(const NetShape& shape, const Buf& pf, const Buf& ps, const StepConsts& st, MatPrecision p) {
    const std::size_t ne = std::size_t(st.N + 1) * std::size_t(shape.W), nh = hidden_floats(shape);
    float* emb = embed_.get(2 * ne + 6 * nh);  // [ef][es][wt_f][wt_s][frag_f][frag_s]
    uint32_t* fr = reinterpret_cast<uint32_t*>(emb + 2 * ne + 2 * nh);
    const bool frag = mlp_use_mma(p, shape.W, threads());
    EmbedArgs a{make_net_view(shape, pf.ptr), make_net_view(shape, ps.ptr), st, emb, emb + ne, emb + 2 * ne,
                emb + 2 * ne + nh, frag ? fr : nullptr, frag ? fr + 2 * nh : nullptr, p};
    a.f.wt = a.wtf;
    a.s.wt = a.wts;
    a.f.frag = a.fragf;
    a.s.frag = a.frags;
    launch_embed(*dev_, a);
    return a;
  }

  void run_pf(std::vector<double>& logp, const Buf& pf, const Buf& ps, const NetShape& shape, const Buf& x0, int B,
              const PfConsts& pc, const OdeOptions& opt, bool ddpm) {
    check_batch(B);
    const int E = int(pc.t.size());
    std::vector<float> host;  // [t: E][gsq: E][h: E/4][fscale: E][sscale: E] (the last two for DDPM)
    for (const std::vector<float>* v : {&pc.t, &pc.gsq, &pc.h, &pc.fscale, &pc.sscale})
      host.insert(host.end(), v->begin(), v->end());
    float* dc = consts_.get(host.size());
    dev_->to_device(dc, host.data(), host.size() * sizeof(float));
    StepConsts times;
    times.t = dc;
    times.N = E - 1;  // embed_body embeds t[0..N]
    const EmbedArgs ea = embed_call(shape, pf, ps, times, MatPrecision::FP32);  // the likelihood is fp32
    PfArgs a;
    a.f = ea.f;
    a.s = ea.s;
    a.ef = ea.ef;
    a.es = ea.es;
    a.gsq = dc + E;
    a.h = dc + 2 * E;
    a.steps = int(pc.h.size());
    if (ddpm) {
      a.fscale = dc + 2 * E + pc.h.size();
      a.sscale = a.fscale + E;
    }
    a.B = B;
    a.TB = pick_tb(shape, B, MatPrecision::FP32, 2);
    a.x = x0.ptr;
    a.logp = loss_.get(std::size_t(B));
    a.exact_max_d = opt.exact_max_d;
    a.probes = opt.probes;
    a.probe_key = opt.probe_key;
    dev_->template launch<PfLoglikK>(blocks_for(B, a.TB), threads(), smem_bytes(shape, a.TB, MatPrecision::FP32, 2), a);
    to_host(logp, a.logp, B);
  }

  // out (B, =) the per-sample values at dev, widened to double (synchronizes)
  void to_host(std::vector<double>& out, const float* dev, int B) {
    std::vector<float> h(static_cast<std::size_t>(B));
    dev_->to_host(h.data(), dev, std::size_t(B) * sizeof(float));
    out.assign(h.begin(), h.end());
  }

  static void check_batch(int B) {
    if (B < 1) throw InputError("device backend: empty batch");
  }
  static int flat_blocks(std::size_t n) {
    const std::size_t b = (n + kFlatThreads - 1) / kFlatThreads;
    return int(b < 4096 ? (b > 0 ? b : 1) : 4096);
  }
  static std::size_t smem_bytes(const NetShape& s, int TB, MatPrecision p = MatPrecision::FP32, int caches = 1) {
    return tile_smem_bytes(s, TB, p, caches);
  }
  int threads() const { return sweep_threads(opt_.block_threads); }
  // TB for B samples and the layout of precision p with `caches` sets of pre-activations (the
  // probability-flow kernel: fp32, 2)
  int pick_tb(const NetShape& s, int B, MatPrecision p = MatPrecision::FP32, int caches = 1) const {
    return pick_tile(s, dev_->smem_optin(), opt_.tile_samples, p, B, dev_->sm_count(), caches);
  }

  // Persistent blocks: one per SM (a W = 128 tile needs most of an SM's shared memory), each
  // looping over its tiles.
  int blocks_for(int B, int TB) const { return std::max(1, std::min((B + TB - 1) / TB, dev_->sm_count())); }

  // The layer-wise path for widths above the fused kernels' 128 and for networks whose tile does
  // not fit shared memory with 4 samples; force_layerwise takes it for every shape.
  // pf_loglik has no layer-wise form: it keeps the fused kernel whenever one sample fits, and
  // loglik goes to the CPU reference (host_loglik) when none does.
  bool pf_kernel_fits(const NetShape& s) const { return s.W <= 128 && smem_bytes(s, 1, MatPrecision::FP32, 2) <= dev_->smem_optin(); }
  bool layerwise(const NetShape& s) const {
    if (opt_.force_layerwise || s.W > 128) return true;
    return smem_bytes(s, 4) > dev_->smem_optin();
  }

  std::unique_ptr<Dev> dev_;
  std::string name_;
  BackendOptions opt_;
  std::vector<float*> owned_;  // buffers handed out by alloc and not yet released
  DevScratch<Dev, float> consts_, embed_, loss_, states_, seg_, part_, scale_;
  DevScratch<Dev, double> sq_;
  std::vector<long> step_sig_;  // train_step: the shape of the last iteration (a graph repeats it)
};

}  // namespace df
