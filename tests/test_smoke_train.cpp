// CPU training smoke test: a few hundred iterations on a correlated 2-D Gaussian bring the
// bound (−ELBO) within 0.1 nats of the true negative log-likelihood of the held-out points, and
// never below it by more than the sampling error (the bound cannot beat the truth); the
// probability-flow ODE likelihood is close too; samples have the right covariance.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cmath>
#include <random>

#include "engine/backend.h"
#include "host/io.h"
#include "host/model_ops.h"
#include "host/trainer.h"

using namespace df;

namespace {
// x = C z, Σ = C Cᵀ = 4 [[1, .8], [.8, 1]]
const double c11 = 2.0, c21 = 1.6, c22 = 1.2;

Matrix gaussian(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto u = [&] { return (double(rng() >> 11) + 0.5) / 9007199254740992.0; };
  Matrix m(n, 2);
  for (std::size_t i = 0; i < n; ++i) {
    double r = std::sqrt(-2 * std::log(u())), a = 2 * M_PI * u();
    double z1 = r * std::cos(a), z2 = r * std::sin(a);
    m(i, 0) = c11 * z1;
    m(i, 1) = c21 * z1 + c22 * z2;
  }
  return m;
}

double true_nll(const Matrix& x) {  // mean of −log N(x; 0, Σ)
  const double logdet = 2 * std::log(c11 * c22);
  double s = 0;
  for (std::size_t i = 0; i < x.rows; ++i) {
    double z1 = x(i, 0) / c11, z2 = (x(i, 1) - c21 * z1) / c22;
    s += 0.5 * (z1 * z1 + z2 * z2) + std::log(2 * M_PI) + 0.5 * logdet;
  }
  return s / double(x.rows);
}
}  // namespace

TEST_CASE("training on a correlated Gaussian reaches the true entropy within 0.1 nats", "[smoke]") {
  const std::string dir = "/tmp/df_smoke_" + std::to_string(getpid());
  REQUIRE(std::system(("rm -rf " + dir + " && mkdir -p " + dir).c_str()) == 0);
  write_matrix(dir + "/train.csv", gaussian(20000, 1));
  Matrix test = gaussian(4000, 2);

  RunConfig cfg;
  cfg.data = dir + "/train.csv";
  cfg.shape = NetShape{2, 32, 2};
  cfg.grid.N = 10;
  cfg.batch = 256;
  cfg.iters = 300;
  cfg.ema = 0.9;
  cfg.decay_every = 0;
  cfg.save_every = 1000;
  DataSource data(cfg.data);
  RunState st = new_run_state(cfg, data);
  auto be = make_cpu_backend();
  REQUIRE(train(*be, cfg, st, data, TrainOptions{dir, true}) == 0);

  EvalResult r = evaluate(*be, cfg, st, test, 4, 2, true, 7);
  const double truth = true_nll(test);
  INFO("bound " << r.nll_bound << " ± " << r.nll_bound_se << ", ODE " << r.nll_ode << ", true NLL of the points "
                << truth);
  CHECK(r.nll_bound - truth < 0.1);
  CHECK(r.nll_bound - truth > -3 * r.nll_bound_se);  // a bound: never below the truth beyond noise
  CHECK(std::fabs(r.nll_ode - truth) < 0.1);

  Matrix s = sample_model(*be, cfg, st, 20000, 0, false, 5);
  double sxx = 0, sxy = 0, syy = 0;
  for (std::size_t i = 0; i < s.rows; ++i) {
    sxx += s(i, 0) * s(i, 0);
    sxy += s(i, 0) * s(i, 1);
    syy += s(i, 1) * s(i, 1);
  }
  const double n = double(s.rows);
  CHECK(sxx / n == Approx(4.0).epsilon(0.1));
  // a 0.07-nat gap allows a correlation of about 0.7 instead of 0.8 (KL ≈ 0.04 nats)
  CHECK(std::fabs(sxy / std::sqrt(sxx * syy) - 0.8) < 0.15);
  CHECK(syy / n == Approx(4.0).epsilon(0.1));
  std::system(("rm -rf " + dir).c_str());
}
