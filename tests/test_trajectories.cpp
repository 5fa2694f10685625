// Figure helpers of the comparison: diffuse-process snapshots start at the standardized data and
// end at the sweep's x_N; mode labels put each mode's points in one class.
#include <catch2/catch.hpp>

#include <cmath>

#include "host/data_source.h"
#include "host/datasets.h"
#include "host/trainer.h"
#include "host/trajectories.h"

using namespace df;

TEST_CASE("diffuse snapshots: first is the standardized data, last the end of the sweep", "[figure]") {
  for (const char* model : {"diffflow", "ddpm", "ffjord"}) {
    RunConfig cfg;
    cfg.model = model;
    cfg.data = "8gaussians";
    cfg.shape = NetShape{2, 8, 1};
    cfg.grid.N = 6;
    if (cfg.model != "diffflow") {
      cfg.grid.kind = GridKind::Linear;
      cfg.grid.t_start = cfg.model == "ddpm" ? 1e-3 : 0.0;
      cfg.grid.t_end = 1.0;
    }
    cfg.iters = 0;
    DataSource data(cfg.data);
    RunState st = new_run_state(cfg, data);
    Matrix raw = sample_dataset("8gaussians", 50, 3);
    auto snaps = diffuse_snapshots(cfg, st, raw, {0.0, 0.5, 1.0}, 1);
    REQUIRE(snaps.size() == 3);
    Matrix y = st.stdz.forward(raw);
    for (std::size_t i = 0; i < y.data.size(); ++i) CHECK(snaps[0].data[i] == Approx(y.data[i]).margin(1e-6));
    double moved = 0;
    for (std::size_t i = 0; i < y.data.size(); ++i) moved += std::fabs(snaps[2].data[i] - snaps[0].data[i]);
    INFO(model);
    CHECK(moved > 0);
    for (double v : snaps[2].data) CHECK(std::isfinite(v));
  }
}

TEST_CASE("mode labels separate the modes", "[figure]") {
  Matrix raw = sample_dataset("8gaussians", 400, 1);
  auto lab = mode_labels("8gaussians", raw);
  // every point is labelled by its nearest centre: points of the same label are close together
  for (std::size_t i = 0; i < raw.rows; ++i) {
    double a = std::atan2(raw(i, 1), raw(i, 0));
    int sector = int(std::lround(a / (M_PI / 4)) + 8) % 8;
    CHECK(lab[i] == sector);
  }
  Matrix ol = sample_dataset("olympic", 500, 2);
  auto lo = mode_labels("olympic", ol);
  int counts[5] = {0, 0, 0, 0, 0};
  for (int l : lo) {
    REQUIRE(l >= 0);
    REQUIRE(l < 5);
    counts[l]++;
  }
  for (int c : counts) CHECK(c > 60);  // five rings of about 100 points each
}
