// The 2-D toy data sets of DATA.md §1, in RAW coordinates (before the project's rescale to
// max |coordinate| = 0.85 and standardization, which live elsewhere), and their exact densities
// where one is known.
//
// Names: swissroll circles rings moons 8gaussians pinwheel 2spirals checkerboard olympic four
// carpet tree text. Two take one parameter after a colon:
//   carpet:L     Sierpinski carpet level L = 1..8 on [0,1)^2 (default 3)
//   text:WORD    the word (printable ASCII, 1..64 characters) rendered with FreeType and
//                DejaVuSans-Bold (default "DiffFlow"); em height = 1 unit, centred at 0
// olympic and four use the DiffFlow default noise 0.01 (ring noise sd 0.01·√0.2), fixed.
//
// Determinism: sample_dataset is a pure function of (name, n, seed). It uses std::mt19937_64
// (whose output is fixed by the standard) with its own uniform, Box–Muller normal and
// Fisher–Yates shuffle, never the implementation-defined std distributions; the only platform
// dependence left is the libm used for log/sin/cos/exp.
//
// Exact densities (raw coordinates): checkerboard (1/32 on 8 squares, H = log 32), carpet:L
// ((9/8)^L on the set, H = L·log(8/9)), 8gaussians (the mixture; H by quadrature ≈ 2.833),
// tree and text (piecewise constant on a raster grid: mass m per pixel, p = m / pixel area,
// H = −Σ m log(m / area)). Other sets: known = false, and log_density throws InputError.
// Bad names or parameters throw InputError. A missing font throws std::runtime_error.
#pragma once
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "host/matrix.h"

namespace df {

// All base names, in the order above.
std::vector<std::string> dataset_names();

// True if `name` is a base name, optionally with a valid parameter (carpet:L, text:WORD).
bool is_dataset_name(const std::string& name);

// The name with every parameter spelled out (carpet -> carpet:3, text -> text:DiffFlow), as a
// checkpoint records it; InputError for an unknown name.
std::string canonical_dataset_name(const std::string& name);

// n×2 samples in raw coordinates; a pure function of (name, n, seed).
Matrix sample_dataset(const std::string& name, std::size_t n, std::uint64_t seed);

struct ExactDensity {
  bool known = false;
  double entropy = std::numeric_limits<double>::quiet_NaN();  // nats, raw coordinates
};

// Whether the density is known, and its differential entropy.
ExactDensity exact_density(const std::string& name);

// log p(x, y) in raw coordinates; −inf off the support of hard-support sets.
// Throws InputError for a set without a known density.
double log_density(const std::string& name, double x, double y);

// True where the true density is > 0 (used for leakage). Sets without a hard support
// (gaussian mixtures, noisy curves) return true everywhere; non-finite points are never in it.
bool in_support(const std::string& name, double x, double y);

// checkerboard, carpet, tree, text.
bool has_hard_support(const std::string& name);

// Geometry of the raster grid behind tree and text (pixel (i, j) covers
// [x0 + i·pixel, x0 + (i+1)·pixel) × [y0 + j·pixel, y0 + (j+1)·pixel)); throws InputError for
// other sets. Useful to integrate or plot the exact density.
struct RasterGrid {
  double x0 = 0, y0 = 0, pixel = 0;
  int nx = 0, ny = 0;
};
RasterGrid raster_grid(const std::string& name);

}  // namespace df
