// Rescale-then-standardize map; see host/standardize.h.
#include "host/standardize.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "host/errors.h"

namespace df {

namespace {

// f(v, m) on column k of the points, in blocks of m <= buf.size() doubles: the sums below then run
// the same instructions for every layout (a file's matrix, a float32 array in Fortran order, ...),
// so they give the same bits (the compiler contracts and vectorizes a loop per layout otherwise).
template <class F>
void column_blocks(const PointsView& raw, std::size_t k, std::vector<double>& buf, F f) {
  for (std::size_t r0 = 0; r0 < raw.rows; r0 += buf.size()) {
    const std::size_t m = std::min(buf.size(), raw.rows - r0);
    for (std::size_t i = 0; i < m; ++i) buf[i] = raw(r0 + i, k);
    f(buf.data(), m);
  }
}

}  // namespace

Standardizer Standardizer::fit(const PointsView& raw) {
  if (raw.rows < 2) throw InputError("need at least 2 data points to standardize");
  double maxabs = 0;
  for (std::size_t r = 0; r < raw.rows; ++r)
    for (std::size_t k = 0; k < raw.cols; ++k) maxabs = std::max(maxabs, std::fabs(raw(r, k)));
  if (!(maxabs > 0)) throw InputError("the data are all zero");
  const double c = 0.85 / maxabs;
  Standardizer s;
  std::vector<double> buf(std::min<std::size_t>(raw.rows, 4096));
  for (std::size_t k = 0; k < raw.cols; ++k) {
    double mean = 0, sq = 0;
    column_blocks(raw, k, buf, [&](const double* v, std::size_t m) {
      for (std::size_t i = 0; i < m; ++i) mean += v[i] * c;
    });
    mean /= double(raw.rows);
    column_blocks(raw, k, buf, [&](const double* v, std::size_t m) {
      for (std::size_t i = 0; i < m; ++i) {
        double u = v[i] * c - mean;
        sq += u * u;
      }
    });
    double sd = std::sqrt(sq / double(raw.rows));
    if (!(sd > 1e-12)) throw InputError("dimension " + std::to_string(k + 1) + " of the data is constant");
    s.a.push_back(c / sd);
    s.b.push_back(-mean / sd);
  }
  return s;
}

double Standardizer::log_det() const {
  double l = 0;
  for (double v : a) l += std::log(v);
  return l;
}

Matrix Standardizer::forward(const Matrix& raw) const {
  Matrix out(raw.rows, raw.cols);
  for (std::size_t r = 0; r < raw.rows; ++r)
    for (std::size_t k = 0; k < raw.cols; ++k) out(r, k) = a[k] * raw(r, k) + b[k];
  return out;
}

Matrix Standardizer::inverse(const Matrix& y) const {
  Matrix out(y.rows, y.cols);
  for (std::size_t r = 0; r < y.rows; ++r)
    for (std::size_t k = 0; k < y.cols; ++k) out(r, k) = (y(r, k) - b[k]) / a[k];
  return out;
}

std::vector<float> Standardizer::to_model_floats(const Matrix& raw) const {
  std::vector<float> out(raw.rows * raw.cols);
  for (std::size_t r = 0; r < raw.rows; ++r)
    for (std::size_t k = 0; k < raw.cols; ++k) out[r * raw.cols + k] = float(a[k] * raw(r, k) + b[k]);
  return out;
}

}  // namespace df
