// Drawing primitives of the figures (see host/plot_canvas.h): canvas, discs, strokes, bands,
// FreeType text rendered into a coverage mask and blitted upright or turned, PNG encoding.
#include "host/plot_canvas.h"

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
#include <stdexcept>

#include "host/io.h"
#include "host/plot.h"

namespace df {

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

namespace plot {

Canvas::Canvas(int w_, int h_) : w(w_), h(h_), px(static_cast<std::size_t>(w_) * h_ * 3, 255.f), clip{0, 0, w_, h_} {}

void Canvas::blend(int x, int y, const Rgb& c, float a) {
  if (!clip.contains(x, y) || x >= w || y >= h || x < 0 || y < 0) return;
  float* p = &px[(static_cast<std::size_t>(y) * w + x) * 3];
  p[0] += (c.r - p[0]) * a;
  p[1] += (c.g - p[1]) * a;
  p[2] += (c.b - p[2]) * a;
}

bool Canvas::is_white(int x, int y) const {
  const float* p = &px[(static_cast<std::size_t>(y) * w + x) * 3];
  return p[0] >= 254.5f && p[1] >= 254.5f && p[2] >= 254.5f;
}

void Canvas::fill_rect(const Rect& r, const Rgb& c, float a) {
  for (int y = r.y0; y < r.y1; ++y)
    for (int x = r.x0; x < r.x1; ++x) blend(x, y, c, a);
}

void Canvas::disc(double fx, double fy, double r, const Rgb& c, float a) {
  if (!(fx > clip.x0 - r - 1 && fx < clip.x1 + r + 1 && fy > clip.y0 - r - 1 && fy < clip.y1 + r + 1)) return;
  const int xa = std::max(clip.x0, static_cast<int>(std::floor(fx - r))), xb = std::min(clip.x1 - 1, static_cast<int>(fx + r));
  const int ya = std::max(clip.y0, static_cast<int>(std::floor(fy - r))), yb = std::min(clip.y1 - 1, static_cast<int>(fy + r));
  for (int y = ya; y <= yb; ++y)
    for (int x = xa; x <= xb; ++x) {
      const double dx = x + 0.5 - fx, dy = y + 0.5 - fy;
      if (dx * dx + dy * dy <= r * r) blend(x, y, c, a);
    }
}

void Canvas::stroke(const Points& pts, double width, const Rgb& c, float a, double dash) {
  struct Seg {
    double ax, ay, bx, by;
  };
  std::vector<Seg> segs;
  double phase = 0;  // arc length into the dash pattern
  for (std::size_t i = 1; i < pts.size(); ++i) {
    const auto [ax, ay] = pts[i - 1];
    const auto [bx, by] = pts[i];
    if (!(std::isfinite(ax) && std::isfinite(ay) && std::isfinite(bx) && std::isfinite(by))) continue;
    const double len = std::hypot(bx - ax, by - ay);
    if (dash <= 0 || len == 0) {
      segs.push_back({ax, ay, bx, by});
      continue;
    }
    for (double t = 0; t < len;) {
      const double pos = std::fmod(phase, 2 * dash), step = std::min(pos < dash ? dash - pos : 2 * dash - pos, len - t);
      if (pos < dash) segs.push_back({ax + (bx - ax) * t / len, ay + (by - ay) * t / len, ax + (bx - ax) * (t + step) / len,
                                      ay + (by - ay) * (t + step) / len});
      t += step, phase += step;
    }
  }
  const double hw = 0.5 * width;
  std::vector<float> cov(static_cast<std::size_t>(clip.w()) * std::max(0, clip.h()), 0.f);
  for (const Seg& s : segs) {
    const double lo_x = std::min(s.ax, s.bx) - hw - 1, hi_x = std::max(s.ax, s.bx) + hw + 1;
    const double lo_y = std::min(s.ay, s.by) - hw - 1, hi_y = std::max(s.ay, s.by) + hw + 1;
    if (hi_x < clip.x0 || lo_x >= clip.x1 || hi_y < clip.y0 || lo_y >= clip.y1) continue;
    const int xa = std::max(clip.x0, static_cast<int>(std::floor(lo_x))), xb = std::min(clip.x1 - 1, static_cast<int>(hi_x));
    const int ya = std::max(clip.y0, static_cast<int>(std::floor(lo_y))), yb = std::min(clip.y1 - 1, static_cast<int>(hi_y));
    const double dx = s.bx - s.ax, dy = s.by - s.ay, l2 = dx * dx + dy * dy;
    for (int y = ya; y <= yb; ++y)
      for (int x = xa; x <= xb; ++x) {
        const double qx = x + 0.5 - s.ax, qy = y + 0.5 - s.ay;
        const double t = l2 > 0 ? std::clamp((qx * dx + qy * dy) / l2, 0.0, 1.0) : 0.0;
        const double d = std::hypot(qx - t * dx, qy - t * dy);
        float& v = cov[static_cast<std::size_t>(y - clip.y0) * clip.w() + (x - clip.x0)];
        v = std::max(v, static_cast<float>(std::clamp(hw + 0.5 - d, 0.0, 1.0)));
      }
  }
  for (int y = clip.y0; y < clip.y1; ++y)
    for (int x = clip.x0; x < clip.x1; ++x) {
      const float v = cov[static_cast<std::size_t>(y - clip.y0) * clip.w() + (x - clip.x0)];
      if (v > 0) blend(x, y, c, a * v);
    }
}

void Canvas::fill_between(const Points& lo, const Points& hi, const Rgb& c, float a) {
  if (lo.size() != hi.size() || lo.size() < 2) return;
  std::size_t k = 0;
  const double first = std::max<double>(lo.front().first, clip.x0), last = std::min<double>(lo.back().first, clip.x1);
  if (!(first <= last)) return;
  for (int x = static_cast<int>(std::ceil(first - 0.5)); x + 0.5 <= last; ++x) {
    const double xc = x + 0.5;
    while (k + 2 < lo.size() && lo[k + 1].first < xc) ++k;
    const double x0 = lo[k].first, x1 = lo[k + 1].first, f = x1 > x0 ? (xc - x0) / (x1 - x0) : 0.0;
    const double ya = lo[k].second + f * (lo[k + 1].second - lo[k].second);
    const double yb = hi[k].second + f * (hi[k + 1].second - hi[k].second);
    if (!std::isfinite(ya) || !std::isfinite(yb)) continue;
    const double top = std::max<double>(std::min(ya, yb), clip.y0), bottom = std::min<double>(std::max(ya, yb), clip.y1);
    for (int y = static_cast<int>(std::floor(top)); y < bottom; ++y) {
      const double cover = std::min<double>(y + 1, bottom) - std::max<double>(y, top);
      if (cover > 0) blend(x, y, c, a * static_cast<float>(std::min(1.0, cover)));
    }
  }
}

// ---- text -----------------------------------------------------------------

namespace {

std::vector<unsigned long> decode_utf8(const std::string& s) {
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

// A line of text rendered as coverage: w x h, the text's advance starting at column pad.
struct Mask {
  int w = 0, h = 0, pad = 0, text_w = 0;
  std::vector<unsigned char> a;
};

}  // namespace

#if DF_HAVE_FREETYPE
struct Font::Impl {
  FT_Library lib = nullptr;
  FT_Face face = nullptr;
  int measure(const std::vector<unsigned long>& cps, int size) {
    FT_Set_Pixel_Sizes(face, 0, static_cast<FT_UInt>(size));
    long w = 0;
    for (unsigned long cp : cps)
      if (FT_Load_Char(face, cp, FT_LOAD_DEFAULT) == 0) w += face->glyph->advance.x;
    return static_cast<int>(w >> 6);
  }
  // Renders at `size`, first shrunk so the text fits max_w.
  Mask render(const std::string& text, int size, int max_w) {
    const std::vector<unsigned long> cps = decode_utf8(text);
    int width = measure(cps, size);
    if (width > max_w && width > 0) {
      size = std::max(7, static_cast<int>(size * static_cast<double>(max_w) / width));
      width = measure(cps, size);
    }
    const long asc = face->size->metrics.ascender >> 6, desc = -(face->size->metrics.descender >> 6);
    Mask m;
    m.pad = size / 2 + 1, m.text_w = width, m.w = width + 2 * m.pad, m.h = static_cast<int>(asc + desc);
    m.a.assign(static_cast<std::size_t>(m.w) * m.h, 0);
    long pen = static_cast<long>(m.pad) * 64;  // 26.6 fixed point
    for (unsigned long cp : cps) {
      if (FT_Load_Char(face, cp, FT_LOAD_RENDER) != 0) continue;
      const FT_GlyphSlot g = face->glyph;
      if (g->bitmap.pixel_mode == FT_PIXEL_MODE_GRAY && g->bitmap.pitch > 0) {
        const long x0 = (pen >> 6) + g->bitmap_left, y0 = asc - g->bitmap_top;
        for (unsigned r = 0; r < g->bitmap.rows; ++r)
          for (unsigned c = 0; c < g->bitmap.width; ++c) {
            const long x = x0 + c, y = y0 + r;
            if (x < 0 || y < 0 || x >= m.w || y >= m.h) continue;
            unsigned char& v = m.a[static_cast<std::size_t>(y) * m.w + x];
            v = std::max(v, g->bitmap.buffer[r * g->bitmap.pitch + c]);
          }
      }
      pen += g->advance.x;
    }
    return m;
  }
};

Font::Font() : impl_(new Impl) {
  if (FT_Init_FreeType(&impl_->lib) != 0) impl_->lib = nullptr;
  if (impl_->lib && FT_New_Face(impl_->lib, plot_font_path().c_str(), 0, &impl_->face) != 0) impl_->face = nullptr;
}
Font::~Font() {
  if (impl_->face) FT_Done_Face(impl_->face);
  if (impl_->lib) FT_Done_FreeType(impl_->lib);
  delete impl_;
}
bool Font::ok() const { return impl_->face != nullptr; }
int Font::measure(const std::string& text, int size) { return ok() ? impl_->measure(decode_utf8(text), size) : 0; }

void Font::draw(Canvas& cv, const std::string& text, int x, int top, int box_h, int size, int max_w, Align align,
                const Rgb& colour) {
  if (!ok() || text.empty()) return;
  const Mask m = impl_->render(text, size, max_w);
  const int left = align == Align::left ? x : align == Align::right ? x - m.text_w : x - m.text_w / 2;
  const int x0 = left - m.pad, y0 = top + (box_h - m.h) / 2;
  for (int r = 0; r < m.h; ++r)
    for (int c = 0; c < m.w; ++c)
      if (const unsigned char v = m.a[static_cast<std::size_t>(r) * m.w + c]) cv.blend(x0 + c, y0 + r, colour, v / 255.f);
}

void Font::draw_vertical(Canvas& cv, const std::string& text, int cx, int cy, int size, int max_len) {
  if (!ok() || text.empty()) return;
  const Mask m = impl_->render(text, size, max_len);
  // mask (c, r) -> canvas (X0 + r, Y0 - c): reading direction upwards, letter tops to the left
  const int X0 = cx - m.h / 2, Y0 = cy + m.pad + m.text_w / 2;
  for (int r = 0; r < m.h; ++r)
    for (int c = 0; c < m.w; ++c)
      if (const unsigned char v = m.a[static_cast<std::size_t>(r) * m.w + c]) cv.blend(X0 + r, Y0 - c, kText, v / 255.f);
}
#else
// Without FreeType no text is drawn.
struct Font::Impl {};
Font::Font() = default;
Font::~Font() = default;
bool Font::ok() const { return false; }
int Font::measure(const std::string&, int) { return 0; }
void Font::draw(Canvas&, const std::string&, int, int, int, int, int, Align, const Rgb&) {}
void Font::draw_vertical(Canvas&, const std::string&, int, int, int, int) {}
#endif

// ---- PNG ------------------------------------------------------------------

#if DF_HAVE_PNG
namespace {
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
}  // namespace

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
void save_png(const std::string&, const Canvas&) { throw std::runtime_error(kNoPng); }
#endif

}  // namespace plot
}  // namespace df
