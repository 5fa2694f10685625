// Figures of a training run; see host/run_figures.h.
#include "host/run_figures.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "host/model_ops.h"
#include "host/plot.h"

namespace df {

void write_run_figures(Backend& be, const RunConfig& cfg, const RunState& st, const DataSource& data,
                       const std::string& dir, std::size_t n) {
  if (!png_available()) {  // a build without libpng: the run is fine, only its pictures are skipped
    std::fprintf(stderr, "diffflow: warning: this build has no libpng: %s/samples.png and loss.png not drawn\n",
                 dir.c_str());
    return;
  }
  if (cfg.shape.d >= 2) {
    Matrix truth = data.eval_sample(n, cfg.seed);
    Matrix sto = cfg.model == "ffjord" ? Matrix() : sample_model(be, cfg, st, n, 0, false, cfg.seed + 1);
    Matrix det = sample_model(be, cfg, st, n, 0, true, cfg.seed + 1);
    Panel p0{"data: " + cfg.data, truth, {}, 0, 0, 0, 0};
    ViewBox vb = view_box(p0);
    auto panel = [&](const std::string& title, const Matrix& m) { return Panel{title, m, {}, vb.xmin, vb.xmax, vb.ymin, vb.ymax}; };
    char title[128];
    std::snprintf(title, sizeof title, "%s after %lld iterations, N = %d", cfg.model.c_str(), (long long)st.iteration,
                  eval_grid(cfg, 0).N());
    std::vector<Panel> panels{panel("data: " + cfg.data, truth)};
    if (cfg.model == "ffjord") {
      panels.push_back(panel("samples (ODE)", det));  // FFJORD's sampler is the ODE
    } else {
      panels.push_back(panel("samples (SDE)", sto));
      panels.push_back(panel("samples (ODE)", det));
    }
    write_scatter_png(dir + "/samples.png", panels, 400, title);
  }
  // loss curve: one point per iteration
  std::ifstream in(dir + "/log.csv");
  std::string line;
  std::getline(in, line);
  std::vector<double> it, loss;
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string a, b;
    std::getline(ss, a, ',');
    std::getline(ss, b, ',');
    if (a.empty() || b.empty()) continue;
    double l = std::atof(b.c_str());
    if (!std::isfinite(l)) continue;
    it.push_back(std::atof(a.c_str()));
    loss.push_back(l);
  }
  if (loss.size() < 2) return;
  Matrix pts(loss.size(), 2);
  std::vector<double> sorted = loss;
  std::sort(sorted.begin(), sorted.end());
  const double lo = sorted[sorted.size() / 100], hi = sorted[sorted.size() * 95 / 100];  // robust y range
  for (std::size_t i = 0; i < loss.size(); ++i) {
    pts(i, 0) = it[i];
    pts(i, 1) = loss[i];
  }
  const double pad = 0.1 * (hi - lo + 1e-9);
  Panel p{"loss (nats per sample, standardized data) vs iteration", pts, {}, it.front(), it.back(), lo - pad, hi + pad};
  write_scatter_png(dir + "/loss.png", {p}, 500);
}

}  // namespace df
