// Tests for host/datasets: names and parameters, determinism, shapes, finiteness, the hard
// supports (checkerboard, carpet), that the exact densities integrate to 1 and that the Monte
// Carlo mean of −log p over true samples matches the stated entropy.
// In a build without FreeType (DF_HAVE_FREETYPE unset) the text set must refuse with InputError;
// its other checks are skipped with a warning.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "host/datasets.h"
#include "host/errors.h"

using namespace df;

namespace {

#if DF_HAVE_FREETYPE
constexpr bool kHaveFreetype = true;
#else
constexpr bool kHaveFreetype = false;
#endif

bool is_text(const std::string& name) { return name.rfind("text", 0) == 0; }

// Mean and standard error of −log p over n true samples.
void mc_entropy(const std::string& name, std::size_t n, double& mean, double& se) {
  const Matrix s = sample_dataset(name, n, 7);
  double a = 0, b = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double v = -log_density(name, s(i, 0), s(i, 1));
    REQUIRE(std::isfinite(v));
    a += v;
    b += v * v;
  }
  mean = a / n;
  se = std::sqrt(std::max(b / n - mean * mean, 0.0) / n);
}

}  // namespace

TEST_CASE("names and parameters", "[datasets]") {
  const auto names = dataset_names();
  REQUIRE(names.size() == 13);
  for (const auto& n : names) CHECK(is_dataset_name(n));
  for (const char* ok : {"carpet:1", "carpet:8", "text:Hi", "text:a b"}) CHECK(is_dataset_name(ok));
  for (const char* bad : {"", "nope", "Swissroll", "carpet:0", "carpet:9", "carpet:x", "carpet:",
                          "carpet:12", "swissroll:1", "olympic:0.1", "text:", "text:\t"})
    CHECK_FALSE(is_dataset_name(bad));
  CHECK_THROWS_AS(sample_dataset("xyz", 10, 1), InputError);
  CHECK_THROWS_WITH(sample_dataset("xyz", 10, 1), Catch::Contains("unknown data set 'xyz'") &&
                                                      Catch::Contains("checkerboard"));
  CHECK_THROWS_AS(sample_dataset("carpet:9", 10, 1), InputError);
  CHECK_THROWS_AS(exact_density("xyz"), InputError);
  CHECK_THROWS_AS(log_density("xyz", 0, 0), InputError);
  CHECK_THROWS_AS(in_support("xyz", 0, 0), InputError);
  CHECK_THROWS_AS(log_density("swissroll", 0, 0), InputError);  // no known density
  CHECK_THROWS_AS(raster_grid("checkerboard"), InputError);
}

TEST_CASE("every set: shape, finite, deterministic per seed", "[datasets]") {
  for (const auto& name : dataset_names()) {
    INFO(name);
    if (!kHaveFreetype && is_text(name)) {
      WARN("no FreeType: the text data set is skipped");
      CHECK_THROWS_WITH(sample_dataset(name, 10, 1), Catch::Contains("this build has no FreeType"));
      continue;
    }
    const Matrix a = sample_dataset(name, 1001, 42), b = sample_dataset(name, 1001, 42);
    const Matrix c = sample_dataset(name, 1001, 43);
    REQUIRE(a.rows == 1001);
    REQUIRE(a.cols == 2);
    REQUIRE(a.data.size() == 2002);
    for (double v : a.data) REQUIRE(std::isfinite(v));
    CHECK(a.data == b.data);
    CHECK(a.data != c.data);
    double spread = 0;  // not degenerate
    for (std::size_t i = 0; i < a.rows; ++i) spread += std::fabs(a(i, 0) - a(0, 0));
    CHECK(spread > 0.01 * a.rows);
    CHECK(sample_dataset(name, 0, 1).rows == 0);
    CHECK(sample_dataset(name, 1, 1).rows == 1);
    const ExactDensity d = exact_density(name);
    CHECK(d.known == std::isfinite(d.entropy));
    if (has_hard_support(name)) {
      REQUIRE(d.known);
      for (std::size_t i = 0; i < a.rows; ++i) REQUIRE(in_support(name, a(i, 0), a(i, 1)));
    }
  }
  CHECK(sample_dataset("carpet:2", 50, 3).data != sample_dataset("carpet:3", 50, 3).data);
}

TEST_CASE("checkerboard: support, 1/8 per square, density", "[datasets]") {
  const std::size_t n = 40000;
  const Matrix s = sample_dataset("checkerboard", n, 11);
  int count[4][4] = {};
  for (std::size_t i = 0; i < n; ++i) {
    REQUIRE(in_support("checkerboard", s(i, 0), s(i, 1)));
    count[static_cast<int>(std::floor(s(i, 0) / 2)) + 2][static_cast<int>(std::floor(s(i, 1) / 2)) + 2]++;
  }
  const double se = std::sqrt((1.0 / 8) * (7.0 / 8) / n);
  int black = 0;
  for (int a = 0; a < 4; ++a)
    for (int b = 0; b < 4; ++b) {
      if ((a + b) % 2 == 0) {
        ++black;
        CHECK(std::fabs(count[a][b] / double(n) - 0.125) < 5 * se);
      } else {
        CHECK(count[a][b] == 0);
      }
    }
  CHECK(black == 8);
  CHECK(log_density("checkerboard", 1, 1) == Approx(-std::log(32.0)));
  CHECK(log_density("checkerboard", 1, -1) == -INFINITY);
  CHECK(log_density("checkerboard", 9, 1) == -INFINITY);
  CHECK(exact_density("checkerboard").entropy == Approx(3.4657).margin(1e-4));
}

TEST_CASE("carpet: support, holes, density integrates to 1, entropy", "[datasets]") {
  for (int L = 1; L <= 4; ++L) {
    const std::string name = "carpet:" + std::to_string(L);
    INFO(name);
    const Matrix s = sample_dataset(name, 5000, 5);
    double mean_lp = 0;
    for (std::size_t i = 0; i < s.rows; ++i) {
      REQUIRE(in_support(name, s(i, 0), s(i, 1)));
      mean_lp += log_density(name, s(i, 0), s(i, 1)) / s.rows;
    }
    CHECK(mean_lp == Approx(-exact_density(name).entropy).epsilon(1e-12));
    CHECK(exact_density(name).entropy == Approx(L * std::log(8.0 / 9.0)));
    CHECK_FALSE(in_support(name, 0.5, 0.5));  // the level-1 hole
    // ∫ p over the unit square by a midpoint grid aligned with the 3^L cells.
    const int m = 81 * 3;
    double integral = 0;
    for (int i = 0; i < m; ++i)
      for (int j = 0; j < m; ++j) {
        const double lp = log_density(name, (i + 0.5) / m, (j + 0.5) / m);
        integral += std::exp(lp) / (double(m) * m);
      }
    CHECK(integral == Approx(1.0).epsilon(1e-9));
  }
  CHECK(exact_density("carpet").entropy == Approx(-0.3534).margin(1e-4));
  CHECK_FALSE(in_support("carpet:2", 1.5 / 9, 1.5 / 9));  // a level-2 hole
  CHECK(in_support("carpet:1", 1.5 / 9, 1.5 / 9));
  CHECK_FALSE(in_support("carpet", 1.0, 0.5));
}

TEST_CASE("tree and text: grid mass sums to 1, Monte Carlo entropy", "[datasets]") {
  for (const char* name : {"tree", "text", "text:Hi!"}) {
    INFO(name);
    if (!kHaveFreetype && is_text(name)) {
      CHECK_THROWS_AS(raster_grid(name), InputError);
      CHECK_THROWS_AS(sample_dataset(name, 10, 1), InputError);
      continue;
    }
    const RasterGrid g = raster_grid(name);
    REQUIRE(g.nx > 10);
    REQUIRE(g.ny > 10);
    double mass = 0;
    int empty = 0;
    for (int j = 0; j < g.ny; ++j)
      for (int i = 0; i < g.nx; ++i) {
        const double lp = log_density(name, g.x0 + (i + 0.5) * g.pixel, g.y0 + (j + 0.5) * g.pixel);
        mass += std::exp(lp) * g.pixel * g.pixel;
        empty += lp == -INFINITY;
      }
    CHECK(mass == Approx(1.0).epsilon(1e-9));
    CHECK(empty > 0);  // a hard support with holes
    CHECK(log_density(name, g.x0 - 1.0, 0.0) == -INFINITY);
    double mean, se;
    mc_entropy(name, 20000, mean, se);
    CHECK(std::fabs(mean - exact_density(name).entropy) < 4 * se + 1e-12);
  }
  if (!kHaveFreetype) {
    WARN("no FreeType: text checks skipped");
    return;
  }
  CHECK(raster_grid("text:Hi!").nx < raster_grid("text").nx);
  CHECK_THROWS_AS(sample_dataset("text: ", 10, 1), InputError);  // no ink
}

TEST_CASE("8gaussians: exact mixture density", "[datasets]") {
  const double H = exact_density("8gaussians").entropy;
  CHECK(H == Approx(2.8327).margin(2e-3));
  double mean, se;
  mc_entropy("8gaussians", 20000, mean, se);
  CHECK(std::fabs(mean - H) < 4 * se);
  CHECK_FALSE(has_hard_support("8gaussians"));
  CHECK(in_support("8gaussians", 100.0, 100.0));
  CHECK_FALSE(in_support("8gaussians", NAN, 0.0));
}
