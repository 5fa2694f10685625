// Drawing primitives shared by the figure writers (host/plot.cpp: scatter and density panels,
// host/plot_lines.cpp: line plots; host/plot_axes.cpp draws their axes): a float RGB canvas with
// a clip rectangle, alpha-blended discs, anti-aliased polylines (solid or dashed) and bands,
// FreeType text (left / centre / right aligned, horizontal or turned 90° for a y-axis label;
// every call a no-op when the font cannot be loaded or without FreeType, DF_HAVE_FREETYPE), and
// the PNG encoding (libpng, DF_HAVE_PNG) written through atomic_write_file.
// Internal to host/: the public figure API is host/plot.h and host/plot_lines.h.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace df {
namespace plot {

struct Rgb {
  float r, g, b;
};
// matplotlib's "tab10"; index 7 is grey
inline constexpr Rgb kPalette[10] = {{31, 119, 180}, {255, 127, 14}, {44, 160, 44},  {214, 39, 40},
                                     {148, 103, 189}, {140, 86, 75}, {227, 119, 194}, {127, 127, 127},
                                     {188, 189, 34},  {23, 190, 207}};
inline constexpr Rgb kWhite = {255, 255, 255}, kText = {25, 25, 25}, kFrame = {90, 90, 90},
                     kGrid = {232, 232, 232}, kNegative = {40, 40, 40};
inline constexpr const char* kNoPng = "this build has no libpng: PNG output is unavailable";

// Pixels [x0, x1) x [y0, y1).
struct Rect {
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  int w() const { return x1 - x0; }
  int h() const { return y1 - y0; }
  bool contains(int x, int y) const { return x >= x0 && x < x1 && y >= y0 && y < y1; }
};

using Points = std::vector<std::pair<double, double>>;  // continuous pixel positions

struct Canvas {
  int w, h;
  std::vector<float> px;  // RGB, 0..255, starts white
  Rect clip;              // blend() ignores pixels outside it; the whole canvas by default
  Canvas(int w_, int h_);
  void reset_clip() { clip = {0, 0, w, h}; }
  void blend(int x, int y, const Rgb& c, float a);
  void fill_rect(const Rect& r, const Rgb& c, float a);
  // A disc of radius r (pixels) centred at the continuous position (fx, fy).
  void disc(double fx, double fy, double r, const Rgb& c, float a);
  // A polyline `width` pixels wide, anti-aliased, blended once per pixel (joints do not darken).
  // Non-finite points break it. dash > 0: dashes and gaps of `dash` pixels along its length.
  void stroke(const Points& pts, double width, const Rgb& c, float a, double dash = 0);
  // The area between two curves given at the same increasing x (pixels): lo and hi hold (x, y).
  void fill_between(const Points& lo, const Points& hi, const Rgb& c, float a);
  // Whether (x, y) still has the background colour.
  bool is_white(int x, int y) const;
};

enum class Align { left, centre, right };

// DejaVuSans (plot_font_path()) through FreeType.
class Font {
 public:
  Font();
  ~Font();
  Font(const Font&) = delete;
  Font& operator=(const Font&) = delete;
  bool ok() const;
  // Width in pixels of `text` at `size` px (0 without a font).
  int measure(const std::string& text, int size);
  // Draws `text` at `size` px, shrunk to fit max_w; horizontally anchored at x by `align`,
  // vertically centred in [top, top + box_h).
  void draw(Canvas& cv, const std::string& text, int x, int top, int box_h, int size, int max_w,
            Align align = Align::centre, const Rgb& colour = kText);
  // Draws `text` turned 90° anticlockwise (reading upwards), centred on (cx, cy), shrunk to max_len.
  void draw_vertical(Canvas& cv, const std::string& text, int cx, int cy, int size, int max_len);

 private:
  struct Impl;
  Impl* impl_ = nullptr;
};

// Encodes the canvas as an 8-bit RGB PNG and writes it with atomic_write_file (throws the
// "no libpng" std::runtime_error in a build without libpng).
void save_png(const std::string& path, const Canvas& cv);

}  // namespace plot
}  // namespace df
