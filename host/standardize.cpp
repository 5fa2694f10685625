// Rescale-then-standardize map; see host/standardize.h.
#include "host/standardize.h"

#include <cmath>
#include <string>

#include "host/errors.h"

namespace df {

Standardizer Standardizer::fit(const Matrix& raw) {
  if (raw.rows < 2) throw InputError("need at least 2 data points to standardize");
  double maxabs = 0;
  for (double v : raw.data) maxabs = std::max(maxabs, std::fabs(v));
  if (!(maxabs > 0)) throw InputError("the data are all zero");
  const double c = 0.85 / maxabs;
  Standardizer s;
  for (std::size_t k = 0; k < raw.cols; ++k) {
    double mean = 0, sq = 0;
    for (std::size_t r = 0; r < raw.rows; ++r) mean += raw(r, k) * c;
    mean /= double(raw.rows);
    for (std::size_t r = 0; r < raw.rows; ++r) {
      double u = raw(r, k) * c - mean;
      sq += u * u;
    }
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
