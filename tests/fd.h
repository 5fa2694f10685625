// Test helpers: central finite differences, seeded random matrices, and one comparison helper
// that fails loudly with the worst element.
#pragma once
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "engine/params.h"
#include "kernels/cpu/mlp.h"

namespace df {
namespace test {

inline MatX<double> random_mat(int rows, int cols, unsigned seed, double scale = 1.0) {
  std::mt19937_64 rng(seed);
  MatX<double> m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i)
    m.data()[i] = scale * (double(rng() >> 11) / 9007199254740992.0 * 2.0 - 1.0);
  return m;
}

// Central differences of f at p, every coordinate.
inline std::vector<double> fd_gradient(const std::function<double(const std::vector<double>&)>& f,
                                       std::vector<double> p, double h) {
  std::vector<double> g(p.size());
  for (std::size_t i = 0; i < p.size(); ++i) {
    double keep = p[i];
    p[i] = keep + h;
    double fp = f(p);
    p[i] = keep - h;
    double fm = f(p);
    p[i] = keep;
    g[i] = (fp - fm) / (2 * h);
  }
  return g;
}

// max_i |a_i − b_i| / max(max_j |b_j|, tiny) ≤ rel, reporting the worst element.
inline void expect_close(const std::vector<double>& a, const std::vector<double>& b, double rel,
                         const std::string& what) {
  REQUIRE(a.size() == b.size());
  double scale = 1e-300, worst = 0;
  std::size_t wi = 0;
  for (double v : b) scale = std::max(scale, std::fabs(v));
  for (std::size_t i = 0; i < a.size(); ++i) {
    double e = std::fabs(a[i] - b[i]);
    if (!(e <= worst)) { worst = e; wi = i; }
  }
  INFO(what << ": worst element " << wi << " got " << a[wi] << " expected " << b[wi] << ", error "
            << worst / scale << " relative to max |expected| = " << scale);
  CHECK(worst / scale <= rel);
}

}  // namespace test
}  // namespace df
