// PNG figures of 2-D point sets without a plotting library: scatter plots (alpha-blended discs,
// optional per-point colour labels) and 2-D histogram heat maps (log scaled), one square panel
// per point set, side by side (rows of at most 5), with titles drawn by FreeType in DejaVuSans
// (no text when the font is missing). The PNG is encoded in memory by libpng and written with
// atomic_write_file.
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
  // made square about its centre, plus a 5% margin. A given box is used as is.
  double xmin = 0, xmax = 0, ymin = 0, ymax = 0;
};

struct ViewBox {
  double xmin, xmax, ymin, ymax;
};

// The box a panel is drawn with (see Panel). Handy to draw several panels in the same box.
ViewBox view_box(const Panel& p);

// Pixel geometry of a figure: the image size and, for each panel, the top-left pixel of its
// panel_px x panel_px plotting square. Data (x, y) maps to the continuous pixel position
// (panel_x + (x - xmin) / (xmax - xmin) * panel_px, panel_y + (ymax - y) / (ymax - ymin) * panel_px).
struct PlotLayout {
  int width = 0, height = 0;
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

// The font used for titles: $DF_PLOT_FONT if set, else DejaVuSans.ttf.
std::string plot_font_path();

// Whether this build can write PNG files (it was linked with libpng).
bool png_available();

}  // namespace df
