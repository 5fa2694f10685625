// The engine's side of `diffflow-bench speed`: a full training iteration as host/trainer.cpp
// runs it (Backend::train_step: loss + gradient sweep, both gradient norms, clipping at 1.0,
// Adam lr 1e-2 for each network, EMA 0.999; on a device backend one graph from the second
// iteration on), on a fixed batch and grid, with a fresh noise key every iteration; and sampling
// (reverse_sweep from x_N ~ N(0, I)).
// Timing: std::chrono::steady_clock around each iteration, median after warm-up. train_step
// returns after the losses and norms are back on the host, and force_sync() ends the iteration
// (Backend::sync, then a one-float download). Device memory (device
// backends, Backend::memory_info = cudaMemGetInfo or the emulated device's account): before the buffers are allocated and
// after every iteration; the largest difference is reported (buffers + the backend's scratch).
// Kernels per iteration: the difference of Backend::kernel_launches over the last iteration, and
// whether that iteration ran as a graph (Backend::graph_launches)
// (CUDA: every kernel of the iteration, optimizer and norms included; cudaMemset/cudaMemcpy are
// not kernels and are not counted). memory_per_sample: one adjoint at d = 784, N = 100, K = 10
// for two batch sizes; the slope of the cudaMemGetInfo figures is the cost of one more sample
// (checkpointed states and loss), next to what adjoint_plan says it should be.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <fstream>
#include <functional>
#include <thread>

#include "bench/bench.h"
#include "host/run_state.h"
#include "engine/noise.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cuda/sweep_args.h"



namespace dfb {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

double median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Free device memory in bytes, or NaN when not measurable (the CPU backend).
double free_device_bytes(df::Backend& be) {
  std::size_t free_b = 0, total_b = 0;
  return be.memory_info(&free_b, &total_b) ? double(free_b) : NAN;
}

}  // namespace

df::TimeGrid bench_grid(int N) {
  df::GridSpec spec;  // the 2-D toy setting: exponent grid 0.001..0.05, p 0.9
  spec.N = N;
  return df::make_grid(spec, df::GSchedule::constant(0.2), N);
}

void force_sync(df::Backend& be, const df::Buf& b) {
  be.sync();
  float tmp = 0;
  be.download(&tmp, b, 1);
}

Timing time_training(df::Backend& be, const Config& cfg, const std::vector<float>& x0, int B, int iters,
                     int warmup) {
  const df::NetShape& s = cfg.shape;
  const std::size_t n = s.n_params();
  Timing r;
  r.B = B;
  r.iters = iters;
  const double free0 = free_device_bytes(be);
  struct Net {
    df::Buf p, g, m, v, ema;
  } net[2];
  for (int k = 0; k < 2; ++k) {
    std::vector<float> p(n);
    df::init_params(s, p.data(), cfg.seed, std::uint32_t(k));
    for (df::Buf* b : {&net[k].p, &net[k].g, &net[k].m, &net[k].v, &net[k].ema}) *b = be.alloc(n);
    be.upload(net[k].p, p.data(), n);
    be.upload(net[k].ema, p.data(), n);
  }
  df::Buf xb = be.alloc(std::size_t(s.d) * B);
  be.upload(xb, x0.data(), std::size_t(s.d) * B);
  const df::TimeGrid grid = bench_grid(cfg.N);
  const int K = df::auto_adjoint_k(cfg.N, B, s.d);  // the trainer's default for this run (--adjoint-k 0)
  std::vector<double> ms;
  double peak = NAN;
  const bool tty = isatty(2);
  for (int it = 0; it < warmup + iters; ++it) {
    force_sync(be, net[0].p);
    const long launches0 = be.kernel_launches();
    const long graphs0 = be.graph_launches();
    const auto t0 = Clock::now();
    const df::NoiseKey key{cfg.seed, std::uint32_t(it)};
    df::StepNet nets[2];
    for (int k = 0; k < 2; ++k) {
      nets[k].p = &net[k].p, nets[k].g = &net[k].g, nets[k].m = &net[k].m, nets[k].v = &net[k].v;
      nets[k].ema = &net[k].ema;
      nets[k].lr = 1e-2f;
    }
    df::StepHyper h;  // β 0.9/0.999, ε 1e-8
    h.step = long(it + 1);
    h.clip = 1.0;
    h.ema = 0.999f;
    df::ModelDesc m;
    m.shape = s;
    const double loss = be.train_step(nets, m, xb, B, grid, key, K, h).loss;
    force_sync(be, net[0].p);
    const double t = ms_since(t0);
    if (launches0 >= 0) {
      r.kernels_per_iter = double(be.kernel_launches() - launches0);
      r.graphs_per_iter = double(be.graph_launches() - graphs0);
    }
    if (it >= warmup) ms.push_back(t);
    if (it == 0) r.loss_first = loss;
    r.loss_last = loss;
    const double fr = free_device_bytes(be);
    if (std::isfinite(free0) && std::isfinite(fr)) peak = std::isfinite(peak) ? std::max(peak, free0 - fr) : free0 - fr;
    if (tty)
      std::fprintf(stderr, "\r[bench]   B=%d iteration %d/%d (%s)  %.2f ms  loss %.4f   ", B, it + 1, warmup + iters,
                   it < warmup ? "warm-up" : "timed", t, loss);
  }
  if (tty) std::fprintf(stderr, "\n");
  for (auto& nb : net)
    for (df::Buf* b : {&nb.p, &nb.g, &nb.m, &nb.v, &nb.ema}) be.release(*b);
  be.release(xb);
  r.ms_median = median(ms);
  r.ms_min = *std::min_element(ms.begin(), ms.end());
  r.ms_max = *std::max_element(ms.begin(), ms.end());
  r.dev_mem_bytes = peak;
  return r;
}

MemPerSample memory_per_sample(df::Backend& be, const Config& cfg, int B1, int B2) {
  MemPerSample r;
  r.B1 = B1;
  r.B2 = B2;
  const df::NetShape s{r.d, r.W, r.L};
  df::ModelDesc md;
  md.shape = s;
  // the slope between the batches; the CPU backend's working memory is bounded by its chunks
  // (no slope), so there it is its whole working memory at B2 over B2
  const double w1 = double(be.train_bytes(md, B1, r.N, r.K)), w2 = double(be.train_bytes(md, B2, r.N, r.K));
  r.estimate_bytes_per_sample = w2 > w1 ? (w2 - w1) / double(B2 - B1) : w2 / double(B2);
  if (be.name() != "cuda" || !std::isfinite(free_device_bytes(be))) {  // the emulator would take hours here
    r.status = "not measured: needs a CUDA device (" + be.name() + ": Backend::train_bytes only)";
    return r;
  }
  const std::size_t n = s.n_params();
  df::Buf p[2], g[2];
  for (int k = 0; k < 2; ++k) {
    std::vector<float> h(n);
    df::init_params(s, h.data(), cfg.seed, std::uint32_t(k));
    p[k] = be.alloc(n);
    g[k] = be.alloc(n);
    be.upload(p[k], h.data(), n);
  }
  std::vector<float> x(std::size_t(s.d) * B2);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(0.5 * std::sin(0.001 * double(i)));  // any data will do
  df::Buf xb = be.alloc(x.size());
  be.upload(xb, x.data(), x.size());
  df::GridSpec spec;
  spec.N = r.N;
  const df::TimeGrid grid = df::make_grid(spec, df::GSchedule::constant(0.2), r.N);
  force_sync(be, xb);
  const double free0 = free_device_bytes(be);
  double used[2] = {NAN, NAN};
  const int bs[2] = {B1, B2};
  for (int i = 0; i < 2; ++i) {
    be.diffflow_loss_grad(g[0], g[1], p[0], p[1], s, xb, bs[i], grid, df::NoiseKey{cfg.seed, 0}, r.K);
    force_sync(be, xb);
    used[i] = free0 - free_device_bytes(be);
  }
  for (int k = 0; k < 2; ++k) {
    be.release(p[k]);
    be.release(g[k]);
  }
  be.release(xb);
  r.used1 = used[0];
  r.used2 = used[1];
  r.bytes_per_sample = (used[1] - used[0]) / double(B2 - B1);
  const char* lw = std::getenv("DF_LAYERWISE");
  if (lw && std::string(lw) == "1") {
    r.path = "layer-wise (DF_LAYERWISE=1): chunk scratch, not a per-sample store";
  } else {
    r.path = "fused";
    r.plan_bytes_per_sample = double(df::ckpt_slots(r.N, r.K)) * s.d * sizeof(float) + sizeof(float);
  }
  r.status = "measured";
  return r;
}

Sampling time_sampling(df::Backend& be, const Config& cfg, int B, int reps) {
  const df::NetShape& s = cfg.shape;
  const std::size_t n = s.n_params();
  Sampling r;
  r.B = B;
  r.reps = reps;
  df::Buf pb[2];
  for (int k = 0; k < 2; ++k) {
    std::vector<float> p(n);
    df::init_params(s, p.data(), cfg.seed, std::uint32_t(k));
    pb[k] = be.alloc(n);
    be.upload(pb[k], p.data(), n);
  }
  const df::TimeGrid grid = bench_grid(cfg.N);
  df::MatX<double> xn;  // x_N ~ N(0, I) from the engine's own generator
  df::PhiloxNoise(df::NoiseKey{cfg.seed, 0}, df::kStreamReverse).fill(xn, cfg.N, s.d, B);
  std::vector<float> xh(xn.data(), xn.data() + xn.size());
  df::Buf xb = be.alloc(xh.size());
  std::vector<double> ms;
  for (int r_ = 0; r_ < 1 + reps; ++r_) {
    be.upload(xb, xh.data(), xh.size());
    force_sync(be, xb);
    const auto t0 = Clock::now();
    be.reverse_sweep(xb, pb[0], pb[1], s, B, grid, df::NoiseKey{cfg.seed, std::uint32_t(r_)}, false);
    force_sync(be, xb);
    if (r_ > 0) ms.push_back(ms_since(t0));
  }
  for (auto& b : pb) be.release(b);
  be.release(xb);
  r.ms_median = median(ms);
  r.samples_per_s = B / (r.ms_median / 1e3);
  return r;
}

std::string describe_device(const df::Backend& be, const std::vector<int>& threads) {
  if (be.name() != "cpu") return be.device_name();
  std::string model = "unknown CPU";
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0 && line.find(':') != std::string::npos) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  const unsigned hw = std::thread::hardware_concurrency();
  std::string used;
  for (int t : threads) used += (used.empty() ? "" : " and ") + std::to_string(t);
  return model + ", " + std::to_string(hw) + " hardware threads, timed with " + used;
}

GemmRate measure_gemm(int W, int n) {
  GemmRate r;
  r.M = r.K = W;
  r.n = n;
  const int Wp = df::round_up_lanes<float>(W);
  std::vector<float> a(std::size_t(W) * Wp), b(std::size_t(W) * n), c(std::size_t(W) * n);
  for (std::size_t i = 0; i < a.size(); ++i) a[i] = float(std::sin(0.37 * double(i)) * 0.1);
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = float(std::cos(0.11 * double(i)) * 0.1);
  const double flop = 2.0 * W * W * n;
  auto rate = [&](const std::function<void()>& f) {
    const int calls = std::max(1, int(2e8 / flop));  // about 2 ms at 100 GFLOP/s
    for (int i = 0; i < calls; ++i) f();
    std::vector<double> per;
    for (int rep = 0; rep < 9; ++rep) {
      const auto t0 = Clock::now();
      for (int i = 0; i < calls; ++i) f();
      per.push_back(ms_since(t0) / calls);
    }
    return flop / (median(per) / 1e3) / 1e9;
  };
  r.engine_gflops = rate([&] { df::gemm_kmajor(W, n, W, a.data(), Wp, b.data(), W, c.data(), W); });
  Eigen::Map<const Eigen::MatrixXf> A(a.data(), W, W), B(b.data(), W, n);
  Eigen::Map<Eigen::MatrixXf> C(c.data(), W, n);
  r.eigen_gflops = rate([&] { C.noalias() = A * B; });
  return r;
}

double peak_rss_bytes() {
  rusage ru{};
  if (getrusage(RUSAGE_SELF, &ru) != 0) return NAN;
  return double(ru.ru_maxrss) * 1024.0;
}

}  // namespace dfb
