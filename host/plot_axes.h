// Axes of every figure: tick positions in round numbers on linear and log scales and their
// labels (axis_ticks), the layout of a grid of plot areas with room for tick labels, axis
// labels and titles (grid_layout), and, internal to the figure writers, the data-to-pixel map
// with the drawing of grid lines, frame, ticks, labels and title (plot::Axes) and of a legend
// placed in the plot area's emptiest corner (plot::draw_legend).
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "host/plot.h"
#include "host/plot_canvas.h"

namespace df {

enum class Scale { linear, log };

struct Ticks {
  std::vector<double> major;        // labelled ticks, inside [lo, hi], increasing
  std::vector<std::string> labels;  // one per major tick: "0", "0.25", "−1.5", "2000", "10⁻⁵", "2×10⁶"
  std::vector<double> minor;        // unlabelled ticks (log axes: 2..9 × 10^k, or skipped decades)
};

// Ticks for the range [lo, hi] (lo < hi; on a log scale 0 < lo). Linear: a step of 1, 2, 2.5 or
// 5 × 10^k giving at most about target + 1 ticks. Log: when three or more decades fall inside,
// the decades (every m-th when there are many; minor ticks at 2..9 × 10^k or the skipped
// decades); with one or two, 1, 2 and 5 × 10^k; over less than a factor of 10, linear steps.
Ticks axis_ticks(double lo, double hi, Scale scale, int target = 5);

// Pixel geometry around each plot area (a figure's panels are laid out in a grid).
inline constexpr int kAxisLeft = 68, kAxisRight = 20, kAxisTop = 30, kAxisBottom = 46, kSuptitleH = 34;

// A grid of n plot areas of plot_w x plot_h, at most max_cols per row, each with the margins
// above (kAxis*) and a suptitle band on top when asked for.
PlotLayout grid_layout(std::size_t n, int max_cols, int plot_w, int plot_h, bool has_suptitle);

namespace plot {

inline constexpr int kTickPx = 12, kLabelPx = 13, kTitlePx = 14, kSuptitlePx = 18;

struct AxisRange {
  double lo, hi;
  Scale scale = Scale::linear;
};

// Maps data to continuous pixel positions in the plot area (its edges are lo and hi) and draws
// what surrounds the data.
class Axes {
 public:
  Axes(const Rect& plot, const AxisRange& x, const AxisRange& y, int target_x = 6, int target_y = 5);
  // Pixel positions; NaN where a log axis gets a value <= 0 or the value is not finite.
  double px(double x) const;
  double py(double y) const;
  const Rect& plot() const { return plot_; }
  void grid(Canvas& cv) const;  // light lines at the major ticks, to draw under the data
  // Frame, tick marks, tick labels (thinned where they would overlap), axis labels, title.
  void decorate(Canvas& cv, Font& font, const std::string& title, const std::string& xlabel,
                const std::string& ylabel) const;

 private:
  double frac(const AxisRange& a, double v) const;
  Rect plot_;
  AxisRange x_, y_;
  Ticks xt_, yt_;
};

struct LegendEntry {
  enum Kind { line, dashed, points, band };
  std::string name;
  Rgb colour;
  Kind kind = line;
};

// A framed legend inside the plot area, in the corner where the canvas has the fewest drawn
// pixels (upper right first on ties).
void draw_legend(Canvas& cv, Font& font, const Rect& plot, const std::vector<LegendEntry>& entries);

// Draws the suptitle into the band above the grid.
void draw_suptitle(Canvas& cv, Font& font, const std::string& text);

}  // namespace plot
}  // namespace df
