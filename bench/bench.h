// Shared declarations of `diffflow-bench speed` (PERF.md §3–§5).
//   bench_main.cpp     flags, defaults, the order of the measurements
//   engine_timing.cpp  the engine's training iteration (composed like host/trainer.cpp),
//                      sampling (reverse_sweep), device description, device memory
//   parity.cpp         the input files for the peers' scripts and the engine's own loss and
//                      gradient norms in double (templated reference) and float (the backend)
//   peers.cpp          the peers (PyTorch eager/compiled, reference and 2N+1 algorithms; JAX):
//                      finding a python that imports them, running their scripts, reading JSON
//   report.cpp         DIR/speed.json and DIR/speed.md, the PERF.md targets marked
// FLOP count (PERF.md §2): one network forward per sample with the time embedding computed
// once per step costs 2W(d + L·W + d); an iteration runs 2N+1 of them in the diffuse sweep, the
// same again recomputed in the adjoint sweep plus a backward ≈ 2× forward, so
// FLOP/iter = 4·(2N+1)·B·2W(2d + L·W) (≈ 242 GFLOP at B = 10k, N = 30, W = 128, L = 3, d = 2).
// The extra drift evaluations that re-diffuse the checkpoint segments are not counted. The CPU
// backend, when it keeps the trajectory's caches, executes 3·(2N+1)·B·fwd (executed_flop).
#pragma once
#include <cmath>
#include <string>
#include <vector>

#include "engine/backend.h"

namespace dfb {

struct Config {
  std::string device_req = "auto", backend, why, description;
  int threads = 1;                 // the first of thread_list: the main run (batch sweep, memory)
  std::vector<int> thread_list;    // CPU: the engine and every peer are timed at each
  df::NetShape shape;
  int B = 0, N = 30, iters = 0, warmup = 0, sample_B = 0, K = 1;
  std::vector<int> batches;
  std::vector<int> dims;  // data dimensions of the higher-dimensional training iterations
  std::string defaults;  // which default set was used ("gpu (PERF.md)" or "cpu (small)")
  std::string out;
  std::vector<std::string> peer_keys;  // empty: no peers
  std::string python, script_dir;
  std::uint64_t seed = 0;
};

struct Timing {
  int B = 0, iters = 0;
  double ms_median = NAN, ms_min = NAN, ms_max = NAN;
  double loss_first = NAN, loss_last = NAN;
  double dev_mem_bytes = NAN;  // CUDA: cudaMemGetInfo delta (peak over the iterations)
  double kernels_per_iter = NAN;  // kernels launched by the last iteration (Backend::kernel_launches)
  double graphs_per_iter = NAN;   // graphs the last iteration ran as (Backend::graph_launches: 1 or 0)
};

// Device memory per sample of the adjoint at a large shape (PERF.md: d = 784, N = 100), CUDA only:
// the slope of the backend's device memory between two batch sizes (fixed costs cancel).
struct MemPerSample {
  std::string status = "not measured", path;
  int d = 784, N = 100, K = 10, W = 128, L = 3, B1 = 0, B2 = 0;
  double used1 = NAN, used2 = NAN, bytes_per_sample = NAN, plan_bytes_per_sample = NAN;
  // Backend::train_bytes between the two batches, per sample: the device backend's allocations
  // (exact), the CPU backend's estimate (bounded by its chunks: its total at B2 over B2)
  double estimate_bytes_per_sample = NAN;
};

// A training iteration at a data dimension d (the sweep's W, L, N; synthetic data).
struct DimRun {
  int d = 0, B = 0, threads = 1;
  Timing train;
  double train_bytes = NAN;  // Backend::train_bytes at this shape and batch
};

struct Sampling {
  int B = 0, reps = 0;
  double ms_median = NAN, samples_per_s = NAN;
};

struct Parity {
  std::string status = "skipped", note;
  int B = 0, N = 0;
  double tol64 = 1e-6, tol32 = 1e-3;
  double eng64[3] = {NAN, NAN, NAN}, eng32[3] = {NAN, NAN, NAN};  // loss, |grad f|, |grad s|
  double peer64[3] = {NAN, NAN, NAN}, peer32[3] = {NAN, NAN, NAN};
  double rel64 = NAN, rel32 = NAN, rel_eng32 = NAN;  // max relative differences
  std::string json;
};

// A peer implementation (PERF.md §6): a script of bench/ run with fixed arguments.
struct PeerSpec {
  std::string key, label, script, args, module;  // module: what the python must import
  bool parity = true;                           // false: same model code as another peer
  std::string parity_note;
};

// One timing of a peer at a thread count.
struct PeerTime {
  int threads = 1;
  std::string status = "not run", json, graph_status, blas;
  double train_ms = NAN, train_min = NAN, graph_ms = NAN, sample_sps = NAN, matmul_gflops = NAN;
  double eager_mem = NAN, graph_mem = NAN, compile_s = NAN;
};

struct Peer {
  PeerSpec spec;
  std::string python, version, status = "not run";
  Parity parity;
  std::vector<PeerTime> times;
};

// The engine at one thread count.
struct EngineRun {
  int threads = 1;
  Timing train;
  Sampling sample;
};

// The engine's own matrix product at the sweep shape, one thread: (W×W)·(W×n) through
// kernels/cpu/gemm.h, the floor of the GEMM-bound work.
struct GemmRate {
  int M = 0, K = 0, n = 0;
  double engine_gflops = NAN, eigen_gflops = NAN;
};

struct Report {
  Config cfg;
  std::string date, commit, isa;
  Timing train;       // the main run (cfg.threads)
  Timing train_bf16;  // CUDA only: the same iteration with bf16 matrix operands (--precision bf16)
  std::string bf16_note;  // why train_bf16 was not measured, when the backend refused
  Sampling sample;
  std::vector<Timing> sweep;
  std::vector<EngineRun> runs;  // CPU: one per thread count (runs[0] is the main run)
  std::vector<Peer> peers;
  GemmRate gemm;
  MemPerSample mem;
  std::vector<DimRun> dim_runs;
  double peak_rss_bytes = NAN;
};

// FLOP of one forward per sample (embedding once per step), of a training iteration, of sampling.
inline double fwd_flop(const df::NetShape& s) { return 2.0 * s.W * (2.0 * s.d + double(s.L) * s.W); }
inline double iter_flop(const df::NetShape& s, int N, int B) { return 4.0 * (2 * N + 1) * B * fwd_flop(s); }
// What the CPU backend executes: with the trajectory's caches kept (engine/cpu_parallel.h) the
// adjoint recomputes no forward, 3·(2N+1) forward-equivalents; else PERF.md's count.
inline double executed_flop(const df::NetShape& s, int N, int B, bool kept) {
  return (kept ? 3.0 : 4.0) * (2 * N + 1) * B * fwd_flop(s);
}
inline double sample_flop(const df::NetShape& s, int N, int B) { return 2.0 * N * B * fwd_flop(s); }
inline const char* kFlopFormula = "FLOP/iter = 4*(2N+1)*B*2W(2d+L*W): (2N+1) forwards in the diffuse sweep, "
                                  "the same recomputed plus a backward (~2x forward) in the adjoint sweep; "
                                  "forward = 2W(d + L*W + d) per sample, time embedding once per step";

// engine_timing.cpp
df::TimeGrid bench_grid(int N);  // exponent grid t 0.001..0.05, p 0.9, g ≡ 0.2 (engine/grid.h defaults)
void force_sync(df::Backend& be, const df::Buf& b);
Timing time_training(df::Backend& be, const Config& cfg, const std::vector<float>& x0, int B, int iters,
                     int warmup);
Sampling time_sampling(df::Backend& be, const Config& cfg, int B, int reps);
MemPerSample memory_per_sample(df::Backend& be, const Config& cfg, int B1, int B2);
std::string describe_device(const df::Backend& be, const std::vector<int>& threads);
double peak_rss_bytes();

// parity.cpp
std::vector<float> olympic_batch(int B, std::uint64_t seed);  // model coordinates, d×B
void write_peer_input(const std::string& path, const Config& cfg, int B, int N, const std::vector<float>& x0,
                      bool with_eps);
void engine_parity(df::Backend& be, const Config& cfg, Parity& par, const std::string& input_path);
void compare_parity(Parity& par);

// peers.cpp
std::vector<PeerSpec> peer_specs(const Config& cfg);  // cfg.peer_keys resolved; InputError for unknown keys
std::vector<std::string> known_peers(bool gpu);        // the default set for a CPU or GPU run
std::string find_python(const std::string& preferred, const std::string& module);  // "" when none imports it
int run_capture(const std::string& cmd, std::string* out);
std::string shell_quote(const std::string& s);
bool json_number(const std::string& js, const std::string& key, double* v);
std::string json_string(const std::string& js, const std::string& key);
void run_peer_parity(const Config& cfg, Peer& peer, const Parity& engine, const std::string& input);
PeerTime run_peer_time(const Config& cfg, const Peer& peer, int threads, const std::string& input);

// engine_timing.cpp (CPU): the engine's GEMM rate at the sweep shape
GemmRate measure_gemm(int W, int n);

// cost_model.cpp: `speed --device emu`, the H200 estimate from the emulator's counts; prints the
// tables, writes DIR/cost-model.md and, with write_doc, the section between the cost-model
// markers of that file (docs/kernels.md)
struct CostConfig {
  std::vector<df::MatPrecision> precisions;
  int count_blocks = 2;  // blocks run and counted per launch
  int sites = 0;         // > 0: DIR/cost-sites.md lists each kernel's this many costliest access sites
  int tile_samples = 0;  // > 0: samples per tile of the fused kernels (BackendOptions::tile_samples)
  std::string write_doc;
};
int run_cost_model(const Config& c, const CostConfig& cc);

// report.cpp
void write_reports(const Report& rep);
std::string fmt(double v, const char* f = "%.4g");  // "n/a" when not finite

}  // namespace dfb
