// DDPM in the same engine: the denoising gradient against finite differences (double); the
// VP schedule's closed forms; the sweeps with the fixed drift (D4 bound, sampling) against a
// direct computation; a trained-free sanity check of the bound's constants.
#include <catch2/catch.hpp>

#include "engine/params.h"
#include "engine/ddpm.h"
#include "engine/likelihood.h"
#include "tests/fd.h"

using namespace df;

TEST_CASE("VP schedule: α and σ from the integral of β", "[ddpm]") {
  VpSchedule vp;
  for (double t : {0.001, 0.3, 1.0}) {
    double integral = 0.1 * t + 0.5 * (20 - 0.1) * t * t;
    CHECK(vp.alpha(t) == Approx(std::exp(-0.5 * integral)).epsilon(1e-14));
    CHECK(vp.alpha(t) * vp.alpha(t) + vp.sigma(t) * vp.sigma(t) == Approx(1.0).epsilon(1e-14));
  }
}

TEST_CASE("DDPM denoising gradient equals finite differences (double)", "[ddpm]") {
  NetShape s{2, 6, 1};
  std::vector<double> p(s.n_params());
  init_params(s, p.data(), 3, 1, 1.0);
  MatX<double> x0 = test::random_mat(2, 37, 2);  // three groups, the last partial
  VpSchedule vp;
  NoiseKey key{5, 1};
  std::vector<double> g(p.size(), 0.0);
  VecX<double> per;
  double L = ddpm_loss_grad<double>(g.data(), &per, s, p.data(), x0, vp, 1e-3, key, 3);
  CHECK(L == Approx(per.mean()).epsilon(1e-14));
  auto fd = test::fd_gradient(
      [&](const std::vector<double>& q) {
        std::vector<double> scratch(q.size(), 0.0);
        return ddpm_loss_grad<double>(scratch.data(), nullptr, s, q.data(), x0, vp, 1e-3, key, 3);
      },
      p, 1e-6);
  test::expect_close(g, fd, 1e-7, "DDPM gradient");
  // chunking by global sample offset gives the same per-sample losses
  VecX<double> a, b2;
  std::vector<double> scratch(p.size(), 0.0);
  ddpm_loss_grad<double>(scratch.data(), &a, s, p.data(), x0.leftCols(20), vp, 1e-3, key, 3);
  ddpm_loss_grad<double>(scratch.data(), &b2, s, p.data(), x0.rightCols(17), vp, 1e-3, key, 23);
  for (int i = 0; i < 20; ++i) CHECK(a[i] == Approx(per[i]).epsilon(1e-13));
  for (int i = 0; i < 17; ++i) CHECK(b2[i] == Approx(per[20 + i]).epsilon(1e-13));  // a group split across calls: GEMMs of other widths
}

TEST_CASE("DDPM sweeps use the fixed drift −½βx, g = √β and s = −ε/σ", "[ddpm]") {
  NetShape s{2, 5, 1};
  std::vector<double> p(s.n_params());
  init_params(s, p.data(), 8, 1, 1.0);
  VpSchedule vp;
  NetPair<double> net(s, nullptr, p.data(), ModelKind::DDPM, vp);
  GridSpec spec;
  spec.kind = GridKind::Linear;
  spec.t_start = 1e-3;
  spec.t_end = 1.0;
  TimeGrid grid = make_grid(spec, GSchedule::constant(1.0), 4);
  for (int i = 0; i <= 4; ++i) grid.g[i] = std::sqrt(vp.beta(grid.t[i]));
  MatX<double> x0 = test::random_mat(2, 3, 4);
  PhiloxNoise noise(NoiseKey{1, 2}, kStreamDiffuse);
  DiffuseOut<double> out;
  diffuse_sweep(out, net, x0, grid, noise, 0);
  for (int b = 0; b < 3; ++b) {
    VecX<double> x = x0.col(b);
    double L = 0;
    for (int i = 0; i < 4; ++i) {
      MatX<double> eps;
      noise.fill(eps, i, 2, 3);
      double dt = grid.dt(i), sf = grid.g[i] * std::sqrt(dt), sb = grid.g[i + 1] * std::sqrt(dt);
      VecX<double> xn = x - 0.5 * vp.beta(grid.t[i]) * dt * x + sf * eps.col(b);
      EmbedCache<double> ec;
      mlp_embed(ec, s, p.data(), grid.t[i + 1]);
      MatX<double> e;
      mlp_forward(e, s, p.data(), MatX<double>(xn), ec, nullptr);
      VecX<double> score = -e.col(0) / vp.sigma(grid.t[i + 1]);
      VecX<double> bdrift = -0.5 * vp.beta(grid.t[i + 1]) * xn - grid.g[i + 1] * grid.g[i + 1] * score;
      VecX<double> eta = (x - xn + bdrift * dt) / sb;
      L += 0.5 * (eta.squaredNorm() - eps.col(b).squaredNorm());
      x = xn;
    }
    L += 0.5 * x.squaredNorm() + std::log(2 * M_PI) + 2 * std::log(grid.g[4] / grid.g[0]);
    CHECK(out.loss[b] == Approx(L).epsilon(1e-12));
  }
  // exact-trace ODE likelihood: the fixed drift contributes −½β d to the trace
  OdeOptions opt;
  MatX<double> v;
  VecX<double> tr;
  pf_velocity_trace<double>(v, tr, net, x0, 0.5, vp.beta(0.5), opt, 0);
  for (int b = 0; b < 3; ++b) {
    double fd = 0;
    for (int k = 0; k < 2; ++k) {
      MatX<double> xp = x0, xm = x0, vp_, vm_;
      VecX<double> dummy;
      xp(k, b) += 1e-6;
      xm(k, b) -= 1e-6;
      pf_velocity_trace<double>(vp_, dummy, net, xp, 0.5, vp.beta(0.5), opt, 0);
      pf_velocity_trace<double>(vm_, dummy, net, xm, 0.5, vp.beta(0.5), opt, 0);
      fd += (vp_(k, b) - vm_(k, b)) / 2e-6;
    }
    CHECK(tr[b] == Approx(fd).epsilon(1e-6));
  }
}
