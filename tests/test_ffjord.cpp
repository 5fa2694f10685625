// FFJORD: the discretize-then-optimize gradient through RK4 (second-order terms included)
// against finite differences of the RK4 NLL in double; the adaptive Dormand–Prince solver agrees
// with fine fixed-step RK4; sampling inverts the flow.
#include <catch2/catch.hpp>

#include "engine/params.h"
#include "engine/ffjord.h"
#include "tests/fd.h"

using namespace df;

TEST_CASE("FFJORD gradient equals finite differences of the RK4 likelihood (double)", "[ffjord]") {
  NetShape s{2, 6, 1};
  std::vector<double> p(s.n_params());
  init_params(s, p.data(), 4, 0, 1.0);
  MatX<double> x0 = test::random_mat(2, 3, 5, 1.2);
  std::vector<double> g(p.size(), 0.0);
  VecX<double> per;
  double L = ffjord_loss_grad<double>(g.data(), &per, s, p.data(), x0, 0.0, 1.0, 3);
  CHECK(L == Approx(ffjord_nll<double>(s, p.data(), x0, 0.0, 1.0, 3).mean()).epsilon(1e-14));
  auto fd = test::fd_gradient([&](const std::vector<double>& q) { return ffjord_nll<double>(s, q.data(), x0, 0.0, 1.0, 3).mean(); },
                              p, 1e-6);
  test::expect_close(g, fd, 1e-6, "FFJORD parameter gradient");
}

TEST_CASE("Dormand–Prince matches fine RK4 and counts evaluations; sampling inverts the flow", "[ffjord]") {
  NetShape s{2, 8, 1};
  std::vector<double> p(s.n_params());
  init_params(s, p.data(), 6, 0, 1.0);
  MatX<double> x0 = test::random_mat(2, 5, 7);
  VecX<double> fine = ffjord_nll<double>(s, p.data(), x0, 0.0, 1.0, 400);
  long nfe = 0;
  VecX<double> adaptive = ffjord_dopri5<double>(s, p.data(), x0, 0.0, 1.0, 1e-8, &nfe);
  for (int b = 0; b < 5; ++b) CHECK(adaptive[b] == Approx(fine[b]).epsilon(1e-6));
  CHECK(nfe > 7);
  long nfe_loose = 0;
  ffjord_dopri5<double>(s, p.data(), x0, 0.0, 1.0, 1e-3, &nfe_loose);
  CHECK(nfe_loose < nfe);
  // forward RK4 then backward RK4 returns to the start
  MatX<double> x = x0;
  VecX<double> ell = VecX<double>::Zero(5);
  for (int n = 0; n < 200; ++n) rk4_step<double>(x, ell, s, p.data(), n / 200.0, 1 / 200.0, nullptr);
  ffjord_sample<double>(x, s, p.data(), 0.0, 1.0, 200);
  CHECK((x - x0).cwiseAbs().maxCoeff() < 1e-8);
}

TEST_CASE("Dormand–Prince sampling: matches fine RK4, inverts the forward solve, fewer evaluations when looser",
          "[ffjord]") {
  NetShape s{2, 8, 1};
  std::vector<double> p(s.n_params());
  init_params(s, p.data(), 11, 0, 1.0);
  const MatX<double> z = test::random_mat(2, 6, 13);
  MatX<double> fine = z, tight = z, loose = z;
  ffjord_sample<double>(fine, s, p.data(), 0.0, 1.0, 400);
  const long nfe_tight = ffjord_sample_dopri5<double>(tight, s, p.data(), 0.0, 1.0, 1e-9);
  const long nfe_loose = ffjord_sample_dopri5<double>(loose, s, p.data(), 0.0, 1.0, 1e-2);
  CHECK((tight - fine).cwiseAbs().maxCoeff() < 1e-7);
  CHECK((loose - fine).cwiseAbs().maxCoeff() < 0.05);
  CHECK((loose - fine).cwiseAbs().maxCoeff() > 0);  // a loose tolerance is not exact
  CHECK(nfe_loose < nfe_tight);
  CHECK((nfe_tight - 1) % 6 == 0);  // first-same-as-last: 1 + 6 per step tried
  // backward from t_1 by the sampler, then forward by the same integrator: back at z
  MatX<double> x = tight;
  dopri5_integrate<double>(x, 0.0, 1.0, 1e-9, FfjordVelocity<double>(s, p.data()));
  CHECK((x - z).cwiseAbs().maxCoeff() < 1e-7);
  // the likelihood's solve on (x, ℓ) runs on the same integrator: the NLL of the sample is the
  // prior's at z minus the log-determinant, which the fine RK4 likelihood gives as well
  long nfe = 0;
  const VecX<double> nll = ffjord_dopri5<double>(s, p.data(), tight, 0.0, 1.0, 1e-9, &nfe);
  const VecX<double> nll_rk4 = ffjord_nll<double>(s, p.data(), tight, 0.0, 1.0, 400);
  for (int b = 0; b < 6; ++b) CHECK(nll[b] == Approx(nll_rk4[b]).epsilon(1e-7));
}

TEST_CASE("FFJORD with Hutchinson's trace (d > 16): gradient of the estimate, and unbiasedness", "[ffjord]") {
  NetShape s{18, 6, 1};
  std::vector<double> p(s.n_params());
  init_params(s, p.data(), 9, 0, 1.0);
  MatX<double> x0 = test::random_mat(18, 2, 3, 0.8);
  FfjordTrace tr;
  tr.key = NoiseKey{4, 7};
  tr.probes = 2;
  std::vector<double> g(p.size(), 0.0);
  double L = ffjord_loss_grad<double>(g.data(), nullptr, s, p.data(), x0, 0.0, 1.0, 2, &tr);
  CHECK(L == Approx(ffjord_nll<double>(s, p.data(), x0, 0.0, 1.0, 2, &tr).mean()).epsilon(1e-14));
  // the probes are fixed by the key, so the estimate is a smooth function of the parameters
  auto fd = test::fd_gradient(
      [&](const std::vector<double>& q) { return ffjord_nll<double>(s, q.data(), x0, 0.0, 1.0, 2, &tr).mean(); }, p, 1e-6);
  test::expect_close(g, fd, 1e-6, "Hutchinson FFJORD gradient");
  // averaged over many keys, the estimated NLL approaches the exact-trace NLL
  FfjordTrace exact;
  exact.exact_max_d = 100;
  const double ref = ffjord_nll<double>(s, p.data(), x0, 0.0, 1.0, 2, &exact).mean();
  double acc = 0;
  const int reps = 300;
  for (int r = 0; r < reps; ++r) {
    FfjordTrace h;
    h.key = NoiseKey{std::uint64_t(r), 0};
    acc += ffjord_nll<double>(s, p.data(), x0, 0.0, 1.0, 2, &h).mean() / reps;
  }
  CHECK(acc == Approx(ref).margin(0.05 * std::fabs(ref) + 0.05));
}
