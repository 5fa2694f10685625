// The whole DiffFlow gradient (diffuse sweep + stochastic adjoint, MATH.md §5) against central
// finite differences of the loss, in double precision, with a non-constant g and checkpoint
// intervals K = 1, 2 and N; checkpointed and stored-state adjoints give identical gradients;
// the data gradient dL/dx0 as well.
#include <catch2/catch.hpp>

#include "engine/params.h"
#include "engine/diffflow.h"
#include "tests/fd.h"

using namespace df;

namespace {
struct Problem {
  NetShape s{2, 6, 1};
  std::vector<double> f, sc;
  MatX<double> x0;
  TimeGrid grid;
  PhiloxNoise noise{NoiseKey{7, 3}, kStreamDiffuse};
  Problem(int N, int B) {
    f.resize(s.n_params());
    sc.resize(s.n_params());
    init_params(s, f.data(), 5, 0, 1.0);
    init_params(s, sc.data(), 5, 1, 1.0);
    x0 = test::random_mat(s.d, B, 17, 1.5);
    GridSpec spec;
    spec.kind = GridKind::Exponent;
    spec.t_start = 0.01;
    spec.t_end = 0.4;
    spec.p = 0.7;
    GSchedule g{{0.01, 0.2, 0.4}, {0.6, 1.1, 1.6}};  // non-constant g
    grid = make_grid(spec, g, N);
  }
  double loss(const std::vector<double>& ff, const std::vector<double>& ss, const MatX<double>& x) const {
    DiffuseOut<double> out;
    diffuse_sweep(out, NetPair<double>{s, ff.data(), ss.data()}, x, grid, noise, 0);
    return out.loss.mean();
  }
};
}  // namespace

TEST_CASE("adjoint gradient equals finite differences of the loss (double)", "[adjoint]") {
  const int N = 6;
  Problem pr(N, 3);
  for (int K : {1, 2, N}) {
    DYNAMIC_SECTION("K = " << K) {
      std::vector<double> gf(pr.f.size(), 0.0), gs(pr.sc.size(), 0.0);
      MatX<double> dx0;
      double L = diffflow_loss_grad<double>(gf.data(), gs.data(), &dx0, nullptr,
                                            NetPair<double>{pr.s, pr.f.data(), pr.sc.data()}, pr.x0, pr.grid,
                                            pr.noise, K);
      CHECK(L == Approx(pr.loss(pr.f, pr.sc, pr.x0)).epsilon(1e-14));
      auto fdf = test::fd_gradient([&](const std::vector<double>& q) { return pr.loss(q, pr.sc, pr.x0); }, pr.f, 1e-6);
      auto fds = test::fd_gradient([&](const std::vector<double>& q) { return pr.loss(pr.f, q, pr.x0); }, pr.sc, 1e-6);
      test::expect_close(gf, fdf, 1e-6, "drift gradient");
      test::expect_close(gs, fds, 1e-6, "score gradient");
      // per-sample data gradient: dL_b/dx0_b = B · d(mean)/dx0_b
      std::vector<double> xv(pr.x0.data(), pr.x0.data() + pr.x0.size());
      auto fdx = test::fd_gradient(
          [&](const std::vector<double>& q) {
            return pr.loss(pr.f, pr.sc, Eigen::Map<const MatX<double>>(q.data(), pr.s.d, pr.x0.cols())) *
                   double(pr.x0.cols());
          },
          xv, 1e-6);
      test::expect_close(std::vector<double>(dx0.data(), dx0.data() + dx0.size()), fdx, 1e-6, "data gradient");
    }
  }
}

TEST_CASE("N = 1 and odd segment lengths", "[adjoint]") {
  for (int N : {1, 5}) {
    Problem pr(N, 2);
    std::vector<double> gf(pr.f.size(), 0.0), gs(pr.sc.size(), 0.0);
    diffflow_loss_grad<double>(gf.data(), gs.data(), nullptr, nullptr, NetPair<double>{pr.s, pr.f.data(), pr.sc.data()},
                               pr.x0, pr.grid, pr.noise, 2);
    auto fdf = test::fd_gradient([&](const std::vector<double>& q) { return pr.loss(q, pr.sc, pr.x0); }, pr.f, 1e-6);
    auto fds = test::fd_gradient([&](const std::vector<double>& q) { return pr.loss(pr.f, q, pr.x0); }, pr.sc, 1e-6);
    test::expect_close(gf, fdf, 1e-6, "drift gradient");
    test::expect_close(gs, fds, 1e-6, "score gradient");
  }
}

TEST_CASE("checkpointed and stored-state adjoints give identical gradients", "[adjoint]") {
  const int N = 11;
  Problem pr(N, 4);
  NetPair<double> net{pr.s, pr.f.data(), pr.sc.data()};
  std::vector<double> ref_f(pr.f.size(), 0.0), ref_s(pr.sc.size(), 0.0);
  double L1 = diffflow_loss_grad<double>(ref_f.data(), ref_s.data(), nullptr, nullptr, net, pr.x0, pr.grid, pr.noise, 1);
  for (int K : {2, 3, 4, 11}) {
    std::vector<double> gf(pr.f.size(), 0.0), gs(pr.sc.size(), 0.0);
    double L = diffflow_loss_grad<double>(gf.data(), gs.data(), nullptr, nullptr, net, pr.x0, pr.grid, pr.noise, K);
    INFO("K = " << K);
    CHECK(L == L1);
    CHECK(gf == ref_f);  // bitwise: the segments are re-diffused by the same code on the same noise
    CHECK(gs == ref_s);
  }
  // float as well: the training precision
  std::vector<float> ff(pr.f.begin(), pr.f.end()), fs(pr.sc.begin(), pr.sc.end());
  NetPair<float> netf{pr.s, ff.data(), fs.data()};
  MatX<float> xf = pr.x0.cast<float>();
  std::vector<float> a_f(ff.size(), 0.f), a_s(fs.size(), 0.f), b_f(ff.size(), 0.f), b_s(fs.size(), 0.f);
  diffflow_loss_grad<float>(a_f.data(), a_s.data(), nullptr, nullptr, netf, xf, pr.grid, pr.noise, 1);
  diffflow_loss_grad<float>(b_f.data(), b_s.data(), nullptr, nullptr, netf, xf, pr.grid, pr.noise, 4);
  CHECK(a_f == b_f);
  CHECK(a_s == b_s);
}

TEST_CASE("loss constants: with a zero network the loss is known in closed form", "[adjoint]") {
  // f = s = 0 (all parameters zero): x_N = x_0 + Σ σF_i ε_i, η_i = −σF_i ε_i / σB_i.
  Problem pr(4, 3);
  std::vector<double> zf(pr.f.size(), 0.0), zs(pr.sc.size(), 0.0);
  DiffuseOut<double> out;
  diffuse_sweep(out, NetPair<double>{pr.s, zf.data(), zs.data()}, pr.x0, pr.grid, pr.noise, 0);
  for (int b = 0; b < 3; ++b) {
    MatX<double> eps;
    VecX<double> x = pr.x0.col(b);
    double L = 0;
    for (int i = 0; i < 4; ++i) {
      pr.noise.fill(eps, i, 2, 3);
      double dt = pr.grid.dt(i), sf = pr.grid.g[i] * std::sqrt(dt), sb = pr.grid.g[i + 1] * std::sqrt(dt);
      for (int k = 0; k < 2; ++k) {
        double e = eps(k, b), eta = -sf * e / sb;
        L += 0.5 * (eta * eta - e * e);
        x[k] += sf * e;
      }
    }
    L += 0.5 * x.squaredNorm() + std::log(2 * M_PI) + 2 * std::log(pr.grid.g[4] / pr.grid.g[0]);
    CHECK(out.loss[b] == Approx(L).epsilon(1e-13));
  }
}
