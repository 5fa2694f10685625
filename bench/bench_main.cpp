// diffflow-bench: the speed benchmark of PERF.md §3–§6.
//   diffflow-bench speed [--device cpu|cuda|auto] [--batch B] [--steps N] [--width W]
//                        [--layers L] [--iters K] [--warmup K] [--batches 1000,3000,10000]
//                        [--sample-batch B] [--threads T1,T2,..] [--seed S]
//                        [--peers torch-ref,torch-shared,torch-compile,jax|none] [--no-torch]
//                        [--python PATH] --out DIR
// In one go, on one machine: the engine's GEMM rate at the sweep shape (CPU), its training
// iteration (median of K after warm-up) and sampling at every thread count, a batch sweep; then
// for every peer (bench/peers.cpp) loss and gradient parity against the engine on a small case
// (B ≤ 128, same N, W, L) and its timing with the same B, N, W, L, data, parameters and each
// thread count (pinned to that many CPUs; on a GPU eager and CUDA-graph). Writes DIR/speed.json
// and DIR/speed.md (report.cpp); progress goes to stderr.
// Defaults: on a GPU the PERF.md configuration (B = 10,000, N = 30, W = 128, L = 3, d = 2,
// 50 timed iterations after 10, sampling at B = 100,000, peer torch-ref); on the CPU B = 1,000,
// 3 timed after 1, sweep 250,500,1000, threads 1 and all, every CPU peer.
// --device emu runs no timing (an emulator's wall time says nothing of a GPU): it is the cost
// model (bench/cost_model.cpp): one training iteration counted on the emulated H200 per
// --precisions entry (default fp32,tf32,bf16), at the PERF.md shape by default; the per-kernel
// estimate goes to stdout and DIR/cost-model.md, and with --write-doc FILE into the marked section
// of FILE (docs/kernels.md). --count-blocks K: blocks run and counted per launch (default 2).
// --sites N: DIR/cost-sites.md lists, per kernel, the N access sites (file:line of an ld/st)
// that cost the most LSU cycles, with their instructions, wavefronts, lines and L2 sectors.
// Exit codes: 0 done (also when parity fails: see the reports), 2 bad input, 1 internal error.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <optional>
#include <cmath>

#include "bench/bench.h"
#include "host/run_state.h"
#include "engine/cpu_parallel.h"
#include "kernels/cpu/simd.h"
#include "host/backend_flags.h"
#include "host/cli_args.h"
#include "host/errors.h"

namespace {

const char* kUsage =
    "usage: diffflow-bench speed [--device cpu|cuda|auto] [--batch B] [--steps N] [--width W] [--layers L]\n"
    "                            [--iters K] [--warmup K] [--batches 1000,3000,10000] [--threads 1,2]\n"
    "                            [--peers LIST|none] [--python PATH] --out DIR   (speed --help: all flags)\n"
#ifdef DF_BENCH_HAVE_COMPARE
    "       diffflow-bench compare --data NAME ... --out DIR     (diffflow-bench compare --help)\n"
#endif
    "       diffflow-bench gemm [--width W] [--chunks 64,128,..] --out DIR   (the CPU products)\n"
    ;

std::string json_version(const std::string& js) {
  for (const char* k : {"torch_version", "jax_version"}) {
    const std::string v = dfb::json_string(js, k);
    if (!v.empty()) return v;
  }
  return "";
}

void set_threads(int n) { setenv("DF_NUM_THREADS", std::to_string(n).c_str(), 1); }

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  char b[64];
  std::strftime(b, sizeof b, "%Y-%m-%d %H:%M:%S UTC", std::gmtime(&t));
  return b;
}

std::string git_commit() {
  std::string out;
  const int rc = dfb::run_capture("git -C " + dfb::shell_quote(DF_SOURCE_DIR) + " rev-parse HEAD 2>/dev/null", &out);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return rc == 0 && out.size() >= 7 ? out : "unknown";
}

int cmd_speed(int argc, char** argv) {
  df::Args a("speed", "diffflow-bench speed [flags] --out DIR");
  a.option("device", "cpu|cuda|emu|auto", "backend to time (emu: the cost model instead, no timing)", "auto");
  a.option("batch", "B", "training batch", "10000 on a GPU, 1000 on the CPU");
  a.option("steps", "N", "time steps", "30");
  a.option("width", "W", "network width", "128");
  a.option("layers", "L", "hidden layers", "3");
  a.option("iters", "K", "timed iterations (median)", "50 on a GPU, 3 on the CPU");
  a.option("warmup", "K", "warm-up iterations", "10 on a GPU, 1 on the CPU");
  a.option("batches", "B1,B2,..", "batch sweep", "1000,3000,10000 on a GPU, 250,500,1000 on the CPU");
  a.option("sample-batch", "B", "sampling batch", "100000 on a GPU, --batch on the CPU");
  a.option("dims", "D1,D2,..|none", "data dimensions of extra training iterations (synthetic data, the same W, L, N)",
           "64,784");
  a.option("threads", "T1,T2,..", "CPU thread counts for the engine and the peers",
           "1 and all on the CPU; DF_NUM_THREADS, OMP_NUM_THREADS or all on a GPU");
  a.option("seed", "S", "seed of the parameters, data and noise", "0");
  a.option("peers", "LIST|none", "peers to run (torch-ref, torch-shared, torch-compile, jax)",
           "all on the CPU, torch-ref on a GPU");
  a.flag("no-torch", "the same as --peers none");
  a.option("python", "PATH", "python with the peers' modules (then .venv-peers, /usr/bin/python3, python3)");
  a.option("scripts", "DIR", "where torch_port.py and jax_port.py are", DF_BENCH_DIR);
  a.option("out", "DIR", "where speed.json and speed.md go (created)");
  a.option("precisions", "LIST", "--device emu: operand precisions of the cost model", "fp32,tf32,bf16");
  a.option("count-blocks", "K", "--device emu: blocks of each launch run and counted", "2");
  a.option("write-doc", "FILE", "--device emu: write the cost model between FILE's cost-model markers");
  a.option("sites", "N", "--device emu: list each kernel's N costliest access sites in DIR/cost-sites.md", "0");
  a.option("tile-samples", "TB", "--device emu: samples per tile of the fused kernels", "the backend's pick");
  if (!a.parse(argc, argv, 2)) return 0;

  dfb::Config c;
  c.out = a.required("out");
  if (a.has("threads")) c.thread_list = a.integers("threads", 1, 1024);
  c.shape.W = int(a.integer("width", 1, 4096));
  c.shape.L = int(a.integer("layers", 0, 64));
  c.N = int(a.integer("steps", 1, 100000));
  c.seed = std::uint64_t(a.integer("seed", 0, INT64_MAX));
  std::optional<int> B, iters, warmup, sample_B;
  if (a.has("batch")) B = int(a.integer("batch", 1, 10000000));
  if (a.has("iters")) iters = int(a.integer("iters", 1, 100000));
  if (a.has("warmup")) warmup = int(a.integer("warmup", 0, 100000));
  if (a.has("sample-batch")) sample_B = int(a.integer("sample-batch", 1, 10000000));
  if (a.has("batches")) c.batches = a.integers("batches", 1, 10000000);
  if (a.str("dims") != "none") c.dims = a.integers("dims", 1, 100000);
  c.python = a.str("python");
  c.script_dir = a.str("scripts");
  c.device_req = a.str("device");
  auto be = df::open_backend(c.device_req, "fp32", &c.why);  // InputError for a bad or absent device
  c.backend = be->name();
  const bool gpu = c.backend == "cuda", emu = c.backend == "emu";
  dfb::CostConfig cc;
  if (emu) {
    for (const std::string& p : a.list("precisions")) {
      df::MatPrecision mp;
      if (!df::parse_mat_precision(p.c_str(), &mp))
        throw df::InputError("speed: --precisions: '" + p + "' is not fp32, tf32 or bf16");
      cc.precisions.push_back(mp);
    }
    cc.count_blocks = int(a.integer("count-blocks", 1, 1024));
    cc.write_doc = a.str("write-doc");
    cc.sites = int(a.integer("sites", 0, 100000));
    if (a.has("tile-samples")) cc.tile_samples = int(a.integer("tile-samples", 1, 1024));
  }
  c.defaults = gpu ? "GPU defaults (PERF.md)" : "CPU defaults (B = 1000; threads 1 and all)";
  if (c.thread_list.empty()) {
    const int all = df::num_threads();
    c.thread_list = gpu || all == 1 ? std::vector<int>{all} : std::vector<int>{1, all};
  }
  c.threads = c.thread_list[0];
  if (a.on("no-torch") || (a.has("peers") && a.str("peers") == "none")) {
    c.peer_keys.clear();
  } else if (a.has("peers")) {
    c.peer_keys = a.list("peers");
  } else {
    c.peer_keys = dfb::known_peers(gpu);
  }
  const std::vector<dfb::PeerSpec> specs = dfb::peer_specs(c);  // InputError for an unknown name
  for (const auto& p : specs)
    if (!std::filesystem::exists(p.script))
      throw df::InputError("speed: --scripts: '" + p.script + "' does not exist");
  c.B = B.value_or(gpu || emu ? 10000 : 1000);
  c.iters = iters.value_or(gpu ? 50 : 3);
  c.warmup = warmup.value_or(gpu ? 10 : 1);
  c.sample_B = sample_B.value_or(gpu ? 100000 : c.B);
  if (c.batches.empty()) c.batches = gpu ? std::vector<int>{1000, 3000, 10000} : std::vector<int>{250, 500, 1000};
  c.K = df::auto_adjoint_k(c.N, c.B, 2);  // the trainer's default at d = 2 (RunConfig::k_for, --adjoint-k 0)
  std::error_code ec;
  std::filesystem::create_directories(c.out, ec);
  if (!std::filesystem::is_directory(c.out)) throw df::InputError("speed: --out: cannot create directory '" + c.out + "'");
  c.description = dfb::describe_device(*be, c.thread_list);
  if (emu) return dfb::run_cost_model(c, cc);

  dfb::Report r;
  r.date = utc_now();
  r.commit = git_commit();
  std::fprintf(stderr, "[bench] %s | %s | %s\n", c.why.c_str(), c.description.c_str(), c.defaults.c_str());
  const int maxB = std::max(c.B, *std::max_element(c.batches.begin(), c.batches.end()));
  const std::vector<float> x0 = dfb::olympic_batch(maxB, c.seed);

  r.isa = df::isa_name();
  if (!gpu) {
    std::fprintf(stderr, "[bench] the engine's matrix product at the sweep shape, one thread (%s)\n", r.isa.c_str());
    set_threads(1);
    r.gemm = dfb::measure_gemm(c.shape.W, std::min(c.B, df::kChunk));
    std::fprintf(stderr, "[bench]   (%dx%d)(%dx%d): engine %.1f GFLOP/s, Eigen %.1f GFLOP/s\n", r.gemm.M, r.gemm.K,
                 r.gemm.K, r.gemm.n, r.gemm.engine_gflops, r.gemm.eigen_gflops);
  }
  for (int T : c.thread_list) {
    set_threads(T);
    dfb::EngineRun run;
    run.threads = T;
    std::fprintf(stderr, "[bench] engine training iteration: B=%d N=%d W=%d L=%d, %d thread(s), median of %d after %d warm-up\n",
                 c.B, c.N, c.shape.W, c.shape.L, T, c.iters, c.warmup);
    run.train = dfb::time_training(*be, c, x0, c.B, c.iters, c.warmup);
    const double gf = dfb::iter_flop(c.shape, c.N, c.B) / 1e9;
    std::fprintf(stderr, "[bench]   %.3f ms/iter, %.2f it/s, %.2f GFLOP/s (PERF.md's count)\n", run.train.ms_median,
                 1e3 / run.train.ms_median, gf / (run.train.ms_median / 1e3));
    const int reps = std::max(3, std::min(c.iters, 10));
    std::fprintf(stderr, "[bench] engine sampling: B=%d N=%d, median of %d\n", c.sample_B, c.N, reps);
    run.sample = dfb::time_sampling(*be, c, c.sample_B, reps);
    std::fprintf(stderr, "[bench]   %.4g samples/s\n", run.sample.samples_per_s);
    r.runs.push_back(run);
  }
  set_threads(c.threads);
  r.train = r.runs[0].train;
  r.sample = r.runs[0].sample;
  if (gpu) {
    std::fprintf(stderr, "[bench] engine training iteration with bf16 matrix operands\n");
    be->set_precision(df::MatPrecision::BF16);
    try {
      r.train_bf16 = dfb::time_training(*be, c, x0, c.B, c.iters, c.warmup);
      std::fprintf(stderr, "[bench]   %.3f ms/iter (bf16 operands)\n", r.train_bf16.ms_median);
    } catch (const df::InputError& e) {  // e.g. the layer-wise path has no bf16 operands
      r.bf16_note = e.what();
      std::fprintf(stderr, "[bench]   not measured: %s\n", e.what());
    }
    be->set_precision(df::MatPrecision::FP32);
  }
  std::fprintf(stderr, "[bench] memory per sample: d=784 N=100 K=10, B=512 and 2048\n");
  r.mem = dfb::memory_per_sample(*be, c, 512, 2048);
  std::fprintf(stderr, "[bench]   %.0f bytes/sample measured (plan %.0f), train_bytes %.0f\n", r.mem.bytes_per_sample,
               r.mem.plan_bytes_per_sample, r.mem.estimate_bytes_per_sample);
  for (int d : c.dims) {
    dfb::DimRun dr;
    dr.d = d;
    dr.B = c.B;
    dr.threads = c.threads;
    dfb::Config cd = c;
    cd.shape.d = d;
    std::vector<float> xd(std::size_t(d) * dr.B);
    for (std::size_t i = 0; i < xd.size(); ++i) xd[i] = float(std::sin(0.37 * double(i)) + 0.3 * std::cos(1.3 * double(i)));
    df::ModelDesc md;
    md.shape = cd.shape;
    dr.train_bytes = double(be->train_bytes(md, dr.B, c.N, df::auto_adjoint_k(c.N, dr.B, d)));
    std::fprintf(stderr, "[bench] training iteration at d=%d: B=%d N=%d W=%d L=%d, %d thread(s)\n", d, dr.B, c.N,
                 c.shape.W, c.shape.L, c.threads);
    dr.train = dfb::time_training(*be, cd, xd, dr.B, c.iters, c.warmup);
    std::fprintf(stderr, "[bench]   %.3f ms/iter, %.2f GFLOP/s (PERF.md's count)\n", dr.train.ms_median,
                 dfb::iter_flop(cd.shape, c.N, dr.B) / 1e9 / (dr.train.ms_median / 1e3));
    r.dim_runs.push_back(dr);
  }
  for (int b : c.batches) {
    std::fprintf(stderr, "[bench] batch sweep: B=%d, %d thread(s)\n", b, c.threads);
    r.sweep.push_back(b == c.B ? r.train : dfb::time_training(*be, c, x0, b, c.iters, c.warmup));
    std::fprintf(stderr, "[bench]   %.3f ms/iter\n", r.sweep.back().ms_median);
  }

  if (!specs.empty()) {
    const std::string pin = c.out + "/parity_input.txt", tin = c.out + "/peer_input.txt";
    dfb::Parity engine;
    engine.B = std::min(c.B, 128);
    engine.N = c.N;
    std::fprintf(stderr, "[bench] engine parity values (B=%d N=%d, double reference and %s float)\n", engine.B,
                 engine.N, c.backend.c_str());
    dfb::engine_parity(*be, c, engine, pin);
    dfb::write_peer_input(tin, c, c.B, c.N, x0, false);
    for (const auto& spec : specs) {
      dfb::Peer peer;
      peer.spec = spec;
      peer.python = dfb::find_python(c.python, spec.module);
      if (peer.python.empty()) {
        peer.status = peer.parity.status = "skipped: no python imports " + spec.module +
                                           " (tried --python, .venv-peers: scripts/install-peers.sh, /usr/bin/python3, python3)";
        std::fprintf(stderr, "[bench] %s %s\n", spec.key.c_str(), peer.status.c_str());
        r.peers.push_back(peer);
        continue;
      }
      dfb::run_peer_parity(c, peer, engine, pin);
      std::fprintf(stderr, "[bench]   parity %s%s%s\n", peer.parity.status.c_str(), peer.parity.note.empty() ? "" : ": ",
                   peer.parity.note.c_str());
      for (std::size_t i = 0; i < c.thread_list.size(); ++i) {
        peer.times.push_back(dfb::run_peer_time(c, peer, c.thread_list[i], tin));
        const dfb::PeerTime& t = peer.times.back();
        std::fprintf(stderr, "[bench]   %s: %s ms/iter (%.2fx the engine's time), sampling %s samples/s\n",
                     t.status.c_str(), dfb::fmt(t.train_ms, "%.3f").c_str(), t.train_ms / r.runs[i].train.ms_median,
                     dfb::fmt(t.sample_sps, "%.4g").c_str());
      }
      peer.status = peer.times.empty() ? "not run" : peer.times[0].status;
      peer.version = json_version(peer.times.empty() ? "" : peer.times[0].json);
      r.peers.push_back(peer);
    }
    std::remove(pin.c_str());
    std::remove(tin.c_str());
  }
  r.peak_rss_bytes = dfb::peak_rss_bytes();
  r.cfg = c;
  dfb::write_reports(r);
  for (const auto& p : r.peers)
    if (p.parity.status == "fail") std::fprintf(stderr, "[bench] warning: %s parity FAILED, see speed.md\n", p.spec.key.c_str());
  std::fprintf(stderr, "[bench] wrote %s/speed.json and %s/speed.md\n", c.out.c_str(), c.out.c_str());
  return 0;
}

}  // namespace

#ifdef DF_BENCH_HAVE_COMPARE
int cmd_compare(int argc, char** argv);  // bench/compare_main.cpp
#endif
int cmd_gemm(int argc, char** argv);    // bench/gemm_bench.cpp
int cmd_shapes(int argc, char** argv);  // bench/shapes.cpp

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  try {
    if (!std::strcmp(argv[1], "speed")) return cmd_speed(argc, argv);
    if (!std::strcmp(argv[1], "gemm")) return cmd_gemm(argc, argv);
    if (!std::strcmp(argv[1], "shapes")) return cmd_shapes(argc, argv);
#ifdef DF_BENCH_HAVE_COMPARE
    if (!std::strcmp(argv[1], "compare")) return cmd_compare(argc, argv);
    const char* known = "speed compare gemm shapes";
#else
    const char* known = "speed gemm shapes";
#endif
    std::fprintf(stderr, "diffflow-bench: error: unknown command '%s' (commands: %s)\n", argv[1], known);
    return 2;
  } catch (const df::InputError& e) {
    std::fprintf(stderr, "diffflow-bench: error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "diffflow-bench: internal error: %s\n", e.what());
    return 1;
  }
}
