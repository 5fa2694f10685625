// Tests for host/divergence (the guard against an exploding loss) and its place in the training
// loop: noise and a flat history pass, a loss far above the recent range stops, the window
// forgets, factor 0 leaves only the non-finite check; a DDPM run with lr 10 and no clipping
// (a loss of 3e20 before the guard) now stops with exit code 3 at its second iteration and keeps
// its checkpoint.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "engine/backend.h"
#include "host/checkpoint.h"
#include "host/divergence.h"
#include "host/train_log.h"
#include "host/trainer.h"

using namespace df;
using Catch::Matchers::Contains;

TEST_CASE("the guard: noise passes, an explosion stops, the window forgets", "[divergence]") {
  std::vector<double> noisy;
  for (int i = 0; i < 200; ++i) noisy.push_back(2.0 + 0.05 * std::sin(1.7 * i));  // spread about 0.1
  DivergenceGuard g(100, noisy);
  CHECK(g.check(2.04).empty());
  CHECK(g.check(5.0).empty());   // a spike of 30 spreads: still training
  CHECK(g.check(-50).empty());   // falling is never divergence
  CHECK_THAT(g.check(20.0), Contains("the loss 20 exploded"));
  CHECK_THAT(g.check(3e20), Contains("exploded"));
  CHECK_THAT(g.check(NAN), Contains("not finite"));
  CHECK_THAT(g.check(INFINITY), Contains("not finite"));
  for (int i = 0; i < 100; ++i) g.add(0.5 + 0.001 * (i % 3));  // the loss fell: the old level is forgotten
  CHECK_THAT(g.check(5.0), Contains("exploded"));
}

TEST_CASE("the guard: a flat or short history is judged by the spread's floor", "[divergence]") {
  DivergenceGuard flat(100, std::vector<double>(50, 2.0));
  CHECK(flat.check(2.5).empty());   // floor 0.01 * (|2| + 1) = 0.03: the limit is 2 + 3
  CHECK(!flat.check(5.5).empty());
  DivergenceGuard none(100, {});
  CHECK(none.check(1e30).empty());  // no history: nothing to judge against
  DivergenceGuard one(100, {1.8});
  CHECK(!one.check(3.5e14).empty());
  DivergenceGuard off(0, std::vector<double>(50, 2.0));
  CHECK(off.check(1e30).empty());
  CHECK(!off.check(NAN).empty());
}

TEST_CASE("an exploding DDPM run stops with 3 and keeps its checkpoint", "[divergence]") {
  const std::string dir = "/tmp/df_test_diverge_" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  RunConfig cfg = default_config(ModelKind::DDPM, false);
  cfg.data = "moons";
  cfg.shape = NetShape{2, 16, 3};
  cfg.grid.N = 5;
  cfg.batch = 64;
  cfg.iters = 300;
  cfg.save_every = 100;
  cfg.clip = 0;
  cfg.lr_f = cfg.lr_s = 10;
  DataSource data(cfg.data);
  auto be = make_cpu_backend();
  RunConfig off = cfg;
  off.diverge = 0;  // without the guard the loss explodes yet stays finite
  RunState s_off = new_run_state(off, data);
  std::filesystem::create_directories(dir + "/off");
  REQUIRE(train(*be, off, s_off, data, TrainOptions{dir + "/off", true}) == 0);
  double worst = 0;
  for (double v : log_losses(s_off.log_rows)) worst = std::max(worst, v);
  CHECK(worst > 1e10);
  std::filesystem::create_directories(dir + "/on");
  RunState st = new_run_state(cfg, data);
  REQUIRE(train(*be, cfg, st, data, TrainOptions{dir + "/on", true}) == 3);
  RunConfig c2;
  RunState s2;
  load_checkpoint(dir + "/on", c2, s2);
  CHECK(s2.iteration == 0);
  CHECK(c2.diverge == 100);
  std::filesystem::remove_all(dir);
}
