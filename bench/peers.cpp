// The peers of `diffflow-bench speed` (PERF.md §6): what a user would run instead, each a script
// of bench/ run by a python that can import it, with the engine's B, N, W, L, data, parameters
// and thread count.
//   torch-ref      bench/torch_port.py --algo reference: PyTorch eager, the authors' algorithm
//                  (3 network evaluations per step), autograd through the trajectory
//   torch-shared   bench/torch_port.py --algo shared: PyTorch eager, the engine's 2N+1 algorithm
//   torch-compile  the same under torch.compile (Inductor); parity is torch-shared's (same code)
//   jax            bench/jax_port.py: one jax.jit of the 2N+1 algorithm over lax.scan
// A GPU run has torch-ref, timed eagerly and captured in a CUDA graph.
// find_python tries --python, then the project's .venv-peers (scripts/install-peers.sh), then
// /usr/bin/python3 and python3. The scripts print one JSON object with flat keys on their last
// line, read with json_number / json_string (enough for that output, not a JSON parser).
// Script exit codes: 3 the module cannot be imported, 4 the device is not available to it.
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>

#include "bench/bench.h"
#include "host/errors.h"

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

std::string find_python(const std::string& preferred, const std::string& module) {
  std::vector<std::string> cands;
  if (!preferred.empty()) cands.push_back(preferred);
  cands.push_back(std::string(DF_SOURCE_DIR) + "/.venv-peers/bin/python");
  cands.push_back("/usr/bin/python3");
  cands.push_back("python3");
  for (const auto& c : cands)
    if (run_capture(shell_quote(c) + " -c 'import " + module + "' >/dev/null 2>&1", nullptr) == 0) return c;
  return "";
}

std::vector<std::string> known_peers(bool gpu) {
  if (gpu) return {"torch-ref"};
  return {"torch-ref", "torch-shared", "torch-compile", "jax"};
}

std::vector<PeerSpec> peer_specs(const Config& cfg) {
  const bool gpu = cfg.backend == "cuda";
  std::vector<PeerSpec> out;
  for (const std::string& k : cfg.peer_keys) {
    PeerSpec p;
    p.key = k;
    p.script = cfg.script_dir + "/torch_port.py";
    p.module = "torch";
    if (k == "torch-ref") {
      p.label = "PyTorch eager, reference algorithm (3 evaluations per step)";
      p.args = "--algo reference";
    } else if (k == "torch-shared" && !gpu) {
      p.label = "PyTorch eager, 2N+1 algorithm";
      p.args = "--algo shared";
    } else if (k == "torch-compile" && !gpu) {
      p.label = "PyTorch torch.compile (Inductor), 2N+1 algorithm";
      p.args = "--algo shared --compile";
      p.parity = false;
      p.parity_note = "the model code of torch-shared, compiled: its parity is torch-shared's";
    } else if (k == "jax" && !gpu) {
      p.label = "JAX jit over lax.scan, 2N+1 algorithm";
      p.script = cfg.script_dir + "/jax_port.py";
      p.module = "jax";
    } else {
      std::string list;
      for (const auto& q : known_peers(gpu)) list += (list.empty() ? "" : ", ") + q;
      throw df::InputError("speed: --peers: '" + k + "' is not a peer of a " + (gpu ? "GPU" : "CPU") +
                           " run (known: " + list + ", or none)");
    }
    out.push_back(p);
  }
  return out;
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
std::string run_script(const Peer& peer, const std::string& args, std::string* json) {
  std::string out;
  const std::string cmd = shell_quote(peer.python) + " " + shell_quote(peer.spec.script) + " " + args;
  const int rc = run_capture(cmd, &out);
  *json = last_line(out);
  const std::string name = peer.spec.script.substr(peer.spec.script.find_last_of('/') + 1);
  if (rc == 3) return "skipped: " + peer.spec.module + " cannot be imported by " + peer.python;
  if (rc == 4) return "skipped: " + peer.spec.module + " has no CUDA device here";
  if (rc != 0) return "error: " + name + " exited with code " + std::to_string(rc);
  if (json->empty() || (*json)[0] != '{') return "error: " + name + " printed no JSON";
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

void run_peer_parity(const Config& cfg, Peer& peer, const Parity& engine, const std::string& input) {
  (void)cfg;
  peer.parity = engine;
  if (!peer.spec.parity) {
    peer.parity.status = "see torch-shared";
    peer.parity.note = peer.spec.parity_note;
    return;
  }
  std::fprintf(stderr, "[bench] %s parity (B=%d N=%d, float64 and float32)\n", peer.spec.key.c_str(), engine.B, engine.N);
  std::string algo = peer.spec.args.find("reference") != std::string::npos ? " --algo reference" : "";
  if (peer.spec.args.find("shared") != std::string::npos) algo = " --algo shared";
  const std::string err = run_script(peer, "parity --input " + shell_quote(input) + algo, &peer.parity.json);
  if (!err.empty()) {
    peer.parity.status = err.rfind("skipped", 0) == 0 ? err : "error";
    peer.parity.note = err;
    return;
  }
  compare_parity(peer.parity);
}

PeerTime run_peer_time(const Config& cfg, const Peer& peer, int threads, const std::string& input) {
  const bool cuda = cfg.backend == "cuda";
  PeerTime t;
  t.threads = threads;
  std::string args = "time --device " + std::string(cuda ? "cuda" : "cpu") + " " + peer.spec.args;
  args += " --batch " + std::to_string(cfg.B) + " --steps " + std::to_string(cfg.N);
  args += " --width " + std::to_string(cfg.shape.W) + " --layers " + std::to_string(cfg.shape.L);
  args += " --iters " + std::to_string(cfg.iters) + " --warmup " + std::to_string(cfg.warmup);
  args += " --threads " + std::to_string(threads) + " --sample-batch " + std::to_string(cfg.sample_B);
  args += " --seed " + std::to_string(cfg.seed) + " --input " + shell_quote(input);
  if (cuda && peer.spec.module == "torch") args += " --graph";
  if (!cuda) args += " --pin";
  std::fprintf(stderr, "[bench] %s timing, %d thread(s)%s\n", peer.spec.key.c_str(), threads,
               cuda ? ": eager, then CUDA graph" : "");
  const std::string err = run_script(peer, args, &t.json);
  if (!err.empty()) {
    t.status = err;
    return t;
  }
  t.status = "ok";
  json_number(t.json, "eager_ms_median", &t.train_ms);
  json_number(t.json, "eager_ms_min", &t.train_min);
  json_number(t.json, "graph_ms_median", &t.graph_ms);
  json_number(t.json, "sample_samples_per_s", &t.sample_sps);
  json_number(t.json, "eager_peak_mem_bytes", &t.eager_mem);
  json_number(t.json, "graph_peak_mem_bytes", &t.graph_mem);
  json_number(t.json, "compile_s", &t.compile_s);
  json_number(t.json, "matmul_gflop_per_s", &t.matmul_gflops);
  t.graph_status = json_string(t.json, "graph_status");
  t.blas = json_string(t.json, "blas");
  return t;
}

}  // namespace dfb
