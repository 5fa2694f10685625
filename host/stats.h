// Summary statistics of per-point values, written once for the likelihood reports (model_ops'
// evaluate, the validation, the Gaussian baseline):
//   mean_se        the mean, the sample standard deviation (n − 1) and the standard error of the
//                  mean sd/√n; sd and se are 0 for fewer than 2 values
//   bits_per_dim   nats per point → bits per dimension: NLL/(d ln 2), or for dequantized images
//                  x = (b + u)/levels (levels > 0) the discrete (NLL + d ln levels)/(d ln 2)
#pragma once
#include <cmath>
#include <cstddef>
#include <vector>

namespace df {

struct MeanSe {
  double mean = 0, sd = 0, se = 0;
  std::size_t n = 0;
};

inline MeanSe mean_se(const std::vector<double>& v) {
  MeanSe r;
  r.n = v.size();
  if (v.empty()) return r;
  double s = 0, s2 = 0;
  for (double x : v) s += x;
  r.mean = s / double(v.size());
  for (double x : v) s2 += (x - r.mean) * (x - r.mean);
  if (v.size() > 1) {
    r.sd = std::sqrt(s2 / double(v.size() - 1));
    r.se = r.sd / std::sqrt(double(v.size()));
  }
  return r;
}

inline double bits_per_dim(double nll, int d, double levels) {
  return (nll + (levels > 0 ? d * std::log(levels) : 0.0)) / (d * std::log(2.0));
}

}  // namespace df
