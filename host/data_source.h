// Where training and evaluation data come from: a named 2-D set (host/datasets.h, drawn fresh
// every iteration), a real set beyond 2-D (host/real_data.h: batches from its training split,
// dequantized afresh every draw; evaluation on its test split) or a user file (.csv/.npy,
// minibatches drawn with replacement). Every draw is
// a pure function of (seed, iteration), so a resumed run sees the same batches. Points in memory
// (the Python module's NumPy arrays) are read in place, as a file's rows are. Its identity,
// which a checkpoint records: a set's name with its parameters (carpet:3), or a file's absolute
// path, size and SHA-256, so a run resumes from any directory and refuses a file that changed.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "host/matrix.h"
#include "host/points_view.h"
#include "host/real_data.h"
#include "host/standardize.h"

namespace df {

class DataSource {
 public:
  // spec: a data set name (e.g. olympic, carpet:3, text:Hi), a real set's name (fashion-mnist,
  // digits, letter, shuttle, patches; installed on first use) or a .csv/.npy path.
  explicit DataSource(const std::string& spec);
  // Points in memory, drawn from like a file's rows; `points` must outlive this source. label
  // stands for them in messages and checkpoints. InputError on fewer than 2 rows or a non-finite
  // element.
  DataSource(const std::string& label, const PointsView& points);
  // The identity: canonical set name, or the file's absolute path; a file's size and SHA-256
  // (0 and "" for a set or points in memory).
  const std::string& spec() const { return spec_; }
  std::uint64_t file_size() const { return size_; }
  const std::string& sha256() const { return sha256_; }
  // "" when these are the data a run recorded (size and hash; both empty/0 for a set), else
  // what differs.
  std::string differs_from(std::uint64_t size, const std::string& sha256) const;
  // A file whose values lie far out from the bulk (more than 10^4 times the 10-90% range from
  // the median in some column) is squeezed by the rescaling; "" when there is no such value.
  std::string outlier_warning() const;
  bool is_named() const { return named_; }
  const RealData* real() const { return real_; }  // null unless a real set
  // Grey levels of dequantized image data (x = (b + u)/levels), 0 otherwise: bits per dimension
  // are then the discrete ones (host/model_ops.h).
  double levels() const;
  int dim() const { return dim_; }
  // A training batch of B raw points for this iteration.
  Matrix batch(int B, std::uint64_t seed, std::int64_t iteration) const;
  // The standardization fitted on these data (named: 100,000 draws; a real set: the first 20,000
  // rows of its training split, with the logit map first for images; a file or memory: all
  // rows, read in place).
  Standardizer fit_standardizer(std::uint64_t seed) const;
  // Held-out evaluation points: named sets draw n fresh points with a seed no training batch
  // uses; a real set gives the first n rows of its test split; files give their first n rows
  // (all rows when n is 0 or larger).
  Matrix eval_sample(std::size_t n, std::uint64_t seed) const;
  // Validation points for early stopping: a real set's validation split (its first n rows);
  // named sets draw n points with a seed neither training nor eval_sample uses; files and
  // memory have none (an empty matrix).
  Matrix valid_sample(std::size_t n, std::uint64_t seed) const;

 private:
  PointsView points() const { return in_memory_ ? memory_ : PointsView::of(file_); }
  std::string spec_, sha256_;
  std::uint64_t size_ = 0;
  bool named_ = false, in_memory_ = false;
  const RealData* real_ = nullptr;
  int dim_ = 2;
  Matrix file_;
  PointsView memory_;
};

std::uint64_t mix_seed(std::uint64_t a, std::uint64_t b);

}  // namespace df
