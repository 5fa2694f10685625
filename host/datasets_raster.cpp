// Raster densities for the "tree" and "text" data sets: the tree as a union of capsules
// rasterized with 8×8 sub-samples per pixel, the word with FreeType (DejaVuSans-Bold, grey
// levels). Both end as integer pixel weights; see datasets_raster.h for the conventions.
// Without FreeType (DF_HAVE_FREETYPE unset by CMake) the text set throws InputError.
#include "host/datasets_raster.h"

#if DF_HAVE_FREETYPE
#include <ft2build.h>
#include FT_FREETYPE_H
#endif

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <stdexcept>

#include "host/errors.h"

namespace df {

void RasterDensity::finish() {
  cdf.resize(weight.size());
  std::uint64_t acc = 0;
  for (std::size_t k = 0; k < weight.size(); ++k) cdf[k] = acc += weight[k];
  const double total = static_cast<double>(acc), area = pixel * pixel;
  entropy = 0.0;
  for (std::uint32_t w : weight)
    if (w > 0) {
      const double m = w / total;
      entropy -= m * std::log(m / area);
    }
}

std::size_t RasterDensity::draw(double u) const {
  const std::uint64_t total = cdf.back();
  std::uint64_t target = static_cast<std::uint64_t>(u * static_cast<double>(total));
  if (target >= total) target = total - 1;
  return static_cast<std::size_t>(std::upper_bound(cdf.begin(), cdf.end(), target) - cdf.begin());
}

double RasterDensity::log_density(double x, double y) const {
  const double fx = (x - x0) / pixel, fy = (y - y0) / pixel;
  if (!(fx >= 0 && fy >= 0 && fx < static_cast<double>(nx) && fy < static_cast<double>(ny)))
    return -std::numeric_limits<double>::infinity();
  const std::size_t i = std::min(static_cast<std::size_t>(fx), nx - 1);
  const std::size_t j = std::min(static_cast<std::size_t>(fy), ny - 1);
  const std::uint32_t w = weight[j * nx + i];
  if (w == 0) return -std::numeric_limits<double>::infinity();
  return std::log(w / static_cast<double>(cdf.back())) - 2.0 * std::log(pixel);
}

// ---- tree -------------------------------------------------------------------
namespace {

struct Capsule { double ax, ay, bx, by, r; };

void grow(std::vector<Capsule>& out, double x, double y, double angle, double len, double width,
          int depth) {
  if (depth == 0) return;
  const double ex = x + len * std::cos(angle), ey = y + len * std::sin(angle);
  out.push_back({x, y, ex, ey, width / 2});
  grow(out, ex, ey, angle + 0.45, len * 0.72, width * 0.68, depth - 1);
  grow(out, ex, ey, angle - 0.45, len * 0.72, width * 0.68, depth - 1);
}

bool inside(const Capsule& c, double px, double py) {
  const double dx = c.bx - c.ax, dy = c.by - c.ay, qx = px - c.ax, qy = py - c.ay;
  const double t = std::clamp((qx * dx + qy * dy) / (dx * dx + dy * dy), 0.0, 1.0);
  const double ex = qx - t * dx, ey = qy - t * dy;
  return ex * ex + ey * ey <= c.r * c.r;
}

}  // namespace

RasterDensity rasterize_tree() {
  std::vector<Capsule> caps;
  grow(caps, 0.0, 0.0, 1.57079632679489661923, 0.55, 0.06, 9);
  double lo[2] = {1e300, 1e300}, hi[2] = {-1e300, -1e300};
  for (const Capsule& c : caps) {
    lo[0] = std::min({lo[0], c.ax - c.r, c.bx - c.r}), hi[0] = std::max({hi[0], c.ax + c.r, c.bx + c.r});
    lo[1] = std::min({lo[1], c.ay - c.r, c.by - c.r}), hi[1] = std::max({hi[1], c.ay + c.r, c.by + c.r});
  }
  constexpr std::size_t N = 256, S = 8, M = N * S;
  const double side = 1.04 * std::max(hi[0] - lo[0], hi[1] - lo[1]);
  RasterDensity g;
  g.nx = g.ny = N;
  g.pixel = side / N;
  g.x0 = 0.5 * (lo[0] + hi[0]) - side / 2;
  g.y0 = 0.5 * (lo[1] + hi[1]) - side / 2;
  const double hs = side / M;
  std::vector<std::uint8_t> mask(M * M, 0);
  auto sub = [&](double v, double origin) {  // sub-sample index range clamp
    return static_cast<long>(std::clamp(std::floor((v - origin) / hs), 0.0, double(M - 1)));
  };
  for (const Capsule& c : caps) {
    const long i0 = sub(std::min(c.ax, c.bx) - c.r, g.x0), i1 = sub(std::max(c.ax, c.bx) + c.r, g.x0);
    const long j0 = sub(std::min(c.ay, c.by) - c.r, g.y0), j1 = sub(std::max(c.ay, c.by) + c.r, g.y0);
    for (long j = j0; j <= j1; ++j)
      for (long i = i0; i <= i1; ++i)
        if (inside(c, g.x0 + (i + 0.5) * hs, g.y0 + (j + 0.5) * hs)) mask[j * M + i] = 1;
  }
  g.weight.assign(N * N, 0);
  for (std::size_t j = 0; j < M; ++j)
    for (std::size_t i = 0; i < M; ++i) g.weight[(j / S) * N + i / S] += mask[j * M + i];
  g.finish();
  return g;
}

// ---- text -------------------------------------------------------------------
#if !DF_HAVE_FREETYPE
RasterDensity rasterize_text(const std::string&) {
  throw InputError("this build has no FreeType: the text data set is unavailable");
}
#else
RasterDensity rasterize_text(const std::string& word) {
  static const char* const kFonts[] = {"/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
                                       "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf",
                                       "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf"};
  std::string path;
  for (const char* f : kFonts)
    if (path.empty() && std::ifstream(f).good()) path = f;
  if (path.empty())
    throw std::runtime_error(std::string("text data set: font not found at ") + kFonts[0] +
                             " (install the Debian package fonts-dejavu-core)");
  struct Ft {
    FT_Library lib = nullptr;
    FT_Face face = nullptr;
    ~Ft() { if (face) FT_Done_Face(face); if (lib) FT_Done_FreeType(lib); }
  } ft;
  constexpr int kPx = 128;
  if (FT_Init_FreeType(&ft.lib) || FT_New_Face(ft.lib, path.c_str(), 0, &ft.face) ||
      FT_Set_Pixel_Sizes(ft.face, 0, kPx))
    throw std::runtime_error("text data set: FreeType could not open " + path);
  FT_Face face = ft.face;

  // Layout: pen positions (whole pixels) with kerning.
  std::vector<FT_UInt> glyphs;
  std::vector<long> pens;
  long pen = 0;
  for (char ch : word) {
    const FT_UInt gi = FT_Get_Char_Index(face, static_cast<unsigned char>(ch));
    if (FT_HAS_KERNING(face) && !glyphs.empty()) {
      FT_Vector d{};
      if (!FT_Get_Kerning(face, glyphs.back(), gi, FT_KERNING_DEFAULT, &d)) pen += d.x >> 6;
    }
    if (FT_Load_Glyph(face, gi, FT_LOAD_DEFAULT)) throw std::runtime_error("FreeType: bad glyph");
    glyphs.push_back(gi);
    pens.push_back(pen);
    pen += face->glyph->advance.x >> 6;
  }
  const long asc = face->size->metrics.ascender >> 6, desc = face->size->metrics.descender >> 6;
  const long pad = kPx, W = pen + 2 * pad, H = asc - desc + 2 * pad, base = pad + asc;
  std::vector<std::uint8_t> canvas(static_cast<std::size_t>(W * H), 0);
  for (std::size_t k = 0; k < glyphs.size(); ++k) {
    if (FT_Load_Glyph(face, glyphs[k], FT_LOAD_RENDER)) throw std::runtime_error("FreeType: render");
    const FT_Bitmap& bm = face->glyph->bitmap;
    if (bm.width > 0 && bm.pixel_mode != FT_PIXEL_MODE_GRAY)
      throw std::runtime_error("FreeType: unexpected pixel mode");
    const long left = pad + pens[k] + face->glyph->bitmap_left, top = base - face->glyph->bitmap_top;
    for (long r = 0; r < static_cast<long>(bm.rows); ++r)
      for (long c = 0; c < static_cast<long>(bm.width); ++c) {
        const long y = top + r, x = left + c;
        if (x < 0 || y < 0 || x >= W || y >= H) continue;
        std::uint8_t& px = canvas[y * W + x];
        px = std::max(px, bm.buffer[r * bm.pitch + c]);
      }
  }
  long r0 = H, r1 = -1, c0 = W, c1 = -1;
  for (long y = 0; y < H; ++y)
    for (long x = 0; x < W; ++x)
      if (canvas[y * W + x]) r0 = std::min(r0, y), r1 = std::max(r1, y), c0 = std::min(c0, x), c1 = std::max(c1, x);
  if (r1 < 0) throw InputError("text data set: the word '" + word + "' has no visible glyphs");

  RasterDensity g;
  g.nx = static_cast<std::size_t>(c1 - c0 + 1);
  g.ny = static_cast<std::size_t>(r1 - r0 + 1);
  g.pixel = 1.0 / kPx;
  g.x0 = -0.5 * g.pixel * g.nx;
  g.y0 = -0.5 * g.pixel * g.ny;
  g.weight.assign(g.nx * g.ny, 0);
  for (std::size_t j = 0; j < g.ny; ++j)  // j = 0 is the bottom row (canvas row r1)
    for (std::size_t i = 0; i < g.nx; ++i)
      g.weight[j * g.nx + i] = canvas[(r1 - static_cast<long>(j)) * W + c0 + static_cast<long>(i)];
  g.finish();
  return g;
}
#endif  // DF_HAVE_FREETYPE

}  // namespace df
