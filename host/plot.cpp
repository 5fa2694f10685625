// PNG scatter / density figures (see host/plot.h): the panels' shared, equal-aspect view boxes,
// the figure skeleton (axes, titles, legend of named labels) and the two panel bodies, a disc
// per point with alpha blending and a 2-D histogram heat map. Drawing primitives, text and PNG
// encoding: host/plot_canvas.cpp; axes and ticks: host/plot_axes.cpp.
#include "host/plot.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "host/errors.h"
#include "host/plot_axes.h"
#include "host/plot_canvas.h"

namespace df {
namespace {

using plot::Canvas;
using plot::Rgb;

constexpr int kMaxCols = 5;

void check_panels(const std::string& path, const std::vector<Panel>& panels, int panel_px) {
  if (panels.empty()) throw std::invalid_argument("plot: no panels for '" + path + "'");
  if (panel_px < 32 || panel_px > 4096) throw std::invalid_argument("plot: panel_px out of range [32, 4096]");
  for (const Panel& p : panels) {
    if (p.points.rows > 0 && p.points.cols < 2)
      throw InputError("cannot plot '" + path + "': panel '" + p.title + "' has " +
                       std::to_string(p.points.cols) + " column(s), need 2");
    if (!p.labels.empty() && p.labels.size() != p.points.rows)
      throw std::invalid_argument("plot: panel '" + p.title + "' has labels.size() != points.rows");
  }
}

bool has_box(const Panel& p) { return p.xmin < p.xmax && p.ymin < p.ymax; }

const Rgb& label_colour(int lab) { return lab < 0 ? plot::kNegative : plot::kPalette[lab % 10]; }

// Draws the figure skeleton (axes, titles, legends) and calls body(canvas, panel, box, plot area)
// for each panel, clipped to its plot area.
template <class Body>
void draw_figure(const std::string& path, const std::vector<Panel>& panels, int panel_px,
                 const std::string& suptitle, Body body) {
  check_panels(path, panels, panel_px);
  if (!png_available()) throw std::runtime_error(plot::kNoPng);  // before drawing for nothing
  const PlotLayout lay = plot_layout(panels.size(), panel_px, !suptitle.empty());
  const ViewBox shared = shared_view_box(panels);
  Canvas cv(lay.width, lay.height);
  plot::Font font;
  plot::draw_suptitle(cv, font, suptitle);
  for (std::size_t i = 0; i < panels.size(); ++i) {
    const Panel& p = panels[i];
    const ViewBox vb = equal_aspect(has_box(p) ? view_box(p) : shared);
    const plot::Rect area{lay.panel_x[i], lay.panel_y[i], lay.panel_x[i] + panel_px, lay.panel_y[i] + panel_px};
    const plot::Axes axes(area, {vb.xmin, vb.xmax}, {vb.ymin, vb.ymax}, 6, 6);
    cv.clip = area;
    body(cv, p, vb, area);
    axes.decorate(cv, font, p.title, p.xlabel, p.ylabel);
    std::vector<plot::LegendEntry> legend;
    for (std::size_t k = 0; k < p.label_names.size(); ++k)
      if (!p.label_names[k].empty()) legend.push_back({p.label_names[k], label_colour(int(k)), plot::LegendEntry::points});
    if (legend.size() > 1) plot::draw_legend(cv, font, area, legend);
  }
  plot::save_png(path, cv);
}

Rgb heat_colour(double t) {  // light yellow -> green-blue -> dark blue (YlGnBu-like)
  static constexpr Rgb stops[5] = {{255, 255, 204}, {161, 218, 180}, {65, 182, 196}, {34, 94, 168}, {8, 29, 88}};
  const double s = std::clamp(t, 0.0, 1.0) * 4;
  const int k = std::min(3, static_cast<int>(s));
  const float f = static_cast<float>(s - k);
  const Rgb &a = stops[k], &b = stops[k + 1];
  return {a.r + (b.r - a.r) * f, a.g + (b.g - a.g) * f, a.b + (b.b - a.b) * f};
}

// The square box about the bounding box of the finite points with a 5% margin; false without any.
bool square_box(const std::vector<const Panel*>& panels, ViewBox* out) {
  double lo[2] = {std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity()};
  double hi[2] = {-lo[0], -lo[1]};
  for (const Panel* p : panels)
    for (std::size_t i = 0; p->points.cols >= 2 && i < p->points.rows; ++i) {
      const double x = p->points(i, 0), y = p->points(i, 1);
      if (!std::isfinite(x) || !std::isfinite(y)) continue;
      lo[0] = std::min(lo[0], x), hi[0] = std::max(hi[0], x);
      lo[1] = std::min(lo[1], y), hi[1] = std::max(hi[1], y);
    }
  if (lo[0] > hi[0]) return false;
  const double cx = 0.5 * (lo[0] + hi[0]), cy = 0.5 * (lo[1] + hi[1]);
  double half = 0.55 * std::max(hi[0] - lo[0], hi[1] - lo[1]);  // half range + 5% margin
  if (!(half > 0) || !std::isfinite(half)) half = 1;
  *out = {cx - half, cx + half, cy - half, cy + half};
  return true;
}

}  // namespace

ViewBox view_box(const Panel& p) {
  if (has_box(p)) return {p.xmin, p.xmax, p.ymin, p.ymax};
  ViewBox b{-1, 1, -1, 1};
  square_box({&p}, &b);
  return b;
}

ViewBox shared_view_box(const std::vector<Panel>& panels) {
  std::vector<const Panel*> open;
  for (const Panel& p : panels)
    if (!has_box(p)) open.push_back(&p);
  ViewBox b{-1, 1, -1, 1};
  square_box(open, &b);
  return b;
}

ViewBox equal_aspect(const ViewBox& b) {
  if (b.xmax - b.xmin == b.ymax - b.ymin) return b;  // keep a square box bit for bit
  const double half = 0.5 * std::max(b.xmax - b.xmin, b.ymax - b.ymin);
  const double cx = 0.5 * (b.xmin + b.xmax), cy = 0.5 * (b.ymin + b.ymax);
  return {cx - half, cx + half, cy - half, cy + half};
}

PlotLayout plot_layout(std::size_t n_panels, int panel_px, bool has_suptitle) {
  return grid_layout(n_panels, kMaxCols, panel_px, panel_px, has_suptitle);
}

void write_scatter_png(const std::string& path, const std::vector<Panel>& panels, int panel_px,
                       const std::string& suptitle) {
  draw_figure(path, panels, panel_px, suptitle, [panel_px](Canvas& cv, const Panel& p, const ViewBox& vb, const plot::Rect& a) {
    const std::size_t n = p.points.rows;
    const float alpha = static_cast<float>(std::clamp(2000.0 / std::max<std::size_t>(n, 1), 0.05, 0.8));
    const double r = n > 20000 ? 1.2 : 1.8, sx = panel_px / (vb.xmax - vb.xmin), sy = panel_px / (vb.ymax - vb.ymin);
    for (std::size_t i = 0; i < n; ++i)
      cv.disc(a.x0 + (p.points(i, 0) - vb.xmin) * sx, a.y0 + (vb.ymax - p.points(i, 1)) * sy, r,
              label_colour(p.labels.empty() ? 0 : p.labels[i]), alpha);
  });
}

void write_density_png(const std::string& path, const std::vector<Panel>& panels, int bins, int panel_px) {
  if (bins < 1 || bins > 4096) throw std::invalid_argument("write_density_png: bins out of range [1, 4096]");
  draw_figure(path, panels, panel_px, "", [bins, panel_px](Canvas& cv, const Panel& p, const ViewBox& vb, const plot::Rect& a) {
    std::vector<double> count(static_cast<std::size_t>(bins) * bins, 0.0);
    double max_count = 0;
    for (std::size_t i = 0; i < p.points.rows; ++i) {
      const double bx = std::floor((p.points(i, 0) - vb.xmin) / (vb.xmax - vb.xmin) * bins);
      const double by = std::floor((vb.ymax - p.points(i, 1)) / (vb.ymax - vb.ymin) * bins);
      if (!(bx >= 0 && bx < bins && by >= 0 && by < bins)) continue;  // also drops NaN
      double& c = count[static_cast<std::size_t>(by) * bins + static_cast<std::size_t>(bx)];
      max_count = std::max(max_count, ++c);
    }
    if (max_count == 0) return;
    for (int y = 0; y < panel_px; ++y)
      for (int x = 0; x < panel_px; ++x) {
        const double c = count[static_cast<std::size_t>(y * bins / panel_px) * bins + x * bins / panel_px];
        if (c > 0) cv.blend(a.x0 + x, a.y0 + y, heat_colour(0.15 + 0.85 * std::log1p(c) / std::log1p(max_count)), 1.f);
      }
  });
}

}  // namespace df
