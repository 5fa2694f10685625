// The comparison's PNGs (bench/compare.h), through host/plot_lines.h and host/plot.h:
//   curves.png         each metric (SW2, TV, leakage, test likelihood) against training wall
//                      time, one line per model: the mean over seeds at each segment end, a band
//                      of ± one standard deviation; the two-draw floor dashed
//   steps.png          SW2, TV, leakage and the KL gap (NLL where the entropy is unknown) against
//                      sampling steps N (log axis), one line per model and λ (FFJORD: the steps its
//                      Dormand–Prince sampler took at each --ffjord-tols tolerance)
//   steps_seconds.png  the same against the seconds that sampling took (mean over seeds)
//   diffuse.png        the paper's Figure 4: the figure's held-out points carried along each
//                      model's diffuse process (seed 0), coloured by the mode they started in
//   samples.png        the paper's Figure 5: the data and each model's samples (seed 0)
// Metrics that are undefined for the set (leakage without a hard support, sample metrics of a
// file) get no panel. Nothing is drawn without libpng.
#include <cmath>
#include <cstdio>

#include "bench/compare.h"
#include "host/plot_lines.h"
#include "host/trajectories.h"

namespace dfc {

namespace {

struct MetricDef {
  std::string name, ylabel;
  df::Scale yscale;
  double (*get)(const df::SampleMetrics&, double nll, double entropy);
  double (*floor)(const df::SampleMetrics&);
};

double m_sw2(const df::SampleMetrics& m, double, double) { return m.sw2; }
double m_tv(const df::SampleMetrics& m, double, double) { return m.tv; }
double m_leak(const df::SampleMetrics& m, double, double) { return m.leakage; }
double m_lik(const df::SampleMetrics&, double nll, double h) { return std::isfinite(h) ? nll - h : nll; }
double f_sw2(const df::SampleMetrics& m) { return m.sw2_floor; }
double f_tv(const df::SampleMetrics& m) { return m.tv_floor; }
double f_none(const df::SampleMetrics&) { return NAN; }

// SW2 spans decades between a model that has learnt the set and one that has not: log axis.
std::vector<MetricDef> metric_defs(double entropy, const std::string& lik_kind) {
  const bool gap = std::isfinite(entropy);
  const std::string lik = gap ? "KL gap" : "NLL";
  return {{"SW2", "sliced W2 (data units)", df::Scale::log, m_sw2, f_sw2},
          {"TV", "grid TV (64×64)", df::Scale::linear, m_tv, f_tv},
          {"leakage", "leakage (fraction of samples)", df::Scale::linear, m_leak, f_none},
          {lik + " (" + lik_kind + ")", lik + " (nats)", df::Scale::linear, m_lik, f_none}};
}

df::LinePanel metric_panel(const MetricDef& m, const std::string& xlabel, df::Scale xscale) {
  df::LinePanel p;
  p.title = m.name;
  p.xlabel = xlabel;
  p.xscale = xscale;
  p.ylabel = m.ylabel;
  p.yscale = m.yscale;
  return p;
}

bool any_finite(const df::Series& s) {
  for (double v : s.y)
    if (std::isfinite(v)) return true;
  return false;
}

// Adds the panel when one of its series has a value; the floor as a dashed line. A series keeps
// the colour of its place in the full list (grey, 7, is the floor's), so that a model and λ look
// the same in every panel.
void add_panel(std::vector<df::LinePanel>& out, df::LinePanel p, double floor) {
  bool any = false;
  std::vector<df::Series> kept;
  for (std::size_t k = 0; k < p.series.size(); ++k) {
    df::Series& s = p.series[k];
    s.colour = int(k < 7 ? k : k + 1);
    if (any_finite(s)) kept.push_back(std::move(s)), any = true;
  }
  if (!any) return;
  p.series = std::move(kept);
  if (std::isfinite(floor)) p.refs.push_back(df::RefLines{"two-draw floor", {floor}, false, 7});
  out.push_back(std::move(p));
}

Figure lines_figure(const Options& o, const std::string& name, const std::vector<df::LinePanel>& panels,
                    const std::string& suptitle) {
  df::write_line_png(o.out + "/" + name, panels, 560, 340, suptitle);
  const df::PlotLayout lay = df::line_layout(panels.size(), 560, 340, !suptitle.empty());
  return Figure{name, lay.width, lay.height};
}

Figure scatter_figure(const Options& o, const std::string& name, const std::vector<df::Panel>& panels,
                      const std::string& suptitle) {
  df::write_scatter_png(o.out + "/" + name, panels, 300, suptitle);
  const df::PlotLayout lay = df::plot_layout(panels.size(), 300, !suptitle.empty());
  return Figure{name, lay.width, lay.height};
}

std::string lambda_name(const std::string& model, double lam) {
  if (!std::isfinite(lam)) return model + " (Dormand–Prince)";
  char b[64];
  std::snprintf(b, sizeof b, "%s λ=%g", model.c_str(), lam);
  return b;
}

}  // namespace

std::vector<Figure> write_figures(const Options& o, const df::DataSource& data, const std::vector<ModelResult>& res) {
  std::vector<Figure> figs;
  if (!df::png_available()) return figs;
  const double h = entropy_of(data);
  const std::string set = data.spec();
  // training curves
  std::vector<df::LinePanel> curves;
  for (const MetricDef& m : metric_defs(h, "bound: DiffFlow, DDPM; exact: FFJORD")) {
    df::LinePanel p = metric_panel(m, "training wall time (s)", df::Scale::linear);
    std::vector<double> floors;
    for (const ModelResult& mr : res) {
      std::size_t P = 0;
      for (const SeedRun& r : mr.runs) P = std::max(P, r.train.curve.size());
      std::vector<double> x(P, 0.0), cnt(P, 0.0);
      std::vector<std::vector<double>> runs;
      for (const SeedRun& r : mr.runs) {
        std::vector<double> y(P, NAN);
        for (std::size_t j = 0; j < r.train.curve.size(); ++j) {
          const CurvePoint& c = r.train.curve[j];
          x[j] += c.seconds, cnt[j] += 1;
          y[j] = m.get(c.sm, c.nll, h);
          floors.push_back(m.floor(c.sm));
        }
        runs.push_back(y);
      }
      for (std::size_t j = 0; j < P; ++j) x[j] /= std::max(1.0, cnt[j]);
      p.series.push_back(df::mean_std_series(mr.model, x, runs));
    }
    add_panel(curves, p, stat(floors).mean);
  }
  if (!curves.empty()) figs.push_back(lines_figure(o, "curves.png", curves, set + ": metrics during training (mean ± sd over seeds)"));
  // steps against quality, against N and against sampling seconds
  for (bool by_seconds : {false, true}) {
    std::vector<df::LinePanel> panels;
    for (const MetricDef& m : metric_defs(h, "λ=0: ODE, λ=1: bound")) {
      df::LinePanel p = metric_panel(
          m, by_seconds ? "sampling wall time (s, " + std::to_string(o.sweep_n) + " samples)"
                     : "sampling steps N (FFJORD: its solver's steps at each tolerance)",
          df::Scale::log);
      std::vector<double> floors;
      for (const ModelResult& mr : res) {
        for (double lam : swept_lambdas(mr)) {
          std::vector<double> x, cnt;
          std::vector<std::vector<double>> runs;
          for (const SeedRun& r : mr.runs) {
            std::vector<double> y;
            std::size_t k = 0;
            for (const SweepPoint& sp : r.sweep) {
              if (!same_lambda(sp.lambda, lam)) continue;
              if (x.size() <= k) x.push_back(0), cnt.push_back(0);
              x[k] += by_seconds ? sp.seconds : sp.steps, cnt[k] += 1;
              y.push_back(m.get(sp.sm, sp.nll, h));
              floors.push_back(m.floor(sp.sm));
              ++k;
            }
            if (!y.empty()) runs.push_back(y);
          }
          for (std::size_t k = 0; k < x.size(); ++k) x[k] /= std::max(1.0, cnt[k]);
          for (auto& y : runs) y.resize(x.size(), NAN);
          if (!x.empty()) p.series.push_back(df::mean_std_series(lambda_name(mr.model, lam), x, runs));
        }
      }
      add_panel(panels, p, stat(floors).mean);
    }
    if (!panels.empty())
      figs.push_back(lines_figure(o, by_seconds ? "steps_seconds.png" : "steps.png", panels,
                                  set + ": sample quality against " + (by_seconds ? "sampling time" : "sampling steps") +
                                      " (mean ± sd over seeds)"));
  }
  // the paper's Figures 4 and 5, from the first seed
  if (data.dim() != 2) return figs;
  const df::Matrix pts = data.eval_sample(3000, kFigureSeed);
  const std::vector<int> labels = df::mode_labels(data.spec(), pts);
  std::vector<df::Panel> diffuse, samples{df::Panel{"data (held-out draws)", pts, {}, 0, 0, 0, 0}};
  const df::ViewBox vb = df::view_box(samples[0]);
  const char* when[] = {"x₀ (data)", "i = N/4", "i = N/2", "i = 3N/4", "x_N (latent)"};
  for (const ModelResult& mr : res) {
    if (mr.runs.empty() || mr.runs[0].train.stopped) continue;
    const SeedRun& r = mr.runs[0];
    auto snaps = df::diffuse_snapshots(r.train.cfg, r.train.st, pts, {0.0, 0.25, 0.5, 0.75, 1.0}, r.seed);
    for (int k = 0; k < 5; ++k) {
      df::Panel p{mr.model + ": " + when[k], snaps[std::size_t(k)], labels, 0, 0, 0, 0};
      p.xlabel = "x₁ (standardized)", p.ylabel = "x₂ (standardized)";
      diffuse.push_back(p);
    }
    samples.push_back(df::Panel{mr.model + " samples", r.shown, {}, vb.xmin, vb.xmax, vb.ymin, vb.ymax});
  }
  if (!diffuse.empty()) {
    figs.push_back(scatter_figure(o, "diffuse.png", diffuse, set + ": the diffuse process, coloured by starting mode"));
    figs.push_back(scatter_figure(o, "samples.png", samples, set + ": samples of each model (seed " + std::to_string(o.seed0) + ")"));
  }
  return figs;
}

}  // namespace dfc
