// Finite-difference checks (double precision) of every hand-written derivative of the MLP:
// GELU', GELU'', the parameter and input gradients of mlp_backward (time embedding included),
// and the forward-mode tangent mlp_jvp.
#include <catch2/catch.hpp>

#include "engine/params.h"
#include "tests/fd.h"
#include "kernels/cpu/mlp.h"

using namespace df;

TEST_CASE("GELU derivatives match central differences", "[gelu]") {
  for (double x : {-4.0, -1.3, -0.2, 0.0, 0.4, 1.1, 3.7}) {
    const double h = 1e-5;
    double fd1 = (gelu_forward(x + h) - gelu_forward(x - h)) / (2 * h);
    double fd2 = (gelu_backward(x + h) - gelu_backward(x - h)) / (2 * h);
    CHECK(gelu_backward(x) == Approx(fd1).margin(1e-9));
    CHECK(gelu_second(x) == Approx(fd2).margin(1e-9));
  }
  CHECK(gelu_forward(1.0) == Approx(0.8413447460685429).epsilon(1e-14));
}

TEST_CASE("MLP parameter count matches MATH.md", "[mlp]") {
  NetShape s{2, 128, 3};
  CHECK(s.n_params() == 99714u);
}

namespace {
struct Fixture {
  NetShape s{3, 7, 2};
  std::vector<double> p;
  MatX<double> x, dy;
  double t = 0.013;
  Fixture() {
    p.resize(s.n_params());
    init_params(s, p.data(), 11, 0, 1.0);
    x = test::random_mat(s.d, 5, 3);
    dy = test::random_mat(s.d, 5, 4);
  }
  double objective(const std::vector<double>& pp, const MatX<double>& xx) const {
    EmbedCache<double> ec;
    mlp_embed(ec, s, pp.data(), t);
    MatX<double> y;
    mlp_forward(y, s, pp.data(), xx, ec, nullptr);
    return (y.array() * dy.array()).sum();
  }
};
}  // namespace

TEST_CASE("mlp_backward: parameter and input gradients vs finite differences", "[mlp]") {
  Fixture fx;
  EmbedCache<double> ec;
  MlpCache<double> cache;
  mlp_embed(ec, fx.s, fx.p.data(), fx.t);
  MatX<double> y, dx;
  mlp_forward(y, fx.s, fx.p.data(), fx.x, ec, &cache);
  std::vector<double> dp(fx.p.size(), 0.0);
  mlp_backward(dp.data(), &dx, fx.s, fx.p.data(), fx.x, ec, cache, fx.dy);

  auto fd = test::fd_gradient([&](const std::vector<double>& q) { return fx.objective(q, fx.x); }, fx.p, 1e-6);
  test::expect_close(dp, fd, 1e-7, "dparams");

  std::vector<double> xv(fx.x.data(), fx.x.data() + fx.x.size());
  auto fdx = test::fd_gradient(
      [&](const std::vector<double>& q) {
        MatX<double> xx = Eigen::Map<const MatX<double>>(q.data(), fx.s.d, fx.x.cols());
        return fx.objective(fx.p, xx);
      },
      xv, 1e-6);
  test::expect_close(std::vector<double>(dx.data(), dx.data() + dx.size()), fdx, 1e-7, "dx");
}

TEST_CASE("mlp_backward accumulates into parameter gradients", "[mlp]") {
  Fixture fx;
  EmbedCache<double> ec;
  MlpCache<double> cache;
  mlp_embed(ec, fx.s, fx.p.data(), fx.t);
  MatX<double> y;
  mlp_forward(y, fx.s, fx.p.data(), fx.x, ec, &cache);
  std::vector<double> once(fx.p.size(), 0.0), twice(fx.p.size(), 0.0);
  mlp_backward(once.data(), nullptr, fx.s, fx.p.data(), fx.x, ec, cache, fx.dy);
  mlp_backward(twice.data(), nullptr, fx.s, fx.p.data(), fx.x, ec, cache, fx.dy);
  mlp_backward(twice.data(), nullptr, fx.s, fx.p.data(), fx.x, ec, cache, fx.dy);
  for (std::size_t i = 0; i < once.size(); ++i) REQUIRE(twice[i] == Approx(2 * once[i]).margin(1e-15));
}

TEST_CASE("mlp_jvp matches finite differences of the forward pass", "[mlp]") {
  Fixture fx;
  EmbedCache<double> ec;
  MlpCache<double> cache;
  mlp_embed(ec, fx.s, fx.p.data(), fx.t);
  MatX<double> y0, ju, yp, ym;
  mlp_forward(y0, fx.s, fx.p.data(), fx.x, ec, &cache);
  MatX<double> u = test::random_mat(fx.s.d, fx.x.cols(), 9);
  mlp_jvp(ju, fx.s, fx.p.data(), cache, u);
  const double h = 1e-6;
  MatX<double> xp = fx.x + h * u, xm = fx.x - h * u;
  mlp_forward(yp, fx.s, fx.p.data(), xp, ec, nullptr);
  mlp_forward(ym, fx.s, fx.p.data(), xm, ec, nullptr);
  MatX<double> fd = (yp - ym) / (2 * h);
  test::expect_close(std::vector<double>(ju.data(), ju.data() + ju.size()),
                     std::vector<double>(fd.data(), fd.data() + fd.size()), 1e-7, "jvp");
}
