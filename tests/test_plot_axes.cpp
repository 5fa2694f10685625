// Tests for host/plot_axes: linear ticks are round steps (1, 2, 2.5 or 5 × 10^k) inside the
// range with labels that write them exactly (a typographic minus, no "-0", powers of ten for
// very large or small values); log ticks are decades (thinned when there are many), else
// 1-2-5, else linear steps within a decade, with minor ticks; errors; the grid layout's margins.
#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "host/plot_axes.h"

using df::axis_ticks;
using df::Scale;

namespace {

void check_round_steps(const df::Ticks& t, double lo, double hi) {
  REQUIRE(t.major.size() >= 2);
  REQUIRE(t.labels.size() == t.major.size());
  const double step = t.major[1] - t.major[0];
  const double mag = std::pow(10.0, std::floor(std::log10(step) + 1e-9)), m = step / mag;
  CHECK((std::fabs(m - 1) < 1e-9 || std::fabs(m - 2) < 1e-9 || std::fabs(m - 2.5) < 1e-9 || std::fabs(m - 5) < 1e-9));
  for (std::size_t i = 0; i < t.major.size(); ++i) {
    CHECK(t.major[i] >= lo - 1e-9 * std::fabs(lo));
    CHECK(t.major[i] <= hi + 1e-9 * std::fabs(hi));
    if (i > 0) CHECK(t.major[i] - t.major[i - 1] == Approx(step).epsilon(1e-9));
    CHECK(std::fabs(std::remainder(t.major[i], step)) < 1e-9 * step);  // a multiple of the step
  }
  CHECK(t.major.front() - lo < step);  // no tick missing at the ends
  CHECK(hi - t.major.back() < step);
}

}  // namespace

TEST_CASE("linear ticks: round steps, exact labels") {
  const df::Ticks unit = axis_ticks(0, 1, Scale::linear, 5);
  CHECK(unit.labels == std::vector<std::string>{"0.0", "0.2", "0.4", "0.6", "0.8", "1.0"});
  check_round_steps(unit, 0, 1);

  const df::Ticks mixed = axis_ticks(-3.7, 12.2, Scale::linear, 5);
  check_round_steps(mixed, -3.7, 12.2);
  CHECK(mixed.labels == std::vector<std::string>{"0", "5", "10"});

  const df::Ticks neg = axis_ticks(-3.03, 3.03, Scale::linear, 6);
  CHECK(neg.labels == std::vector<std::string>{"\u22123", "\u22122", "\u22121", "0", "1", "2", "3"});

  const df::Ticks quarter = axis_ticks(0.9, 2.1, Scale::linear, 5);  // step 0.25: two decimals
  check_round_steps(quarter, 0.9, 2.1);
  CHECK(quarter.labels == std::vector<std::string>{"1.00", "1.25", "1.50", "1.75", "2.00"});

  const df::Ticks iters = axis_ticks(-59, 1560, Scale::linear, 6);
  check_round_steps(iters, -59, 1560);
  CHECK(iters.labels.front() == "0");
  CHECK(iters.labels.back() == "1500");

  for (auto [lo, hi] : std::vector<std::pair<double, double>>{{0.001, 0.0013}, {-1e-7, 3e-7}, {1e9, 1e9 + 7}, {-250, -20}}) {
    INFO("range " << lo << " .. " << hi);
    const df::Ticks t = axis_ticks(lo, hi, Scale::linear, 5);
    check_round_steps(t, lo, hi);
    CHECK(t.major.size() <= 7);
    for (std::size_t i = 1; i < t.labels.size(); ++i) CHECK(t.labels[i] != t.labels[i - 1]);  // all distinct
    for (std::size_t i = 0; i < t.labels.size(); ++i) {
      CHECK(t.labels[i].find('-') == std::string::npos);  // the minus is U+2212
      if (t.major[i] == 0) CHECK(t.labels[i].find("\u2212") == std::string::npos);  // no "−0"
    }
  }
  const df::Ticks big = axis_ticks(0, 3e6, Scale::linear, 5);
  CHECK(big.labels == std::vector<std::string>{"0", "10\u2076", "2×10\u2076", "3×10\u2076"});
  const df::Ticks tiny = axis_ticks(0, 4e-6, Scale::linear, 4);
  CHECK(tiny.labels[1] == "10\u207b\u2076");  // 10⁻⁶
}

TEST_CASE("log ticks: decades, 1-2-5, linear within a decade, minor ticks") {
  const df::Ticks dec = axis_ticks(0.003, 40, Scale::log, 5);
  CHECK(dec.labels == std::vector<std::string>{"0.01", "0.1", "1", "10"});
  CHECK(dec.minor.size() == 7 + 3 * 8 + 3);  // 3..9 × 10⁻³, 2..9 × 10^k for 0.01, 0.1, 1, and 20, 30, 40
  for (double v : dec.minor) CHECK((v >= 0.003 - 1e-12 && v <= 40 + 1e-9));

  const df::Ticks many = axis_ticks(1e-9, 1e4, Scale::log, 5);  // 14 decades: every 3rd
  CHECK(many.major.size() >= 4);
  CHECK(many.major.size() <= 6);
  for (std::size_t i = 1; i < many.major.size(); ++i) CHECK(many.major[i] / many.major[i - 1] == Approx(1000));
  CHECK(many.labels.front() == "10\u207b\u2079");
  CHECK(many.labels.back() == "10\u00b3");  // all in powers of ten once one is
  CHECK(axis_ticks(0.5, 2e6, Scale::log, 7).labels.front() == "10\u2070");

  const df::Ticks two = axis_ticks(0.03, 3, Scale::log, 5);  // two decades inside: 1-2-5
  CHECK(two.labels == std::vector<std::string>{"0.05", "0.1", "0.2", "0.5", "1", "2"});
  CHECK(two.minor.size() == 19 - 6);  // the other m × 10^k from 0.03 to 3
  const df::Ticks one = axis_ticks(0.0031, 0.031, Scale::log, 5);
  CHECK(one.labels == std::vector<std::string>{"0.005", "0.01", "0.02"});
  const df::Ticks narrow = axis_ticks(0.15, 0.9, Scale::log, 5);  // under a decade: linear steps
  CHECK(narrow.labels == std::vector<std::string>{"0.2", "0.4", "0.6", "0.8"});
  CHECK(narrow.minor.empty());
  const df::Ticks tight = axis_ticks(1.1, 1.9, Scale::log, 5);
  check_round_steps(tight, 1.1, 1.9);
}

TEST_CASE("axis_ticks refuses empty, reversed, non-finite and non-positive log ranges") {
  CHECK_THROWS_AS(axis_ticks(1, 1, Scale::linear), std::invalid_argument);
  CHECK_THROWS_AS(axis_ticks(2, 1, Scale::linear), std::invalid_argument);
  CHECK_THROWS_AS(axis_ticks(0, INFINITY, Scale::linear), std::invalid_argument);
  CHECK_THROWS_AS(axis_ticks(0, 10, Scale::log), std::invalid_argument);
}

TEST_CASE("grid layout: margins for labels and title around each plot area, suptitle band") {
  const df::PlotLayout lay = df::grid_layout(5, 3, 200, 100, true);
  CHECK(lay.panel_w == 200);
  CHECK(lay.panel_h == 100);
  CHECK(lay.width == 3 * (df::kAxisLeft + 200 + df::kAxisRight));
  CHECK(lay.height == df::kSuptitleH + 2 * (df::kAxisTop + 100 + df::kAxisBottom));
  CHECK(lay.panel_x[0] == df::kAxisLeft);
  CHECK(lay.panel_y[0] == df::kSuptitleH + df::kAxisTop);
  CHECK(lay.panel_x[3] == lay.panel_x[0]);
  CHECK(lay.panel_y[3] == lay.panel_y[0] + df::kAxisTop + 100 + df::kAxisBottom);
  CHECK(lay.panel_x[1] - (lay.panel_x[0] + 200) == df::kAxisRight + df::kAxisLeft);
}
