// PNG figures of 2-D point sets without a plotting library: scatter plots (alpha-blended discs,
// optional per-point colour labels, a legend when the labels are named) and 2-D histogram heat
// maps (log scaled), one square panel per point set, side by side (rows of at most 5). Every
// panel has axes (frame, ticks in round numbers, tick labels, axis labels) and a title; the
// panels of one figure that are not given a view box share one, and every box is widened to
// equal aspect, so one unit is as long across as up in every panel. Text is drawn by FreeType
// in DejaVuSans (no text when the font is missing). The PNG is encoded in memory by libpng and
// written with atomic_write_file. Line plots: host/plot_lines.h; the axes: host/plot_axes.h.
// libpng and FreeType are optional (CMake defines DF_HAVE_PNG / DF_HAVE_FREETYPE when found):
// without FreeType no text is drawn; without libpng the write_* functions throw
// std::runtime_error("this build has no libpng: PNG output is unavailable") — ask
// png_available() first.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "host/matrix.h"

namespace df {

struct Panel {
  std::string title;
  Matrix points;            // n x d, d >= 2; columns 0 and 1 are plotted
  std::vector<int> labels;  // optional, one colour index per point; empty = one colour
  // View box. If xmin >= xmax or ymin >= ymax it is computed from the points: the bounding box,
  // made square about its centre, plus a 5% margin (see view_box; the writers share one such
  // box among all panels without a box: shared_view_box). A given box is drawn widened to
  // equal aspect about its centre.
  double xmin = 0, xmax = 0, ymin = 0, ymax = 0;
  std::string xlabel = "x₁", ylabel = "x₂";  // axis labels, with units where there are any
  std::vector<std::string> label_names{};  // optional legend: the name of colour index k (k < size)
};

struct ViewBox {
  double xmin, xmax, ymin, ymax;
};

// The box of one panel alone (see Panel). Handy to draw several panels in the same box.
ViewBox view_box(const Panel& p);

// The box the writers give the panels without one: the square bounding box of all their points
// plus a 5% margin ({-1, 1, -1, 1} when they have none).
ViewBox shared_view_box(const std::vector<Panel>& panels);

// The smallest box with equal sides that holds `b`, centred on it.
ViewBox equal_aspect(const ViewBox& b);

// Pixel geometry of a figure: the image size and, for each panel, the top-left pixel of its
// panel_w x panel_h plot area (the margins around it hold ticks, labels and the title). In a
// scatter figure data (x, y) maps to the continuous pixel position
// (panel_x + (x - xmin) / (xmax - xmin) * panel_w, panel_y + (ymax - y) / (ymax - ymin) * panel_h).
struct PlotLayout {
  int width = 0, height = 0;
  int panel_w = 0, panel_h = 0;
  std::vector<int> panel_x, panel_y;
};
PlotLayout plot_layout(std::size_t n_panels, int panel_px, bool has_suptitle);

// Scatter plot, one panel per entry. Point alpha is clamp(2000 / n, 0.05, 0.8); labels pick
// colours from a 10-colour qualitative palette (negative labels are grey).
void write_scatter_png(const std::string& path, const std::vector<Panel>& panels, int panel_px = 400,
                       const std::string& suptitle = "");

// 2-D histograms over each panel's view box, bins x bins, colour = log(1 + count) scaled to the
// panel's maximum; empty bins are white.
void write_density_png(const std::string& path, const std::vector<Panel>& panels, int bins = 200,
                       int panel_px = 400);

// The font used for all text: $DF_PLOT_FONT if set, else DejaVuSans.ttf.
std::string plot_font_path();

// Whether this build can write PNG files (it was linked with libpng).
bool png_available();

}  // namespace df
