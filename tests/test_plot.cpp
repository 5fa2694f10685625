// Tests for host/plot: the PNG decodes back (libpng) with the layout's size, points land on the
// expected pixels with the expected colour and alpha, density bins are coloured where the points
// are, titles are drawn (and skipped without failing when the font is missing), and errors.
// In a build without libpng (DF_HAVE_PNG unset) the PNG cases are skipped with a warning and the
// writers must throw the "no libpng" error; without FreeType no titles are expected.
#if DF_HAVE_PNG
#include <png.h>
#endif

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <random>

#include "host/errors.h"
#include "host/io.h"
#include "host/plot.h"

namespace fs = std::filesystem;

namespace {

struct Image {
  int w = 0, h = 0;
  std::vector<unsigned char> rgb;
  const unsigned char* at(int x, int y) const { return &rgb[(static_cast<std::size_t>(y) * w + x) * 3]; }
  bool white(int x, int y) const { return at(x, y)[0] == 255 && at(x, y)[1] == 255 && at(x, y)[2] == 255; }
  bool any_non_white(int x0, int y0, int x1, int y1) const {
    for (int y = y0; y < y1; ++y)
      for (int x = x0; x < x1; ++x)
        if (!white(x, y)) return true;
    return false;
  }
};

#if DF_HAVE_FREETYPE
constexpr bool kHaveFreetype = true;
#else
constexpr bool kHaveFreetype = false;
#endif

#if !DF_HAVE_PNG
Image decode(const std::string&) {
  FAIL("decode() needs libpng; the test should have been skipped");
  return {};
}
#else
Image decode(const std::string& path) {
  const std::string bytes = df::read_file(path);
  REQUIRE(bytes.size() > 8);
  REQUIRE(bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0);
  png_image img{};
  img.version = PNG_IMAGE_VERSION;
  REQUIRE(png_image_begin_read_from_memory(&img, bytes.data(), bytes.size()) != 0);
  img.format = PNG_FORMAT_RGB;
  Image out;
  out.w = static_cast<int>(img.width), out.h = static_cast<int>(img.height);
  out.rgb.resize(PNG_IMAGE_SIZE(img));
  REQUIRE(png_image_finish_read(&img, nullptr, out.rgb.data(), 0, nullptr) != 0);
  return out;
}
#endif

// Skips the rest of a test case in a build without libpng.
#define SKIP_WITHOUT_PNG()          \
  if (!df::png_available()) {       \
    WARN("no libpng: PNG checks skipped"); \
    return;                         \
  }

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

struct TempDir {
  fs::path dir = fs::temp_directory_path() / ("df_test_plot_" + std::to_string(std::random_device{}()));
  TempDir() { fs::create_directories(dir); }
  ~TempDir() { fs::remove_all(dir); }
  std::string operator/(const std::string& name) const { return (dir / name).string(); }
};

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
