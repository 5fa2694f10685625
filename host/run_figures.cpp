// Figures of a training run; see host/run_figures.h.
#include "host/run_figures.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <tuple>

#include "host/model_ops.h"
#include "host/plot.h"
#include "host/plot_images.h"
#include "host/plot_lines.h"

namespace df {
namespace {

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

void write_samples_png(Backend& be, const RunConfig& cfg, const RunState& st, const DataSource& data,
                       const std::string& path, std::size_t n) {
  Matrix truth = data.eval_sample(n, cfg.seed);
  Matrix sto = cfg.model == "ffjord" ? Matrix() : sample_model(be, cfg, st, n, 0, false, cfg.seed + 1);
  Matrix det = sample_model(be, cfg, st, n, 0, true, cfg.seed + 1);
  const ViewBox vb = view_box(Panel{"", truth, {}, 0, 0, 0, 0});
  auto panel = [&](const std::string& title, const Matrix& m) {
    Panel p{title, m, {}, vb.xmin, vb.xmax, vb.ymin, vb.ymax};
    p.xlabel = "x\u2081 (data units)", p.ylabel = "x\u2082 (data units)";
    return p;
  };
  char title[160];
  std::snprintf(title, sizeof title, "%s after %lld iterations, N = %d (%zu points per panel)", cfg.model.c_str(),
                (long long)st.iteration, eval_grid(cfg, 0).N(), n);
  std::vector<Panel> panels{panel("data: " + cfg.data, truth)};
  if (cfg.model == "ffjord") {
    panels.push_back(panel("samples (ODE)", det));  // FFJORD's sampler is the ODE
  } else {
    panels.push_back(panel("samples (SDE)", sto));
    panels.push_back(panel("samples (probability-flow ODE)", det));
  }
  write_scatter_png(path, panels, 400, title);
}

// Image data (a real set of square grey images): 100 test images beside 100 samples of each
// sampler, as grids of tiles.
void write_image_samples_png(Backend& be, const RunConfig& cfg, const RunState& st, const DataSource& data,
                             const std::string& path, int side) {
  const std::size_t n = 100;
  auto panel = [&](const std::string& title, const Matrix& m) { return ImagePanel{title, m, side, side, 10}; };
  std::vector<ImagePanel> panels{panel("test images: " + cfg.data, data.eval_sample(n, cfg.seed))};
  if (cfg.model != "ffjord") panels.push_back(panel("samples (SDE)", sample_model(be, cfg, st, n, 0, false, cfg.seed + 1)));
  panels.push_back(panel(cfg.model == "ffjord" ? "samples (ODE)" : "samples (probability-flow ODE)",
                         sample_model(be, cfg, st, n, 0, true, cfg.seed + 1)));
  char title[160];
  std::snprintf(title, sizeof title, "%s after %lld iterations, N = %d", cfg.model.c_str(), (long long)st.iteration,
                eval_grid(cfg, 0).N());
  write_image_grid_png(path, panels, title);
}

// The side of the square images a real set holds, 0 when it holds none.
int image_side(const DataSource& data) {
  if (data.levels() <= 0) return 0;
  const int side = int(std::lround(std::sqrt(double(data.dim()))));
  return side * side == data.dim() ? side : 0;
}

}  // namespace

std::pair<double, double> loss_y_range(const std::vector<double>& loss) {
  double lo = quantile(loss, 0.005), hi = quantile(loss, 0.99);
  if (!std::isfinite(lo)) return {0, 1};
  if (!(hi > lo)) lo -= 0.5, hi += 0.5;  // a flat loss
  const double pad = 0.06 * (hi - lo);
  return {lo - pad, hi + pad};
}

void write_loss_png(const std::string& path, const TrainLog& log, const RunConfig& cfg) {
  const int w = smoothing_window(log.size());
  const float faint = static_cast<float>(std::clamp(300.0 / std::max<std::size_t>(log.size(), 1), 0.15, 0.6));
  const std::string mean_name = "mean of the last " + std::to_string(w) + " iterations";
  LinePanel lp;
  lp.title = "training loss";
  lp.xlabel = "iteration";
  lp.ylabel = loss_description(cfg.model);
  std::tie(lp.ymin, lp.ymax) = loss_y_range(log.loss);
  std::size_t outside = 0;
  for (double v : log.loss) outside += !(v >= lp.ymin && v <= lp.ymax);
  Series raw{"per iteration" + (outside ? " (" + std::to_string(outside) + " outside the y range)" : std::string()),
             log.iter, log.loss};
  raw.style = Series::points, raw.colour = 0, raw.alpha = faint, raw.width = 1.4;
  Series smooth{w > 1 ? mean_name : "", log.iter, moving_average(log.loss, w)};  // w = 1: joins the points
  smooth.colour = 3, smooth.width = 2.2;
  lp.series = {raw, smooth};
  const std::vector<double> decays = lr_decay_points(log);
  if (!decays.empty())
    lp.refs.push_back({"learning-rate decay (\u00d7 " + fmt("%g", cfg.decay_rate) + ")", decays, true, 7});

  LinePanel gp;
  gp.title = "gradient norms before clipping" + (w > 1 ? " (lines: " + mean_name + ")" : std::string());
  gp.xlabel = "iteration";
  gp.ylabel = "\u2016\u2207\u03b8 loss\u2016\u2082 (log scale)";
  gp.yscale = Scale::log;
  const bool trains[2] = {cfg.trains_drift(), cfg.trains_score()};
  const std::vector<double>* norms[2] = {&log.grad_f, &log.grad_s};
  const char* names[2] = {"drift network", "score network"};
  for (int k = 0; k < 2; ++k) {
    if (!trains[k]) continue;
    Series pts{"", log.iter, *norms[k]};
    pts.style = Series::points, pts.colour = k == 0 ? 0 : 1, pts.alpha = faint, pts.width = 1.2;
    Series line{names[k], log.iter, moving_average(*norms[k], w)};
    line.colour = pts.colour, line.width = 2.0;
    gp.series.push_back(pts);
    gp.series.push_back(line);
  }
  if (cfg.clip > 0) gp.refs.push_back({"clipping threshold " + fmt("%g", cfg.clip), {cfg.clip}, false, 3});
  std::vector<LinePanel> panels{lp};
  if (!gp.series.empty()) panels.push_back(gp);
  write_line_png(path, panels, 560, 340, cfg.model + " on " + cfg.data + ": training curve (from log.csv)");
}

std::vector<std::string> write_run_figures(Backend& be, const RunConfig& cfg, const RunState& st,
                                           const DataSource& data, const std::string& dir, std::size_t n) {
  if (!png_available()) {  // a build without libpng: the run is fine, only its pictures are skipped
    std::fprintf(stderr, "diffflow: warning: this build has no libpng: %s/samples.png and loss.png not drawn\n",
                 dir.c_str());
    return {};
  }
  std::vector<std::string> wrote;
  if (const int side = image_side(data)) {
    write_image_samples_png(be, cfg, st, data, dir + "/samples.png", side);
    wrote.push_back("samples.png");
  } else if (cfg.shape.d >= 2) {
    write_samples_png(be, cfg, st, data, dir + "/samples.png", n);
    wrote.push_back("samples.png");
  }
  const TrainLog log = read_train_log(dir + "/log.csv");
  if (log.size() >= 2) {
    write_loss_png(dir + "/loss.png", log, cfg);
    wrote.push_back("loss.png");
  }
  return wrote;
}

}  // namespace df
