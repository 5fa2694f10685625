// Line plots as PNG (same canvas, font and encoder as host/plot.h): per panel several series
// (lines, faint points, or lines with markers), optional error bands (lo..hi, e.g. the mean ± one
// standard deviation over seeds: mean_std_series), dashed reference lines (vertical, such as the
// learning-rate decay points, or horizontal, such as a clipping threshold), linear or log axes
// with round-number ticks, axis labels, a title, and a legend when a panel has more than one
// named entry. Nothing is drawn outside a panel's plot area but its axes, labels and title.
// Used for the training figures (host/run_figures.cpp) and meant for the comparison benchmark's
// metric-vs-seconds and metric-vs-sampling-steps figures.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "host/plot.h"
#include "host/plot_axes.h"

namespace df {

struct Series {
  enum Style { line, points, line_markers };
  std::string name;           // legend text; empty = not in the legend
  std::vector<double> x, y;   // same length; a non-finite value (or one <= 0 on a log axis) is a gap
  std::vector<double> lo{}, hi{};  // optional band: both empty, or both as long as x
  Style style = line;
  int colour = -1;     // palette index (tab10; 7 is grey); -1 = the series' position in the panel
  float alpha = 1.f;   // opacity of the line, the markers or the points
  double width = 2.0;  // line width; for points, the radius (pixels)
};

struct RefLines {
  std::string name;        // legend text; empty, or no line inside the range = not in the legend
  std::vector<double> at{};  // data coordinates
  bool vertical = true;    // lines x = at[k]; else y = at[k]
  int colour = 7;
};

struct LinePanel {
  std::string title, xlabel, ylabel;  // labels with their units, e.g. "wall time (s)"
  Scale xscale = Scale::linear, yscale = Scale::linear;
  // Axis ranges. Where min >= max: the range of the series and their bands (positive values only
  // on a log axis) with a 4% margin; reference lines do not widen it.
  double xmin = 0, xmax = 0, ymin = 0, ymax = 0;
  std::vector<Series> series;
  std::vector<RefLines> refs;
};

// The figure's geometry: panels of panel_w x panel_h side by side, rows of at most 3.
PlotLayout line_layout(std::size_t n_panels, int panel_w, int panel_h, bool has_suptitle);

// Draws the panels. Throws std::invalid_argument for a malformed panel (lengths that differ, a
// log range with min <= 0, sizes outside [64, 4096]), InputError when the file cannot be written.
void write_line_png(const std::string& path, const std::vector<LinePanel>& panels, int panel_w = 560,
                    int panel_h = 340, const std::string& suptitle = "");

// The mean over runs at each x (runs[r][i] belongs to x[i]; non-finite values are left out) and a
// band of ± one sample standard deviation (n − 1) where at least two runs have a value.
Series mean_std_series(const std::string& name, const std::vector<double>& x,
                       const std::vector<std::vector<double>>& runs);

}  // namespace df
