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

namespace {

double logit_of(double x, double lam, std::size_t k) {
  if (!(x >= 0 && x <= 1))
    throw InputError("the logit data map needs values in [0, 1]; dimension " + std::to_string(k + 1) + " has " +
                     std::to_string(x));
  const double s = lam + (1 - 2 * lam) * x;
  return std::log(s) - std::log1p(-s);
}

}  // namespace

Standardizer Standardizer::fit(const Matrix& raw, double logit) {
  if (logit == 0) return fit(raw);
  if (!(logit > 0 && logit < 0.5)) throw InputError("logit map: λ must lie in (0, 0.5)");
  Matrix u(raw.rows, raw.cols);
  for (std::size_t r = 0; r < raw.rows; ++r)
    for (std::size_t k = 0; k < raw.cols; ++k) u(r, k) = logit_of(raw(r, k), logit, k);
  Standardizer s = fit(u);
  s.logit = logit;
  return s;
}

double Standardizer::log_det_at(const double* x) const {
  double l = log_det();
  if (logit == 0) return l;
  const double c = std::log1p(-2 * logit);
  for (std::size_t k = 0; k < a.size(); ++k) {
    const double s = logit + (1 - 2 * logit) * x[k];
    l += c - std::log(s) - std::log1p(-s);
  }
  return l;
}

double Standardizer::log_det() const {
  double l = 0;
  for (double v : a) l += std::log(v);
  return l;
}

Matrix Standardizer::forward(const Matrix& raw) const {
  Matrix out(raw.rows, raw.cols);
  for (std::size_t r = 0; r < raw.rows; ++r)
    for (std::size_t k = 0; k < raw.cols; ++k)
      out(r, k) = a[k] * (logit > 0 ? logit_of(raw(r, k), logit, k) : raw(r, k)) + b[k];
  return out;
}

Matrix Standardizer::inverse(const Matrix& y) const {
  Matrix out(y.rows, y.cols);
  for (std::size_t r = 0; r < y.rows; ++r)
    for (std::size_t k = 0; k < y.cols; ++k) {
      const double u = (y(r, k) - b[k]) / a[k];
      out(r, k) = logit > 0 ? (1 / (1 + std::exp(-u)) - logit) / (1 - 2 * logit) : u;
    }
  return out;
}

std::vector<float> Standardizer::to_model_floats(const Matrix& raw) const {
  std::vector<float> out(raw.rows * raw.cols);
  for (std::size_t r = 0; r < raw.rows; ++r)
    for (std::size_t k = 0; k < raw.cols; ++k)
      out[r * raw.cols + k] = float(a[k] * (logit > 0 ? logit_of(raw(r, k), logit, k) : raw(r, k)) + b[k]);
  return out;
}

}  // namespace df
