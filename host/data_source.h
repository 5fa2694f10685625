// Where training and evaluation data come from: a named 2-D set (host/datasets.h, drawn fresh
// every iteration) or a user file (.csv/.npy, minibatches drawn with replacement). Every draw is
// a pure function of (seed, iteration), so a resumed run sees the same batches.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "host/matrix.h"

namespace df {

class DataSource {
 public:
  // spec: a data set name (e.g. olympic, carpet:3, text:Hi) or a .csv/.npy path.
  explicit DataSource(const std::string& spec);
  const std::string& spec() const { return spec_; }
  bool is_named() const { return named_; }
  int dim() const { return dim_; }
  // A training batch of B raw points for this iteration.
  Matrix batch(int B, std::uint64_t seed, std::int64_t iteration) const;
  // Points to fit the standardization on (named: 100,000 draws; file: all rows).
  Matrix fit_sample(std::uint64_t seed) const;
  // Held-out evaluation points: named sets draw n fresh points with a seed no training batch
  // uses; files give their first n rows (all rows when n is 0 or larger).
  Matrix eval_sample(std::size_t n, std::uint64_t seed) const;

 private:
  std::string spec_;
  bool named_ = false;
  int dim_ = 2;
  Matrix file_;
};

std::uint64_t mix_seed(std::uint64_t a, std::uint64_t b);

}  // namespace df
