// Figures of image data (Fashion-MNIST, the digits): each panel a grid of grey tiles, one per
// row of a matrix read as an h×w image in [0, 1] (values outside are clipped, 0 black, 1 white),
// each tile scaled up by a whole factor, a thin gap between tiles, a title above the panel and an
// optional suptitle. Panels side by side (rows of at most 4). PNG through the plotting layer
// (host/plot_canvas.h); without libpng it throws like the other writers (png_available()).
#pragma once
#include <string>
#include <vector>

#include "host/matrix.h"

namespace df {

struct ImagePanel {
  std::string title;
  Matrix images;  // n × (h·w), row-major pixels, values in [0, 1]
  int h = 0, w = 0;
  int cols = 10;  // tiles per row of the grid (rows follow from n)
};

// scale 0: the largest whole factor that keeps a panel's grid within about 600 pixels wide.
void write_image_grid_png(const std::string& path, const std::vector<ImagePanel>& panels, const std::string& suptitle = "",
                          int scale = 0);

}  // namespace df
