// A time grid as the sweeps read it (MATH.md §6): t_0 < … < t_N and g_0 … g_N at those times.
// How grids are made (exponent, linear, randomized, progressive N, g schedules) is engine/grid.h.
#pragma once
#include <vector>

namespace df {

struct TimeGrid {
  std::vector<double> t;  // t_0..t_N
  std::vector<double> g;  // g_0..g_N
  int N() const { return int(t.size()) - 1; }
  double dt(int i) const { return t[i + 1] - t[i]; }
};

}  // namespace df
