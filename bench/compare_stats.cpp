// Statistics over seeds and the verdicts of the comparison (bench/compare.h). Every metric here
// is lower-is-better. A difference between a and b is a win only when both hold:
//   spread  |mean_a − mean_b| > sd_a + sd_b (sample standard deviations over seeds, n − 1; so
//           each side needs at least 2 finite seeds)
//   floor   |mean_a − mean_b| > the metric's resolution:
//             SW2, TV   the two-draw floor (the same statistic between two draws of the true
//                       data at the same sample size), averaged over both sides' runs
//             leakage   2·√(p_a(1 − p_a)/n + p_b(1 − p_b)/n), the binomial standard error of the
//                       difference at n samples (the true data's leakage is 0 by definition)
//             NLL       2·√(se_a² + se_b²), the standard errors of the mean over the test points
// Otherwise the verdict is "no difference established".
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "bench/compare.h"

namespace dfc {

Stat stat(const std::vector<double>& v) {
  Stat s;
  double sum = 0;
  for (double x : v)
    if (std::isfinite(x)) {
      sum += x;
      ++s.n;
    }
  if (s.n == 0) return s;
  s.mean = sum / s.n;
  if (s.n < 2) return s;
  double ss = 0;
  for (double x : v)
    if (std::isfinite(x)) ss += (x - s.mean) * (x - s.mean);
  s.sd = std::sqrt(ss / (s.n - 1));
  return s;
}

double likelihood_of(const SeedRun& r) { return std::isfinite(r.ev.nll_exact) ? r.ev.nll_exact : r.ev.nll_ode; }
double likelihood_se(const SeedRun& r) { return std::isfinite(r.ev.nll_exact) ? r.ev.nll_exact_se : r.ev.nll_ode_se; }

std::vector<double> swept_lambdas(const ModelResult& m) {
  std::vector<double> out;
  if (m.runs.empty() || m.runs[0].sweep.empty()) return out;
  if (std::isfinite(m.runs[0].sweep.front().tol)) return {NAN};  // FFJORD's tolerances: no λ
  const int first = m.runs[0].sweep.front().steps;
  for (const SweepPoint& p : m.runs[0].sweep)
    if (p.steps == first) out.push_back(p.lambda);
  return out;
}

bool same_lambda(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

Verdict judge(const std::string& metric, const std::string& a, const std::vector<double>& va, const std::string& b,
              const std::vector<double>& vb, double floor) {
  Verdict v;
  v.metric = metric;
  v.a = a;
  v.b = b;
  v.sa = stat(va);
  v.sb = stat(vb);
  v.floor = floor;
  const double diff = std::fabs(v.sa.mean - v.sb.mean);
  if (v.sa.n >= 2 && v.sb.n >= 2 && diff > v.sa.sd + v.sb.sd && std::isfinite(floor) && diff > floor)
    v.better = v.sa.mean < v.sb.mean ? -1 : 1;
  return v;
}

std::string Verdict::text() const {
  char b[512];
  const double diff = std::fabs(sa.mean - sb.mean), spread = sa.sd + sb.sd;
  if (better != 0)
    std::snprintf(b, sizeof b, "%s better (difference %.4g > spread %.4g and floor %.4g)", (better < 0 ? a : this->b).c_str(),
                  diff, spread, floor);
  else if (sa.n < 2 || sb.n < 2)
    std::snprintf(b, sizeof b, "no difference established (fewer than 2 finite seeds on a side)");
  else
    std::snprintf(b, sizeof b, "no difference established (difference %.4g, spread %.4g, floor %.4g)", diff, spread, floor);
  return b;
}

namespace {

using Pick = double (*)(const df::SampleMetrics&);
double pick_sw2(const df::SampleMetrics& m) { return m.sw2; }
double pick_tv(const df::SampleMetrics& m) { return m.tv; }
double pick_leak(const df::SampleMetrics& m) { return m.leakage; }
double pick_sw2_floor(const df::SampleMetrics& m) { return m.sw2_floor; }
double pick_tv_floor(const df::SampleMetrics& m) { return m.tv_floor; }

double binomial_floor(double pa, double pb, double n) {
  return 2.0 * std::sqrt(pa * (1 - pa) / n + pb * (1 - pb) / n);
}

// The three sample-metric verdicts between two lists of per-seed metrics.
void sample_verdicts(std::vector<Verdict>& out, const std::string& a, const std::vector<df::SampleMetrics>& ma,
                     const std::string& b, const std::vector<df::SampleMetrics>& mb, double n) {
  auto values = [](const std::vector<df::SampleMetrics>& m, Pick p) {
    std::vector<double> v;
    for (const auto& x : m) v.push_back(p(x));
    return v;
  };
  auto both = [&](Pick p) {
    std::vector<double> v = values(ma, p), w = values(mb, p);
    v.insert(v.end(), w.begin(), w.end());
    return stat(v).mean;
  };
  out.push_back(judge("SW2", a, values(ma, pick_sw2), b, values(mb, pick_sw2), both(pick_sw2_floor)));
  out.push_back(judge("TV", a, values(ma, pick_tv), b, values(mb, pick_tv), both(pick_tv_floor)));
  const Stat la = stat(values(ma, pick_leak)), lb = stat(values(mb, pick_leak));
  if (la.n > 0 && lb.n > 0)
    out.push_back(judge("leakage", a, values(ma, pick_leak), b, values(mb, pick_leak), binomial_floor(la.mean, lb.mean, n)));
}

// A model's per-seed likelihoods, their standard errors and sample metrics, NaN for a run the
// trainer stopped.
struct PerSeed {
  std::vector<double> nll, se;
  std::vector<df::SampleMetrics> sm;
  double n = 0;  // samples behind the sample metrics (the most of any run)
};

PerSeed per_seed(const ModelResult& m) {
  PerSeed p;
  for (const SeedRun& r : m.runs) {
    p.nll.push_back(r.train.stopped ? NAN : likelihood_of(r));
    p.se.push_back(r.train.stopped ? NAN : likelihood_se(r));
    p.sm.push_back(r.sm);
    p.n = std::max(p.n, double(r.sm.n));
  }
  return p;
}

}  // namespace

std::vector<Verdict> model_verdicts(const std::vector<ModelResult>& res) {
  std::vector<Verdict> out;
  for (std::size_t i = 0; i < res.size(); ++i)
    for (std::size_t j = i + 1; j < res.size(); ++j) {
      const PerSeed a = per_seed(res[i]), b = per_seed(res[j]);
      const double sa = stat(a.se).mean, sb = stat(b.se).mean;
      out.push_back(judge("NLL", res[i].model, a.nll, res[j].model, b.nll, 2.0 * std::sqrt(sa * sa + sb * sb)));
      sample_verdicts(out, res[i].model, a.sm, res[j].model, b.sm, std::max(a.n, b.n));
    }
  return out;
}

std::vector<Verdict> steps_verdicts(const std::vector<ModelResult>& res, int n_diffflow, int n_ddpm) {
  std::vector<Verdict> out;
  const ModelResult *df_ = nullptr, *dd = nullptr;
  for (const ModelResult& m : res) {
    if (m.model == "diffflow") df_ = &m;
    if (m.model == "ddpm") dd = &m;
  }
  if (!df_ || !dd) return out;
  for (double lam : swept_lambdas(*df_)) {
    auto collect = [&](const ModelResult& m, int N) {
      std::vector<df::SampleMetrics> v;
      for (const SeedRun& r : m.runs)
        for (const SweepPoint& p : r.sweep)
          if (p.steps == N && same_lambda(p.lambda, lam)) v.push_back(p.sm);
      return v;
    };
    const std::vector<df::SampleMetrics> a = collect(*df_, n_diffflow), b = collect(*dd, n_ddpm);
    if (a.empty() || b.empty()) continue;
    char na[64], nb[64];
    std::snprintf(na, sizeof na, "diffflow N=%d λ=%g", n_diffflow, lam);
    std::snprintf(nb, sizeof nb, "ddpm N=%d λ=%g", n_ddpm, lam);
    sample_verdicts(out, na, a, nb, b, double(a[0].n));
  }
  return out;
}

}  // namespace dfc
