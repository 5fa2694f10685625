// Image-grid figures; see host/plot_images.h.
#include "host/plot_images.h"

#include <algorithm>
#include <cmath>

#include "host/errors.h"
#include "host/plot_axes.h"
#include "host/plot_canvas.h"

namespace df {

void write_image_grid_png(const std::string& path, const std::vector<ImagePanel>& panels, const std::string& suptitle,
                          int scale) {
  if (panels.empty()) throw InputError("image grid: no panels");
  int s = scale;
  std::size_t max_tiles_w = 1;
  for (const ImagePanel& p : panels) {
    if (p.h < 1 || p.w < 1 || p.cols < 1 || p.images.cols != std::size_t(p.h) * std::size_t(p.w))
      throw InputError("image grid '" + p.title + "': rows of " + std::to_string(p.images.cols) + " values are not " +
                       std::to_string(p.h) + "×" + std::to_string(p.w) + " images");
    max_tiles_w = std::max(max_tiles_w, std::size_t(p.cols) * std::size_t(p.w + 1));
  }
  if (s <= 0) s = std::max(1, int(600 / max_tiles_w));
  constexpr int kGap = 1, kMargin = 12, kTitle = 26, kCols = 4;
  auto grid_size = [&](const ImagePanel& p, int* gw, int* gh) {
    const int rows = int((p.images.rows + std::size_t(p.cols) - 1) / std::size_t(p.cols));
    *gw = p.cols * (p.w * s + kGap) - kGap;
    *gh = std::max(rows, 1) * (p.h * s + kGap) - kGap;
  };
  int cell_w = 0, cell_h = 0;
  for (const ImagePanel& p : panels) {
    int gw, gh;
    grid_size(p, &gw, &gh);
    cell_w = std::max(cell_w, gw + 2 * kMargin);
    cell_h = std::max(cell_h, gh + kTitle + kMargin);
  }
  const int ncol = std::min<int>(kCols, int(panels.size())), nrow = int((panels.size() + kCols - 1) / kCols);
  const int top = suptitle.empty() ? 0 : kSuptitleH;
  plot::Canvas cv(ncol * cell_w, top + nrow * cell_h);
  plot::Font font;
  if (!suptitle.empty()) plot::draw_suptitle(cv, font, suptitle);
  for (std::size_t i = 0; i < panels.size(); ++i) {
    const ImagePanel& p = panels[i];
    const int cx = int(i % kCols) * cell_w, cy = top + int(i / kCols) * cell_h;
    int gw, gh;
    grid_size(p, &gw, &gh);
    const int x0 = cx + (cell_w - gw) / 2, y0 = cy + kTitle;
    font.draw(cv, p.title, cx + cell_w / 2, cy + 2, kTitle - 4, plot::kTitlePx, cell_w - 8);
    cv.fill_rect({x0 - 1, y0 - 1, x0 + gw + 1, y0 + gh + 1}, plot::kFrame, 1.f);
    cv.fill_rect({x0, y0, x0 + gw, y0 + gh}, plot::kWhite, 1.f);
    for (std::size_t n = 0; n < p.images.rows; ++n) {
      const int tx = x0 + int(n % std::size_t(p.cols)) * (p.w * s + kGap);
      const int ty = y0 + int(n / std::size_t(p.cols)) * (p.h * s + kGap);
      const double* img = p.images.row(n);
      for (int y = 0; y < p.h; ++y)
        for (int x = 0; x < p.w; ++x) {
          double v = img[y * p.w + x];
          v = std::isfinite(v) ? std::clamp(v, 0.0, 1.0) : 0.0;
          const float g = float(255.0 * v);
          cv.fill_rect({tx + x * s, ty + y * s, tx + (x + 1) * s, ty + (y + 1) * s}, plot::Rgb{g, g, g}, 1.f);
        }
    }
  }
  plot::save_png(path, cv);
}

}  // namespace df
