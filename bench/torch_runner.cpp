// Running the PyTorch port (bench/torch_port.py) from `diffflow-bench speed`.
//   find_python       the first of --python, /usr/bin/python3, python3 that can import torch
//                     (Debian's python3-torch lives under /usr/bin/python3, while the python3
//                     first on PATH may be a pyenv without it)
//   run_torch_parity  torch_port.py parity --input FILE  → Parity::torch_json
//   run_torch_time    torch_port.py time ... with the engine's B, N, W, L, device, threads,
//                     iterations and warm-up (and --graph on CUDA) → Torch
// The script's stderr (its progress) passes through to ours; its stdout is one JSON object with
// flat keys, read with json_number / json_string (enough for that output, not a JSON parser).
// torch_port.py exit codes: 3 torch cannot be imported, 4 the device is not available to torch.
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>

#include "bench/bench.h"

namespace dfb {

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

int run_capture(const std::string& cmd, std::string* out) {
  std::fflush(stderr);
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return -1;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
    if (out) out->append(buf, n);
  const int st = pclose(p);
  if (st == -1) return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

std::string find_python(const std::string& preferred) {
  std::vector<std::string> cands;
  if (!preferred.empty()) cands.push_back(preferred);
  cands.push_back("/usr/bin/python3");
  cands.push_back("python3");
  for (const auto& c : cands) {
    if (run_capture(shell_quote(c) + " -c 'import torch' >/dev/null 2>&1", nullptr) == 0) return c;
    if (c == preferred)
      std::fprintf(stderr, "[bench] --python %s cannot import torch; trying the others\n", preferred.c_str());
  }
  return "";
}

namespace {

// Position just after `"key":` and any blanks, or npos.
std::size_t value_pos(const std::string& js, const std::string& key) {
  const std::size_t k = js.find("\"" + key + "\"");
  if (k == std::string::npos) return k;
  std::size_t i = k + key.size() + 2;
  while (i < js.size() && (js[i] == ' ' || js[i] == ':')) ++i;
  return i < js.size() ? i : std::string::npos;
}

// The last non-empty line of the script's stdout (its JSON object).
std::string last_line(const std::string& out) {
  std::size_t end = out.find_last_not_of(" \n\r\t");
  if (end == std::string::npos) return "";
  std::size_t start = out.rfind('\n', end);
  return out.substr(start == std::string::npos ? 0 : start + 1, end + 1 - (start == std::string::npos ? 0 : start + 1));
}

// Runs the script; on failure returns a status text ("" when all went well).
std::string run_script(const Config& cfg, const std::string& python, const std::string& args, std::string* json) {
  std::string out;
  const std::string cmd = shell_quote(python) + " " + shell_quote(cfg.script) + " " + args;
  const int rc = run_capture(cmd, &out);
  *json = last_line(out);
  if (rc == 3) return "skipped: torch cannot be imported by " + python;
  if (rc == 4) return "skipped: torch has no CUDA device here";
  if (rc != 0) return "error: torch_port.py exited with code " + std::to_string(rc);
  if (json->empty() || (*json)[0] != '{') return "error: torch_port.py printed no JSON";
  return "";
}

}  // namespace

bool json_number(const std::string& js, const std::string& key, double* v) {
  const std::size_t i = value_pos(js, key);
  if (i == std::string::npos) return false;
  const char* s = js.c_str() + i;
  char* end = nullptr;
  const double x = std::strtod(s, &end);
  if (end == s) return false;  // null, a string, ...
  *v = x;
  return true;
}

std::string json_string(const std::string& js, const std::string& key) {
  std::size_t i = value_pos(js, key);
  if (i == std::string::npos || js[i] != '"') return "";
  std::string s;
  for (++i; i < js.size() && js[i] != '"'; ++i) {
    if (js[i] == '\\' && i + 1 < js.size()) ++i;
    s += js[i];
  }
  return s;
}

void run_torch_parity(const Config& cfg, const std::string& python, Parity& par, const std::string& input) {
  std::fprintf(stderr, "[bench] torch parity (B=%d N=%d, float64 and float32)\n", par.B, par.N);
  const std::string err = run_script(cfg, python, "parity --input " + shell_quote(input), &par.torch_json);
  if (!err.empty()) {
    par.status = err.rfind("skipped", 0) == 0 ? err : "error";
    par.note = err;
    return;
  }
  compare_parity(par);
}

void run_torch_time(const Config& cfg, const std::string& python, Torch& tor, const std::string& input) {
  const bool cuda = cfg.backend == "cuda";
  std::string args = "time --device " + std::string(cuda ? "cuda" : "cpu");
  args += " --batch " + std::to_string(cfg.B) + " --steps " + std::to_string(cfg.N);
  args += " --width " + std::to_string(cfg.shape.W) + " --layers " + std::to_string(cfg.shape.L);
  args += " --iters " + std::to_string(cfg.iters) + " --warmup " + std::to_string(cfg.warmup);
  args += " --threads " + std::to_string(cfg.threads) + " --sample-batch " + std::to_string(cfg.sample_B);
  args += " --seed " + std::to_string(cfg.seed) + " --input " + shell_quote(input);
  if (cuda) args += " --graph";
  std::fprintf(stderr, "[bench] torch timing (%s)\n", cuda ? "eager, then CUDA graph" : "eager, CPU");
  tor.python = python;
  const std::string err = run_script(cfg, python, args, &tor.json);
  if (!err.empty()) {
    tor.status = err;
    return;
  }
  tor.status = "ok";
  tor.version = json_string(tor.json, "torch_version");
  json_number(tor.json, "eager_ms_median", &tor.eager_ms);
  json_number(tor.json, "graph_ms_median", &tor.graph_ms);
  json_number(tor.json, "sample_samples_per_s", &tor.sample_sps);
  json_number(tor.json, "eager_peak_mem_bytes", &tor.eager_mem);
  json_number(tor.json, "graph_peak_mem_bytes", &tor.graph_mem);
  tor.graph_status = json_string(tor.json, "graph_status");
  tor.blas = json_string(tor.json, "blas");
  json_number(tor.json, "matmul_gflop_per_s", &tor.matmul_gflops);
}

}  // namespace dfb
