// Named sets and user files behind one batch interface; see host/data_source.h.
#include "host/data_source.h"

#include <random>

#include "host/datasets.h"
#include "host/errors.h"
#include "host/io.h"

namespace df {

std::uint64_t mix_seed(std::uint64_t a, std::uint64_t b) {  // splitmix64 of a pair
  std::uint64_t z = a * 0x9E3779B97F4A7C15ull + b + 0x632BE59BD9B4E019ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

DataSource::DataSource(const std::string& spec) : spec_(spec) {
  if (spec.empty()) throw InputError("--data: empty");
  if (find_real_set(spec)) {
    real_ = &real_data(spec);
    dim_ = real_->d;
    return;
  }
  auto dot = spec.rfind('.');
  std::string ext = dot == std::string::npos ? "" : spec.substr(dot);
  if (ext == ".csv" || ext == ".npy" || ext == ".CSV" || ext == ".NPY" || spec.find('/') != std::string::npos) {
    file_ = read_matrix(spec);
    if (file_.rows < 2) throw InputError("'" + spec + "': need at least 2 rows of data");
    dim_ = int(file_.cols);
  } else {
    if (!is_dataset_name(spec)) {
      std::string real;
      for (const RealSetInfo& i : real_sets()) real += (real.empty() ? "" : ", ") + i.name;
      try {
        sample_dataset(spec, 1, 0);  // throws the helpful "unknown data set" error
      } catch (const InputError& e) {
        std::string msg = e.what();
        if (!msg.empty() && msg.back() == ')') msg.pop_back();
        throw InputError(msg + "; real sets: " + real + ", diffflow data --list; or a .csv/.npy file)");
      }
    }
    named_ = true;
    dim_ = 2;
  }
}

DataSource::DataSource(const std::string& label, const PointsView& points)
    : spec_(label), in_memory_(true), dim_(int(points.cols)), memory_(points) {
  if (points.rows < 2) throw InputError("'" + label + "': need at least 2 rows of data");
  require_finite(points, "'" + label + "'");
}

Matrix DataSource::batch(int B, std::uint64_t seed, std::int64_t iteration) const {
  const std::uint64_t s = mix_seed(seed, std::uint64_t(iteration));
  if (named_) return sample_dataset(spec_, std::size_t(B), s);
  if (real_) {  // rows of the training split with replacement, fresh dequantization noise
    std::mt19937_64 rng(s);
    std::vector<std::size_t> idx(static_cast<std::size_t>(B));
    for (std::size_t& r : idx) r = std::size_t(rng() % real_->n(Split::Train));
    return real_rows(*real_, Split::Train, idx, mix_seed(s, 0xDE0ull));
  }
  const PointsView pts = points();
  std::mt19937_64 rng(s);
  Matrix out(std::size_t(B), pts.cols);
  for (int b = 0; b < B; ++b) {
    std::size_t r = std::size_t(rng() % pts.rows);
    for (std::size_t k = 0; k < pts.cols; ++k) out(std::size_t(b), k) = pts(r, k);
  }
  return out;
}

Standardizer DataSource::fit_standardizer(std::uint64_t seed) const {
  if (named_) return Standardizer::fit(sample_dataset(spec_, 100000, mix_seed(seed, 0xF17F17ull)));
  if (real_) return Standardizer::fit(real_split(*real_, Split::Train, 20000), real_->info->logit);
  return Standardizer::fit(points());
}

Matrix DataSource::eval_sample(std::size_t n, std::uint64_t seed) const {
  if (named_) return sample_dataset(spec_, n, mix_seed(seed, 0xE7A1E7A1ull));
  if (real_) return real_split(*real_, Split::Test, n);
  const PointsView pts = points();
  return pts.rows_matrix(0, n == 0 || n >= pts.rows ? pts.rows : n);
}

Matrix DataSource::valid_sample(std::size_t n, std::uint64_t seed) const {
  if (named_) return sample_dataset(spec_, n, mix_seed(seed, 0x7A11D7A11Dull));
  if (real_) return real_split(*real_, Split::Valid, n);
  return Matrix();
}

double DataSource::levels() const { return real_ ? real_->info->levels : 0.0; }

}  // namespace df
