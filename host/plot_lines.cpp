// Line plots with bands, reference lines and legends; see host/plot_lines.h.
#include "host/plot_lines.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "host/plot_canvas.h"

namespace df {
namespace {

using plot::Canvas;
using plot::Rgb;

constexpr int kMaxCols = 3;

void check_panel(const LinePanel& p) {
  for (const Series& s : p.series) {
    const std::string what = "plot: series '" + s.name + "' of panel '" + p.title + "': ";
    if (s.x.size() != s.y.size()) throw std::invalid_argument(what + "x and y differ in length");
    if (s.lo.size() != s.hi.size() || (!s.lo.empty() && s.lo.size() != s.x.size()))
      throw std::invalid_argument(what + "the band (lo, hi) must be empty or as long as x");
  }
  if ((p.xscale == Scale::log && p.xmin < p.xmax && !(p.xmin > 0)) ||
      (p.yscale == Scale::log && p.ymin < p.ymax && !(p.ymin > 0)))
    throw std::invalid_argument("plot: panel '" + p.title + "': a log axis needs a range above 0");
}

// A given range, else the data's with a 4% margin (in log10 on a log axis).
plot::AxisRange axis_range(double gmin, double gmax, Scale scale, const std::vector<const std::vector<double>*>& data) {
  if (gmin < gmax) return {gmin, gmax, scale};
  const bool lg = scale == Scale::log;
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const std::vector<double>* v : data)
    for (double d : *v)
      if (std::isfinite(d) && (!lg || d > 0)) lo = std::min(lo, lg ? std::log10(d) : d), hi = std::max(hi, lg ? std::log10(d) : d);
  if (lo > hi) lo = 0, hi = 1;
  if (hi - lo < 1e-12 * std::max(1.0, std::fabs(lo))) {  // one value: a unit (or one-decade) window
    const double half = lg ? 0.5 : std::max(0.5, 0.1 * std::fabs(lo));
    lo -= half, hi += half;
  }
  const double pad = 0.04 * (hi - lo);
  lo -= pad, hi += pad;
  return lg ? plot::AxisRange{std::pow(10.0, lo), std::pow(10.0, hi), scale} : plot::AxisRange{lo, hi, scale};
}

plot::Points map(const plot::Axes& ax, const std::vector<double>& x, const std::vector<double>& y) {
  plot::Points pts(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) pts[i] = {ax.px(x[i]), ax.py(y[i])};
  return pts;
}

// Draws one panel into its plot area.
void draw_panel(Canvas& cv, plot::Font& font, const LinePanel& p, const plot::Rect& area) {
  std::vector<const std::vector<double>*> xs, ys;
  for (const Series& s : p.series) {
    xs.push_back(&s.x);
    for (const std::vector<double>* v : {&s.y, &s.lo, &s.hi}) ys.push_back(v);
  }
  const plot::Axes ax(area, axis_range(p.xmin, p.xmax, p.xscale, xs), axis_range(p.ymin, p.ymax, p.yscale, ys));
  auto colour = [&](int c, std::size_t k) -> const Rgb& { return plot::kPalette[(c >= 0 ? c : int(k)) % 10]; };
  cv.clip = area;
  ax.grid(cv);
  std::vector<plot::LegendEntry> legend;
  for (const RefLines& r : p.refs) {
    for (double v : r.at) {
      const double a = r.vertical ? ax.px(v) : ax.py(v);
      if (!std::isfinite(a)) continue;
      const plot::Points line = r.vertical ? plot::Points{{a, double(area.y0)}, {a, double(area.y1)}}
                                           : plot::Points{{double(area.x0), a}, {double(area.x1), a}};
      cv.stroke(line, 1.4, colour(r.colour, 0), 0.9f, 5.0);
    }
    bool shown = false;  // listed only when a line falls inside the range
    for (double v : r.at) {
      const double a = r.vertical ? ax.px(v) : ax.py(v);
      shown |= r.vertical ? a >= area.x0 && a <= area.x1 : a >= area.y0 && a <= area.y1;
    }
    if (!r.name.empty() && shown) legend.push_back({r.name, colour(r.colour, 0), plot::LegendEntry::dashed});
  }
  for (std::size_t k = 0; k < p.series.size(); ++k) {
    const Series& s = p.series[k];
    if (!s.lo.empty()) cv.fill_between(map(ax, s.x, s.lo), map(ax, s.x, s.hi), colour(s.colour, k), 0.22f * s.alpha);
  }
  for (std::size_t k = 0; k < p.series.size(); ++k) {
    const Series& s = p.series[k];
    const Rgb& c = colour(s.colour, k);
    const plot::Points pts = map(ax, s.x, s.y);
    if (s.style == Series::points) {
      for (const auto& [x, y] : pts)
        if (std::isfinite(x) && std::isfinite(y)) cv.disc(x, y, s.width, c, s.alpha);
    } else {
      cv.stroke(pts, s.width, c, s.alpha);
      if (s.style == Series::line_markers)
        for (const auto& [x, y] : pts)
          if (std::isfinite(x) && std::isfinite(y)) cv.disc(x, y, s.width + 1.5, c, s.alpha);
    }
    if (!s.name.empty())
      legend.push_back({s.name, c, s.style == Series::points ? plot::LegendEntry::points
                                   : s.lo.empty()            ? plot::LegendEntry::line
                                                             : plot::LegendEntry::band});
  }
  ax.decorate(cv, font, p.title, p.xlabel, p.ylabel);
  if (legend.size() > 1) plot::draw_legend(cv, font, area, legend);
}

}  // namespace

PlotLayout line_layout(std::size_t n_panels, int panel_w, int panel_h, bool has_suptitle) {
  return grid_layout(n_panels, kMaxCols, panel_w, panel_h, has_suptitle);
}

void write_line_png(const std::string& path, const std::vector<LinePanel>& panels, int panel_w, int panel_h,
                    const std::string& suptitle) {
  if (panels.empty()) throw std::invalid_argument("plot: no panels for '" + path + "'");
  if (panel_w < 64 || panel_w > 4096 || panel_h < 64 || panel_h > 4096)
    throw std::invalid_argument("plot: panel size out of range [64, 4096]");
  for (const LinePanel& p : panels) check_panel(p);
  if (!png_available()) throw std::runtime_error(plot::kNoPng);
  const PlotLayout lay = line_layout(panels.size(), panel_w, panel_h, !suptitle.empty());
  Canvas cv(lay.width, lay.height);
  plot::Font font;
  plot::draw_suptitle(cv, font, suptitle);
  for (std::size_t i = 0; i < panels.size(); ++i)
    draw_panel(cv, font, panels[i], {lay.panel_x[i], lay.panel_y[i], lay.panel_x[i] + panel_w, lay.panel_y[i] + panel_h});
  plot::save_png(path, cv);
}

Series mean_std_series(const std::string& name, const std::vector<double>& x,
                       const std::vector<std::vector<double>>& runs) {
  for (const std::vector<double>& r : runs)
    if (r.size() != x.size()) throw std::invalid_argument("mean_std_series: a run's length differs from x's");
  Series s;
  s.name = name;
  s.x = x;
  s.style = Series::line_markers;
  bool band = false;
  for (std::size_t i = 0; i < x.size(); ++i) {
    double sum = 0, sq = 0;
    int n = 0;
    for (const std::vector<double>& r : runs)
      if (std::isfinite(r[i])) sum += r[i], ++n;
    const double mean = n > 0 ? sum / n : NAN;
    for (const std::vector<double>& r : runs)
      if (std::isfinite(r[i])) sq += (r[i] - mean) * (r[i] - mean);
    const double sd = n > 1 ? std::sqrt(sq / (n - 1)) : NAN;
    band |= n > 1;
    s.y.push_back(mean);
    s.lo.push_back(mean - sd);
    s.hi.push_back(mean + sd);
  }
  if (!band) s.lo.clear(), s.hi.clear();
  return s;
}

}  // namespace df
