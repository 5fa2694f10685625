// The full-covariance Gaussian baseline of docs/real-data.md: a Gaussian fitted by maximum
// likelihood to the training points after the model's data map (host/standardize.h), its
// negative log-likelihood of held-out points in the data's own units (the map's log-determinant
// included, as for the models), with the standard error over the points and bits per dimension.
#pragma once
#include "host/matrix.h"
#include "host/standardize.h"

namespace df {

struct GaussianFit {
  std::size_t n_train = 0, n_test = 0;
  double nll = 0, nll_se = 0, bpd = 0;  // nats per point; bpd as model_ops' (levels > 0: discrete bits)
  double min_eigenvalue = 0;            // of the fitted covariance (in model coordinates)
};

// levels > 0: the data are dequantized images x = (b + u)/levels, and bpd is the discrete
// (NLL + D ln levels)/(D ln 2); else NLL/(D ln 2). InputError when the covariance is singular.
GaussianFit gaussian_baseline(const Standardizer& map, const Matrix& train_raw, const Matrix& test_raw, double levels);

}  // namespace df
