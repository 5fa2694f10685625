// Axes, ticks, labels and legends of the figures; see host/plot_axes.h.
#include "host/plot_axes.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace df {
namespace {

const char* const kSuperscript[10] = {"⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"};

std::string with_minus(std::string s) {  // a typographic minus sign
  if (!s.empty() && s[0] == '-') s = "\u2212" + s.substr(1);
  return s;
}

std::string power_of_ten(int e) {
  std::string s = "10";
  if (e < 0) s += "⁻";
  for (char c : std::to_string(std::abs(e))) s += kSuperscript[c - '0'];
  return s;
}

// v = m × 10^e written as "m×10ᵉ" (or "10ᵉ" when m = 1), m with `sig` significant digits.
std::string scientific(double v, int sig = 3) {
  if (v == 0) return "0";
  const int e = static_cast<int>(std::floor(std::log10(std::fabs(v)) + 1e-9));
  const double m = v / std::pow(10.0, e);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*g", sig, m);
  if (std::string(buf) == "1") return power_of_ten(e);
  if (std::string(buf) == "-1") return "\u2212" + power_of_ten(e);
  return with_minus(buf) + "×" + power_of_ten(e);
}

// Decimal places that write `step` exactly (step > 0), at most 12.
int decimals_of(double step) {
  for (int d = 0; d < 12; ++d) {
    const double s = step * std::pow(10.0, d);
    if (std::round(s) >= 1 && std::fabs(s - std::round(s)) < 1e-6 * s) return d;
  }
  return 12;
}

Ticks linear_ticks(double lo, double hi, int target) {
  const double span = hi - lo, mag = std::pow(10.0, std::floor(std::log10(span / target)));
  double step = 10 * mag;
  for (double m : {1.0, 2.0, 2.5, 5.0})
    if (span / (m * mag) <= target + 0.5) {
      step = m * mag;
      break;
    }
  Ticks t;
  const int d = decimals_of(step);
  const double big = std::max(std::fabs(lo), std::fabs(hi));
  // powers of ten for very large values (unless the step is too fine for them) and tiny steps
  const bool sci = (big >= 1e6 && step >= big / 1000) || d > 5;
  const int sig = static_cast<int>(std::ceil(std::log10(big / step) + 1e-9)) + 1;
  for (double k = std::ceil(lo / step - 1e-9); k <= std::floor(hi / step + 1e-9); ++k) {
    const double v = k == 0 ? 0.0 : k * step;  // never -0
    t.major.push_back(v);
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.*f", d, v);
    t.labels.push_back(sci ? scientific(v, std::max(1, sig)) : with_minus(buf));
  }
  return t;
}

int exponent(double v) { return static_cast<int>(std::floor(std::log10(v) + 1e-9)); }

// Plain decimals from 0.001 to 999999, powers of ten beyond (or everywhere when `sci`).
std::string log_label(double v, bool sci) {
  const int e = exponent(v);
  if (sci || e < -3 || e > 5) return scientific(v);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", std::max(0, -e), v);
  return buf;
}

// m × 10^k for every m in ms (major) and the other m in 1..9 (minor), inside [lo, hi].
Ticks mantissa_ticks(double lo, double hi, const std::vector<int>& ms) {
  Ticks t;
  for (int k = static_cast<int>(std::floor(std::log10(lo))) - 1; k <= static_cast<int>(std::floor(std::log10(hi))); ++k)
    for (int m = 1; m <= 9; ++m) {
      const double v = m * std::pow(10.0, k);
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9))
        (std::find(ms.begin(), ms.end(), m) != ms.end() ? t.major : t.minor).push_back(v);
    }
  return t;
}

Ticks log_ticks(double lo, double hi, int target) {
  if (hi < 10 * lo) return linear_ticks(lo, hi, target);  // less than a decade: even steps read best
  const int kmin = static_cast<int>(std::ceil(std::log10(lo) - 1e-9)), kmax = static_cast<int>(std::floor(std::log10(hi) + 1e-9));
  Ticks t;
  if (kmax - kmin + 1 >= 3) {  // whole decades, every stride-th labelled
    int stride = 1;
    while ((kmax - kmin) / stride + 1 > target + 1) ++stride;
    if (stride == 1) t = mantissa_ticks(lo, hi, {1});
    else
      for (int k = kmin; k <= kmax; ++k) ((k % stride + stride) % stride == 0 ? t.major : t.minor).push_back(std::pow(10.0, k));
  } else {  // one or two decades inside: 1, 2, 5 × 10^k
    t = mantissa_ticks(lo, hi, {1, 2, 5});
  }
  bool sci = false;  // one label in powers of ten: all of them, so they read alike
  for (double v : t.major) sci |= exponent(v) < -3 || exponent(v) > 5;
  for (double v : t.major) t.labels.push_back(log_label(v, sci));
  return t;
}

}  // namespace

Ticks axis_ticks(double lo, double hi, Scale scale, int target) {
  if (!(lo < hi) || !std::isfinite(lo) || !std::isfinite(hi) || (scale == Scale::log && !(lo > 0)))
    throw std::invalid_argument("axis_ticks: need finite lo < hi (and lo > 0 on a log scale)");
  target = std::max(2, target);
  return scale == Scale::log ? log_ticks(lo, hi, target) : linear_ticks(lo, hi, target);
}

PlotLayout grid_layout(std::size_t n_panels, int max_cols, int plot_w, int plot_h, bool has_suptitle) {
  PlotLayout lay;
  const int n = static_cast<int>(n_panels), cols = std::min(n, max_cols), rows = (n + max_cols - 1) / max_cols;
  const int cell_w = kAxisLeft + plot_w + kAxisRight, cell_h = kAxisTop + plot_h + kAxisBottom;
  const int top = has_suptitle ? kSuptitleH : 0;
  lay.width = cols * cell_w;
  lay.height = top + rows * cell_h;
  lay.panel_w = plot_w, lay.panel_h = plot_h;
  for (int i = 0; i < n; ++i) {
    lay.panel_x.push_back((i % max_cols) * cell_w + kAxisLeft);
    lay.panel_y.push_back(top + (i / max_cols) * cell_h + kAxisTop);
  }
  return lay;
}

namespace plot {

Axes::Axes(const Rect& plot, const AxisRange& x, const AxisRange& y, int target_x, int target_y)
    : plot_(plot), x_(x), y_(y), xt_(axis_ticks(x.lo, x.hi, x.scale, target_x)),
      yt_(axis_ticks(y.lo, y.hi, y.scale, target_y)) {}

double Axes::frac(const AxisRange& a, double v) const {
  if (!std::isfinite(v) || (a.scale == Scale::log && !(v > 0))) return NAN;
  if (a.scale == Scale::log) return (std::log10(v) - std::log10(a.lo)) / (std::log10(a.hi) - std::log10(a.lo));
  return (v - a.lo) / (a.hi - a.lo);
}
double Axes::px(double x) const { return plot_.x0 + frac(x_, x) * plot_.w(); }
double Axes::py(double y) const { return plot_.y0 + (1 - frac(y_, y)) * plot_.h(); }

void Axes::grid(Canvas& cv) const {
  for (double v : xt_.major) {
    const int x = static_cast<int>(std::floor(px(v)));
    cv.fill_rect({x, plot_.y0, x + 1, plot_.y1}, kGrid, 1.f);
  }
  for (double v : yt_.major) {
    const int y = std::min(plot_.y1 - 1, static_cast<int>(std::floor(py(v))));
    cv.fill_rect({plot_.x0, y, plot_.x1, y + 1}, kGrid, 1.f);
  }
}

void Axes::decorate(Canvas& cv, Font& font, const std::string& title, const std::string& xlabel,
                    const std::string& ylabel) const {
  cv.reset_clip();
  const Rect& p = plot_;
  cv.fill_rect({p.x0 - 1, p.y0 - 1, p.x1 + 1, p.y0}, kFrame, 1.f);
  cv.fill_rect({p.x0 - 1, p.y1, p.x1 + 1, p.y1 + 1}, kFrame, 1.f);
  cv.fill_rect({p.x0 - 1, p.y0, p.x0, p.y1}, kFrame, 1.f);
  cv.fill_rect({p.x1, p.y0, p.x1 + 1, p.y1}, kFrame, 1.f);
  auto xpos = [&](double v) { return std::clamp(static_cast<int>(std::floor(px(v))), p.x0, p.x1 - 1); };
  auto ypos = [&](double v) { return std::clamp(static_cast<int>(std::floor(py(v))), p.y0, p.y1 - 1); };
  for (double v : xt_.minor) cv.fill_rect({xpos(v), p.y1 + 1, xpos(v) + 1, p.y1 + 4}, kFrame, 1.f);
  for (double v : yt_.minor) cv.fill_rect({p.x0 - 4, ypos(v), p.x0 - 1, ypos(v) + 1}, kFrame, 1.f);
  // x labels: every stride-th, so neighbours keep 8 px apart
  std::vector<int> w;
  for (const std::string& s : xt_.labels) w.push_back(font.measure(s, kTickPx));
  std::size_t stride = 1;
  for (bool clash = true; clash && stride < xt_.major.size(); ) {
    clash = false;
    for (std::size_t i = stride; i < xt_.major.size(); i += stride)
      clash |= xpos(xt_.major[i]) - xpos(xt_.major[i - stride]) < (w[i] + w[i - stride]) / 2 + 8;
    if (clash) ++stride;
  }
  for (std::size_t i = 0; i < xt_.major.size(); ++i) {
    const int x = xpos(xt_.major[i]);
    cv.fill_rect({x, p.y1 + 1, x + 1, p.y1 + 7}, kFrame, 1.f);
    if (i % stride == 0) font.draw(cv, xt_.labels[i], x, p.y1 + 8, 14, kTickPx, kAxisLeft + kAxisRight);
  }
  std::size_t ystride = 1;
  while (yt_.major.size() > ystride && std::abs(ypos(yt_.major[0]) - ypos(yt_.major[ystride])) < 16) ++ystride;
  for (std::size_t i = 0; i < yt_.major.size(); ++i) {
    const int y = ypos(yt_.major[i]);
    cv.fill_rect({p.x0 - 7, y, p.x0 - 1, y + 1}, kFrame, 1.f);
    if (i % ystride == 0) font.draw(cv, yt_.labels[i], p.x0 - 9, y - 7, 15, kTickPx, kAxisLeft - 28, Align::right);
  }
  font.draw(cv, xlabel, (p.x0 + p.x1) / 2, p.y1 + 25, 18, kLabelPx, p.w() + kAxisLeft);
  font.draw_vertical(cv, ylabel, p.x0 - kAxisLeft + 10, (p.y0 + p.y1) / 2, kLabelPx, p.h() + kAxisBottom);
  font.draw(cv, title, (p.x0 + p.x1) / 2, p.y0 - kAxisTop + 2, kAxisTop - 4, kTitlePx, p.w() + kAxisLeft);
}

void draw_legend(Canvas& cv, Font& font, const Rect& plot, const std::vector<LegendEntry>& entries) {
  if (entries.empty() || !font.ok()) return;
  cv.reset_clip();
  int text_w = 0;
  for (const LegendEntry& e : entries) text_w = std::max(text_w, font.measure(e.name, kTickPx));
  const int bw = std::min(plot.w() - 12, text_w + 42), bh = static_cast<int>(entries.size()) * 17 + 8;
  const Rect corners[4] = {{plot.x1 - 6 - bw, plot.y0 + 6, plot.x1 - 6, plot.y0 + 6 + bh},
                           {plot.x0 + 6, plot.y0 + 6, plot.x0 + 6 + bw, plot.y0 + 6 + bh},
                           {plot.x1 - 6 - bw, plot.y1 - 6 - bh, plot.x1 - 6, plot.y1 - 6},
                           {plot.x0 + 6, plot.y1 - 6 - bh, plot.x0 + 6 + bw, plot.y1 - 6}};
  long best = -1;
  Rect box = corners[0];
  for (const Rect& r : corners) {
    long drawn = 0;  // pixels darker than the grid lines
    for (int y = std::max(0, r.y0); y < std::min(cv.h, r.y1); ++y)
      for (int x = std::max(0, r.x0); x < std::min(cv.w, r.x1); ++x) {
        const float* q = &cv.px[(static_cast<std::size_t>(y) * cv.w + x) * 3];
        drawn += std::min({q[0], q[1], q[2]}) < 225.f;
      }
    if (best < 0 || drawn < best) best = drawn, box = r;
  }
  cv.fill_rect(box, kWhite, 0.88f);
  cv.fill_rect({box.x0, box.y0, box.x1, box.y0 + 1}, {200, 200, 200}, 1.f);
  cv.fill_rect({box.x0, box.y1 - 1, box.x1, box.y1}, {200, 200, 200}, 1.f);
  cv.fill_rect({box.x0, box.y0, box.x0 + 1, box.y1}, {200, 200, 200}, 1.f);
  cv.fill_rect({box.x1 - 1, box.y0, box.x1, box.y1}, {200, 200, 200}, 1.f);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const LegendEntry& e = entries[i];
    const int top = box.y0 + 4 + static_cast<int>(i) * 17;
    const double yc = top + 8.5, xa = box.x0 + 7, xb = box.x0 + 29;
    if (e.kind == LegendEntry::points) {
      for (double x : {xa + 3, xa + 11, xa + 19}) cv.disc(x, yc, 2.2, e.colour, 0.8f);
    } else {
      if (e.kind == LegendEntry::band) cv.fill_rect({box.x0 + 7, top + 3, box.x0 + 29, top + 14}, e.colour, 0.25f);
      cv.stroke({{xa, yc}, {xb, yc}}, 2.0, e.colour, 1.f, e.kind == LegendEntry::dashed ? 4.0 : 0.0);
    }
    font.draw(cv, e.name, box.x0 + 35, top, 17, kTickPx, bw - 40, Align::left);
  }
}

void draw_suptitle(Canvas& cv, Font& font, const std::string& text) {
  font.draw(cv, text, cv.w / 2, 4, kSuptitleH - 4, kSuptitlePx, cv.w - 24);
}

}  // namespace plot
}  // namespace df
