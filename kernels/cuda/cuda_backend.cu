// The CUDA backend (engine/backend.h) over the fused kernels (kernels/cuda/sweep_kernels.h).
// Buffers are cudaMalloc'd (zero-filled); every sweep runs on the default stream:
//   diffflow_loss_grad  embed → adjoint (diffuse + adjoint per tile; states kept every K steps
//                       and at N, ⌈N/K⌉+1 of them per sample, the segments in between recomputed
//                       into a per-block buffer: K = 1 recomputes nothing; any K gives the same
//                       bits) → reduce of the per-block gradient slices (fixed order,
//                       deterministic) → embed_backward; gf, gs (=). Buffers: adjoint_plan.
//   diffflow_loss       embed → diffuse; per-sample loss to the host (=)
//   train_loss_grad     DDPM: its denoising loss on the layer-wise path (GEMMs, one time
//   bound, sample       embedding per group of 16), its bound and sampling through the layer-wise
//                       sweeps with the fixed drift; DiffFlow as above; FFJORD: the CPU
//                       reference (engine/backend_models.cpp)
//   loglik              DDPM: the pf_loglik kernel with the fixed drift (PfArgs.fscale/sscale)
//   layer-wise path     for W > 128, or a tile that does not fit shared memory with 4 samples, or
//                       DF_LAYERWISE=1: the three sweeps above go to kernels/layerwise (cuBLAS +
//                       elementwise kernels, chunks of DF_LAYERWISE_CHUNK samples, default 16384)
//   reverse_sweep       embed → reverse, x in place (=)
//   pf_loglik           embed (every RK4 evaluation time) → pf_loglik (RK4 of the probability-flow
//                       ODE with its exact or Hutchinson trace, fp32, pf_loglik_tile.h); logp (=)
//   grad_sq_norm        per-block partial sums in double, summed on the host in block order
//   adam_update, ema_update  flat kernels over kernels/math/adam.h
// NVTX ranges name each sweep when nvtx3 is available (Nsight Systems timeline).
// Compiled by nvcc for sm_90; it has never run on a device in this repository's CI.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <cmath>
#include <vector>

#include "engine/backend.h"
#include "host/errors.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/fused_sweeps.h"
#include "kernels/cuda/layerwise_launch.h"
#include "kernels/cuda/pf_loglik_tile.h"
#include "kernels/cuda/sweep_kernels.h"

#if __has_include(<nvtx3/nvToolsExt.h>)
#include <nvtx3/nvToolsExt.h>
#define DF_HAVE_NVTX 1
#endif

namespace df {
namespace {

struct NvtxRange {
#ifdef DF_HAVE_NVTX
  explicit NvtxRange(const char* name) { nvtxRangePushA(name); }
  ~NvtxRange() { nvtxRangePop(); }
#else
  explicit NvtxRange(const char*) {}
#endif
};

// A device buffer that only grows; reused across calls.
template <class T> struct Scratch {
  T* p = nullptr;
  size_t n = 0;
  T* get(size_t want) {
    if (want > n) {
      if (p) CUDA_CHECK(cudaFree(p));
      p = nullptr;
      CUDA_CHECK(cudaMalloc(&p, std::max<size_t>(want, 1) * sizeof(T)));
      n = want;
    }
    return p;
  }
  ~Scratch() { if (p) cudaFree(p); }
};

class CudaBackend : public Backend {
 public:
  CudaBackend() {
    int dev = 0;
    CUDA_CHECK(cudaGetDevice(&dev));
    CUDA_CHECK(cudaDeviceGetAttribute(&sm_count_, cudaDevAttrMultiProcessorCount, dev));
    int optin = 0;
    CUDA_CHECK(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev));
    smem_max_ = size_t(optin);
    const char* f = std::getenv("DF_LAYERWISE");
    force_lw_ = f && std::string(f) == "1";
    if (const char* ch = std::getenv("DF_LAYERWISE_CHUNK")) {
      const int v = std::atoi(ch);
      if (v < 1) throw InputError("DF_LAYERWISE_CHUNK: expected a positive number of samples (got '" + std::string(ch) + "')");
      lw_chunk_ = v;
    }
  }
  std::string name() const override { return "cuda"; }
  long kernel_launches() const override { return cuda::kernel_launches() + cuda::layerwise_launches(); }

  void set_precision(const std::string& p) override {
    if (p == "fp32") prec_ = MatPrecision::FP32;
    else if (p == "tf32") prec_ = MatPrecision::TF32;
    else if (p == "bf16") prec_ = MatPrecision::BF16;
    else throw InputError("--precision: expected fp32, tf32 or bf16 (got '" + p + "')");
  }

  Buf alloc(std::size_t n) override {
    Buf b;
    CUDA_CHECK(cudaMalloc(&b.ptr, std::max<size_t>(n, 1) * sizeof(float)));
    CUDA_CHECK(cudaMemset(b.ptr, 0, std::max<size_t>(n, 1) * sizeof(float)));
    b.n = n;
    return b;
  }
  void release(Buf& b) override {
    if (b.ptr) CUDA_CHECK(cudaFree(b.ptr));
    b = Buf{};
  }
  void upload(Buf& dst, const float* host, std::size_t n) override {
    CUDA_CHECK(cudaMemcpy(dst.ptr, host, n * sizeof(float), cudaMemcpyHostToDevice));
  }
  void download(float* host, const Buf& src, std::size_t n) override {
    CUDA_CHECK(cudaMemcpy(host, src.ptr, n * sizeof(float), cudaMemcpyDeviceToHost));
  }

  double diffflow_loss_grad(Buf& gf, Buf& gs, const Buf& pf, const Buf& ps, const NetShape& shape, const Buf& x0,
                            int B, const TimeGrid& grid, NoiseKey key, int K) override {
    NvtxRange r("diffflow_loss_grad");
    check_batch(B);
    if (layerwise(shape))
      return cuda::layerwise_loss_grad(gf.ptr, gs.ptr, loss_.get(size_t(B)), shape, pf.ptr, ps.ptr, x0.ptr, B, grid,
                                       key, K, lw_chunk_, prec_);
    const int N = grid.N();
    SweepCommon c = prepare(shape, pf, ps, B, grid, key);
    const AdjointPlan plan = adjoint_plan(shape, B, N, K, c.TB, sm_count_);
    const int G = plan.G;
    const size_t stride = gacc_size(c.f, N);
    float* part = part_.get(plan.slices + plan.total);  // G slices, then their sum
    float* total = part + plan.slices;
    CUDA_CHECK(cudaMemset(part, 0, plan.slices * sizeof(float)));
    AdjointArgs a;
    a.dif.c = c;
    a.dif.x0 = x0.ptr;
    a.dif.loss = loss_.get(size_t(B));
    a.dif.xs = states_.get(plan.states);
    a.dif.ckpt_k = plan.K;
    a.dif.term_c = terminal_constant_f(grid, shape.d);
    a.seg = seg_.get(plan.seg);
    a.seg_stride = seg_size(shape.d, plan.K, c.TB);
    a.gacc = part;
    a.gstride = stride;
    a.inv_b = 1.0f / float(B);
    {
      NvtxRange r2("adjoint_kernel");
      cuda::launch_adjoint(a, G, smem_bytes(shape, c.TB));
    }
    cuda::launch_reduce(total, part, stride, G, stride);
    // MLP parts into the flat layout after the embedding; the embedding part from the summed de_j
    const size_t P = shape.n_params(), off = shape.off_inw(), Pm = P - off;
    CUDA_CHECK(cudaMemset(gf.ptr, 0, off * sizeof(float)));
    CUDA_CHECK(cudaMemset(gs.ptr, 0, off * sizeof(float)));
    CUDA_CHECK(cudaMemcpy(gf.ptr + off, total, Pm * sizeof(float), cudaMemcpyDeviceToDevice));
    CUDA_CHECK(cudaMemcpy(gs.ptr + off, total + Pm, Pm * sizeof(float), cudaMemcpyDeviceToDevice));
    EmbedBackwardArgs eb{c.f, c.s, c.st, gf.ptr, gs.ptr, total + gacc_def(c.f), total + gacc_des(c.f, N)};
    cuda::launch_embed_backward(eb, shape.W);
    std::vector<double> loss;
    to_host(loss, a.dif.loss, B);
    double mean = 0;
    for (double v : loss) mean += v;
    return mean / B;
  }

  // DDPM's training loss on the device (the layer-wise path, kernels/layerwise/ddpm.h); the
  // other families as the base class runs them.
  double train_loss_grad(Buf& gf, Buf& gs, const Buf& pf, const Buf& ps, const ModelDesc& m, const Buf& x0, int B,
                         const TimeGrid& grid, NoiseKey key, int K) override {
    if (m.kind != ModelKind::DDPM) return Backend::train_loss_grad(gf, gs, pf, ps, m, x0, B, grid, key, K);
    NvtxRange r("ddpm_loss_grad");
    check_batch(B);
    CUDA_CHECK(cudaMemset(gf.ptr, 0, gf.n * sizeof(float)));
    return cuda::layerwise_ddpm_loss_grad(gs.ptr, loss_.get(size_t(B)), m.shape, ps.ptr, x0.ptr, B, m.vp, m.t_min, key,
                                          lw_chunk_, prec_);
  }

  // DDPM's bound (D4 with its fixed drift) and sampling on the device (layer-wise sweeps);
  // DiffFlow and FFJORD as the base class runs them.
  void bound(std::vector<double>& loss, const Buf& pf, const Buf& ps, const ModelDesc& m, const Buf& x0, int B,
             const TimeGrid& grid, NoiseKey key) override {
    if (m.kind != ModelKind::DDPM) return Backend::bound(loss, pf, ps, m, x0, B, grid, key);
    NvtxRange r("ddpm_bound");
    check_batch(B);
    float* l = loss_.get(size_t(B));
    cuda::layerwise_loss(l, m.shape, ps.ptr, ps.ptr, x0.ptr, B, grid, key, lw_chunk_, prec_, m.kind, m.vp);
    to_host(loss, l, B);
  }
  void sample(Buf& x, const Buf& pf, const Buf& ps, const ModelDesc& m, int B, const TimeGrid& grid, NoiseKey key,
              bool deterministic) override {
    if (m.kind != ModelKind::DDPM) return Backend::sample(x, pf, ps, m, B, grid, key, deterministic);
    NvtxRange r("ddpm_sample");
    check_batch(B);
    cuda::layerwise_reverse(x.ptr, m.shape, ps.ptr, ps.ptr, B, grid, key, deterministic, lw_chunk_, prec_, m.kind, m.vp);
  }

  void diffflow_loss(std::vector<double>& loss, const Buf& pf, const Buf& ps, const NetShape& shape, const Buf& x0,
                     int B, const TimeGrid& grid, NoiseKey key) override {
    NvtxRange r("diffflow_loss");
    check_batch(B);
    if (layerwise(shape)) {
      float* l = loss_.get(size_t(B));
      cuda::layerwise_loss(l, shape, pf.ptr, ps.ptr, x0.ptr, B, grid, key, lw_chunk_, prec_);
      to_host(loss, l, B);
      return;
    }
    DiffuseArgs a;
    a.c = prepare(shape, pf, ps, B, grid, key);
    a.x0 = x0.ptr;
    a.loss = loss_.get(size_t(B));
    a.term_c = terminal_constant_f(grid, shape.d);
    cuda::launch_diffuse(a, blocks_for(B, a.c.TB), smem_bytes(shape, a.c.TB));
    to_host(loss, a.loss, B);
  }

  void reverse_sweep(Buf& x, const Buf& pf, const Buf& ps, const NetShape& shape, int B, const TimeGrid& grid,
                     NoiseKey key, bool deterministic) override {
    NvtxRange r("reverse_sweep");
    check_batch(B);
    if (layerwise(shape)) {
      cuda::layerwise_reverse(x.ptr, shape, pf.ptr, ps.ptr, B, grid, key, deterministic, lw_chunk_, prec_);
      return;
    }
    ReverseArgs a;
    a.c = prepare(shape, pf, ps, B, grid, key);
    a.x = x.ptr;
    a.deterministic = deterministic ? 1 : 0;
    cuda::launch_reverse(a, blocks_for(B, a.c.TB), smem_bytes(shape, a.c.TB));
    CUDA_CHECK(cudaDeviceSynchronize());
  }

  // The fused fp32 kernel (pf_loglik_tile.h): embeddings of every evaluation time, then one
  // pass over the tiles; the CPU backend computes the same integration in double.
  void pf_loglik(std::vector<double>& logp, const Buf& pf, const Buf& ps, const NetShape& shape, const Buf& x0, int B,
                 const TimeGrid& grid, const GSchedule& g, const OdeOptions& opt) override {
    NvtxRange r("pf_loglik");
    run_pf(logp, pf, ps, shape, x0, B, pf_consts(grid, opt.substeps, g), opt, false);
  }

  // DDPM's probability-flow likelihood through the same kernel (fixed drift, ε-network);
  // DiffFlow as pf_loglik, FFJORD as the base class runs it.
  void loglik(std::vector<double>& logp, long* nfe, const Buf& pf, const Buf& ps, const ModelDesc& m, const Buf& x0,
              int B, const TimeGrid& grid, const GSchedule& g, const OdeOptions& opt) override {
    if (m.kind != ModelKind::DDPM) return Backend::loglik(logp, nfe, pf, ps, m, x0, B, grid, g, opt);
    NvtxRange r("ddpm_pf_loglik");
    run_pf(logp, ps, ps, m.shape, x0, B, pf_consts(grid, opt.substeps, g, &m.vp), opt, true);
    if (nfe) *nfe = 4L * opt.substeps * grid.N();
  }

  double grad_sq_norm(const Buf& g) override {
    const int blocks = int(std::min<size_t>(std::max<size_t>((g.n + 255) / 256, 1), 1024));
    double* part = sq_.get(size_t(blocks));
    cuda::launch_sq_norm(part, g.ptr, g.n, blocks);
    std::vector<double> h(static_cast<size_t>(blocks));
    CUDA_CHECK(cudaMemcpy(h.data(), part, size_t(blocks) * sizeof(double), cudaMemcpyDeviceToHost));
    double s = 0;
    for (double v : h) s += v;
    return s;
  }

  void adam_update(Buf& p, const Buf& g, Buf& m, Buf& v, const AdamHyper& h, long step, float scale) override {
    NvtxRange r("adam_update");
    AdamArgs a;
    a.p = p.ptr; a.m = m.ptr; a.v = v.ptr; a.g = g.ptr; a.n = p.n;
    a.scale = scale; a.lr = h.lr; a.beta1 = h.beta1; a.beta2 = h.beta2; a.eps = h.eps;
    a.bc1 = float(1.0 - std::pow(double(h.beta1), double(step)));  // as the CPU backend
    a.bc2 = float(1.0 - std::pow(double(h.beta2), double(step)));
    cuda::launch_adam(a);
  }

  void ema_update(Buf& e, const Buf& p, float decay) override {
    NvtxRange r("ema_update");
    cuda::launch_ema(e.ptr, p.ptr, p.n, decay);
  }

 private:
  MatPrecision prec_ = MatPrecision::FP32;  // operands of the layer products (precision.h)
  // Step constants and the time embeddings e(t_j) of both networks, on the device.
  SweepCommon prepare(const NetShape& shape, const Buf& pf, const Buf& ps, int B, const TimeGrid& grid, NoiseKey key) {
    check_batch(B);
    const int N = grid.N();
    const std::vector<float> consts = make_step_consts(grid);
    float* dc = consts_.get(consts.size());
    CUDA_CHECK(cudaMemcpy(dc, consts.data(), consts.size() * sizeof(float), cudaMemcpyHostToDevice));
    float* emb = embed_.get(2 * size_t(N + 1) * size_t(shape.W));
    SweepCommon c;
    c.f = make_net_view(shape, pf.ptr);
    c.s = make_net_view(shape, ps.ptr);
    c.st = step_consts_view(dc, N);
    c.ef = emb;
    c.es = emb + size_t(N + 1) * shape.W;
    c.B = B;
    c.TB = pick_tb(shape);
    c.key = key;
    c.prec = prec_;
    EmbedArgs ea{c.f, c.s, c.st, emb, emb + size_t(N + 1) * shape.W};
    cuda::launch_embed(ea, shape.W, N);
    return c;
  }

  void run_pf(std::vector<double>& logp, const Buf& pf, const Buf& ps, const NetShape& shape, const Buf& x0, int B,
              const PfConsts& pc, const OdeOptions& opt, bool ddpm) {
    check_batch(B);
    const int E = int(pc.t.size());
    std::vector<float> host;  // [t: E][gsq: E][h: E/4][fscale: E][sscale: E] (the last two for DDPM)
    for (const std::vector<float>* v : {&pc.t, &pc.gsq, &pc.h, &pc.fscale, &pc.sscale})
      host.insert(host.end(), v->begin(), v->end());
    float* dc = consts_.get(host.size());
    CUDA_CHECK(cudaMemcpy(dc, host.data(), host.size() * sizeof(float), cudaMemcpyHostToDevice));
    float* emb = embed_.get(2 * size_t(E) * size_t(shape.W));
    StepConsts times;
    times.t = dc;
    times.N = E - 1;  // embed_body embeds t[0..N]
    EmbedArgs ea{make_net_view(shape, pf.ptr), make_net_view(shape, ps.ptr), times, emb, emb + size_t(E) * shape.W};
    cuda::launch_embed(ea, shape.W, E - 1);
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
    a.TB = pick_tb(shape);
    a.x = x0.ptr;
    a.logp = loss_.get(size_t(B));
    a.exact_max_d = opt.exact_max_d;
    a.probes = opt.probes;
    a.probe_key = opt.probe_key;
    cuda::launch_pf_loglik(a, blocks_for(B, a.TB), smem_bytes(shape, a.TB));
    to_host(logp, a.logp, B);
  }

  // out (B, =) the per-sample values at dev, widened to double (synchronizes)
  static void to_host(std::vector<double>& out, const float* dev, int B) {
    std::vector<float> h(static_cast<size_t>(B));
    CUDA_CHECK(cudaMemcpy(h.data(), dev, size_t(B) * sizeof(float), cudaMemcpyDeviceToHost));
    out.assign(h.begin(), h.end());
  }

  static void check_batch(int B) {
    if (B < 1) throw InputError("cuda backend: empty batch");
  }

  static size_t smem_bytes(const NetShape& s, int TB) { return tile_layout(s.d, s.W, s.L, TB).total * sizeof(float); }

  // The largest tile (≤ 16 samples) whose shared memory fits the device.
  int pick_tb(const NetShape& s) const {
    for (int tb = 16; tb >= 1; tb /= 2)
      if (smem_bytes(s, tb) <= smem_max_) return tb;
    throw InputError("cuda backend: network " + s.str() + " does not fit in shared memory even with one sample per block");
  }

  // Persistent blocks: one per SM (a W = 128 tile needs most of an SM's shared memory), each
  // looping over its tiles; also bounds the per-block gradient slices to sm_count · 2P floats.
  int blocks_for(int B, int TB) const { return std::max(1, std::min((B + TB - 1) / TB, sm_count_)); }

  // The layer-wise path (kernels/layerwise) for widths above the fused kernels' 128 and for
  // networks whose tile does not fit shared memory with 4 samples; DF_LAYERWISE=1 forces it
  // for every shape (a second reference for the fused path). pf_loglik has no layer-wise form
  // and keeps the fused kernel whenever one sample fits.
  bool layerwise(const NetShape& s) const {
    if (force_lw_ || s.W > 128) return true;
    return smem_bytes(s, 4) > smem_max_;
  }

  int sm_count_ = 1;
  bool force_lw_ = false;
  int lw_chunk_ = 16384;  // samples per chunk of the layer-wise path (DF_LAYERWISE_CHUNK)
  size_t smem_max_ = 48 * 1024;
  Scratch<float> consts_, embed_, loss_, states_, seg_, part_;
  Scratch<double> sq_;
};

}  // namespace

bool cuda_backend_built() { return true; }

int cuda_device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no device" error
    return 0;
  }
  return n;
}

std::unique_ptr<Backend> make_cuda_backend() {
  if (cuda_device_count() < 1) throw InputError("the CUDA backend needs a CUDA device; none is present");
  return std::make_unique<CudaBackend>();
}

}  // namespace df
