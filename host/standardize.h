// The data map of MATH.md §7: rescale so that max |coordinate| = 0.85, then standardize each
// dimension to zero mean and unit variance. Stored with the model, undone on sampling, and its
// log-determinant is added to every likelihood so that it is reported for the data as given.
//   y_k = a_k x_k + b_k        log|det| = Σ_k log a_k
// Image data (x in [0, 1]) first take MAF's logit map with λ = `logit` (0: none):
//   u_k = logit(λ + (1 − 2λ) x_k),  then y_k = a_k u_k + b_k (a, b fitted on u)
//   log|det| = Σ_k [log a_k + log(1 − 2λ) − log s_k − log(1 − s_k)],  s_k = λ + (1 − 2λ) x_k
// which depends on x: log_det_at gives it per point.
#pragma once
#include <vector>

#include "host/matrix.h"
#include "host/points_view.h"

namespace df {

struct Standardizer {
  std::vector<double> a, b;  // per dimension
  double logit = 0;          // λ of the logit map taken first; 0: none

  static Standardizer fit(const PointsView& raw);  // throws InputError on constant columns
  static Standardizer fit(const Matrix& raw) { return fit(PointsView::of(raw)); }
  int dim() const { return int(a.size()); }
  // with the logit map taken first (λ in (0, 0.5)); InputError for data outside [0, 1]
  static Standardizer fit(const Matrix& raw, double logit);
  double log_det() const;                   // the affine part, Σ_k log a_k
  double log_det_at(const double* x) const;  // the whole map's at the raw point x (d values)
  Matrix forward(const Matrix& raw) const;  // raw → model coordinates
  Matrix inverse(const Matrix& std) const;  // model coordinates → raw
  // raw rows → d×B column-major floats for a backend
  std::vector<float> to_model_floats(const Matrix& raw) const;
};

}  // namespace df
