// Sample-quality metrics (DATA.md §3): sliced Wasserstein-2 with fixed directions, leakage
// outside the true support, grid total variation, energy distance. See metrics.h for the exact
// definitions and conventions (direction choice for d > 2, bounding box, non-finite rows).
#include "host/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "host/datasets.h"
#include "host/errors.h"

namespace df {
namespace {

constexpr double kPi = 3.14159265358979323846;

std::string shape(const Matrix& m) { return std::to_string(m.rows) + "x" + std::to_string(m.cols); }

bool all_finite(const Matrix& m) {
  for (double v : m.data)
    if (!std::isfinite(v)) return false;
  return true;
}

// Unit directions for slicing, row-major L×d (see metrics.h).
std::vector<double> directions(std::size_t d, int L) {
  std::vector<double> u;
  if (d == 1) return {1.0};
  if (d == 2) {
    for (int l = 0; l < L; ++l) {
      u.push_back(std::cos(kPi * l / L));
      u.push_back(std::sin(kPi * l / L));
    }
    return u;
  }
  std::mt19937_64 g(0x5eed5173ULL + d);
  auto uniform = [&g] { return static_cast<double>(g() >> 11) * 0x1.0p-53; };
  std::vector<double> z(d + 1);
  for (int l = 0; l < L; ++l) {
    double norm2 = 0.0;
    while (norm2 < 1e-24) {
      for (std::size_t k = 0; k < d; k += 2) {  // Box–Muller, both values
        const double r = std::sqrt(-2.0 * std::log(1.0 - uniform())), a = 2.0 * kPi * uniform();
        z[k] = r * std::cos(a);
        z[k + 1] = r * std::sin(a);
      }
      norm2 = 0.0;
      for (std::size_t k = 0; k < d; ++k) norm2 += z[k] * z[k];
    }
    const double inv = 1.0 / std::sqrt(norm2);
    for (std::size_t k = 0; k < d; ++k) u.push_back(z[k] * inv);
  }
  return u;
}

void project(const Matrix& X, const double* u, std::vector<double>& out) {
  out.assign(X.rows, 0.0);
  for (std::size_t i = 0; i < X.rows; ++i) {
    const double* x = X.row(i);
    double s = 0.0;
    for (std::size_t k = 0; k < X.cols; ++k) s += x[k] * u[k];
    out[i] = s;
  }
  std::sort(out.begin(), out.end());
}

// Mean Euclidean distance over all pairs (a in A rows ia, b in B rows ib).
double mean_dist(const Matrix& A, const std::vector<std::size_t>& ia, const Matrix& B,
                 const std::vector<std::size_t>& ib) {
  double acc = 0.0;
  for (std::size_t i : ia) {
    const double* a = A.row(i);
    double row = 0.0;
    for (std::size_t j : ib) {
      const double* b = B.row(j);
      double s = 0.0;
      for (std::size_t k = 0; k < A.cols; ++k) s += (a[k] - b[k]) * (a[k] - b[k]);
      row += std::sqrt(s);
    }
    acc += row;
  }
  return acc / (static_cast<double>(ia.size()) * static_cast<double>(ib.size()));
}

std::vector<std::size_t> strided(std::size_t n, std::size_t m) {
  std::vector<std::size_t> idx(std::min(n, m));
  for (std::size_t k = 0; k < idx.size(); ++k) idx[k] = k * n / idx.size();
  return idx;
}

}  // namespace

double sliced_w2(const Matrix& X, const Matrix& Y, int n_angles) {
  if (X.rows != Y.rows || X.cols != Y.cols || X.rows == 0 || X.cols == 0)
    throw InputError("sliced_w2: need two non-empty sets of equal shape, got " + shape(X) +
                     " and " + shape(Y));
  if (n_angles < 1) throw InputError("sliced_w2: the number of angles must be >= 1");
  if (!all_finite(X) || !all_finite(Y)) return std::numeric_limits<double>::infinity();
  const std::size_t d = X.cols;
  const std::vector<double> u = directions(d, n_angles);
  const std::size_t L = u.size() / d;
  std::vector<double> px, py;
  double acc = 0.0;
  for (std::size_t l = 0; l < L; ++l) {
    project(X, &u[l * d], px);
    project(Y, &u[l * d], py);
    double s = 0.0;
    for (std::size_t i = 0; i < px.size(); ++i) s += (px[i] - py[i]) * (px[i] - py[i]);
    acc += s / static_cast<double>(px.size());
  }
  return std::sqrt(acc / static_cast<double>(L));
}

double leakage(const std::string& name, const Matrix& samples_raw) {
  if (samples_raw.cols != 2 || samples_raw.rows == 0)
    throw InputError("leakage: need a non-empty n x 2 sample set, got " + shape(samples_raw));
  if (!has_hard_support(name)) return 0.0;
  std::size_t out = 0;
  for (std::size_t i = 0; i < samples_raw.rows; ++i)
    out += !in_support(name, samples_raw(i, 0), samples_raw(i, 1));
  return static_cast<double>(out) / static_cast<double>(samples_raw.rows);
}

double grid_tv(const Matrix& A, const Matrix& B, int bins) {
  if (A.cols != 2 || B.cols != 2 || A.rows == 0 || B.rows == 0)
    throw InputError("grid_tv: need two non-empty n x 2 sets, got " + shape(A) + " and " + shape(B));
  if (bins < 1) throw InputError("grid_tv: bins must be >= 1");
  const double inf = std::numeric_limits<double>::infinity();
  double lo[2] = {inf, inf}, hi[2] = {-inf, -inf};
  for (const Matrix* m : {&A, &B})
    for (std::size_t i = 0; i < m->rows; ++i) {
      const double x = (*m)(i, 0), y = (*m)(i, 1);
      if (!std::isfinite(x) || !std::isfinite(y)) continue;
      lo[0] = std::min(lo[0], x), hi[0] = std::max(hi[0], x);
      lo[1] = std::min(lo[1], y), hi[1] = std::max(hi[1], y);
    }
  const std::size_t nb = static_cast<std::size_t>(bins), outside = nb * nb;
  auto cell = [&](double v, int a) -> std::size_t {
    if (!(hi[a] > lo[a])) return 0;
    const double f = std::floor((v - lo[a]) / (hi[a] - lo[a]) * bins);
    return static_cast<std::size_t>(std::clamp(f, 0.0, double(bins - 1)));
  };
  auto histogram = [&](const Matrix& m) {
    std::vector<double> h(outside + 1, 0.0);
    for (std::size_t i = 0; i < m.rows; ++i) {
      const double x = m(i, 0), y = m(i, 1);
      if (!std::isfinite(x) || !std::isfinite(y)) h[outside] += 1.0;
      else h[cell(y, 1) * nb + cell(x, 0)] += 1.0;
    }
    return h;
  };
  const std::vector<double> ha = histogram(A), hb = histogram(B);
  const double na = static_cast<double>(A.rows), nbr = static_cast<double>(B.rows);
  double tv = 0.0;
  for (std::size_t k = 0; k <= outside; ++k) tv += std::fabs(ha[k] / na - hb[k] / nbr);
  return std::clamp(0.5 * tv, 0.0, 1.0);
}

double energy_distance(const Matrix& X, const Matrix& Y, std::size_t max_points) {
  if (X.cols != Y.cols || X.rows == 0 || Y.rows == 0 || X.cols == 0)
    throw InputError("energy_distance: need two non-empty sets with the same columns, got " +
                     shape(X) + " and " + shape(Y));
  if (max_points < 1) throw InputError("energy_distance: max_points must be >= 1");
  if (!all_finite(X) || !all_finite(Y)) return std::numeric_limits<double>::infinity();
  const auto ix = strided(X.rows, max_points), iy = strided(Y.rows, max_points);
  const double d = 2.0 * mean_dist(X, ix, Y, iy) - mean_dist(X, ix, X, ix) - mean_dist(Y, iy, Y, iy);
  return std::max(d, 0.0);
}

}  // namespace df
