// PNG scatter / density figures (see host/plot.h): a float RGB canvas, a disc rasterizer with
// alpha blending, a 2-D histogram heat map, FreeType text (skipped when the font cannot be
// loaded, or without FreeType: DF_HAVE_FREETYPE), and in-memory PNG encoding with libpng,
// written through atomic_write_file (without libpng, DF_HAVE_PNG, the writers throw).
#include "host/plot.h"

#if DF_HAVE_FREETYPE
#include <ft2build.h>
#include FT_FREETYPE_H
#endif
#if DF_HAVE_PNG
#include <png.h>
#endif

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <stdexcept>

#include "host/errors.h"
#include "host/io.h"

namespace df {
namespace {

constexpr int kMargin = 12, kTitleH = 26, kSuptitleH = 34, kMaxCols = 5;
constexpr int kTitlePx = 14, kSuptitlePx = 18;
struct Rgb {
  float r, g, b;
};
constexpr Rgb kPalette[10] = {{31, 119, 180}, {255, 127, 14}, {44, 160, 44},  {214, 39, 40},
                              {148, 103, 189}, {140, 86, 75}, {227, 119, 194}, {127, 127, 127},
                              {188, 189, 34},  {23, 190, 207}};
constexpr Rgb kNegative = {40, 40, 40}, kText = {25, 25, 25}, kFrame = {90, 90, 90};
constexpr const char* kNoPng = "this build has no libpng: PNG output is unavailable";

struct Canvas {
  int w, h;
  std::vector<float> px;  // RGB, 0..255
  Canvas(int w_, int h_) : w(w_), h(h_), px(static_cast<std::size_t>(w_) * h_ * 3, 255.f) {}
  void blend(int x, int y, const Rgb& c, float a) {
    if (x < 0 || y < 0 || x >= w || y >= h) return;
    float* p = &px[(static_cast<std::size_t>(y) * w + x) * 3];
    p[0] += (c.r - p[0]) * a;
    p[1] += (c.g - p[1]) * a;
    p[2] += (c.b - p[2]) * a;
  }
};

#if DF_HAVE_FREETYPE
// DejaVuSans through FreeType; every call is a no-op when the font could not be loaded.
class Font {
 public:
  Font() {
    if (FT_Init_FreeType(&lib_) != 0) lib_ = nullptr;
    if (lib_ && FT_New_Face(lib_, plot_font_path().c_str(), 0, &face_) != 0) face_ = nullptr;
  }
  ~Font() {
    if (face_) FT_Done_Face(face_);
    if (lib_) FT_Done_FreeType(lib_);
  }
  Font(const Font&) = delete;
  Font& operator=(const Font&) = delete;

  // Draws `text` centred on cx, vertically centred in [top, top + box_h), shrunk to max_w.
  void draw(Canvas& cv, const std::string& text, int cx, int top, int box_h, int size, int max_w) {
    if (!face_ || text.empty()) return;
    const std::vector<unsigned long> cps = decode_utf8(text);
    long width = measure(cps, size);
    if (width > max_w && width > 0) {
      size = std::max(7, static_cast<int>(size * static_cast<double>(max_w) / width));
      width = measure(cps, size);
    }
    const long asc = face_->size->metrics.ascender >> 6, desc = -(face_->size->metrics.descender >> 6);
    const long baseline = top + (box_h - asc - desc) / 2 + asc;
    long pen = static_cast<long>(cx) * 64 - width * 32;  // 26.6 fixed point
    for (unsigned long cp : cps) {
      if (FT_Load_Char(face_, cp, FT_LOAD_RENDER) != 0) continue;
      const FT_GlyphSlot g = face_->glyph;
      if (g->bitmap.pixel_mode == FT_PIXEL_MODE_GRAY && g->bitmap.pitch > 0) {
        const long x0 = (pen >> 6) + g->bitmap_left, y0 = baseline - g->bitmap_top;
        for (unsigned r = 0; r < g->bitmap.rows; ++r)
          for (unsigned c = 0; c < g->bitmap.width; ++c) {
            const unsigned char cov = g->bitmap.buffer[r * g->bitmap.pitch + c];
            if (cov) cv.blend(static_cast<int>(x0 + c), static_cast<int>(y0 + r), kText, cov / 255.f);
          }
      }
      pen += g->advance.x;
    }
  }

 private:
  long measure(const std::vector<unsigned long>& cps, int size) {  // in pixels
    FT_Set_Pixel_Sizes(face_, 0, static_cast<FT_UInt>(size));
    long w = 0;
    for (unsigned long cp : cps)
      if (FT_Load_Char(face_, cp, FT_LOAD_DEFAULT) == 0) w += face_->glyph->advance.x;
    return w >> 6;
  }
  static std::vector<unsigned long> decode_utf8(const std::string& s) {
    std::vector<unsigned long> out;
    for (std::size_t i = 0; i < s.size();) {
      const unsigned char c = static_cast<unsigned char>(s[i]);
      const int n = c < 0x80 ? 0 : c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : -1;
      if (n < 0 || (n > 0 && i + n >= s.size())) {  // stray or truncated sequence
        out.push_back('?');
        ++i;
        continue;
      }
      unsigned long cp = n == 0 ? c : c & (0x3f >> n);
      for (int k = 1; k <= n; ++k) cp = cp << 6 | (static_cast<unsigned char>(s[i + k]) & 0x3f);
      out.push_back(cp);
      i += n + 1;
    }
    return out;
  }
  FT_Library lib_ = nullptr;
  FT_Face face_ = nullptr;
};
#else
// Without FreeType no text is drawn.
class Font {
 public:
  void draw(Canvas&, const std::string&, int, int, int, int, int) {}
};
#endif

#if DF_HAVE_PNG
void png_append(png_structp png, png_bytep data, png_size_t len) {
  static_cast<std::string*>(png_get_io_ptr(png))->append(reinterpret_cast<const char*>(data), len);
}

// Encodes 8-bit RGB rows; only trivially destructible locals live across setjmp.
bool encode_png(png_bytepp rows, int w, int h, std::string* out) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  if (!png) return false;
  png_infop info = png_create_info_struct(png);
  if (!info || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, info ? &info : nullptr);
    return false;
  }
  png_set_write_fn(png, out, png_append, nullptr);
  png_set_IHDR(png, info, static_cast<png_uint_32>(w), static_cast<png_uint_32>(h), 8, PNG_COLOR_TYPE_RGB,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  png_write_image(png, rows);
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return true;
}

void save_png(const std::string& path, const Canvas& cv) {
  std::vector<unsigned char> bytes(cv.px.size());
  for (std::size_t i = 0; i < bytes.size(); ++i)
    bytes[i] = static_cast<unsigned char>(std::lround(std::clamp(cv.px[i], 0.f, 255.f)));
  std::vector<png_bytep> rows(static_cast<std::size_t>(cv.h));
  for (int y = 0; y < cv.h; ++y) rows[y] = bytes.data() + static_cast<std::size_t>(y) * cv.w * 3;
  std::string out;
  if (!encode_png(rows.data(), cv.w, cv.h, &out)) throw std::runtime_error("PNG encoding failed for '" + path + "'");
  atomic_write_file(path, out);
}
#else
[[noreturn]] void save_png(const std::string&, const Canvas&) { throw std::runtime_error(kNoPng); }
#endif

void check_panels(const std::string& path, const std::vector<Panel>& panels, int panel_px) {
  if (panels.empty()) throw std::invalid_argument("plot: no panels for '" + path + "'");
  if (panel_px < 32 || panel_px > 4096) throw std::invalid_argument("plot: panel_px out of range [32, 4096]");
  for (const Panel& p : panels) {
    if (p.points.rows > 0 && p.points.cols < 2)
      throw InputError("cannot plot '" + path + "': panel '" + p.title + "' has " +
                       std::to_string(p.points.cols) + " column(s), need 2");
    if (!p.labels.empty() && p.labels.size() != p.points.rows)
      throw std::invalid_argument("plot: panel '" + p.title + "' has labels.size() != points.rows");
  }
}

// Draws the figure skeleton (titles, frames) and calls body(panel, x0, y0) for each panel.
template <class Body>
void draw_figure(const std::string& path, const std::vector<Panel>& panels, int panel_px,
                 const std::string& suptitle, Body body) {
  check_panels(path, panels, panel_px);
  if (!png_available()) throw std::runtime_error(kNoPng);  // before drawing for nothing
  const PlotLayout lay = plot_layout(panels.size(), panel_px, !suptitle.empty());
  Canvas cv(lay.width, lay.height);
  Font font;
  font.draw(cv, suptitle, lay.width / 2, 4, kSuptitleH - 4, kSuptitlePx, lay.width - 2 * kMargin);
  for (std::size_t i = 0; i < panels.size(); ++i) {
    const int x0 = lay.panel_x[i], y0 = lay.panel_y[i];
    body(cv, panels[i], x0, y0);
    for (int k = -1; k <= panel_px; ++k) {
      cv.blend(x0 + k, y0 - 1, kFrame, 1.f);
      cv.blend(x0 + k, y0 + panel_px, kFrame, 1.f);
      cv.blend(x0 - 1, y0 + k, kFrame, 1.f);
      cv.blend(x0 + panel_px, y0 + k, kFrame, 1.f);
    }
    font.draw(cv, panels[i].title, x0 + panel_px / 2, y0 - kTitleH, kTitleH - 2, kTitlePx, panel_px);
  }
  save_png(path, cv);
}

Rgb heat_colour(double t) {  // light yellow -> green-blue -> dark blue (YlGnBu-like)
  static constexpr Rgb stops[5] = {{255, 255, 204}, {161, 218, 180}, {65, 182, 196}, {34, 94, 168}, {8, 29, 88}};
  const double s = std::clamp(t, 0.0, 1.0) * 4;
  const int k = std::min(3, static_cast<int>(s));
  const float f = static_cast<float>(s - k);
  const Rgb &a = stops[k], &b = stops[k + 1];
  return {a.r + (b.r - a.r) * f, a.g + (b.g - a.g) * f, a.b + (b.b - a.b) * f};
}

}  // namespace

bool png_available() {
#if DF_HAVE_PNG
  return true;
#else
  return false;
#endif
}

std::string plot_font_path() {
  const char* env = std::getenv("DF_PLOT_FONT");
  return env && *env ? env : "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
}

ViewBox view_box(const Panel& p) {
  if (p.xmin < p.xmax && p.ymin < p.ymax) return {p.xmin, p.xmax, p.ymin, p.ymax};
  double lo[2] = {std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity()};
  double hi[2] = {-lo[0], -lo[1]};
  for (std::size_t i = 0; p.points.cols >= 2 && i < p.points.rows; ++i) {
    const double x = p.points(i, 0), y = p.points(i, 1);
    if (!std::isfinite(x) || !std::isfinite(y)) continue;
    lo[0] = std::min(lo[0], x), hi[0] = std::max(hi[0], x);
    lo[1] = std::min(lo[1], y), hi[1] = std::max(hi[1], y);
  }
  if (lo[0] > hi[0]) return {-1, 1, -1, 1};
  const double cx = 0.5 * (lo[0] + hi[0]), cy = 0.5 * (lo[1] + hi[1]);
  double half = 0.55 * std::max(hi[0] - lo[0], hi[1] - lo[1]);  // half range + 5% margin
  if (!(half > 0) || !std::isfinite(half)) half = 1;
  return {cx - half, cx + half, cy - half, cy + half};
}

PlotLayout plot_layout(std::size_t n_panels, int panel_px, bool has_suptitle) {
  PlotLayout lay;
  const int n = static_cast<int>(n_panels), cols = std::min(n, kMaxCols), rows = (n + kMaxCols - 1) / kMaxCols;
  const int cell_w = panel_px + 2 * kMargin, cell_h = kTitleH + panel_px + kMargin, top = has_suptitle ? kSuptitleH : 0;
  lay.width = cols * cell_w;
  lay.height = top + rows * cell_h + kMargin;
  for (int i = 0; i < n; ++i) {
    lay.panel_x.push_back((i % kMaxCols) * cell_w + kMargin);
    lay.panel_y.push_back(top + (i / kMaxCols) * cell_h + kTitleH);
  }
  return lay;
}

void write_scatter_png(const std::string& path, const std::vector<Panel>& panels, int panel_px,
                       const std::string& suptitle) {
  draw_figure(path, panels, panel_px, suptitle, [panel_px](Canvas& cv, const Panel& p, int x0, int y0) {
    const ViewBox vb = view_box(p);
    const std::size_t n = p.points.rows;
    const float alpha = static_cast<float>(std::clamp(2000.0 / std::max<std::size_t>(n, 1), 0.05, 0.8));
    const double r = n > 20000 ? 1.2 : 1.8, sx = panel_px / (vb.xmax - vb.xmin), sy = panel_px / (vb.ymax - vb.ymin);
    for (std::size_t i = 0; i < n; ++i) {
      const double fx = x0 + (p.points(i, 0) - vb.xmin) * sx, fy = y0 + (vb.ymax - p.points(i, 1)) * sy;
      if (!(fx > x0 - r && fx < x0 + panel_px + r && fy > y0 - r && fy < y0 + panel_px + r)) continue;
      const int lab = p.labels.empty() ? 0 : p.labels[i];
      const Rgb& c = lab < 0 ? kNegative : kPalette[lab % 10];
      const int xa = std::max(x0, static_cast<int>(std::floor(fx - r)));
      const int xb = std::min(x0 + panel_px - 1, static_cast<int>(fx + r));
      const int ya = std::max(y0, static_cast<int>(std::floor(fy - r)));
      const int yb = std::min(y0 + panel_px - 1, static_cast<int>(fy + r));
      for (int y = ya; y <= yb; ++y)
        for (int x = xa; x <= xb; ++x) {
          const double dx = x + 0.5 - fx, dy = y + 0.5 - fy;
          if (dx * dx + dy * dy <= r * r) cv.blend(x, y, c, alpha);
        }
    }
  });
}

void write_density_png(const std::string& path, const std::vector<Panel>& panels, int bins, int panel_px) {
  if (bins < 1 || bins > 4096) throw std::invalid_argument("write_density_png: bins out of range [1, 4096]");
  draw_figure(path, panels, panel_px, "", [bins, panel_px](Canvas& cv, const Panel& p, int x0, int y0) {
    const ViewBox vb = view_box(p);
    std::vector<double> count(static_cast<std::size_t>(bins) * bins, 0.0);
    double max_count = 0;
    for (std::size_t i = 0; i < p.points.rows; ++i) {
      const double bx = std::floor((p.points(i, 0) - vb.xmin) / (vb.xmax - vb.xmin) * bins);
      const double by = std::floor((vb.ymax - p.points(i, 1)) / (vb.ymax - vb.ymin) * bins);
      if (!(bx >= 0 && bx < bins && by >= 0 && by < bins)) continue;  // also drops NaN
      double& c = count[static_cast<std::size_t>(by) * bins + static_cast<std::size_t>(bx)];
      max_count = std::max(max_count, ++c);
    }
    if (max_count == 0) return;
    for (int y = 0; y < panel_px; ++y)
      for (int x = 0; x < panel_px; ++x) {
        const double c = count[static_cast<std::size_t>(y * bins / panel_px) * bins + x * bins / panel_px];
        if (c > 0) cv.blend(x0 + x, y0 + y, heat_colour(0.15 + 0.85 * std::log1p(c) / std::log1p(max_count)), 1.f);
      }
  });
}

}  // namespace df
