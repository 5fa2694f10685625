// Sample-quality figures of a model against a built-in 2-D set (DATA.md §3), each with its
// floor: the same statistic between two independent draws of the true data of the same size.
//   sw2 / sw2_floor    sliced Wasserstein-2 (64 fixed angles)
//   tv / tv_floor      total variation of 64×64 histograms
//   leakage            fraction of samples where the true density is 0 (NaN: no hard support)
//   entropy            H(p) in nats where exactly known (NaN otherwise), for KL gaps NLL − H
#pragma once
#include <cstdint>
#include <string>

#include "host/matrix.h"

namespace df {

struct SampleMetrics {
  std::size_t n = 0;
  double sw2 = 0, sw2_floor = 0, tv = 0, tv_floor = 0, leakage = 0, entropy = 0;
};

// samples: n×2 raw model samples; compared with fresh draws of the set `name`.
SampleMetrics sample_metrics(const std::string& name, const Matrix& samples, std::uint64_t seed);

}  // namespace df
