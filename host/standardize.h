// The data map of MATH.md §7: rescale so that max |coordinate| = 0.85, then standardize each
// dimension to zero mean and unit variance. Stored with the model, undone on sampling, and its
// log-determinant is added to every likelihood so that it is reported for the data as given.
//   y_k = a_k x_k + b_k        log|det| = Σ_k log a_k
#pragma once
#include <vector>

#include "host/matrix.h"
#include "host/points_view.h"

namespace df {

struct Standardizer {
  std::vector<double> a, b;  // per dimension

  static Standardizer fit(const PointsView& raw);  // throws InputError on constant columns
  static Standardizer fit(const Matrix& raw) { return fit(PointsView::of(raw)); }
  int dim() const { return int(a.size()); }
  double log_det() const;
  Matrix forward(const Matrix& raw) const;  // raw → model coordinates
  Matrix inverse(const Matrix& std) const;  // model coordinates → raw
  // raw rows → d×B column-major floats for a backend
  std::vector<float> to_model_floats(const Matrix& raw) const;
};

}  // namespace df
