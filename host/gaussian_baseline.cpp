// The Gaussian baseline; see host/gaussian_baseline.h.
#include "host/gaussian_baseline.h"

#include <Eigen/Dense>
#include <cmath>

#include "host/errors.h"
#include "host/stats.h"

namespace df {

GaussianFit gaussian_baseline(const Standardizer& map, const Matrix& train_raw, const Matrix& test_raw, double levels) {
  const std::size_t d = train_raw.cols;
  if (test_raw.cols != d) throw InputError("Gaussian baseline: the test points have another dimension");
  if (train_raw.rows <= d) throw InputError("Gaussian baseline: fewer training points than dimensions + 1");
  const Matrix y = map.forward(train_raw);
  Eigen::VectorXd mu = Eigen::VectorXd::Zero(Eigen::Index(d));
  for (std::size_t r = 0; r < y.rows; ++r)
    for (std::size_t k = 0; k < d; ++k) mu[Eigen::Index(k)] += y(r, k);
  mu /= double(y.rows);
  Eigen::MatrixXd cov = Eigen::MatrixXd::Zero(Eigen::Index(d), Eigen::Index(d));
  Eigen::VectorXd u = Eigen::VectorXd::Zero(Eigen::Index(d));
  for (std::size_t r = 0; r < y.rows; ++r) {
    for (std::size_t k = 0; k < d; ++k) u[Eigen::Index(k)] = y(r, k) - mu[Eigen::Index(k)];
    cov.selfadjointView<Eigen::Lower>().rankUpdate(u);
  }
  cov = cov.selfadjointView<Eigen::Lower>();
  cov /= double(y.rows);
  GaussianFit g;
  g.n_train = train_raw.rows;
  g.n_test = test_raw.rows;
  g.min_eigenvalue = Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(cov, Eigen::EigenvaluesOnly).eigenvalues()[0];
  Eigen::LLT<Eigen::MatrixXd> llt(cov);
  if (llt.info() != Eigen::Success || !(g.min_eigenvalue > 0))
    throw InputError("Gaussian baseline: the training covariance is singular");
  const Eigen::MatrixXd L = llt.matrixL();
  double logdet_cov = 0;
  for (Eigen::Index k = 0; k < L.rows(); ++k) logdet_cov += 2 * std::log(L(k, k));
  const double c = 0.5 * (double(d) * std::log(2 * M_PI) + logdet_cov);
  const Matrix yt = map.forward(test_raw);
  std::vector<double> nll(test_raw.rows);
  for (std::size_t r = 0; r < yt.rows; ++r) {
    for (std::size_t k = 0; k < d; ++k) u[Eigen::Index(k)] = yt(r, k) - mu[Eigen::Index(k)];
    const Eigen::VectorXd z = L.triangularView<Eigen::Lower>().solve(u);
    nll[r] = 0.5 * z.squaredNorm() + c - map.log_det_at(test_raw.row(r));
  }
  const MeanSe m = mean_se(nll);
  g.nll = m.mean;
  g.nll_se = m.se;
  g.bpd = bits_per_dim(g.nll, int(d), levels);
  return g;
}

}  // namespace df
