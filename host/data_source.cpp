// Named sets and user files behind one batch interface; see host/data_source.h.
#include "host/data_source.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
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
  for (char& ch : ext) ch = char(std::tolower(static_cast<unsigned char>(ch)));
  if (ext == ".csv" || ext == ".npy" || spec.find('/') != std::string::npos) {
    if (spec.find('\n') != std::string::npos) throw InputError("data file names with a line break are not supported");
    std::error_code ec;
    const std::filesystem::path abs = std::filesystem::absolute(spec, ec);
    if (!ec) spec_ = abs.lexically_normal().string();
    FileDigest digest;
    file_ = read_matrix(spec_, &digest);
    if (file_.rows < 2) throw InputError("'" + spec_ + "': need at least 2 rows of data");
    dim_ = int(file_.cols);
    size_ = digest.size;
    sha256_ = digest.sha256;
  } else {
    try {
      spec_ = canonical_dataset_name(spec);  // throws the helpful "unknown data set" error
    } catch (const InputError& e) {  // ... to which the real sets are added
      std::string real, msg = e.what();
      for (const RealSetInfo& i : real_sets()) real += (real.empty() ? "" : ", ") + i.name;
      if (!msg.empty() && msg.back() == ')') msg.pop_back();
      throw InputError(msg + "; real sets: " + real + ", diffflow data --list; or a .csv/.npy file)");
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

std::string DataSource::differs_from(std::uint64_t size, const std::string& sha256) const {
  if (size == size_ && sha256 == sha256_) return "";
  if (named_ || real_) return "the data set '" + spec_ + "' is not the file the run was trained on";
  return "'" + spec_ + "' changed since the run began (now " + std::to_string(size_) + " bytes, SHA-256 " +
         sha256_.substr(0, 12) + "...; the run was trained on " + std::to_string(size) + " bytes, SHA-256 " +
         sha256.substr(0, 12) + "...)";
}

std::string DataSource::outlier_warning() const {
  if (named_ || real_) return "";
  const PointsView pts = points();
  std::vector<double> col(pts.rows);
  for (std::size_t k = 0; k < pts.cols; ++k) {
    for (std::size_t r = 0; r < pts.rows; ++r) col[r] = pts(r, k);
    std::vector<double> s = col;
    const auto at = [&](double q) {
      auto it = s.begin() + long(q * double(s.size() - 1));
      std::nth_element(s.begin(), it, s.end());
      return *it;
    };
    const double q10 = at(0.1), q50 = at(0.5), q90 = at(0.9), reach = 1e4 * (q90 - q10);
    if (!(reach > 0)) continue;
    std::size_t count = 0, first = 0;
    for (std::size_t r = 0; r < pts.rows; ++r)
      if (std::fabs(col[r] - q50) > reach && count++ == 0) first = r;
    if (count == 0) continue;
    char buf[320];
    std::snprintf(buf, sizeof buf,
                  "'%s': %zu value(s) in column %zu lie more than 10^4 times the 10-90%% range from the median (row %zu: "
                  "%g); rescaling to them squeezes the rest of the data, remove or clip them",
                  spec_.c_str(), count, k + 1, first + 1, col[first]);
    return buf;
  }
  return "";
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
