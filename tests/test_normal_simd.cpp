// The vectorized Φ, φ and GELU family (kernels/cpu/normal_simd.h) against double precision
// (std::erfc, std::exp, std::erf) over the range a network's pre-activations take and beyond:
// 4 million points on [−12.6, 12.6] (uniform, plus a geometric set near 0 and the integers' and
// half-integers' neighbourhoods where the table intervals meet). Errors in units in the last place
// of the float result; GELU' is measured against the larger of its two terms Φ and xφ (it has a
// root near x = −0.75, where a relative error means nothing).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <vector>

#include "kernels/cpu/normal_simd.h"

using namespace df;

namespace {

double ulp_of(double v) {
  const float f = std::fabs(float(v));
  if (f < 1.17549435e-38f) return 1.4e-45;
  return double(std::nextafter(f, INFINITY) - f);
}

struct Worst {
  double ulp = 0, at = 0;
  void add(double err_ulp, double x) {
    if (!(err_ulp <= ulp)) {
      ulp = err_ulp;
      at = x;
    }
  }
};

std::vector<float> points() {
  std::vector<float> xs;
  const int n = 3000000;
  for (int i = 0; i <= n; ++i) xs.push_back(float(-12.6 + 25.2 * i / n));
  for (double a = 1e-30; a < 12.6; a *= 1.0001) {
    xs.push_back(float(a));
    xs.push_back(float(-a));
  }
  for (int k = -25; k <= 25; ++k)  // both sides of every table boundary s = k/2
    for (int u = -40; u <= 40; ++u) xs.push_back(std::nextafter(float(k) * 0.5f, float(k) + (u < 0 ? -1.f : 1.f)) + float(u) * 1e-7f);
  return xs;
}

}  // namespace

TEST_CASE("vector Φ, φ, GELU, GELU' are within a few ulp of double precision", "[gelu][simd]") {
  const std::vector<float> xs = points();
  constexpr int L = kLanes<float>;
  Worst cdf, pdf, g, gp;
  for (std::size_t i = 0; i + L <= xs.size(); i += L) {
    const Vec<float> x = load(&xs[i]);
    Vec<float> c, p, gv, gpv;
    normal_cdf_pdf(x, &c, &p);
    gelu_pair(x, &gv, &gpv);
    const Vec<float> g1 = gelu_forward(x);
    for (int k = 0; k < L; ++k) {
      const double xd = xs[i + k];
      const double cr = 0.5 * std::erfc(-xd / std::sqrt(2.0)), pr = std::exp(-0.5 * xd * xd) / std::sqrt(2 * M_PI);
      cdf.add(std::fabs(c[k] - cr) / ulp_of(cr), xd);
      pdf.add(std::fabs(p[k] - pr) / ulp_of(pr), xd);
      g.add(std::fabs(gv[k] - xd * cr) / ulp_of(xd * cr), xd);
      gp.add(std::fabs(gpv[k] - (cr + xd * pr)) / ulp_of(std::max(std::fabs(cr), std::fabs(xd * pr))), xd);
      REQUIRE(g1[k] == gv[k]);  // the forward-only path computes the same bits
    }
  }
  std::printf("worst ulp over %zu points: Phi %.2f (x=%g), phi %.2f (x=%g), GELU %.2f (x=%g), GELU' %.2f (x=%g)\n",
              xs.size(), cdf.ulp, cdf.at, pdf.ulp, pdf.at, g.ulp, g.at, gp.ulp, gp.at);
  CHECK(cdf.ulp <= 4);
  CHECK(pdf.ulp <= 4);
  CHECK(g.ulp <= 4.5);
  CHECK(gp.ulp <= 4.5);
}

TEST_CASE("vector Φ beyond the accurate range: 0 and 1 in the tails, no NaN from infinities", "[gelu][simd]") {
  constexpr int L = kLanes<float>;
  const float far[] = {-1e30f, -1e4f, -50.f, -13.f, -12.6f, 12.6f, 13.f, 50.f, 1e4f, 1e30f, INFINITY, -INFINITY};
  for (float v : far) {
    Vec<float> c, p, gv, gpv;
    normal_cdf_pdf(bcast(v), &c, &p);
    gelu_pair(bcast(v), &gv, &gpv);
    INFO("x = " << v);
    CHECK(std::isfinite(c[0]));
    CHECK(std::isfinite(p[0]));
    CHECK(p[0] >= 0.f);
    CHECK(p[0] < 1e-34f);
    if (v > 0) CHECK(c[0] == 1.f);
    else CHECK((c[0] >= 0.f && c[0] < 1e-35f));
    if (v > 0 && std::isfinite(v)) CHECK(gv[0] == v);
    if (v > 0 && std::isfinite(v)) CHECK(gpv[0] == 1.f);
    for (int k = 1; k < L; ++k) CHECK(c[k] == c[0]);
  }
}

TEST_CASE("the scalar GELU through erfc equals the erf form in double", "[gelu]") {
  for (double x = -9; x <= 9; x += 0.01) {
    const double erf_form = 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
    CHECK(std::fabs(gelu_forward(x) - erf_form) <= 1e-15 * (1 + std::fabs(x)));
    // the float scalar path (GPU and emulator) and the vector path agree to a few ulp, plus, in
    // the left tail, the scalar path's rounding of x/√2 (a relative error of about x²·2⁻²⁴)
    const float xf = float(x);
    Vec<float> c, p;
    normal_cdf_pdf(bcast(xf), &c, &p);
    const float sc = normal_cdf(xf);
    INFO("x = " << x);
    CHECK(std::fabs(double(c[0]) - sc) <= 8 * ulp_of(sc) + std::fabs(sc) * x * x * 1.2e-7);
  }
}
