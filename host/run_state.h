// Everything a training run is: its configuration (what the user asked for) and its state (what
// the optimizer has reached). A checkpoint (host/checkpoint.h) holds both, so a resumed run
// continues exactly where the interrupted one stopped.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "engine/backend.h"
#include "engine/grid.h"
#include "engine/params.h"
#include "host/model_names.h"
#include "host/standardize.h"

namespace df {

// The adjoint's checkpoint interval when --adjoint-k is 0 (auto): 1, every state of the path
// kept, when a batch's whole path, (N + 1)·B·d floats, takes at most kAutoPathBytes; ⌈√N⌉
// otherwise, the interval that keeps (N/K + K)·B·d smallest. Every K gives the same numbers
// (docs/math.md); K = 1 runs N − ⌈N/K⌉ fewer drift passes (no segment is diffused again).
constexpr double kAutoPathBytes = 64.0 * 1024 * 1024;
int auto_adjoint_k(int N, std::int64_t B, int d);

struct RunConfig {
  std::string model = "diffflow";  // diffflow | ddpm | ffjord
  double beta_min = 0.1, beta_max = 20.0;  // DDPM's linear β(t) on t ∈ [0, 1]
  double ddpm_t_min = 1e-3;                // DDPM: training times t ~ U(t_min, 1)
  double ode_tol = 1e-5;                   // FFJORD evaluation tolerance (not stored: an eval flag)
  std::string data = "olympic";  // a built-in set with its parameters (carpet:3) or a file's absolute path
  std::uint64_t data_size = 0;   // a file's size in bytes and SHA-256 (empty for a built-in set):
  std::string data_sha256;       // resume refuses a file that changed
  NetShape shape;
  GridSpec grid;
  GSchedule g = GSchedule::constant(0.2);
  int adjoint_k = 0;  // recompute checkpoint interval; 0 = ⌈√N⌉
  int batch = 5000;
  std::int64_t iters = 3000;
  double lr_f = 1e-2, lr_s = 1e-2;
  double clip = 1.0;          // gradient-norm clipping per network; 0 = off
  double ema = 0.999;
  int decay_every = 200;      // lr × decay_rate every decay_every iterations
  double decay_rate = 0.95;
  std::uint64_t seed = 0;
  int save_every = 100;       // checkpoint interval in iterations
  double diverge = 100;       // divergence guard (host/divergence.h); 0 = only non-finite losses stop

  int k_for(int N) const;     // adjoint checkpoint interval for N steps (adjoint_k, or auto_adjoint_k)
  ModelDesc desc() const;     // the model family with its fixed parts
  ModelKind kind() const { return parse_model_kind(model); }
  bool trains_drift() const { return family(kind()).trains_drift; }
  bool trains_score() const { return family(kind()).trains_score; }
  double lr_factor(std::int64_t iteration) const;
};

// A model family's defaults (engine/model_family.h) for a GPU or a CPU run: network width,
// batch, steps, iterations, EMA decay, grid kind and ends; the rest as RunConfig's own defaults.
RunConfig default_config(ModelKind k, bool gpu);

struct NetState {
  std::vector<float> p, m, v, ema;
};

struct RunState {
  std::int64_t iteration = 0;  // iterations done
  NetState f, s;
  Standardizer stdz;
  std::string log_rows;  // the rows of DIR/log.csv for iterations 1..iteration (no header)
};

}  // namespace df
