// diffflow-bench: the speed benchmark of PERF.md §3–§5.
//   diffflow-bench speed [--device cpu|cuda|auto] [--batch B] [--steps N] [--width W]
//                        [--layers L] [--iters K] [--warmup K] [--batches 1000,3000,10000]
//                        [--sample-batch B] [--threads T] [--seed S] [--no-torch]
//                        [--python PATH] [--script PATH] --out DIR
// In one go, on one machine: the engine's training iteration (median of K after warm-up),
// sampling, a batch sweep; then, unless --no-torch or no python can import torch, loss and
// gradient parity against bench/torch_port.py on a small case (B ≤ 128, same N, W, L) and the
// port's timing with the same B, N, W, L, device and thread count (eager, and CUDA-graph on a
// GPU). Writes DIR/speed.json and DIR/speed.md (see report.cpp); progress goes to stderr.
// Defaults: on a GPU the PERF.md configuration (B = 10,000, N = 30, W = 128, L = 3, d = 2,
// 50 timed iterations after 10, sampling at B = 100,000); on the CPU a smaller batch that
// finishes in about a minute on 2 cores (B = 1,000, 3 timed after 1, sweep 250,500,1000).
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
#include "engine/cpu_parallel.h"
#include "host/cli_args.h"
#include "host/errors.h"

namespace {

const char* kUsage =
    "usage: diffflow-bench speed [--device cpu|cuda|auto] [--batch B] [--steps N] [--width W] [--layers L]\n"
    "                            [--iters K] [--warmup K] [--batches 1000,3000,10000] [--no-torch]\n"
    "                            [--python PATH] --out DIR      (diffflow-bench speed --help for all flags)\n"
#ifdef DF_BENCH_HAVE_COMPARE
    "       diffflow-bench compare --data NAME ... --out DIR     (diffflow-bench compare --help)\n"
#endif
    ;

std::vector<int> parse_batches(const std::string& text) {
  std::vector<int> out;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t comma = std::min(text.find(',', pos), text.size());
    const std::string item = text.substr(pos, comma - pos);
    std::size_t used = 0;
    long v = 0;
    try {
      v = std::stol(item, &used);
    } catch (...) {
      used = 0;
    }
    if (item.empty() || used != item.size() || v < 1 || v > 10000000)
      throw df::InputError("speed: --batches: '" + item + "' is not a batch size in [1, 10000000]");
    out.push_back(int(v));
    pos = comma + 1;
  }
  return out;
}

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
  a.option("device", "cpu|cuda|auto", "backend to time", "auto");
  a.option("batch", "B", "training batch", "10000 on a GPU, 1000 on the CPU");
  a.option("steps", "N", "time steps", "30");
  a.option("width", "W", "network width", "128");
  a.option("layers", "L", "hidden layers", "3");
  a.option("iters", "K", "timed iterations (median)", "50 on a GPU, 3 on the CPU");
  a.option("warmup", "K", "warm-up iterations", "10 on a GPU, 1 on the CPU");
  a.option("batches", "B1,B2,..", "batch sweep", "1000,3000,10000 on a GPU, 250,500,1000 on the CPU");
  a.option("sample-batch", "B", "sampling batch", "100000 on a GPU, --batch on the CPU");
  a.option("threads", "T", "CPU threads for the engine and torch", "DF_NUM_THREADS, OMP_NUM_THREADS or all");
  a.option("seed", "S", "seed of the parameters, data and noise", "0");
  a.flag("no-torch", "skip the PyTorch port (parity and timing)");
  a.option("python", "PATH", "python with torch (then /usr/bin/python3, then python3)");
  a.option("script", "PATH", "the PyTorch port", DF_BENCH_SCRIPT);
  a.option("out", "DIR", "where speed.json and speed.md go (created)");
  if (!a.parse(argc, argv, 2)) return 0;

  dfb::Config c;
  c.out = a.required("out");
  if (a.has("threads")) setenv("DF_NUM_THREADS", std::to_string(a.integer("threads", 1, 1024)).c_str(), 1);
  c.threads = df::num_threads();
  c.shape.W = int(a.integer("width", 1, 4096));
  c.shape.L = int(a.integer("layers", 0, 64));
  c.N = int(a.integer("steps", 1, 100000));
  c.seed = std::uint64_t(a.integer("seed", 0, INT64_MAX));
  std::optional<int> B, iters, warmup, sample_B;
  if (a.has("batch")) B = int(a.integer("batch", 1, 10000000));
  if (a.has("iters")) iters = int(a.integer("iters", 1, 100000));
  if (a.has("warmup")) warmup = int(a.integer("warmup", 0, 100000));
  if (a.has("sample-batch")) sample_B = int(a.integer("sample-batch", 1, 10000000));
  if (a.has("batches")) c.batches = parse_batches(a.str("batches"));
  c.no_torch = a.on("no-torch");
  c.python = a.str("python");
  c.script = a.str("script");
  if (!c.no_torch && !std::filesystem::exists(c.script))
    throw df::InputError("speed: --script: '" + c.script + "' does not exist");
  c.device_req = a.str("device");
  auto be = df::make_backend(c.device_req, &c.why);  // InputError for a bad or absent device
  c.backend = be->name();
  const bool gpu = c.backend == "cuda";
  c.defaults = gpu ? "GPU defaults (PERF.md)" : "CPU defaults (small: about a minute on 2 cores)";
  c.B = B.value_or(gpu ? 10000 : 1000);
  c.iters = iters.value_or(gpu ? 50 : 3);
  c.warmup = warmup.value_or(gpu ? 10 : 1);
  c.sample_B = sample_B.value_or(gpu ? 100000 : c.B);
  if (c.batches.empty()) c.batches = gpu ? std::vector<int>{1000, 3000, 10000} : std::vector<int>{250, 500, 1000};
  c.K = std::max(1, int(std::ceil(std::sqrt(double(c.N)))));  // the trainer's default (RunConfig::k_for)
  std::error_code ec;
  std::filesystem::create_directories(c.out, ec);
  if (!std::filesystem::is_directory(c.out)) throw df::InputError("speed: --out: cannot create directory '" + c.out + "'");
  c.description = dfb::describe_device(c.backend, c.threads);

  dfb::Report r;
  r.date = utc_now();
  r.commit = git_commit();
  std::fprintf(stderr, "[bench] %s | %s | %s\n", c.why.c_str(), c.description.c_str(), c.defaults.c_str());
  const int maxB = std::max(c.B, *std::max_element(c.batches.begin(), c.batches.end()));
  const std::vector<float> x0 = dfb::olympic_batch(maxB, c.seed);

  std::fprintf(stderr, "[bench] engine training iteration: B=%d N=%d W=%d L=%d, median of %d after %d warm-up\n", c.B,
               c.N, c.shape.W, c.shape.L, c.iters, c.warmup);
  r.train = dfb::time_training(*be, c, x0, c.B, c.iters, c.warmup);
  const double gf = dfb::iter_flop(c.shape, c.N, c.B) / 1e9;
  std::fprintf(stderr, "[bench]   %.3f ms/iter, %.2f it/s, %.2f GFLOP/s\n", r.train.ms_median, 1e3 / r.train.ms_median,
               gf / (r.train.ms_median / 1e3));
  if (c.backend == "cuda") {
    std::fprintf(stderr, "[bench] engine training iteration with bf16 matrix operands\n");
    be->set_precision("bf16");
    try {
      r.train_bf16 = dfb::time_training(*be, c, x0, c.B, c.iters, c.warmup);
      std::fprintf(stderr, "[bench]   %.3f ms/iter (bf16 operands)\n", r.train_bf16.ms_median);
    } catch (const df::InputError& e) {  // e.g. the layer-wise path has no bf16 operands
      r.bf16_note = e.what();
      std::fprintf(stderr, "[bench]   not measured: %s\n", e.what());
    }
    be->set_precision("fp32");
    std::fprintf(stderr, "[bench] device memory per sample: d=784 N=100 K=10, B=512 and 2048\n");
    r.mem = dfb::memory_per_sample(*be, c, 512, 2048);
    std::fprintf(stderr, "[bench]   %.0f bytes/sample (plan %.0f)\n", r.mem.bytes_per_sample, r.mem.plan_bytes_per_sample);
  }
  const int reps = std::max(3, std::min(c.iters, 10));
  std::fprintf(stderr, "[bench] engine sampling: B=%d N=%d, median of %d\n", c.sample_B, c.N, reps);
  r.sample = dfb::time_sampling(*be, c, c.sample_B, reps);
  std::fprintf(stderr, "[bench]   %.4g samples/s\n", r.sample.samples_per_s);
  for (int b : c.batches) {
    std::fprintf(stderr, "[bench] batch sweep: B=%d\n", b);
    r.sweep.push_back(b == c.B ? r.train : dfb::time_training(*be, c, x0, b, c.iters, c.warmup));
    std::fprintf(stderr, "[bench]   %.3f ms/iter\n", r.sweep.back().ms_median);
  }

  if (c.no_torch) {
    r.torch.status = r.parity.status = "skipped (--no-torch)";
  } else if (const std::string py = dfb::find_python(c.python); py.empty()) {
    r.torch.status = r.parity.status = "skipped: no python with torch (tried --python, /usr/bin/python3, python3)";
    std::fprintf(stderr, "[bench] %s\n", r.torch.status.c_str());
  } else {
    const std::string pin = c.out + "/parity_input.txt", tin = c.out + "/torch_input.txt";
    r.parity.B = std::min(c.B, 128);
    r.parity.N = c.N;
    std::fprintf(stderr, "[bench] engine parity values (B=%d N=%d, double reference and %s float)\n", r.parity.B,
                 r.parity.N, c.backend.c_str());
    dfb::engine_parity(*be, c, r.parity, pin);
    dfb::run_torch_parity(c, py, r.parity, pin);
    std::fprintf(stderr, "[bench]   parity %s%s%s\n", r.parity.status.c_str(), r.parity.note.empty() ? "" : ": ",
                 r.parity.note.c_str());
    dfb::write_torch_input(tin, c, c.B, c.N, x0, false);
    dfb::run_torch_time(c, py, r.torch, tin);
    std::fprintf(stderr, "[bench]   torch %s: eager %s ms/iter, graph %s, sampling %s samples/s\n",
                 r.torch.status.c_str(), dfb::fmt(r.torch.eager_ms, "%.3f").c_str(),
                 std::isfinite(r.torch.graph_ms) ? (dfb::fmt(r.torch.graph_ms, "%.3f") + " ms/iter").c_str()
                                                  : r.torch.graph_status.c_str(),
                 dfb::fmt(r.torch.sample_sps, "%.4g").c_str());
    std::remove(pin.c_str());
    std::remove(tin.c_str());
  }
  r.peak_rss_bytes = dfb::peak_rss_bytes();
  r.cfg = c;
  dfb::write_reports(r);
  std::fprintf(stderr, "[bench] engine %.3f ms/iter; speed-up over torch: eager %s, graph %s; parity %s\n",
               r.train.ms_median, dfb::fmt(r.torch.eager_ms / r.train.ms_median, "%.2fx").c_str(),
               dfb::fmt(r.torch.graph_ms / r.train.ms_median, "%.2fx").c_str(), r.parity.status.c_str());
  std::fprintf(stderr, "[bench] wrote %s/speed.json and %s/speed.md\n", c.out.c_str(), c.out.c_str());
  if (r.parity.status == "fail") std::fprintf(stderr, "[bench] warning: parity FAILED, see speed.md\n");
  return 0;
}

}  // namespace

#ifdef DF_BENCH_HAVE_COMPARE
int cmd_compare(int argc, char** argv);  // bench/compare.cpp
#endif

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  try {
    if (!std::strcmp(argv[1], "speed")) return cmd_speed(argc, argv);
#ifdef DF_BENCH_HAVE_COMPARE
    if (!std::strcmp(argv[1], "compare")) return cmd_compare(argc, argv);
    const char* known = "speed compare";
#else
    const char* known = "speed";
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
