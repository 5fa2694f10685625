// Shared by the figure tests: a PNG decoded back to RGB with libpng (Image, decode), pixel
// queries (white, coloured, counts in a rectangle), a temporary directory removed at the end,
// and SKIP_WITHOUT_PNG for builds without libpng (DF_HAVE_PNG unset), where decode() fails.
#pragma once
#if DF_HAVE_PNG
#include <png.h>
#endif

#include <catch2/catch.hpp>
#include <algorithm>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "host/io.h"
#include "host/plot.h"

namespace test_png {

namespace fs = std::filesystem;

#if DF_HAVE_FREETYPE
constexpr bool kHaveFreetype = true;
#else
constexpr bool kHaveFreetype = false;
#endif

struct Image {
  int w = 0, h = 0;
  std::vector<unsigned char> rgb;
  const unsigned char* at(int x, int y) const { return &rgb[(static_cast<std::size_t>(y) * w + x) * 3]; }
  bool white(int x, int y) const { return at(x, y)[0] == 255 && at(x, y)[1] == 255 && at(x, y)[2] == 255; }
  // A hue, not a grey: text, frames, ticks and grid lines are all grey.
  bool coloured(int x, int y) const {
    const unsigned char* p = at(x, y);
    return std::max({p[0], p[1], p[2]}) - std::min({p[0], p[1], p[2]}) > 12;
  }
  template <class Pred>
  int count(int x0, int y0, int x1, int y1, Pred pred) const {
    int n = 0;
    for (int y = std::max(0, y0); y < std::min(h, y1); ++y)
      for (int x = std::max(0, x0); x < std::min(w, x1); ++x) n += pred(x, y) ? 1 : 0;
    return n;
  }
  int non_white(int x0, int y0, int x1, int y1) const {
    return count(x0, y0, x1, y1, [this](int x, int y) { return !white(x, y); });
  }
  bool any_non_white(int x0, int y0, int x1, int y1) const { return non_white(x0, y0, x1, y1) > 0; }
};

#if !DF_HAVE_PNG
inline Image decode(const std::string&) {
  FAIL("decode() needs libpng; the test should have been skipped");
  return {};
}
#else
inline Image decode(const std::string& path) {
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

struct TempDir {
  fs::path dir = fs::temp_directory_path() / ("df_test_plot_" + std::to_string(std::random_device{}()));
  TempDir() { fs::create_directories(dir); }
  ~TempDir() { fs::remove_all(dir); }
  std::string operator/(const std::string& name) const { return (dir / name).string(); }
};

// Whether text can be drawn here (FreeType built in and the font present).
inline bool font_present() { return kHaveFreetype && fs::exists(df::plot_font_path()); }

}  // namespace test_png

// Skips the rest of a test case in a build without libpng.
#define SKIP_WITHOUT_PNG()                 \
  if (!df::png_available()) {              \
    WARN("no libpng: PNG checks skipped"); \
    return;                                \
  }

namespace test_png {

// Whether a tick label was drawn under the x tick at column x of a plot area whose bottom edge
// is `bottom` (the label band, below the tick marks), or left of the y tick at row y of a plot
// area whose left edge is `left` (right of the axis label, left of the tick marks).
inline bool label_below(const Image& img, int x, int bottom) { return img.non_white(x - 8, bottom + 8, x + 9, bottom + 22) > 3; }
inline bool label_left(const Image& img, int left, int y) { return img.non_white(left - 40, y - 5, left - 9, y + 6) > 3; }

}  // namespace test_png
