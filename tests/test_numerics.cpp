// Smaller numerical pieces: the Adam and EMA element updates against a hand-computed step,
// Hutchinson's trace estimator against the exact trace, the Philox stream's moments and
// independence of its keys, and the training loop's stop on a non-finite loss.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cmath>

#include "engine/backend.h"
#include "engine/likelihood.h"
#include "host/checkpoint.h"
#include "host/trainer.h"
#include "tests/fd.h"

using namespace df;

TEST_CASE("Adam and EMA element updates", "[optim]") {
  float p = 1.0f, m = 0.0f, v = 0.0f;
  // step 1, gradient 0.5 scaled by 0.5 (clipping): m = 0.025, v = 6.25e-5, m̂ = 0.25, v̂ = 0.0625
  adam_element(&p, &m, &v, 0.5f, 0.5f, 0.1f, 0.9f, 0.999f, 1e-8f, 1.0f - 0.9f, 1.0f - 0.999f);
  CHECK(m == Approx(0.025f));
  CHECK(v == Approx(6.25e-5f).epsilon(1e-4));
  CHECK(p == Approx(1.0f - 0.1f * 0.25f / (0.25f + 1e-8f)).epsilon(1e-6));
  float e = 2.0f;
  ema_element(&e, 4.0f, 0.75f);
  CHECK(e == Approx(2.5f));
}

TEST_CASE("Hutchinson's estimator is unbiased for the trace of the velocity Jacobian", "[likelihood]") {
  NetShape s{5, 10, 1};
  std::vector<double> f(s.n_params()), sc(s.n_params());
  init_params(s, f.data(), 2, 0, 1.0);
  init_params(s, sc.data(), 2, 1, 1.0);
  NetPair<double> net{s, f.data(), sc.data()};
  MatX<double> x = test::random_mat(5, 3, 4);
  OdeOptions exact;
  MatX<double> v;
  VecX<double> tr_exact, tr_h, acc = VecX<double>::Zero(3);
  pf_velocity_trace<double>(v, tr_exact, net, x, 0.02, 0.09, exact, 0);
  // exact trace equals the sum of the diagonal of a finite-difference Jacobian
  for (int b = 0; b < 3; ++b) {
    double tr = 0;
    for (int k = 0; k < 5; ++k) {
      MatX<double> xp = x, xm = x, vp, vm;
      VecX<double> dummy;
      xp(k, b) += 1e-6;
      xm(k, b) -= 1e-6;
      pf_velocity_trace<double>(vp, dummy, net, xp, 0.02, 0.09, exact, 0);
      pf_velocity_trace<double>(vm, dummy, net, xm, 0.02, 0.09, exact, 0);
      tr += (vp(k, b) - vm(k, b)) / 2e-6;
    }
    CHECK(tr_exact[b] == Approx(tr).epsilon(1e-6));
  }
  OdeOptions hut;
  hut.exact_max_d = 0;  // force the estimator
  hut.probes = 1;
  const int reps = 4000;
  for (int r = 0; r < reps; ++r) {
    pf_velocity_trace<double>(v, tr_h, net, x, 0.02, 0.09, hut, std::uint32_t(r));
    acc += tr_h;
  }
  acc /= reps;
  for (int b = 0; b < 3; ++b) CHECK(acc[b] == Approx(tr_exact[b]).margin(0.05 * std::fabs(tr_exact[b]) + 0.05));
}

TEST_CASE("Philox normals: moments, and different keys give different streams", "[noise]") {
  double s1 = 0, s2 = 0, s4 = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    double z = normal_at(NoiseKey{1, 0}, kStreamDiffuse, 0, std::uint32_t(i / 3), std::uint32_t(i % 3));
    s1 += z;
    s2 += z * z;
    s4 += z * z * z * z;
  }
  CHECK(s1 / n == Approx(0).margin(0.01));
  CHECK(s2 / n == Approx(1).epsilon(0.01));
  CHECK(s4 / n == Approx(3).epsilon(0.03));
  CHECK(normal_at(NoiseKey{1, 0}, 0, 0, 0, 0) != normal_at(NoiseKey{1, 1}, 0, 0, 0, 0));
  CHECK(normal_at(NoiseKey{1, 0}, 0, 0, 0, 0) != normal_at(NoiseKey{2, 0}, 0, 0, 0, 0));
  CHECK(normal_at(NoiseKey{1, 0}, 0, 0, 0, 0) != normal_at(NoiseKey{1, 0}, 1, 0, 0, 0));
  CHECK(normal_at(NoiseKey{1, 0}, 0, 0, 0, 5) == normal_at(NoiseKey{1, 0}, 0, 0, 0, 5));
}

TEST_CASE("a non-finite loss stops training and keeps the last good checkpoint", "[train]") {
  const std::string dir = "/tmp/df_nan_" + std::to_string(getpid());
  REQUIRE(std::system(("rm -rf " + dir + " && mkdir -p " + dir).c_str()) == 0);
  RunConfig cfg;
  cfg.data = "moons";
  cfg.shape = NetShape{2, 16, 3};
  cfg.grid.N = 5;
  cfg.batch = 64;
  cfg.iters = 200;
  cfg.save_every = 2;
  cfg.clip = 0;
  cfg.diverge = 0;             // the guard off: only the non-finite loss stops it
  cfg.lr_f = cfg.lr_s = 10;    // the largest rate allowed; diverges within a few steps
  DataSource data(cfg.data);
  RunState st = new_run_state(cfg, data);
  auto be = make_cpu_backend();
  int rc = train(*be, cfg, st, data, TrainOptions{dir, true});
  REQUIRE(rc == 3);
  RunConfig c2;
  RunState s2;
  load_checkpoint(dir, c2, s2);  // loadable, passes its checksum
  CHECK(s2.iteration < 200);
  CHECK(s2.iteration % 2 == 0);
  for (float v : s2.f.p) REQUIRE(std::isfinite(v));
  std::system(("rm -rf " + dir).c_str());
}
