// Tests for host/metrics: sliced W2 (zero on itself, the exact value for a shift, symmetry,
// shape errors), grid total variation (0, 1/2 and 1 on constructed sets), leakage of true and
// false samples, energy distance.
#include <catch2/catch.hpp>

#include <cmath>

#include "host/datasets.h"
#include "host/errors.h"
#include "host/metrics.h"

using namespace df;

namespace {

Matrix shifted(const Matrix& X, double dx, double dy) {
  Matrix Y = X;
  for (std::size_t i = 0; i < Y.rows; ++i) Y(i, 0) += dx, Y(i, 1) += dy;
  return Y;
}

}  // namespace

TEST_CASE("sliced_w2: zero, shift, symmetry, shapes", "[metrics]") {
  const Matrix X = sample_dataset("moons", 3000, 1);
  CHECK(sliced_w2(X, X) == 0.0);
  // A shift s moves every projection by u·s; Σ_l cos²(πl/L) = L/2, so SW₂ = |s|/√2 exactly.
  CHECK(sliced_w2(X, shifted(X, 0.3, 0.0)) == Approx(0.3 / std::sqrt(2.0)).epsilon(1e-10));
  CHECK(sliced_w2(X, shifted(X, 0.0, -0.5), 16) == Approx(0.5 / std::sqrt(2.0)).epsilon(1e-10));
  CHECK(sliced_w2(X, shifted(X, 0.3, 0.4), 7) == Approx(0.5 / std::sqrt(2.0)).epsilon(1e-10));
  CHECK(sliced_w2(X, shifted(X, 0.3, 0.0), 1) == Approx(0.3).epsilon(1e-10));  // θ = 0 only
  const Matrix Y = sample_dataset("moons", 3000, 2);
  CHECK(sliced_w2(X, Y) == sliced_w2(Y, X));
  const double floor = sliced_w2(X, Y);
  CHECK(floor > 0.0);
  CHECK(floor < 0.1);
  CHECK(sliced_w2(X, sample_dataset("8gaussians", 3000, 2)) > 5 * floor);

  Matrix a(4, 1), b(4, 1);  // d = 1: W₂ of the sorted samples
  for (int i = 0; i < 4; ++i) a(i, 0) = i, b(3 - i, 0) = i + 2.0;
  CHECK(sliced_w2(a, b) == Approx(2.0));

  Matrix p(500, 3);  // d = 3: random directions, still 0 on itself and ≤ |shift|
  for (std::size_t i = 0; i < p.data.size(); ++i) p.data[i] = std::sin(1.7 * i);
  Matrix q = p;
  for (std::size_t i = 0; i < q.rows; ++i) q(i, 2) += 1.0;
  CHECK(sliced_w2(p, p) == 0.0);
  const double s3 = sliced_w2(p, q);
  CHECK(s3 > 0.3);
  CHECK(s3 < 1.0);
  CHECK(s3 == sliced_w2(p, q));  // fixed directions

  CHECK_THROWS_AS(sliced_w2(X, sample_dataset("moons", 10, 1)), InputError);
  CHECK_THROWS_AS(sliced_w2(X, Matrix(3000, 3)), InputError);
  CHECK_THROWS_AS(sliced_w2(Matrix(), Matrix()), InputError);
  CHECK_THROWS_AS(sliced_w2(X, X, 0), InputError);
  Matrix bad = X;
  bad(5, 1) = NAN;
  CHECK(std::isinf(sliced_w2(X, bad)));
}

TEST_CASE("grid_tv: identical 0, half 1/2, disjoint 1", "[metrics]") {
  const Matrix A = sample_dataset("checkerboard", 5000, 3);
  CHECK(grid_tv(A, A) == 0.0);
  Matrix u(2000, 2), v(2000, 2);
  for (std::size_t i = 0; i < 2000; ++i) {
    u(i, 0) = std::fmod(0.618 * i, 1.0), u(i, 1) = std::fmod(0.414 * i, 1.0);
    v(i, 0) = 2.0 + u(i, 0), v(i, 1) = 2.0 + u(i, 1);
  }
  CHECK(grid_tv(u, v) == Approx(1.0));
  CHECK(grid_tv(u, v, 3) == Approx(1.0));
  // B = A's first half twice; A's second half moved far away: TV = 1/2.
  Matrix a(1000, 2), b(1000, 2);
  for (std::size_t i = 0; i < 1000; ++i) {
    a(i, 0) = u(i, 0) + (i >= 500 ? 5.0 : 0.0), a(i, 1) = u(i, 1);
    b(i, 0) = u(i % 500, 0), b(i, 1) = u(i % 500, 1);
  }
  CHECK(grid_tv(a, b) == Approx(0.5));
  // Two draws of the same set: small but not zero; different sizes are allowed.
  const double t = grid_tv(sample_dataset("checkerboard", 20000, 1), sample_dataset("checkerboard", 30000, 2));
  CHECK(t > 0.0);
  CHECK(t < 0.3);
  const double far = grid_tv(A, sample_dataset("8gaussians", 5000, 1));
  CHECK(far > 0.5);
  CHECK(far <= 1.0);
  Matrix c = A;  // non-finite rows land in a separate cell
  for (std::size_t i = 0; i < 500; ++i) c(i, 0) = INFINITY;
  CHECK(grid_tv(A, c) >= 0.1 - 1e-12);
  CHECK_THROWS_AS(grid_tv(A, Matrix(10, 3)), InputError);
  CHECK_THROWS_AS(grid_tv(A, A, 0), InputError);
}

TEST_CASE("leakage", "[metrics]") {
  for (const char* name : {"checkerboard", "carpet", "carpet:5", "tree", "text"}) {
#if !DF_HAVE_FREETYPE
    if (std::string(name) == "text") {  // a build without FreeType has no text set
      WARN("no FreeType: leakage of the text set skipped");
      continue;
    }
#endif
    CHECK(leakage(name, sample_dataset(name, 5000, 9)) == 0.0);
  }
  // Uniform points over the checkerboard box leak about half the time.
  Matrix u(4000, 2);
  for (std::size_t i = 0; i < 4000; ++i)
    u(i, 0) = 8.0 * std::fmod(0.6180339887 * i, 1.0) - 4.0, u(i, 1) = 8.0 * std::fmod(0.7548776662 * i, 1.0) - 4.0;
  CHECK(std::fabs(leakage("checkerboard", u) - 0.5) < 0.05);
  CHECK(leakage("checkerboard", shifted(sample_dataset("checkerboard", 1000, 1), 2.0, 0.0)) == 1.0);
  CHECK(leakage("swissroll", u) == 0.0);  // no hard support
  Matrix nan_rows = sample_dataset("carpet", 100, 2);
  nan_rows(3, 0) = NAN;
  CHECK(leakage("carpet", nan_rows) == Approx(0.01));
  CHECK_THROWS_AS(leakage("nope", u), InputError);
  CHECK_THROWS_AS(leakage("checkerboard", Matrix(10, 3)), InputError);
}

TEST_CASE("energy distance", "[metrics]") {
  const Matrix X = sample_dataset("rings", 1500, 1);
  CHECK(energy_distance(X, X) == 0.0);
  const double floor = energy_distance(X, sample_dataset("rings", 1500, 2));
  CHECK(floor >= 0.0);
  CHECK(floor < 0.02);
  CHECK(energy_distance(X, shifted(X, 1.0, 0.0)) > 10 * floor);
  Matrix a(50, 1), b(70, 1);  // point masses at 0 and 3: D² = 2·3 − 0 − 0
  for (std::size_t i = 0; i < 70; ++i) b(i, 0) = 3.0;
  CHECK(energy_distance(a, b) == Approx(6.0));
  CHECK(energy_distance(X, sample_dataset("rings", 900, 2), 300) >= 0.0);
  CHECK_THROWS_AS(energy_distance(X, Matrix(10, 3)), InputError);
}
