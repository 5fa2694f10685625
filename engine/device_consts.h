// The host-side constants the device backend (engine/device_backend.h) hands its kernels, built
// from the engine's descriptions (grids, g schedules, the model family):
//   pf_consts  the RK4 evaluation times, g² and steps of the probability-flow likelihood
//              (kernels/cuda/pf_loglik_tile.h PfConsts), in pf_ode_loglik's order; DDPM: g² = β(t)
//              and the factors of its fixed drift and ε-network score (kernels/math/vp.h)
//   device_sampler  the sampler (engine/sampler.h) in the kernels' floats, with the family's
//              Tweedie factors at t_0 when it denoises (InputError for FFJORD, which has no score)
//   lw_model   the layer-wise driver's model family (kernels/layerwise/layerwise.h LwModel): for
//              DDPM the same factors at the grid points, formed in double from the float time as
//              the CPU reference forms them
#pragma once
#include <vector>

#include "engine/grid.h"
#include "engine/model_family.h"
#include "engine/sampler.h"
#include "kernels/math/errors.h"
#include "kernels/cuda/pf_loglik_tile.h"
#include "kernels/layerwise/layerwise.h"
#include "kernels/math/vp.h"

namespace df {

inline PfConsts pf_consts(const TimeGrid& grid, int substeps, const GSchedule& g, const VpSchedule* ddpm = nullptr) {
  PfConsts c;
  for (int i = 0; i < grid.N(); ++i) {
    const double h = grid.dt(i) / substeps;
    for (int m = 0; m < substeps; ++m) {
      const double t = grid.t[size_t(i)] + m * h;
      for (double te : {t, t + 0.5 * h, t + 0.5 * h, t + h}) {
        c.t.push_back(float(te));
        if (ddpm) {
          c.gsq.push_back(float(ddpm->g2(te)));
          c.fscale.push_back(float(ddpm->drift_scale(te)));
          c.sscale.push_back(float(ddpm->score_scale(te)));
        } else {
          const double gv = g(te);
          c.gsq.push_back(float(gv * gv));
        }
      }
      c.h.push_back(float(h));
    }
  }
  return c;
}

inline LwSampler device_sampler(const Sampler& smp, ModelKind kind, const VpSchedule& vp, const TimeGrid& grid) {
  LwSampler s;
  s.lambda = float(smp.lambda);
  s.denoise = smp.denoise;
  if (smp.denoise) {
    Tweedie tw;
    if (!tweedie_at_start(kind, vp, grid.t[0], grid.g[0], &tw))
      throw InputError("denoise: the model has no score (FFJORD) for Tweedie's step");
    s.var = float(tw.var);
    s.alpha = float(tw.alpha);
  }
  return s;
}

inline lw::LwModel lw_model(ModelKind kind, const VpSchedule& vp, const TimeGrid& grid) {
  lw::LwModel m;
  m.ddpm = kind == ModelKind::DDPM;
  if (m.ddpm)
    for (double t : grid.t) {
      const double tf = double(float(t));
      m.fscale.push_back(float(vp.drift_scale(tf)));
      m.sscale.push_back(float(vp.score_scale(tf)));
    }
  return m;
}

}  // namespace df
