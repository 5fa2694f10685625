// Tests for host/plot_lines: a figure of the layout's size; a tick label at every tick of given
// linear ranges and labels on log axes (none without the font); series, bands, markers and
// reference lines that run past the axis ranges leave no coloured pixel outside the plot areas;
// the band is drawn between lo and hi; a legend only where a panel has more than one named
// entry; mean_std_series; errors write nothing.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>

#include "host/errors.h"
#include "host/plot_lines.h"
#include "tests/png_image.h"

using test_png::decode;
using test_png::Image;
using test_png::TempDir;

namespace {

constexpr int kW = 400, kH = 240;

// Panel 0: given ranges x 0..10, y 0..1 and series that leave them; panel 1: log-log, auto range.
std::vector<df::LinePanel> test_panels() {
  df::LinePanel a;
  a.title = "metric vs seconds";
  a.xlabel = "wall time (s)";
  a.ylabel = "SW2 (data units)";
  a.xmin = 0, a.xmax = 10, a.ymin = 0, a.ymax = 1;
  df::Series diag{"diagonal", {-5, 15}, {-1, 2}};
  df::Series pts{"points", {5, 12, 5, -2}, {0.5, 0.5, 1.5, 0.2}};
  pts.style = df::Series::points, pts.width = 3;
  df::Series band = df::mean_std_series("seeds", {3, 5, 7}, {{0.3, 0.3, 0.3}, {0.5, 0.5, 0.5}, {0.7, 0.7, 0.7}});
  band.colour = 2;
  df::Series wide = df::mean_std_series("wide", {8, 9, 11}, {{-1, -1, -1}, {3, 3, 3}});
  wide.colour = 4;
  a.series = {diag, pts, band, wide};
  a.refs = {{"decay", {-1, 5, 11}, true, 7}, {"limit", {2}, false, 3}};
  df::LinePanel b;
  b.title = "metric vs steps";
  b.xlabel = "sampling steps N";
  b.ylabel = "NLL (nats)";
  b.xscale = b.yscale = df::Scale::log;
  df::Series sq{"x\u00b2", {}, {}};
  for (double x = 1; x <= 1000; x *= 1.5) sq.x.push_back(x), sq.y.push_back(x * x);
  sq.x.push_back(0), sq.y.push_back(-1);  // not drawable on log axes: a gap
  sq.style = df::Series::line_markers;
  b.series = {sq};
  return {a, b};
}

bool inside_any(const df::PlotLayout& lay, int x, int y) {
  for (std::size_t k = 0; k < lay.panel_x.size(); ++k)
    if (x >= lay.panel_x[k] && x < lay.panel_x[k] + lay.panel_w && y >= lay.panel_y[k] && y < lay.panel_y[k] + lay.panel_h)
      return true;
  return false;
}

}  // namespace

TEST_CASE("line plot: size, tick labels, nothing outside the axes, band, legend") {
  SKIP_WITHOUT_PNG();
  TempDir t;
  df::write_line_png(t / "l.png", test_panels(), kW, kH, "comparison");
  const df::PlotLayout lay = df::line_layout(2, kW, kH, true);
  const Image img = decode(t / "l.png");
  REQUIRE(img.w == lay.width);
  REQUIRE(img.h == lay.height);
  const bool font = test_png::font_present();
  if (!font) WARN("no font: tick labels are not drawn");
  const int x0 = lay.panel_x[0], y0 = lay.panel_y[0], x1 = lay.panel_x[1], y1 = lay.panel_y[1];
  auto px = [&](double v) { return x0 + std::min(kW - 1, static_cast<int>(v / 10 * kW)); };
  auto py = [&](double v) { return y0 + std::min(kH - 1, static_cast<int>((1 - v) * kH)); };
  for (double v : df::axis_ticks(0, 10, df::Scale::linear, 6).major) CHECK(test_png::label_below(img, px(v), y0 + kH) == font);
  for (double v : df::axis_ticks(0, 1, df::Scale::linear, 5).major) CHECK(test_png::label_left(img, x0, py(v)) == font);
  // log axes: labels under and beside the axis, tick marks (major and minor) beside it
  CHECK((img.non_white(x1, y1 + kH + 8, x1 + kW, y1 + kH + 22) > 40) == font);
  CHECK((img.non_white(x1 - 40, y1, x1 - 9, y1 + kH) > 40) == font);
  CHECK(img.non_white(x1 - 4, y1, x1 - 1, y1 + kH) > 10);

  CHECK(img.count(0, 0, img.w, img.h, [&](int x, int y) { return img.coloured(x, y) && !inside_any(lay, x, y); }) == 0);
  CHECK(img.count(x0, y0, x0 + kW, y0 + kH, [&](int x, int y) { return img.coloured(x, y); }) > 500);
  CHECK(img.count(x1, y1, x1 + kW, y1 + kH, [&](int x, int y) { return img.coloured(x, y); }) > 300);
  // the green band spans y 0.3..0.7 at x = 4.5 (mean 0.5 ± 0.2), light, not at 0.8
  const unsigned char* in = img.at(px(4.5), py(0.62));
  CHECK((in[1] > in[0] + 10 && in[0] > 150));
  CHECK(!img.coloured(px(4.5), py(0.8)));
  // the dashed vertical reference line at x = 5 (grey), the horizontal one at y = 2 is outside
  CHECK(img.count(px(5) - 1, y0, px(5) + 2, y0 + kH, [&](int x, int y) {
    const unsigned char* p = img.at(x, y);
    return p[0] < 200 && !img.coloured(x, y);
  }) > kH / 5);
  // a legend (grey 200 frame) in panel 0 (six named entries), none in panel 1 (one)
  auto frame_grey = [&](int x, int y) { return img.at(x, y)[0] == 200 && img.at(x, y)[1] == 200 && img.at(x, y)[2] == 200; };
  CHECK((img.count(x0, y0, x0 + kW, y0 + kH, frame_grey) > 40) == font);
  CHECK(img.count(x1, y1, x1 + kW, y1 + kH, frame_grey) == 0);

  ::setenv("DF_PLOT_FONT", "/nonexistent/font.ttf", 1);
  df::write_line_png(t / "plain.png", test_panels(), kW, kH);
  ::unsetenv("DF_PLOT_FONT");
  const Image plain = decode(t / "plain.png");
  const df::PlotLayout lay2 = df::line_layout(2, kW, kH, false);
  CHECK(plain.non_white(lay2.panel_x[0] - 40, lay2.panel_y[0], lay2.panel_x[0] - 9, lay2.panel_y[0] + kH) == 0);
  CHECK(plain.non_white(lay2.panel_x[0] - 7, lay2.panel_y[0], lay2.panel_x[0] - 1, lay2.panel_y[0] + kH) > 0);  // ticks
}

TEST_CASE("mean_std_series: mean and sample standard deviation, no band from one run") {
  const df::Series s = df::mean_std_series("m", {1, 2, 3}, {{1, 10, NAN}, {2, 20, 5}, {3, 30, NAN}});
  CHECK(s.name == "m");
  REQUIRE(s.y.size() == 3);
  CHECK(s.y[0] == Approx(2));
  CHECK(s.lo[0] == Approx(1));  // sd of {1, 2, 3} is 1
  CHECK(s.hi[0] == Approx(3));
  CHECK(s.hi[1] - s.y[1] == Approx(10));
  CHECK(s.y[2] == Approx(5));  // one finite value: its mean, no spread
  CHECK(std::isnan(s.lo[2]));
  const df::Series one = df::mean_std_series("one", {1, 2}, {{4, 5}});
  CHECK(one.y == std::vector<double>{4, 5});
  CHECK(one.lo.empty());
  CHECK_THROWS_AS(df::mean_std_series("bad", {1, 2}, {{1}}), std::invalid_argument);
}

TEST_CASE("line plot errors write nothing") {
  SKIP_WITHOUT_PNG();
  TempDir t;
  df::LinePanel p;
  p.series = {df::Series{"bad", {1, 2}, {1}}};
  CHECK_THROWS_AS(df::write_line_png(t / "a.png", {p}), std::invalid_argument);
  p.series = {df::Series{"band", {1, 2}, {1, 2}, {0}, {3}}};
  CHECK_THROWS_AS(df::write_line_png(t / "b.png", {p}), std::invalid_argument);
  p.series = {df::Series{"ok", {1, 2}, {1, 2}}};
  p.yscale = df::Scale::log, p.ymin = 0, p.ymax = 10;
  CHECK_THROWS_AS(df::write_line_png(t / "c.png", {p}), std::invalid_argument);
  CHECK_THROWS_AS(df::write_line_png(t / "d.png", {}), std::invalid_argument);
  CHECK_THROWS_AS(df::write_line_png(t / "e.png", {df::LinePanel()}, 10, 10), std::invalid_argument);
  CHECK(std::filesystem::is_empty(t.dir));
  CHECK_THROWS_AS(df::write_line_png(t / "no/dir/f.png", {df::LinePanel()}), df::InputError);
  CHECK(std::filesystem::is_empty(t.dir));
  df::write_line_png(t / "empty.png", {df::LinePanel()});  // no series: empty axes
  CHECK(decode(t / "empty.png").w == df::line_layout(1, 560, 340, false).width);
}

TEST_CASE("without libpng the line writer throws and writes nothing") {
  if (df::png_available()) return;  // only meaningful in a build without libpng
  TempDir t;
  CHECK_THROWS_WITH(df::write_line_png(t / "x.png", {df::LinePanel()}), Catch::Contains("this build has no libpng"));
  CHECK(std::filesystem::is_empty(t.dir));
}
