// Tests for the loss figure of host/run_figures: the robust y range leaves a few huge early
// values out; loss.png has two panels (loss, gradient norms on a log scale) of the layout's size,
// tick labels beside both, the smoothed curve (red) over the faint raw points, one dashed grey
// line per learning-rate decay, the clipping threshold, no coloured pixel outside the plot
// areas; DDPM (score network only) gets no drift series.
#include <catch2/catch.hpp>
#include <cmath>

#include "host/plot_lines.h"
#include "host/run_figures.h"
#include "tests/png_image.h"

using test_png::decode;
using test_png::Image;
using test_png::TempDir;

namespace {

// 600 iterations: a decaying loss with three huge first values, the learning rate × 0.95 every
// 200 iterations, drift gradient norms about 5, score gradient norms about 0.01.
df::TrainLog synthetic_log() {
  df::TrainLog log;
  for (int i = 1; i <= 600; ++i) {
    log.iter.push_back(i);
    log.loss.push_back(i <= 3 ? 500.0 : 1 + 2 * std::exp(-i / 80.0) + 0.05 * std::sin(i));
    log.grad_f.push_back(5 + std::sin(0.3 * i));
    log.grad_s.push_back(0.01 * (1.5 + std::cos(0.7 * i)));
    const double lr = 0.01 * std::pow(0.95, (i - 1) / 200);
    log.lr_f.push_back(lr);
    log.lr_s.push_back(lr);
    log.seconds.push_back(0.02 * i);
  }
  return log;
}

bool red(const Image& img, int x, int y) {  // the smoothed curve, tab:red (214, 39, 40)
  const unsigned char* p = img.at(x, y);
  return p[0] > 150 && p[1] < 110 && p[2] < 110;
}
bool bluish(const Image& img, int x, int y) { return img.at(x, y)[2] > img.at(x, y)[0] + 20; }
bool orangish(const Image& img, int x, int y) { return img.at(x, y)[0] > img.at(x, y)[2] + 20 && img.at(x, y)[1] > 90; }

}  // namespace

TEST_CASE("loss y range: robust quantiles, a few early values left out") {
  const df::TrainLog log = synthetic_log();
  const auto [lo, hi] = df::loss_y_range(log.loss);
  CHECK(hi < 4);  // the three values of 500 are outside
  for (std::size_t i = 10; i < log.size(); ++i) {
    INFO("iteration " << log.iter[i]);
    CHECK(log.loss[i] >= lo);
    CHECK(log.loss[i] <= hi);
  }
  const auto flat = df::loss_y_range({2, 2, 2});
  CHECK(flat.first < 2);
  CHECK(flat.second > 2);
}

TEST_CASE("loss figure: panels, labels, smoothed curve, decay marks, clipping, axes") {
  SKIP_WITHOUT_PNG();
  TempDir t;
  df::RunConfig cfg;
  cfg.model = "diffflow";
  cfg.data = "olympic";
  cfg.clip = 1.0;
  df::write_loss_png(t / "loss.png", synthetic_log(), cfg);
  const df::PlotLayout lay = df::line_layout(2, 560, 340, true);
  const Image img = decode(t / "loss.png");
  REQUIRE(img.w == lay.width);
  REQUIRE(img.h == lay.height);
  const bool font = test_png::font_present();
  if (!font) WARN("no font: labels are not drawn");
  for (int k = 0; k < 2; ++k) {
    const int x0 = lay.panel_x[k], y0 = lay.panel_y[k];
    INFO("panel " << k);
    CHECK((img.non_white(x0 - 40, y0, x0 - 9, y0 + 340) > 60) == font);         // y tick labels
    CHECK((img.non_white(x0, y0 + 348, x0 + 560, y0 + 362) > 60) == font);       // x tick labels
    CHECK((img.non_white(x0 - df::kAxisLeft, y0, x0 - 50, y0 + 340) > 60) == font);  // y axis label
  }
  const int x0 = lay.panel_x[0], y0 = lay.panel_y[0], x1 = lay.panel_x[1], y1 = lay.panel_y[1];
  CHECK(img.count(x0, y0, x0 + 560, y0 + 340, [&](int x, int y) { return red(img, x, y); }) > 500);
  CHECK(img.count(x0, y0, x0 + 560, y0 + 340, [&](int x, int y) { return bluish(img, x, y); }) > 500);  // raw points
  // dashed grey decay lines: runs of adjacent columns that are grey over a quarter of the height
  int runs = 0;
  bool prev = false;
  for (int x = x0; x < x0 + 560; ++x) {
    const bool grey = img.count(x, y0, x + 1, y0 + 340, [&](int a, int b) {
      return img.at(a, b)[0] < 200 && !img.coloured(a, b);
    }) > 340 / 4;
    runs += grey && !prev;
    prev = grey;
  }
  CHECK(runs == 2);  // after iterations 200 and 400
  // gradient norms: drift (blue) and score (orange) apart by decades; the red clipping line
  CHECK(img.count(x1, y1, x1 + 560, y1 + 340, [&](int x, int y) { return bluish(img, x, y); }) > 300);
  CHECK(img.count(x1, y1, x1 + 560, y1 + 340, [&](int x, int y) { return orangish(img, x, y); }) > 300);
  int clip_rows = 0;
  for (int y = y1; y < y1 + 340; ++y)
    clip_rows += img.count(x1, y, x1 + 560, y + 1, [&](int x, int yy) { return red(img, x, yy); }) > 200;
  CHECK(clip_rows >= 1);
  CHECK(clip_rows <= 3);
  CHECK(img.count(0, 0, img.w, img.h, [&](int x, int y) {
    const bool in0 = x >= x0 && x < x0 + 560 && y >= y0 && y < y0 + 340;
    const bool in1 = x >= x1 && x < x1 + 560 && y >= y1 && y < y1 + 340;
    return img.coloured(x, y) && !in0 && !in1;
  }) == 0);
}

TEST_CASE("loss figure of DDPM: only the score network's gradient norms") {
  SKIP_WITHOUT_PNG();
  TempDir t;
  df::RunConfig cfg;
  cfg.model = "ddpm";
  cfg.clip = 0;  // no threshold line
  df::write_loss_png(t / "loss.png", synthetic_log(), cfg);
  const df::PlotLayout lay = df::line_layout(2, 560, 340, true);
  const Image img = decode(t / "loss.png");
  REQUIRE(img.w == lay.width);
  const int x1 = lay.panel_x[1], y1 = lay.panel_y[1];
  CHECK(img.count(x1, y1, x1 + 560, y1 + 340, [&](int x, int y) { return bluish(img, x, y); }) == 0);
  CHECK(img.count(x1, y1, x1 + 560, y1 + 340, [&](int x, int y) { return orangish(img, x, y); }) > 300);
  CHECK(img.count(x1, y1, x1 + 560, y1 + 340, [&](int x, int y) { return red(img, x, y); }) == 0);
}
