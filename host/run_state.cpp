// What a run's configuration derives: the adjoint interval, the learning-rate decay, the model
// description and a family's defaults; see host/run_state.h.
#include "host/run_state.h"

#include <cmath>

namespace df {

int auto_adjoint_k(int N, std::int64_t B, int d) {
  if (double(N + 1) * double(B) * double(d) * sizeof(float) <= kAutoPathBytes) return 1;
  const int k = int(std::ceil(std::sqrt(double(N))));
  return k < 1 ? 1 : k;
}

int RunConfig::k_for(int N) const { return adjoint_k > 0 ? adjoint_k : auto_adjoint_k(N, batch, shape.d); }

double RunConfig::lr_factor(std::int64_t iteration) const {
  if (decay_every <= 0) return 1.0;
  return std::pow(decay_rate, double(iteration / decay_every));
}

RunConfig default_config(ModelKind k, bool gpu) {
  const ModelFamily& f = family(k);
  const TrainDefaults& t = gpu ? f.gpu : f.cpu;
  RunConfig c;
  c.model = f.name;
  c.shape.W = t.width;
  c.batch = t.batch;
  c.grid.N = t.steps;
  c.iters = t.iters;
  c.ema = t.ema;
  c.grid.kind = f.linear_grid ? GridKind::Linear : GridKind::Exponent;
  c.grid.t_start = f.t_start;
  c.grid.t_end = f.t_end;
  return c;
}

ModelDesc RunConfig::desc() const {
  ModelDesc m;
  m.shape = shape;
  m.kind = parse_model_kind(model);
  m.vp.beta_min = beta_min;
  m.vp.beta_max = beta_max;
  m.t_min = ddpm_t_min;
  m.tol = ode_tol;
  return m;
}

}  // namespace df
