// Sample metrics with floors; see host/eval_metrics.h.
#include "host/eval_metrics.h"

#include <cmath>

#include "host/data_source.h"
#include "host/datasets.h"
#include "host/metrics.h"

namespace df {

SampleMetrics sample_metrics(const std::string& name, const Matrix& samples, std::uint64_t seed) {
  SampleMetrics m;
  m.n = samples.rows;
  Matrix a = sample_dataset(name, samples.rows, mix_seed(seed, 0xA11CEull));
  Matrix b = sample_dataset(name, samples.rows, mix_seed(seed, 0xB0Bull));
  m.sw2 = sliced_w2(samples, a);
  m.sw2_floor = sliced_w2(b, a);
  m.tv = grid_tv(samples, a);
  m.tv_floor = grid_tv(b, a);
  m.leakage = has_hard_support(name) ? leakage(name, samples) : NAN;
  ExactDensity e = exact_density(name);
  m.entropy = e.known ? e.entropy : NAN;
  return m;
}

}  // namespace df
