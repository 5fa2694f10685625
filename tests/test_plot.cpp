// Tests for host/plot: the PNG decodes back (libpng) with the layout's size, points land on the
// expected pixels with the expected colour and alpha, density bins are coloured where the points
// are, titles and a tick label at every tick are drawn (and skipped without failing when the
// font is missing), panels share their computed box and keep equal aspect, named labels get a
// legend, nothing coloured falls outside the axes, and errors.
// In a build without libpng (DF_HAVE_PNG unset) the PNG cases are skipped with a warning and the
// writers must throw the "no libpng" error; without FreeType no titles are expected.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>

#include "host/errors.h"
#include "host/plot.h"
#include "host/plot_axes.h"
#include "tests/png_image.h"

namespace fs = std::filesystem;
using test_png::decode;
using test_png::Image;
using test_png::kHaveFreetype;
using test_png::TempDir;

namespace {

df::Panel unit_panel(const std::string& title, std::vector<std::pair<double, double>> pts,
                     std::vector<int> labels = {}) {
  df::Panel p;
  p.title = title;
  p.points = df::Matrix(pts.size(), 2);
  for (std::size_t i = 0; i < pts.size(); ++i) p.points(i, 0) = pts[i].first, p.points(i, 1) = pts[i].second;
  p.labels = std::move(labels);
  p.xmin = 0, p.xmax = 1, p.ymin = 0, p.ymax = 1;
  return p;
}

}  // namespace

TEST_CASE("view_box: given box kept, else square bounding box with 5% margin") {
  df::Panel p = unit_panel("", {{0, 0}, {2, 1}});
  const df::ViewBox given = df::view_box(p);
  CHECK((given.xmin == 0 && given.xmax == 1 && given.ymin == 0 && given.ymax == 1));
  p.xmin = p.xmax = 0;
  const df::ViewBox v = df::view_box(p);
  CHECK(v.xmin == Approx(-0.1));
  CHECK(v.xmax == Approx(2.1));
  CHECK(v.ymin == Approx(-0.6));
  CHECK(v.ymax == Approx(1.6));
  p.points = df::Matrix(1, 2);  // a single point: unit half-width around it
  const df::ViewBox one = df::view_box(p);
  CHECK((one.xmin == -1 && one.xmax == 1 && one.ymin == -1 && one.ymax == 1));
}

TEST_CASE("scatter: valid PNG of the layout's size, points at the expected pixels") {
  SKIP_WITHOUT_PNG();
  TempDir t;
  const std::string path = t / "s.png";
  // A single point: alpha 0.8 of tab:blue (31,119,180) over white; label 1 is tab:orange.
  std::vector<df::Panel> panels = {unit_panel("blue", {{0.25, 0.75}}, {0}),
                                   unit_panel("orange", {{0.75, 0.25}}, {1})};
  df::write_scatter_png(path, panels, 200, "Two panels");
  const df::PlotLayout lay = df::plot_layout(2, 200, true);
  const Image img = decode(path);
  REQUIRE(img.w == lay.width);
  REQUIRE(img.h == lay.height);
  CHECK(fs::directory_iterator(t.dir)->path().filename() == "s.png");  // no temp file left

  const int x0 = lay.panel_x[0], y0 = lay.panel_y[0];
  const unsigned char* c = img.at(x0 + 50, y0 + 50);  // (0.25, 0.75) -> 50 px right, 50 px down
  CHECK(int(c[0]) == Approx(255 - 0.8 * (255 - 31)).margin(1));
  CHECK(int(c[1]) == Approx(255 - 0.8 * (255 - 119)).margin(1));
  CHECK(int(c[2]) == Approx(255 - 0.8 * (255 - 180)).margin(1));
  CHECK(!img.white(x0 + 49, y0 + 49));
  CHECK(img.white(x0 + 53, y0 + 50));  // the disc is small
  CHECK(!img.any_non_white(x0 + 60, y0 + 60, x0 + 200, y0 + 200));
  const unsigned char* o = img.at(lay.panel_x[1] + 150, lay.panel_y[1] + 150);
  CHECK((o[0] > 200 && o[2] < 150));  // orange
  CHECK(!img.any_non_white(lay.panel_x[1], lay.panel_y[1], lay.panel_x[1] + 140, lay.panel_y[1] + 140));
  CHECK(!img.white(x0 - 1, y0 + 100));  // frame
  CHECK(img.white(x0 + 100, y0 + 100));
}

TEST_CASE("scatter: many points blend towards the colour, alpha falls with n") {
  SKIP_WITHOUT_PNG();
  TempDir t;
  std::vector<std::pair<double, double>> many(40000, {0.5, 0.5});
  many.push_back({0.1, 0.1});
  df::write_scatter_png(t / "m.png", {unit_panel("", many)}, 100);
  const df::PlotLayout lay = df::plot_layout(1, 100, false);
  const Image img = decode(t / "m.png");
  const unsigned char* dense = img.at(lay.panel_x[0] + 50, lay.panel_y[0] + 50);
  CHECK((dense[0] == 31 && dense[1] == 119 && dense[2] == 180));  // saturated after many blends
  const unsigned char* lone = img.at(lay.panel_x[0] + 10, lay.panel_y[0] + 90);
  CHECK(int(lone[0]) == Approx(255 - 0.05 * (255 - 31)).margin(1));  // alpha clamped to 0.05
}

TEST_CASE("scatter: panels wrap to rows of five; titles drawn only when the font loads") {
  SKIP_WITHOUT_PNG();
  TempDir t;
  std::vector<df::Panel> panels;
  for (int i = 0; i < 7; ++i) panels.push_back(unit_panel("Panel title " + std::to_string(i), {{0.5, 0.5}}, {i}));
  df::write_scatter_png(t / "w.png", panels, 64);
  const df::PlotLayout lay = df::plot_layout(7, 64, false);
  const Image img = decode(t / "w.png");
  REQUIRE(img.w == lay.width);
  REQUIRE(img.h == lay.height);
  CHECK(lay.panel_y[5] > lay.panel_y[4]);
  CHECK(lay.panel_x[5] == lay.panel_x[0]);
  const bool font_exists = kHaveFreetype && fs::exists(df::plot_font_path());
  if (!kHaveFreetype) WARN("no FreeType: titles are not drawn");
  else if (!font_exists) WARN("font missing: " << df::plot_font_path());
  const int x6 = lay.panel_x[6], y6 = lay.panel_y[6];
  CHECK(img.any_non_white(x6, y6 - 24, x6 + 64, y6 - 2) == font_exists);

  ::setenv("DF_PLOT_FONT", "/nonexistent/font.ttf", 1);
  df::write_scatter_png(t / "nofont.png", panels, 64, "suptitle");
  ::unsetenv("DF_PLOT_FONT");
  const Image plain = decode(t / "nofont.png");
  const df::PlotLayout lay2 = df::plot_layout(7, 64, true);
  REQUIRE(plain.w == lay2.width);
  CHECK(!plain.any_non_white(0, 0, plain.w, lay2.panel_y[0] - 2));  // no suptitle, no title
  CHECK(!plain.white(lay2.panel_x[3] + 32, lay2.panel_y[3] + 32));  // points still drawn
}

TEST_CASE("density: heat map where the points are, white elsewhere") {
  SKIP_WITHOUT_PNG();
  TempDir t;
  std::mt19937 rng(1);
  std::uniform_real_distribution<double> u(0.0, 0.1);
  std::vector<std::pair<double, double>> pts(1000, {0.55, 0.45});  // bin (5, 5) with 10 bins
  for (int i = 0; i < 50; ++i) pts.push_back({0.8 + u(rng), 0.8 + u(rng)});
  df::write_density_png(t / "d.png", {unit_panel("density", pts), unit_panel("empty", {})}, 10, 100);
  const df::PlotLayout lay = df::plot_layout(2, 100, false);
  const Image img = decode(t / "d.png");
  REQUIRE(img.w == lay.width);
  const int x0 = lay.panel_x[0], y0 = lay.panel_y[0];
  const unsigned char* peak = img.at(x0 + 55, y0 + 55);
  CHECK((peak[0] == 8 && peak[1] == 29 && peak[2] == 88));  // darkest colour at the maximum
  CHECK(!img.any_non_white(x0, y0 + 60, x0 + 100, y0 + 100));
  CHECK(img.any_non_white(x0 + 80, y0 + 10, x0 + 90, y0 + 20));  // the sparse cluster
  const unsigned char* sparse = img.at(x0 + 85, y0 + 15);
  CHECK(int(sparse[2]) > int(peak[2]));  // lighter than the peak
  CHECK(!img.any_non_white(lay.panel_x[1], lay.panel_y[1], lay.panel_x[1] + 100, lay.panel_y[1] + 100));
}

TEST_CASE("scatter and density: a tick label at every tick, none without the font") {
  SKIP_WITHOUT_PNG();
  TempDir t;
  const df::Ticks ticks = df::axis_ticks(0, 1, df::Scale::linear, 6);  // the unit box's ticks
  REQUIRE(ticks.major.size() == 6);
  const df::PlotLayout lay = df::plot_layout(1, 200, false);
  const int x0 = lay.panel_x[0], y0 = lay.panel_y[0];
  for (int kind = 0; kind < 2; ++kind) {
    const std::string path = t / (kind ? "d.png" : "s.png");
    if (kind == 0) df::write_scatter_png(path, {unit_panel("scatter", {{0.5, 0.5}})}, 200);
    else df::write_density_png(path, {unit_panel("density", {{0.5, 0.5}})}, 20, 200);
    const Image img = decode(path);
    REQUIRE(img.w == lay.width);
    REQUIRE(img.h == lay.height);
    if (!test_png::font_present()) WARN("no font: tick labels are not drawn");
    for (double v : ticks.major) {
      const int x = x0 + static_cast<int>(v * 200), y = y0 + static_cast<int>((1 - v) * 200);
      INFO("tick " << v);
      CHECK(test_png::label_below(img, std::min(x, x0 + 199), y0 + 200) == test_png::font_present());
      CHECK(test_png::label_left(img, x0, std::min(y, y0 + 199)) == test_png::font_present());
      CHECK(!img.white(std::min(x, x0 + 199), y0 + 203));  // the tick mark
    }
    CHECK(img.count(0, 0, img.w, img.h, [&](int x, int y) { return img.coloured(x, y) && (x < x0 || x >= x0 + 200 || y < y0 || y >= y0 + 200); }) == 0);
  }
  ::setenv("DF_PLOT_FONT", "/nonexistent/font.ttf", 1);
  df::write_scatter_png(t / "plain.png", {unit_panel("scatter", {{0.5, 0.5}})}, 200);
  ::unsetenv("DF_PLOT_FONT");
  const Image plain = decode(t / "plain.png");
  for (double v : ticks.major) {
    CHECK(!test_png::label_below(plain, std::min(x0 + static_cast<int>(v * 200), x0 + 199), y0 + 200));
    CHECK(!plain.white(std::min(x0 + static_cast<int>(v * 200), x0 + 199), y0 + 203));  // tick marks stay
  }
}

TEST_CASE("scatter: panels without a box share one, every box has equal aspect") {
  SKIP_WITHOUT_PNG();
  TempDir t;
  df::Panel a = unit_panel("a", {{0, 0}, {1, 1}}), b = unit_panel("b", {{10, 10}, {11, 11}});
  a.xmax = b.xmax = 0;  // no box: computed, shared
  const df::ViewBox vb = df::shared_view_box({a, b});
  CHECK(vb.xmin == Approx(5.5 - 0.55 * 11));
  CHECK(vb.xmax == Approx(5.5 + 0.55 * 11));
  CHECK(vb.ymax - vb.ymin == Approx(vb.xmax - vb.xmin));
  df::Panel c = unit_panel("c", {{1.5, 1.25}});
  c.xmin = 0, c.xmax = 2, c.ymin = 0, c.ymax = 1;  // drawn as (0, 2) x (-0.5, 1.5)
  const df::ViewBox sq = df::equal_aspect(df::view_box(c));
  CHECK((sq.xmin == 0 && sq.xmax == 2 && sq.ymin == -0.5 && sq.ymax == 1.5));
  df::write_scatter_png(t / "shared.png", {a, b, c}, 220);
  const df::PlotLayout lay = df::plot_layout(3, 220, false);
  const Image img = decode(t / "shared.png");
  auto at = [&](int k, const df::ViewBox& v, double x, double y) {
    return img.at(lay.panel_x[k] + static_cast<int>((x - v.xmin) / (v.xmax - v.xmin) * 220),
                  lay.panel_y[k] + static_cast<int>((v.ymax - y) / (v.ymax - v.ymin) * 220));
  };
  for (auto [k, x] : std::vector<std::pair<int, double>>{{0, 0}, {0, 1}, {1, 10}, {1, 11}}) {
    INFO("panel " << k << " point " << x);
    CHECK(at(k, vb, x, x)[2] > at(k, vb, x, x)[0] + 50);  // blue where the shared box puts it
  }
  CHECK(at(2, sq, 1.5, 1.25)[2] > at(2, sq, 1.5, 1.25)[0] + 50);  // inside the widened box
}

TEST_CASE("scatter: named labels get a legend; points outside the box stay inside the axes") {
  SKIP_WITHOUT_PNG();
  TempDir t;
  df::Panel p = unit_panel("labelled", {{0.2, 0.2}, {0.8, 0.8}, {5, 5}, {-3, 0.5}, {0.5, 40}}, {0, 1, 0, 1, 1});
  df::Panel plain = p;
  p.label_names = {"first mode", "second mode"};
  df::write_scatter_png(t / "l.png", {p, plain}, 200);
  const df::PlotLayout lay = df::plot_layout(2, 200, false);
  const Image img = decode(t / "l.png");
  auto frame_grey = [&](int x, int y) { return img.at(x, y)[0] == 200 && img.at(x, y)[1] == 200 && img.at(x, y)[2] == 200; };
  for (int k = 0; k < 2; ++k) {
    const int x0 = lay.panel_x[k], y0 = lay.panel_y[k];
    const int legend = img.count(x0, y0, x0 + 200, y0 + 200, frame_grey);
    CHECK((k == 0 ? legend > 40 : legend == 0) == (k == 1 || test_png::font_present()));
  }
  CHECK(img.count(0, 0, img.w, img.h, [&](int x, int y) {
    bool inside = false;
    for (int k = 0; k < 2; ++k) inside |= x >= lay.panel_x[k] && x < lay.panel_x[k] + 200 && y >= lay.panel_y[k] && y < lay.panel_y[k] + 200;
    return img.coloured(x, y) && !inside;
  }) == 0);
}

TEST_CASE("plot errors") {
  SKIP_WITHOUT_PNG();
  TempDir t;
  df::Panel p = unit_panel("one column", {{1, 2}});
  p.points = df::Matrix(3, 1);
  CHECK_THROWS_AS(df::write_scatter_png(t / "bad.png", {p}), df::InputError);
  CHECK_THROWS_AS(df::write_scatter_png(t / "no/dir/x.png", {unit_panel("", {{0, 0}})}), df::InputError);
  CHECK_THROWS_AS(df::write_scatter_png(t / "x.png", {}), std::invalid_argument);
  CHECK(fs::is_empty(t.dir));
}

TEST_CASE("without libpng the writers throw and write nothing") {
  if (df::png_available()) return;  // only meaningful in a build without libpng
  WARN("no libpng: checking the fallback");
  TempDir t;
  CHECK_THROWS_WITH(df::write_scatter_png(t / "x.png", {unit_panel("", {{0, 0}})}),
                    Catch::Contains("this build has no libpng"));
  CHECK_THROWS_WITH(df::write_density_png(t / "d.png", {unit_panel("", {{0, 0}})}),
                    Catch::Contains("this build has no libpng"));
  CHECK(fs::is_empty(t.dir));
}
