// The network pass with its exact Jacobian trace (FFJORD) and its hand-derived reverse, which
// includes the second-order terms (GELU''), against finite differences in double precision.
#include <catch2/catch.hpp>

#include "engine/params.h"
#include "kernels/cpu/mlp_trace.h"
#include "tests/fd.h"

using namespace df;

namespace {
struct TraceFixture {
  NetShape s{3, 7, 2};
  std::vector<double> p;
  MatX<double> x, ybar;
  VecX<double> trbar;
  double t = 0.31;
  TraceFixture() {
    p.resize(s.n_params());
    init_params(s, p.data(), 21, 0, 1.0);
    x = test::random_mat(s.d, 4, 8);
    ybar = test::random_mat(s.d, 4, 9);
    trbar = test::random_mat(4, 1, 10);
  }
  double objective(const std::vector<double>& pp, const MatX<double>& xx) const {
    EmbedCache<double> ec;
    mlp_embed(ec, s, pp.data(), t);
    TraceCache<double> c;
    MatX<double> y;
    VecX<double> tr;
    mlp_trace_forward(y, tr, s, pp.data(), xx, ec, c);
    return (y.array() * ybar.array()).sum() + tr.dot(trbar);
  }
};
}  // namespace

TEST_CASE("the trace equals the diagonal of a finite-difference Jacobian", "[ffjord]") {
  TraceFixture fx;
  EmbedCache<double> ec;
  mlp_embed(ec, fx.s, fx.p.data(), fx.t);
  TraceCache<double> c;
  MatX<double> y, yp, ym;
  VecX<double> tr;
  mlp_trace_forward(y, tr, fx.s, fx.p.data(), fx.x, ec, c);
  for (int b = 0; b < 4; ++b) {
    double fd = 0;
    for (int k = 0; k < 3; ++k) {
      MatX<double> xp = fx.x, xm = fx.x;
      xp(k, b) += 1e-6;
      xm(k, b) -= 1e-6;
      mlp_forward(yp, fx.s, fx.p.data(), xp, ec, nullptr);
      mlp_forward(ym, fx.s, fx.p.data(), xm, ec, nullptr);
      fd += (yp(k, b) - ym(k, b)) / 2e-6;
    }
    CHECK(tr[b] == Approx(fd).epsilon(1e-7));
  }
}

TEST_CASE("mlp_trace_backward: parameter and input gradients of y and of the trace", "[ffjord]") {
  TraceFixture fx;
  EmbedCache<double> ec;
  mlp_embed(ec, fx.s, fx.p.data(), fx.t);
  TraceCache<double> c;
  MatX<double> y, dx;
  VecX<double> tr;
  mlp_trace_forward(y, tr, fx.s, fx.p.data(), fx.x, ec, c);
  std::vector<double> dp(fx.p.size(), 0.0);
  mlp_trace_backward(dp.data(), &dx, fx.s, fx.p.data(), fx.x, ec, c, fx.ybar, fx.trbar);
  auto fd = test::fd_gradient([&](const std::vector<double>& q) { return fx.objective(q, fx.x); }, fx.p, 1e-6);
  test::expect_close(dp, fd, 1e-7, "dparams");
  std::vector<double> xv(fx.x.data(), fx.x.data() + fx.x.size());
  auto fdx = test::fd_gradient(
      [&](const std::vector<double>& q) {
        return fx.objective(fx.p, Eigen::Map<const MatX<double>>(q.data(), fx.s.d, fx.x.cols()));
      },
      xv, 1e-6);
  test::expect_close(std::vector<double>(dx.data(), dx.data() + dx.size()), fdx, 1e-7, "dx");
}
