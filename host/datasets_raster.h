// Piecewise-constant densities on a raster grid, used by the "tree" and "text" data sets
// (internal to host/datasets.cpp; the public view is df::RasterGrid in datasets.h).
//   Pixel (i, j), k = j·nx + i, covers [x0 + i·pixel, +pixel) × [y0 + j·pixel, +pixel), y upward.
//   weight[k] is an integer mass (covered sub-samples for the tree, grey level for text);
//   m_k = weight[k] / total, p = m_k / pixel² inside the pixel, entropy = −Σ m log(m / pixel²).
//   Integer weights make the pixel draw exact: draw(u) = first k with cdf[k] > ⌊u·total⌋.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace df {

struct RasterDensity {
  double x0 = 0, y0 = 0, pixel = 0;
  std::size_t nx = 0, ny = 0;
  std::vector<std::uint32_t> weight;  // nx·ny, row j = y index
  std::vector<std::uint64_t> cdf;     // inclusive prefix sums of weight
  double entropy = 0;                 // nats

  std::size_t draw(double u) const;                 // u in [0, 1) -> pixel index
  double log_density(double x, double y) const;     // −inf outside the grid or on weight 0
  void finish();                                    // fills cdf and entropy from weight
};

// A binary tree of thick segments (capsules): trunk 0.55 long and 0.06 wide from (0, 0) upward,
// each child ×0.72 long and ×0.68 wide at ±0.45 rad, 9 levels (511 segments); 256×256 pixels
// over a square box around it, mass = covered area measured with 8×8 sub-samples per pixel.
RasterDensity rasterize_tree();

// `word` rendered with FreeType and DejaVuSans-Bold at 128 px per em, grey level as mass; one
// pixel = 1/128 (em height 1), cropped to the ink and centred at the origin. Throws
// std::runtime_error if the font is missing, InputError if the word has no ink.
RasterDensity rasterize_text(const std::string& word);

}  // namespace df
