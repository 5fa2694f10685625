// Time grids and diffusion schedules (MATH.md §6).
//   exponent: t_i = (a + (b − a) i/N)^(1/p), a = t_start^p, b = t_end^p (the default)
//   linear:   t_i = t_start + (t_end − t_start) i/N
//   randomized (training option): t_0 and t_N kept, each interior point drawn uniformly (in the
//   warped a..b space) inside its cell; drawn from the counter-based generator, so it is a pure
//   function of (seed, iteration).
// g is constant, or piecewise linear in t through given knots (one per grid point of a grid the
// user gave): g_i = g(t_i) on whatever grid is in use, so any N works at sampling time.
// Progressive N: N grows at iteration thresholds ("5:0,10:500,20:1000,30:1500").
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "kernels/math/philox.h"
#include "kernels/math/time_grid.h"

namespace df {

struct GSchedule {
  std::vector<double> t, g;  // knots; one knot = constant
  double operator()(double time) const;
  static GSchedule constant(double g) { return GSchedule{{0.0}, {g}}; }
  std::string str() const;
};

enum class GridKind { Exponent, Linear };

struct GridSpec {
  GridKind kind = GridKind::Exponent;
  int N = 30;
  double t_start = 0.001, t_end = 0.05, p = 0.9;
  bool randomize = false;
  std::vector<std::pair<int, int>> progressive;  // (iteration threshold, N), ascending
  int steps_at(std::int64_t iteration) const;   // N in force at this iteration
};

// The grid for N steps; randomized when spec.randomize, keyed by key.
TimeGrid make_grid(const GridSpec& spec, const GSchedule& g, int N, const NoiseKey* key = nullptr);

// Parses "5:0,10:500" (N:threshold pairs). Throws InputError.
std::vector<std::pair<int, int>> parse_progressive(const std::string& text);

}  // namespace df
