// DIR/speed.json and DIR/speed.md of `diffflow-bench speed` (written atomically, host/io.h).
// Both hold: date, git commit, device, configuration, the engine's ms/iter, it/s, GFLOP/s and
// samples/s, the batch sweep, the PyTorch port's numbers, the speed-ups (torch time / engine
// time: how many times faster the engine is, eager and CUDA-graph), the parity result, and the
// PERF.md §4 targets next to the measurements, each "met", "not met" or "not measured" (with the
// reason: a GPU target on a CPU run, a configuration other than PERF.md's, no bf16 path, ...).
#include <cstdio>
#include <sstream>

#include "bench/bench.h"
#include "host/io.h"

namespace dfb {

std::string fmt(double v, const char* f) {
  if (!std::isfinite(v)) return "n/a";
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

namespace {

std::string jnum(double v) { return std::isfinite(v) ? fmt(v, "%.9g") : "null"; }
std::string jstr(const std::string& s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    if (c == '\n') { o += "\\n"; continue; }
    o += c;
  }
  return o + "\"";
}

struct Target {
  std::string figure, target, measured, status, note;
};

double speedup(double torch_ms, double eng_ms) { return torch_ms / eng_ms; }

std::vector<Target> targets(const Report& r) {
  const Config& c = r.cfg;
  const bool cuda = c.backend == "cuda", torch_ok = r.torch.status == "ok";
  const bool shape = c.shape.d == 2 && c.shape.W == 128 && c.shape.L == 3 && c.N == 30;
  const bool full = shape && c.B == 10000;
  const std::string gpu_only = cuda ? "configuration differs from PERF.md's (B=10000 N=30 W=128 L=3)"
                                    : "GPU target; this run is on the CPU backend";
  auto judge = [](bool ok) { return std::string(ok ? "met" : "not met"); };
  std::vector<Target> t;
  if (cuda && full && std::isfinite(r.train_bf16.ms_median))
    t.push_back({"training iteration, bf16 operands, fp32 state", "<= 1.0 ms (>= 1,000 it/s)",
                 fmt(r.train_bf16.ms_median, "%.3f ms"), judge(r.train_bf16.ms_median <= 1.0), "--precision bf16"});
  else
    t.push_back({"training iteration, bf16 operands, fp32 state", "<= 1.0 ms (>= 1,000 it/s)", "n/a", "not measured",
                 !r.bf16_note.empty() ? r.bf16_note : cuda ? gpu_only : "GPU target; the CPU backend computes in fp32 only"});
  if (cuda && full)
    t.push_back({"training iteration, all fp32", "<= 8 ms", fmt(r.train.ms_median, "%.3f ms"),
                 judge(r.train.ms_median <= 8.0), ""});
  else
    t.push_back({"training iteration, all fp32", "<= 8 ms", fmt(r.train.ms_median, "%.3f ms"), "not measured", gpu_only});
  const double se = speedup(r.torch.eager_ms, r.train.ms_median), sg = speedup(r.torch.graph_ms, r.train.ms_median);
  const std::string why_torch = !cuda ? "GPU target; this run is on the CPU backend" : "torch: " + r.torch.status;
  if (cuda && torch_ok)
    t.push_back({"vs PyTorch port, same GPU, eager", ">= 50x", fmt(se, "%.2fx"), judge(se >= 50), ""});
  else
    t.push_back({"vs PyTorch port, same GPU, eager", ">= 50x", "n/a", "not measured", why_torch});
  if (cuda && torch_ok && std::isfinite(sg))
    t.push_back({"vs PyTorch port, same GPU, CUDA graph", ">= 10x", fmt(sg, "%.2fx"), judge(sg >= 10), ""});
  else
    t.push_back({"vs PyTorch port, same GPU, CUDA graph", ">= 10x", "n/a", "not measured",
                 cuda && torch_ok ? "graph: " + r.torch.graph_status : why_torch});
  const bool samp_cfg = cuda && shape && r.sample.B == 100000;
  t.push_back({"sampling, B = 100,000, N = 30 (fp32)", ">= 5e6 samples/s", fmt(r.sample.samples_per_s, "%.3g /s"),
               samp_cfg ? judge(r.sample.samples_per_s >= 5e6) : "not measured",
               samp_cfg ? "" : (cuda ? "sampling batch or shape differs from PERF.md's" : gpu_only)});
  if (cuda && full && std::isfinite(r.train.dev_mem_bytes))
    t.push_back({"peak device memory at B = 10k", "<= 50 MB", fmt(r.train.dev_mem_bytes / 1e6, "%.1f MB"),
                 judge(r.train.dev_mem_bytes <= 50e6), "cudaMemGetInfo delta over the iterations"});
  else
    t.push_back({"peak device memory at B = 10k", "<= 50 MB", "n/a", "not measured",
                 cuda && full ? "cudaMemGetInfo unavailable" : gpu_only});
  if (r.mem.status == "measured")
    t.push_back({"memory per sample at d = 784, N = 100", "<= 40 KB", fmt(r.mem.bytes_per_sample / 1e3, "%.1f KB"),
                 judge(r.mem.bytes_per_sample <= 40e3),
                 r.mem.path + " path, K = " + std::to_string(r.mem.K) + ", slope of cudaMemGetInfo between B = " +
                     std::to_string(r.mem.B1) + " and " + std::to_string(r.mem.B2) +
                     (std::isfinite(r.mem.plan_bytes_per_sample)
                          ? "; plan " + fmt(r.mem.plan_bytes_per_sample / 1e3, "%.1f KB")
                          : std::string())});
  else
    t.push_back({"memory per sample at d = 784, N = 100", "<= 40 KB", "n/a", "not measured", r.mem.status});
  if (!cuda && torch_ok && shape)
    t.push_back({"CPU backend vs PyTorch port on CPU, same threads", ">= 3x", fmt(se, "%.2fx"), judge(se >= 3),
                 "B = " + std::to_string(c.B) + ", " + std::to_string(c.threads) + " threads; the peer's BLAS: " +
                     r.torch.blas + " (" + fmt(r.torch.matmul_gflops, "%.3g") + " GFLOP/s on its own matmul)"});
  else
    t.push_back({"CPU backend vs PyTorch port on CPU, same threads", ">= 3x", !cuda && torch_ok ? fmt(se, "%.2fx") : "n/a",
                 "not measured",
                 cuda ? "CPU target; this run is on the GPU"
                      : (!torch_ok ? "torch: " + r.torch.status : "shape differs from PERF.md's (N=30 W=128 L=3)")});
  return t;
}

}  // namespace

void write_reports(const Report& r) {
  const Config& c = r.cfg;
  const double gflop = iter_flop(c.shape, c.N, c.B) / 1e9;
  const double se = speedup(r.torch.eager_ms, r.train.ms_median), sg = speedup(r.torch.graph_ms, r.train.ms_median);
  const auto tg = targets(r);
  std::ostringstream j;
  j << "{\n  \"date\": " << jstr(r.date) << ",\n  \"git_commit\": " << jstr(r.commit) << ",\n";
  j << "  \"device\": {\"backend\": " << jstr(c.backend) << ", \"selected\": " << jstr(c.why)
    << ", \"description\": " << jstr(c.description) << ", \"threads\": " << c.threads << "},\n";
  j << "  \"config\": {\"defaults\": " << jstr(c.defaults) << ", \"d\": " << c.shape.d << ", \"batch\": " << c.B
    << ", \"steps\": " << c.N << ", \"width\": " << c.shape.W << ", \"layers\": " << c.shape.L
    << ", \"params_per_net\": " << c.shape.n_params() << ", \"iters\": " << c.iters << ", \"warmup\": " << c.warmup
    << ", \"adjoint_k\": " << c.K << ", \"sample_batch\": " << c.sample_B << ", \"seed\": " << c.seed
    << ", \"grid\": \"exponent t 0.001..0.05 p 0.9, g 0.2\", \"data\": \"olympic, standardized\"},\n";
  j << "  \"flop\": {\"formula\": " << jstr(kFlopFormula) << ", \"forward_per_sample\": " << jnum(fwd_flop(c.shape))
    << ", \"per_iteration\": " << jnum(gflop * 1e9) << ", \"sampling\": " << jnum(sample_flop(c.shape, c.N, c.sample_B))
    << "},\n";
  j << "  \"engine\": {\"ms_per_iter\": " << jnum(r.train.ms_median) << ", \"ms_per_iter_min\": " << jnum(r.train.ms_min)
    << ", \"ms_per_iter_max\": " << jnum(r.train.ms_max) << ", \"it_per_s\": " << jnum(1e3 / r.train.ms_median)
    << ", \"gflop_per_s\": " << jnum(gflop / (r.train.ms_median / 1e3)) << ", \"loss_first\": " << jnum(r.train.loss_first)
    << ", \"loss_last\": " << jnum(r.train.loss_last) << ", \"sample_batch\": " << r.sample.B
    << ", \"sample_ms\": " << jnum(r.sample.ms_median) << ", \"samples_per_s\": " << jnum(r.sample.samples_per_s)
    << ", \"peak_device_mem_bytes\": " << jnum(r.train.dev_mem_bytes) << ", \"peak_rss_bytes\": " << jnum(r.peak_rss_bytes)
    << ", \"kernels_per_iter\": " << jnum(r.train.kernels_per_iter) << ", \"bf16_ms_per_iter\": " << jnum(r.train_bf16.ms_median)
    << "},\n  \"memory_per_sample\": {\"status\": " << jstr(r.mem.status) << ", \"d\": " << r.mem.d << ", \"steps\": " << r.mem.N
    << ", \"adjoint_k\": " << r.mem.K << ", \"path\": " << jstr(r.mem.path) << ", \"batch_1\": " << r.mem.B1 << ", \"batch_2\": " << r.mem.B2
    << ", \"used_1\": " << jnum(r.mem.used1) << ", \"used_2\": " << jnum(r.mem.used2)
    << ", \"bytes_per_sample\": " << jnum(r.mem.bytes_per_sample)
    << ", \"plan_bytes_per_sample\": " << jnum(r.mem.plan_bytes_per_sample) << "},\n  \"batch_sweep\": [";
  for (std::size_t i = 0; i < r.sweep.size(); ++i) {
    const Timing& s = r.sweep[i];
    j << (i ? ", " : "") << "{\"batch\": " << s.B << ", \"ms_per_iter\": " << jnum(s.ms_median)
      << ", \"it_per_s\": " << jnum(1e3 / s.ms_median)
      << ", \"gflop_per_s\": " << jnum(iter_flop(c.shape, c.N, s.B) / 1e9 / (s.ms_median / 1e3)) << "}";
  }
  j << "],\n  \"torch\": {\"status\": " << jstr(r.torch.status) << ", \"python\": " << jstr(r.torch.python)
    << ", \"eager_ms_per_iter\": " << jnum(r.torch.eager_ms) << ", \"graph_ms_per_iter\": " << jnum(r.torch.graph_ms)
    << ", \"graph_status\": " << jstr(r.torch.graph_status) << ", \"samples_per_s\": " << jnum(r.torch.sample_sps)
    << ", \"blas\": " << jstr(r.torch.blas) << ", \"matmul_gflop_per_s\": " << jnum(r.torch.matmul_gflops)
    << ", \"raw\": " << (r.torch.json.empty() ? "null" : r.torch.json) << "},\n";
  j << "  \"speedup_engine_over_torch\": {\"meaning\": \"torch time / engine time\", \"eager\": " << jnum(se)
    << ", \"graph\": " << jnum(sg) << ", \"sampling\": " << jnum(r.sample.samples_per_s / r.torch.sample_sps) << "},\n";
  const Parity& p = r.parity;
  j << "  \"parity\": {\"status\": " << jstr(p.status) << ", \"note\": " << jstr(p.note) << ", \"batch\": " << p.B
    << ", \"steps\": " << p.N << ", \"tolerance_f64\": " << jnum(p.tol64) << ", \"max_rel_f64\": " << jnum(p.rel64)
    << ", \"max_rel_f32_torch_vs_engine\": " << jnum(p.rel32) << ", \"max_rel_engine_f32_vs_f64\": " << jnum(p.rel_eng32);
  const char* names[3] = {"loss", "grad_norm_f", "grad_norm_s"};
  for (int k = 0; k < 3; ++k)
    j << ", \"engine_f64_" << names[k] << "\": " << jnum(p.eng64[k]) << ", \"torch_f64_" << names[k]
      << "\": " << jnum(p.torch64[k]) << ", \"engine_f32_" << names[k] << "\": " << jnum(p.eng32[k])
      << ", \"torch_f32_" << names[k] << "\": " << jnum(p.torch32[k]);
  j << "},\n  \"targets\": [";
  for (std::size_t i = 0; i < tg.size(); ++i)
    j << (i ? ",\n    " : "\n    ") << "{\"figure\": " << jstr(tg[i].figure) << ", \"target\": " << jstr(tg[i].target)
      << ", \"measured\": " << jstr(tg[i].measured) << ", \"status\": " << jstr(tg[i].status)
      << ", \"note\": " << jstr(tg[i].note) << "}";
  j << "\n  ]\n}\n";
  df::atomic_write_file(c.out + "/speed.json", j.str());

  std::ostringstream m;
  m << "# diffflow-bench speed, " << r.date << "\n\n"
    << "Real measurements of this machine (" << c.description << "). Shared machines are noisy: the ratios "
    << "measured in one run are what counts; absolute times hold only on a dedicated GPU.\n\n"
    << "- commit: `" << r.commit << "`\n- backend: " << c.why << ", " << c.threads << " thread(s)\n"
    << "- config (" << c.defaults << "): d=" << c.shape.d << " B=" << c.B << " N=" << c.N << " W=" << c.shape.W
    << " L=" << c.shape.L << " (" << c.shape.n_params() << " parameters per network), adjoint K=" << c.K
    << ", exponent grid t 0.001..0.05 p 0.9, g 0.2, olympic data; median of " << c.iters << " after " << c.warmup
    << " warm-up\n- FLOP per iteration: " << fmt(gflop, "%.4g") << " G; " << kFlopFormula << "\n\n";
  m << "## Engine\n\n| figure | value |\n|---|---|\n"
    << "| training iteration | " << fmt(r.train.ms_median, "%.3f") << " ms (min " << fmt(r.train.ms_min, "%.3f")
    << ", max " << fmt(r.train.ms_max, "%.3f") << ") |\n| iterations/s | " << fmt(1e3 / r.train.ms_median, "%.3f")
    << " |\n| achieved | " << fmt(gflop / (r.train.ms_median / 1e3), "%.2f") << " GFLOP/s"
    << (c.backend == "cuda" ? " (" + fmt(gflop / (r.train.ms_median / 1e3) / 67e3 * 100, "%.2f") + "% of 67 TFLOP/s fp32)"
                            : "")
    << " |\n| sampling (B=" << r.sample.B << ", N=" << c.N << ") | " << fmt(r.sample.samples_per_s, "%.4g")
    << " samples/s (" << fmt(r.sample.ms_median, "%.2f") << " ms) |\n| device memory (cudaMemGetInfo) | "
    << (std::isfinite(r.train.dev_mem_bytes) ? fmt(r.train.dev_mem_bytes / 1e6, "%.1f") + " MB" : "not measured")
    << " |\n| peak RSS of the process | " << fmt(r.peak_rss_bytes / 1e6, "%.1f") << " MB |\n| kernels launched per iteration | "
    << (std::isfinite(r.train.kernels_per_iter) ? fmt(r.train.kernels_per_iter, "%.0f") : "n/a (the CPU backend launches no kernels)")
    << " |\n| training iteration, bf16 operands | "
    << (std::isfinite(r.train_bf16.ms_median) ? fmt(r.train_bf16.ms_median, "%.3f") + " ms" : "not measured (CUDA only)")
    << " |\n\n";
  m << "## Batch sweep (engine)\n\n| B | ms/iter | it/s | GFLOP/s |\n|---|---|---|---|\n";
  for (const Timing& s : r.sweep)
    m << "| " << s.B << " | " << fmt(s.ms_median, "%.3f") << " | " << fmt(1e3 / s.ms_median, "%.2f") << " | "
      << fmt(iter_flop(c.shape, c.N, s.B) / 1e9 / (s.ms_median / 1e3), "%.2f") << " |\n";
  if (c.backend == "cpu")
    m << "\nThe CPU backend shares the batch among threads in chunks of 256 samples: B <= 256 runs on one thread.\n";
  m << "\n## PyTorch port (bench/torch_port.py)\n\nstatus: " << r.torch.status;
  if (r.torch.status == "ok")
    m << " (python " << r.torch.python << ", torch " << r.torch.version << ")\n\n| figure | torch | engine | speed-up |\n"
      << "|---|---|---|---|\n| training, eager | " << fmt(r.torch.eager_ms, "%.3f") << " ms | "
      << fmt(r.train.ms_median, "%.3f") << " ms | " << fmt(se, "%.2fx") << " |\n| training, CUDA graph | "
      << (std::isfinite(r.torch.graph_ms) ? fmt(r.torch.graph_ms, "%.3f") + " ms" : r.torch.graph_status) << " | "
      << fmt(r.train.ms_median, "%.3f") << " ms | " << fmt(sg, "%.2fx") << " |\n| sampling | "
      << fmt(r.torch.sample_sps, "%.4g") << " /s | " << fmt(r.sample.samples_per_s, "%.4g") << " /s | "
      << fmt(r.sample.samples_per_s / r.torch.sample_sps, "%.2fx") << " |\n\nspeed-up = torch time / engine time. "
      << "The peer's BLAS: " << r.torch.blas << "; its fp32 product (" << c.B << "x" << c.shape.W << ")·(" << c.shape.W
      << "x" << c.shape.W << ") runs at " << fmt(r.torch.matmul_gflops, "%.3g") << " GFLOP/s.";
  m << "\n\n## Parity (B=" << p.B << ", N=" << p.N << ")\n\n" << p.status << (p.note.empty() ? "" : ": " + p.note)
    << "\n\n| | loss | |grad f| | |grad s| |\n|---|---|---|---|\n";
  for (auto [name, v] : {std::pair<const char*, const double*>{"engine f64 (templated reference)", p.eng64},
                         {"torch f64 (autograd)", p.torch64}, {"engine f32 (backend)", p.eng32},
                         {"torch f32 (autograd)", p.torch32}})
    m << "| " << name << " | " << fmt(v[0], "%.12g") << " | " << fmt(v[1], "%.12g") << " | " << fmt(v[2], "%.12g") << " |\n";
  m << "\n## PERF.md targets\n\n| figure | target | measured | status | note |\n|---|---|---|---|---|\n";
  for (const Target& t : tg)
    m << "| " << t.figure << " | " << t.target << " | " << t.measured << " | " << t.status << " | " << t.note << " |\n";
  df::atomic_write_file(c.out + "/speed.md", m.str());
}

}  // namespace dfb
