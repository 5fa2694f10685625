// DIR/speed.json and DIR/speed.md of `diffflow-bench speed` (written atomically, host/io.h).
// Both hold: date, git commit, instruction set, device, configuration; the engine's GEMM rate at
// the sweep shape (CPU) and, per thread count, its ms/iter, it/s, GFLOP/s, the GEMM floor and the
// achieved fraction of it, samples/s; the batch sweep; every peer's parity and, per thread count,
// its ms/iter and samples/s with the ratio peer time / engine time (how many times faster the
// engine is); and the PERF.md §4 targets next to the measurements, each "met", "not met" or "not
// measured" (with the reason).
// The GEMM floor of a run at T threads: the FLOP the engine executes per iteration at T times
// the best single-thread GEMM rate measured in the same run (the engine's own kernel or a peer's
// BLAS at one thread), i.e. the time if every FLOP ran at that rate.
#include <cstdio>
#include <sstream>

#include "bench/bench.h"
#include "engine/cpu_parallel.h"
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

// The derived figures of one thread count.
struct AtThreads {
  int threads = 1;
  const EngineRun* eng = nullptr;
  double floor_ms = NAN, floor_fraction = NAN;
  std::string fastest;  // key of the fastest peer (training)
  double fastest_ms = NAN, fastest_sps = NAN;
  std::string fastest_sampler;
};

const PeerTime* time_at(const Peer& p, int threads) {
  for (const auto& t : p.times)
    if (t.threads == threads && t.status == "ok") return &t;
  return nullptr;
}

// Best single-thread GEMM rate of the run: the engine's kernel, or a peer's BLAS at one thread.
double best_gemm(const Report& r, std::string* who) {
  double best = r.gemm.engine_gflops;
  *who = "the engine's kernel";
  for (const auto& p : r.peers)
    if (const PeerTime* t = time_at(p, 1); t && t->matmul_gflops > best) {
      best = t->matmul_gflops;
      *who = p.spec.key + " (" + t->blas + ")";
    }
  return best;
}

std::vector<AtThreads> derive(const Report& r) {
  const Config& c = r.cfg;
  std::string who;
  const double rate = best_gemm(r, &who);
  const bool kept = c.backend == "cpu" && df::cpu_keeps_trajectory(c.shape, c.N);
  std::vector<AtThreads> out;
  for (const auto& e : r.runs) {
    AtThreads a;
    a.threads = e.threads;
    a.eng = &e;
    if (c.backend == "cpu" && std::isfinite(rate)) {
      a.floor_ms = executed_flop(c.shape, c.N, c.B, kept) / (rate * 1e9 * e.threads) * 1e3;
      a.floor_fraction = a.floor_ms / e.train.ms_median;
    }
    for (const auto& p : r.peers)
      if (const PeerTime* t = time_at(p, e.threads)) {
        if (!(t->train_ms >= a.fastest_ms)) {
          a.fastest_ms = t->train_ms;
          a.fastest = p.spec.key;
        }
        if (!(t->sample_sps <= a.fastest_sps)) {
          a.fastest_sps = t->sample_sps;
          a.fastest_sampler = p.spec.key;
        }
      }
    out.push_back(a);
  }
  return out;
}

std::vector<Target> targets(const Report& r, const std::vector<AtThreads>& at) {
  const Config& c = r.cfg;
  const bool cuda = c.backend == "cuda";
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
  const Peer* ref = nullptr;
  for (const auto& p : r.peers)
    if (p.spec.key == "torch-ref") ref = &p;
  const PeerTime* rt = ref ? time_at(*ref, c.threads) : nullptr;
  const double se = rt ? rt->train_ms / r.train.ms_median : NAN, sg = rt ? rt->graph_ms / r.train.ms_median : NAN;
  const std::string why_torch = !cuda ? "GPU target; this run is on the CPU backend"
                                      : "torch-ref: " + (ref ? ref->status : std::string("not requested"));
  if (cuda && rt)
    t.push_back({"vs PyTorch port, same GPU, eager", ">= 50x", fmt(se, "%.2fx"), judge(se >= 50), ""});
  else
    t.push_back({"vs PyTorch port, same GPU, eager", ">= 50x", "n/a", "not measured", why_torch});
  if (cuda && rt && std::isfinite(sg))
    t.push_back({"vs PyTorch port, same GPU, CUDA graph", ">= 10x", fmt(sg, "%.2fx"), judge(sg >= 10), ""});
  else
    t.push_back({"vs PyTorch port, same GPU, CUDA graph", ">= 10x", "n/a", "not measured",
                 cuda && rt ? "graph: " + rt->graph_status : why_torch});
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
                          : std::string()) +
                     "; train_bytes " + fmt(r.mem.estimate_bytes_per_sample / 1e3, "%.1f KB")});
  else if (std::isfinite(r.mem.estimate_bytes_per_sample) && r.mem.estimate_bytes_per_sample > 0)
    t.push_back({"memory per sample at d = 784, N = 100", "<= 40 KB", "estimate " + fmt(r.mem.estimate_bytes_per_sample / 1e3, "%.1f KB"),
                 "not measured", r.mem.status + " (Backend::train_bytes, W = 128, K = " + std::to_string(r.mem.K) + ")"});
  else
    t.push_back({"memory per sample at d = 784, N = 100", "<= 40 KB", "n/a", "not measured", r.mem.status});
  for (const AtThreads& a : at) {
    const std::string th = std::to_string(a.threads) + " thread" + (a.threads > 1 ? "s" : "");
    if (cuda) break;
    const double ratio = a.fastest_ms / a.eng->train.ms_median;
    t.push_back({"CPU training iteration vs the fastest peer, " + th, ">= 2x", fmt(ratio, "%.2fx"),
                 std::isfinite(ratio) ? judge(ratio >= 2) : "not measured",
                 a.fastest.empty() ? "no peer ran" : "fastest peer: " + a.fastest + ", " + fmt(a.fastest_ms, "%.1f ms")});
    t.push_back({"CPU training iteration vs its GEMM floor, " + th, ">= 60% of the floor",
                 fmt(100 * a.floor_fraction, "%.0f%%"), std::isfinite(a.floor_fraction) ? judge(a.floor_fraction >= 0.6) : "not measured",
                 "floor " + fmt(a.floor_ms, "%.1f ms") + ": the executed FLOP at " + std::to_string(a.threads) +
                     " x the best single-thread GEMM rate of this run"});
    const double sr = a.eng->sample.samples_per_s / a.fastest_sps;
    t.push_back({"CPU sampling vs the fastest peer, " + th, ">= 2x", fmt(sr, "%.2fx"),
                 std::isfinite(sr) ? judge(sr >= 2) : "not measured",
                 a.fastest_sampler.empty() ? "no peer ran" : "fastest sampler: " + a.fastest_sampler});
  }
  return t;
}

std::string parity_json(const Parity& p) {
  std::ostringstream j;
  j << "{\"status\": " << jstr(p.status) << ", \"note\": " << jstr(p.note) << ", \"batch\": " << p.B
    << ", \"steps\": " << p.N << ", \"tolerance_f64\": " << jnum(p.tol64) << ", \"max_rel_f64\": " << jnum(p.rel64)
    << ", \"max_rel_f32_peer_vs_engine\": " << jnum(p.rel32) << ", \"max_rel_engine_f32_vs_f64\": " << jnum(p.rel_eng32);
  const char* names[3] = {"loss", "grad_norm_f", "grad_norm_s"};
  for (int k = 0; k < 3; ++k)
    j << ", \"engine_f64_" << names[k] << "\": " << jnum(p.eng64[k]) << ", \"peer_f64_" << names[k]
      << "\": " << jnum(p.peer64[k]) << ", \"engine_f32_" << names[k] << "\": " << jnum(p.eng32[k])
      << ", \"peer_f32_" << names[k] << "\": " << jnum(p.peer32[k]);
  j << "}";
  return j.str();
}

}  // namespace

void write_reports(const Report& r) {
  const Config& c = r.cfg;
  const double gflop = iter_flop(c.shape, c.N, c.B) / 1e9;
  const bool kept = c.backend == "cpu" && df::cpu_keeps_trajectory(c.shape, c.N);
  const double xflop = executed_flop(c.shape, c.N, c.B, c.backend == "cpu" ? kept : false) / 1e9;
  const auto at = derive(r);
  const auto tg = targets(r, at);
  std::string gemm_who;
  const double gemm_best = best_gemm(r, &gemm_who);
  std::ostringstream j;
  j << "{\n  \"date\": " << jstr(r.date) << ",\n  \"git_commit\": " << jstr(r.commit) << ",\n  \"isa\": " << jstr(r.isa)
    << ",\n";
  j << "  \"device\": {\"backend\": " << jstr(c.backend) << ", \"selected\": " << jstr(c.why)
    << ", \"description\": " << jstr(c.description) << ", \"threads\": " << c.threads << "},\n";
  j << "  \"config\": {\"defaults\": " << jstr(c.defaults) << ", \"d\": " << c.shape.d << ", \"batch\": " << c.B
    << ", \"steps\": " << c.N << ", \"width\": " << c.shape.W << ", \"layers\": " << c.shape.L
    << ", \"params_per_net\": " << c.shape.n_params() << ", \"iters\": " << c.iters << ", \"warmup\": " << c.warmup
    << ", \"adjoint_k\": " << c.K << ", \"sample_batch\": " << c.sample_B << ", \"seed\": " << c.seed
    << ", \"grid\": \"exponent t 0.001..0.05 p 0.9, g 0.2\", \"data\": \"olympic, standardized\"},\n";
  j << "  \"flop\": {\"formula\": " << jstr(kFlopFormula) << ", \"forward_per_sample\": " << jnum(fwd_flop(c.shape))
    << ", \"per_iteration\": " << jnum(gflop * 1e9) << ", \"executed_per_iteration\": " << jnum(xflop * 1e9)
    << ", \"trajectory_caches_kept\": " << (kept ? "true" : "false")
    << ", \"sampling\": " << jnum(sample_flop(c.shape, c.N, c.sample_B)) << "},\n";
  j << "  \"gemm\": {\"shape\": " << jstr(std::to_string(r.gemm.M) + "x" + std::to_string(r.gemm.K) + " times " +
                                         std::to_string(r.gemm.K) + "x" + std::to_string(r.gemm.n))
    << ", \"engine_gflop_per_s\": " << jnum(r.gemm.engine_gflops) << ", \"eigen_gflop_per_s\": " << jnum(r.gemm.eigen_gflops)
    << ", \"best_single_thread_gflop_per_s\": " << jnum(gemm_best) << ", \"best_is\": " << jstr(gemm_who) << "},\n";
  j << "  \"engine\": {\"ms_per_iter\": " << jnum(r.train.ms_median) << ", \"ms_per_iter_min\": " << jnum(r.train.ms_min)
    << ", \"ms_per_iter_max\": " << jnum(r.train.ms_max) << ", \"it_per_s\": " << jnum(1e3 / r.train.ms_median)
    << ", \"gflop_per_s\": " << jnum(gflop / (r.train.ms_median / 1e3)) << ", \"loss_first\": " << jnum(r.train.loss_first)
    << ", \"loss_last\": " << jnum(r.train.loss_last) << ", \"sample_batch\": " << r.sample.B
    << ", \"sample_ms\": " << jnum(r.sample.ms_median) << ", \"samples_per_s\": " << jnum(r.sample.samples_per_s)
    << ", \"peak_device_mem_bytes\": " << jnum(r.train.dev_mem_bytes) << ", \"peak_rss_bytes\": " << jnum(r.peak_rss_bytes)
    << ", \"kernels_per_iter\": " << jnum(r.train.kernels_per_iter) << ", \"graphs_per_iter\": " << jnum(r.train.graphs_per_iter)
    << ", \"bf16_ms_per_iter\": " << jnum(r.train_bf16.ms_median)
    << ",\n    \"runs\": [";
  for (std::size_t i = 0; i < at.size(); ++i) {
    const EngineRun& e = *at[i].eng;
    j << (i ? ", " : "") << "{\"threads\": " << e.threads << ", \"ms_per_iter\": " << jnum(e.train.ms_median)
      << ", \"ms_per_iter_min\": " << jnum(e.train.ms_min) << ", \"executed_gflop_per_s\": "
      << jnum(xflop / (e.train.ms_median / 1e3)) << ", \"gemm_floor_ms\": " << jnum(at[i].floor_ms)
      << ", \"fraction_of_floor\": " << jnum(at[i].floor_fraction) << ", \"samples_per_s\": " << jnum(e.sample.samples_per_s)
      << ", \"fastest_peer\": " << jstr(at[i].fastest) << ", \"fastest_peer_ms\": " << jnum(at[i].fastest_ms)
      << ", \"speedup_over_fastest_peer\": " << jnum(at[i].fastest_ms / e.train.ms_median) << "}";
  }
  j << "]},\n  \"memory_per_sample\": {\"status\": " << jstr(r.mem.status) << ", \"d\": " << r.mem.d << ", \"steps\": " << r.mem.N
    << ", \"adjoint_k\": " << r.mem.K << ", \"path\": " << jstr(r.mem.path) << ", \"batch_1\": " << r.mem.B1 << ", \"batch_2\": " << r.mem.B2
    << ", \"used_1\": " << jnum(r.mem.used1) << ", \"used_2\": " << jnum(r.mem.used2)
    << ", \"bytes_per_sample\": " << jnum(r.mem.bytes_per_sample)
    << ", \"plan_bytes_per_sample\": " << jnum(r.mem.plan_bytes_per_sample)
    << ", \"train_bytes_per_sample\": " << jnum(r.mem.estimate_bytes_per_sample) << "},\n  \"dims\": [";
  for (std::size_t i = 0; i < r.dim_runs.size(); ++i) {
    const DimRun& dr = r.dim_runs[i];
    df::NetShape sd = c.shape;
    sd.d = dr.d;
    j << (i ? ", " : "") << "{\"d\": " << dr.d << ", \"batch\": " << dr.B << ", \"threads\": " << dr.threads
      << ", \"ms_per_iter\": " << jnum(dr.train.ms_median) << ", \"gflop_per_s\": "
      << jnum(iter_flop(sd, c.N, dr.B) / 1e9 / (dr.train.ms_median / 1e3)) << ", \"train_bytes\": " << jnum(dr.train_bytes)
      << ", \"peak_device_mem_bytes\": " << jnum(dr.train.dev_mem_bytes) << "}";
  }
  j << "],\n  \"batch_sweep\": [";
  for (std::size_t i = 0; i < r.sweep.size(); ++i) {
    const Timing& s = r.sweep[i];
    j << (i ? ", " : "") << "{\"batch\": " << s.B << ", \"ms_per_iter\": " << jnum(s.ms_median)
      << ", \"it_per_s\": " << jnum(1e3 / s.ms_median)
      << ", \"gflop_per_s\": " << jnum(iter_flop(c.shape, c.N, s.B) / 1e9 / (s.ms_median / 1e3)) << "}";
  }
  j << "],\n  \"peers\": [";
  for (std::size_t i = 0; i < r.peers.size(); ++i) {
    const Peer& p = r.peers[i];
    j << (i ? ",\n    " : "\n    ") << "{\"key\": " << jstr(p.spec.key) << ", \"label\": " << jstr(p.spec.label)
      << ", \"status\": " << jstr(p.status) << ", \"python\": " << jstr(p.python) << ", \"version\": " << jstr(p.version)
      << ", \"parity\": " << parity_json(p.parity) << ", \"times\": [";
    for (std::size_t k = 0; k < p.times.size(); ++k) {
      const PeerTime& t = p.times[k];
      const EngineRun* e = nullptr;
      for (const auto& run : r.runs)
        if (run.threads == t.threads) e = &run;
      j << (k ? ", " : "") << "{\"threads\": " << t.threads << ", \"status\": " << jstr(t.status)
        << ", \"ms_per_iter\": " << jnum(t.train_ms) << ", \"ms_per_iter_min\": " << jnum(t.train_min)
        << ", \"graph_ms_per_iter\": " << jnum(t.graph_ms) << ", \"graph_status\": " << jstr(t.graph_status)
        << ", \"samples_per_s\": " << jnum(t.sample_sps) << ", \"blas\": " << jstr(t.blas)
        << ", \"matmul_gflop_per_s\": " << jnum(t.matmul_gflops) << ", \"compile_s\": " << jnum(t.compile_s)
        << ", \"peak_mem_bytes\": " << jnum(t.eager_mem)
        << ", \"speedup_engine_over_peer\": " << jnum(e ? t.train_ms / e->train.ms_median : NAN)
        << ", \"graph_speedup_engine_over_peer\": " << jnum(e ? t.graph_ms / e->train.ms_median : NAN)
        << ", \"sampling_speedup_engine_over_peer\": " << jnum(e ? e->sample.samples_per_s / t.sample_sps : NAN)
        << ", \"raw\": " << (t.json.empty() || t.json[0] != '{' ? "null" : t.json) << "}";
    }
    j << "]}";
  }
  j << "\n  ],\n  \"targets\": [";
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
    << "- commit: `" << r.commit << "`\n- backend: " << c.why << "; CPU code built for " << r.isa << "\n"
    << "- config (" << c.defaults << "): d=" << c.shape.d << " B=" << c.B << " N=" << c.N << " W=" << c.shape.W
    << " L=" << c.shape.L << " (" << c.shape.n_params() << " parameters per network), adjoint K=" << c.K
    << ", exponent grid t 0.001..0.05 p 0.9, g 0.2, olympic data; median of " << c.iters << " after " << c.warmup
    << " warm-up\n- FLOP per iteration: " << fmt(gflop, "%.4g") << " G by PERF.md's count (" << kFlopFormula << ")";
  if (c.backend == "cpu")
    m << "; the CPU backend executes " << fmt(xflop, "%.4g") << " G"
      << (kept ? " (it keeps the diffuse sweep's network caches, so the adjoint recomputes no forward)" : "");
  m << "\n\n";
  if (c.backend == "cpu")
    m << "## Matrix products, one thread\n\n(" << r.gemm.M << "x" << r.gemm.K << ")·(" << r.gemm.K << "x" << r.gemm.n
      << "), the hidden layers' product over one chunk of samples: the engine's kernel (kernels/cpu/gemm.h) "
      << fmt(r.gemm.engine_gflops, "%.1f") << " GFLOP/s, Eigen " << fmt(r.gemm.eigen_gflops, "%.1f") << " GFLOP/s";
  for (const auto& p : r.peers)
    if (const PeerTime* t = time_at(p, 1))
      m << ", " << p.spec.key << "'s " << t->blas << " on (" << c.B << "x" << c.shape.W << ")·(" << c.shape.W << "x"
        << c.shape.W << ") " << fmt(t->matmul_gflops, "%.1f") << " GFLOP/s";
  if (c.backend == "cpu")
    m << ". The GEMM floor below uses the best of these, " << fmt(gemm_best, "%.1f") << " GFLOP/s (" << gemm_who
      << "), per thread.\n\n";
  m << "## Engine\n\n| threads | ms/iter (min) | it/s | GFLOP/s executed | GEMM floor | of the floor | samples/s |\n"
    << "|---|---|---|---|---|---|---|\n";
  for (const AtThreads& a : at)
    m << "| " << a.threads << " | " << fmt(a.eng->train.ms_median, "%.1f") << " (" << fmt(a.eng->train.ms_min, "%.1f")
      << ") | " << fmt(1e3 / a.eng->train.ms_median, "%.2f") << " | " << fmt(xflop / (a.eng->train.ms_median / 1e3), "%.1f")
      << " | " << fmt(a.floor_ms, "%.1f ms") << " | " << fmt(100 * a.floor_fraction, "%.0f%%") << " | "
      << fmt(a.eng->sample.samples_per_s, "%.4g") << " |\n";
  if (at.size() >= 2)
    m << "\nThread scaling " << at[0].threads << " -> " << at.back().threads << ": "
      << fmt(at[0].eng->train.ms_median / at.back().eng->train.ms_median, "%.2fx") << " (training), "
      << fmt(at.back().eng->sample.samples_per_s / at[0].eng->sample.samples_per_s, "%.2fx") << " (sampling).\n";
  m << "\n| figure (" << c.threads << " thread(s)) | value |\n|---|---|\n"
    << "| peak RSS of the process | " << fmt(r.peak_rss_bytes / 1e6, "%.1f") << " MB |\n| device memory (cudaMemGetInfo) | "
    << (std::isfinite(r.train.dev_mem_bytes) ? fmt(r.train.dev_mem_bytes / 1e6, "%.1f") + " MB" : "not measured")
    << " |\n| kernels launched per iteration | "
    << (std::isfinite(r.train.kernels_per_iter) ? fmt(r.train.kernels_per_iter, "%.0f") : "n/a (the CPU backend launches no kernels)")
    << (r.train.graphs_per_iter > 0 ? " (as one graph)" : (std::isfinite(r.train.graphs_per_iter) ? " (no graph)" : ""))
    << " |\n| training iteration, bf16 operands | "
    << (std::isfinite(r.train_bf16.ms_median) ? fmt(r.train_bf16.ms_median, "%.3f") + " ms" : "not measured (CUDA only)")
    << " |\n\n";
  m << "## Peers\n\nEach peer ran with the engine's B, N, W, L, data and parameters and the same thread count (pinned "
    << "to that many CPUs); ms/iter is the median of " << c.iters << " after " << c.warmup
    << " warm-up; speed-up = peer time / engine time.\n\n| peer | threads | status | ms/iter | speed-up | samples/s | "
       "sampling speed-up | note |\n|---|---|---|---|---|---|---|---|\n";
  for (const auto& p : r.peers) {
    if (p.times.empty()) m << "| " << p.spec.label << " | | " << p.status << " | | | | | |\n";
    for (const auto& t : p.times) {
      const EngineRun* e = nullptr;
      for (const auto& run : r.runs)
        if (run.threads == t.threads) e = &run;
      std::string note;
      if (std::isfinite(t.compile_s)) note = "compile " + fmt(t.compile_s, "%.0f s") + " (not timed)";
      if (std::isfinite(t.graph_ms)) note = "CUDA graph " + fmt(t.graph_ms, "%.3f ms") + " (" + fmt(t.graph_ms / e->train.ms_median, "%.2fx") + ")";
      m << "| " << p.spec.label << " | " << t.threads << " | " << t.status << " | " << fmt(t.train_ms, "%.1f") << " | "
        << fmt(e ? t.train_ms / e->train.ms_median : NAN, "%.2fx") << " | " << fmt(t.sample_sps, "%.4g") << " | "
        << fmt(e ? e->sample.samples_per_s / t.sample_sps : NAN, "%.2fx") << " | " << note << " |\n";
    }
  }
  m << "\n## Parity (B=" << std::min(c.B, 128) << ", N=" << c.N << ", before timing)\n\n"
    << "| peer | status | loss | grad norm f | grad norm s | note |\n|---|---|---|---|---|---|\n";
  bool eng_row = false;
  for (const auto& p : r.peers) {
    const Parity& q = p.parity;
    if (!eng_row && std::isfinite(q.eng64[0])) {
      m << "| engine f64 (templated reference) | | " << fmt(q.eng64[0], "%.12g") << " | " << fmt(q.eng64[1], "%.12g")
        << " | " << fmt(q.eng64[2], "%.12g") << " | |\n| engine f32 (backend) | | " << fmt(q.eng32[0], "%.9g") << " | "
        << fmt(q.eng32[1], "%.9g") << " | " << fmt(q.eng32[2], "%.9g") << " | |\n";
      eng_row = true;
    }
    m << "| " << p.spec.key << " f64 | " << q.status << " | " << fmt(q.peer64[0], "%.12g") << " | "
      << fmt(q.peer64[1], "%.12g") << " | " << fmt(q.peer64[2], "%.12g") << " | " << q.note << " |\n";
  }
  m << "\n## Batch sweep (engine, " << c.threads << " thread(s))\n\n| B | ms/iter | it/s | GFLOP/s (PERF.md's count) |\n|---|---|---|---|\n";
  for (const Timing& s : r.sweep)
    m << "| " << s.B << " | " << fmt(s.ms_median, "%.3f") << " | " << fmt(1e3 / s.ms_median, "%.2f") << " | "
      << fmt(iter_flop(c.shape, c.N, s.B) / 1e9 / (s.ms_median / 1e3), "%.2f") << " |\n";
  if (!r.dim_runs.empty()) {
    m << "\n## Higher dimensions (engine, " << c.threads << " thread(s), synthetic data, W = " << c.shape.W
      << ", L = " << c.shape.L << ", N = " << c.N << ")\n\n| d | B | ms/iter | GFLOP/s (PERF.md's count) | working memory "
      << "(train_bytes) |\n|---|---|---|---|---|\n";
    for (const DimRun& dr : r.dim_runs) {
      df::NetShape sd = c.shape;
      sd.d = dr.d;
      m << "| " << dr.d << " | " << dr.B << " | " << fmt(dr.train.ms_median, "%.3f") << " | "
        << fmt(iter_flop(sd, c.N, dr.B) / 1e9 / (dr.train.ms_median / 1e3), "%.2f") << " | "
        << fmt(dr.train_bytes / 1048576.0, "%.1f MiB") << " |\n";
    }
  }
  if (c.backend == "cpu")
    m << "\nThe CPU backend shares the batch among threads in chunks of " << df::kChunk << " samples: B <= "
      << df::kChunk << " runs on one thread.\n";
  m << "\n## PERF.md targets\n\n| figure | target | measured | status | note |\n|---|---|---|---|---|\n";
  for (const Target& t : tg)
    m << "| " << t.figure << " | " << t.target << " | " << t.measured << " | " << t.status << " | " << t.note << " |\n";
  df::atomic_write_file(c.out + "/speed.md", m.str());
}

}  // namespace dfb
