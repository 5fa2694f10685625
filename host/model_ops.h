// What a trained model is used for: sampling (stochastic or probability flow, any N) and the
// likelihoods, all with the EMA weights, all in the coordinates of the data as the user gave
// them (the standardization is undone for samples, and its log-determinant is included in
// every likelihood).
#pragma once
#include <cstdint>

#include "engine/backend.h"
#include "host/matrix.h"
#include "host/points_view.h"
#include "host/run_state.h"

namespace df {

// The model's grid for N steps: the configured grid and g schedule, except DDPM's g_i = √β(t_i)
// (FFJORD ignores g). Randomized when the configuration says so and a key is given.
TimeGrid model_grid(const RunConfig& cfg, int N, const NoiseKey* key = nullptr);

// The evaluation grid for `steps` steps (0 = the training N), never randomized.
TimeGrid eval_grid(const RunConfig& cfg, int steps);

// n raw samples (chunked so memory stays bounded), by the sampler smp (engine/sampler.h: λ,
// Tweedie's step; a bool is the classic choice, true = the probability-flow ODE; FFJORD's
// Dormand–Prince at smp.ode_tol). *nfe: network evaluations per sample (the most over chunks).
Matrix sample_model(Backend& be, const RunConfig& cfg, const RunState& st, std::size_t n, int steps,
                    const Sampler& smp, std::uint64_t seed, long* nfe = nullptr);

// The same samples, plus the states they passed through at the grid indices given in
// `snapshots` (for figures); snapshot k is returned in traj[k], raw coordinates are NOT used
// there: trajectories stay in model coordinates.
// NaN marks a figure the model family does not define (FFJORD has no bound; DiffFlow and DDPM
// have no exact likelihood, only the ODE's).
struct EvalResult {
  std::size_t n = 0;
  double nll_bound = 0, nll_bound_se = 0;  // −ELBO, nats per sample, and its standard error
  double nll_ode = 0, nll_ode_se = 0;      // probability-flow ODE, nats
  double nll_exact = 0, nll_exact_se = 0;  // FFJORD: Dormand–Prince at the model's tolerance
  double bpd_bound = 0, bpd_ode = 0, bpd_exact = 0;
  long nfe = 0;                            // function evaluations of the ODE solve (per point)
  // d > 16 (Hutchinson's trace estimator): the ODE NLL is the mean over probe_repeats solves
  // with independent probes, and probe_sd the standard deviation of the repeats' mean NLLs (the
  // estimator's spread; NaN with one repeat or with the exact trace)
  int probe_repeats = 0;
  double probe_sd = 0;
  int trajectories = 0, steps = 0, ode_substeps = 0;
};

// Per-point negative log-likelihoods in nats, in raw coordinates, of the n×d points `raw`: the
// bound (−ELBO, the mean over `trajectories` diffuse trajectories; DiffFlow and DDPM) when
// with_bound, and the ODE's (DiffFlow, DDPM: the probability flow, RK4 with ode_substeps per grid
// cell; FFJORD: Dormand–Prince) when with_ode. A vector not asked for is empty; nfe is the ODE
// solve's function evaluations. evaluate() averages these.
struct PointNll {
  std::vector<double> bound, ode;
  long nfe = 0;
};
PointNll point_nll(Backend& be, const RunConfig& cfg, const RunState& st, const PointsView& raw, int trajectories,
                   int ode_substeps, bool with_bound, bool with_ode, std::uint64_t seed);

// raw: n×d evaluation points. K trajectories per point for the bound; ODE with RK4. Bits per
// dimension: NLL/(d ln 2), or for dequantized images x = (b + u)/levels (levels > 0) the discrete
// (NLL + d ln levels)/(d ln 2) of the integer pixels.
EvalResult evaluate(Backend& be, const RunConfig& cfg, const RunState& st, const Matrix& raw, int trajectories,
                    int ode_substeps, bool with_ode, std::uint64_t seed, double levels = 0, int probe_repeats = 1);

}  // namespace df
