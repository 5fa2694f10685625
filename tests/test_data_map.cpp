// The data map with MAF's logit (host/standardize.h) and the Gaussian baseline
// (host/gaussian_baseline.h): the log-determinant against finite differences, the inverse, the
// accounting of every transform on a set whose density is known in closed form after the map.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "host/errors.h"
#include "host/gaussian_baseline.h"
#include "host/standardize.h"

using namespace df;

namespace {

double sigmoid(double z) { return 1 / (1 + std::exp(-z)); }

// x_k = (σ(z_k) − λ)/(1 − 2λ), z ~ N(μ, C): the logit map sends x back to z exactly
struct LogitGaussian {
  double lam = 1e-3;
  double mu[3] = {0.3, -0.5, 1.1};
  double Lc[3][3] = {{0.8, 0, 0}, {0.3, 0.5, 0}, {-0.2, 0.4, 0.6}};  // C = Lc Lcᵀ
  Matrix draw(std::size_t n, std::uint64_t seed) const {
    std::mt19937_64 g(seed);
    std::normal_distribution<double> N01;
    Matrix m(n, 3);
    for (std::size_t r = 0; r < n; ++r) {
      double e[3] = {N01(g), N01(g), N01(g)};
      for (int k = 0; k < 3; ++k) {
        double z = mu[k];
        for (int j = 0; j <= k; ++j) z += Lc[k][j] * e[j];
        m(r, std::size_t(k)) = (sigmoid(z) - lam) / (1 - 2 * lam);
      }
    }
    return m;
  }
  // −log p(x), exactly
  double nll(const double* x) const {
    double z[3], logjac = 0;
    for (int k = 0; k < 3; ++k) {
      const double s = lam + (1 - 2 * lam) * x[k];
      z[k] = std::log(s / (1 - s));
      logjac += std::log(1 - 2 * lam) - std::log(s) - std::log(1 - s);
    }
    double w[3], q = 0, logdet = 0;  // solve Lc w = z − μ
    for (int k = 0; k < 3; ++k) {
      double v = z[k] - mu[k];
      for (int j = 0; j < k; ++j) v -= Lc[k][j] * w[j];
      w[k] = v / Lc[k][k];
      q += w[k] * w[k];
      logdet += 2 * std::log(Lc[k][k]);
    }
    return 0.5 * q + 0.5 * (3 * std::log(2 * M_PI) + logdet) - logjac;
  }
};

}  // namespace

TEST_CASE("logit data map: log-determinant against finite differences, inverse, range check") {
  LogitGaussian lg;
  Matrix x = lg.draw(500, 1);
  Standardizer m = Standardizer::fit(x, 1e-6);
  CHECK(m.logit == 1e-6);
  const double h = 1e-7;
  for (std::size_t r = 0; r < 5; ++r) {
    double fd = 0;
    for (std::size_t k = 0; k < 3; ++k) {  // the map acts coordinate-wise: the Jacobian is diagonal
      Matrix p(1, 3), q(1, 3);
      for (std::size_t j = 0; j < 3; ++j) p(0, j) = q(0, j) = x(r, j);
      p(0, k) += h;
      q(0, k) -= h;
      fd += std::log((m.forward(p)(0, k) - m.forward(q)(0, k)) / (2 * h));
    }
    CHECK(m.log_det_at(x.row(r)) == Approx(fd).epsilon(1e-6));
  }
  Matrix back = m.inverse(m.forward(x));
  for (std::size_t i = 0; i < x.data.size(); ++i) CHECK(back.data[i] == Approx(x.data[i]).margin(1e-12));
  Matrix bad(2, 3);
  bad(1, 2) = 1.5;
  CHECK_THROWS_WITH(Standardizer::fit(bad, 1e-6), Catch::Contains("[0, 1]"));
  CHECK_THROWS_AS(Standardizer::fit(x, 0.7), InputError);
  // without the logit the per-point log-determinant is the constant one
  Standardizer plain = Standardizer::fit(x);
  CHECK(plain.log_det_at(x.row(3)) == plain.log_det());
}

TEST_CASE("Gaussian baseline on a set whose density is known after the map: the NLL in data units matches") {
  LogitGaussian lg;
  const Matrix train = lg.draw(200000, 2), test = lg.draw(20000, 3);
  const Standardizer m = Standardizer::fit(train, lg.lam);
  const GaussianFit g = gaussian_baseline(m, train, test, 0);
  double exact = 0;
  for (std::size_t r = 0; r < test.rows; ++r) exact += lg.nll(test.row(r)) / double(test.rows);
  INFO("baseline " << g.nll << " ± " << g.nll_se << ", exact " << exact);
  // the fitted Gaussian is the true one up to estimation error (O(d²/n) nats), far below the
  // size of any missed term (the logit part's log-determinant here is about −8 nats per point)
  CHECK(std::abs(g.nll - exact) < 0.01);
  CHECK(g.bpd == Approx(g.nll / (3 * std::log(2.0))));
  // bits per dimension of a discrete set: (NLL + D ln levels)/(D ln 2)
  const GaussianFit q = gaussian_baseline(m, train, test, 256);
  CHECK(q.bpd == Approx((q.nll + 3 * std::log(256.0)) / (3 * std::log(2.0))));
  // the standard error is the spread over the test points
  CHECK(g.nll_se > 0);
  CHECK(g.nll_se < 0.05);
}

TEST_CASE("Gaussian baseline: singular covariance and too few points are errors") {
  Matrix few(3, 3);
  for (std::size_t i = 0; i < few.data.size(); ++i) few.data[i] = double(i % 5);
  const Standardizer m = Standardizer::fit(few);
  CHECK_THROWS_WITH(gaussian_baseline(m, few, few, 0), Catch::Contains("fewer training points"));
  Matrix line(50, 2);  // the second coordinate is twice the first: rank 1
  for (std::size_t r = 0; r < 50; ++r) line(r, 0) = double(r), line(r, 1) = 2.0 * double(r);
  CHECK_THROWS_WITH(gaussian_baseline(Standardizer::fit(line), line, line, 0), Catch::Contains("singular"));
}
