// The real data sets of host/real_data.h.
#include "host/real_data.h"

#include <sys/stat.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <random>

#include "host/data_formats.h"
#include "host/errors.h"

namespace df {

namespace {

const char* kMnistDir = "usr/share/datasets/fashion-mnist/";
const char* kSklearnDir = "usr/lib/python3/dist-packages/sklearn/datasets/data/";
const char* kMlbenchDir = "usr/lib/R/site-library/mlbench/data/";
const char* kSkimageDir = "usr/lib/python3/dist-packages/skimage/data/";

// scikit-image's photographs whose notes say CC0 or public domain (textures and photos; the
// microscopy, synthetic and unlicensed pictures left out)
const char* kPatchImages[] = {"astronaut.png", "camera.png", "brick.png", "grass.png", "gravel.png",
                              "clock_motion.png", "chelsea.png", "coffee.png"};

std::vector<std::string> files_of(const std::string& name) {
  if (name == "fashion-mnist")
    return {std::string(kMnistDir) + "train-images-idx3-ubyte.gz", std::string(kMnistDir) + "t10k-images-idx3-ubyte.gz"};
  if (name == "digits") return {std::string(kSklearnDir) + "digits.csv.gz"};
  if (name == "letter") return {std::string(kMlbenchDir) + "LetterRecognition.rda"};
  if (name == "shuttle") return {std::string(kMlbenchDir) + "Shuttle.rda"};
  std::vector<std::string> f;
  for (const char* p : kPatchImages) f.push_back(std::string(kSkimageDir) + p);
  return f;
}

bool is_file(const std::string& p) {
  struct stat sb;
  return stat(p.c_str(), &sb) == 0 && S_ISREG(sb.st_mode);
}

std::uint64_t mix(std::uint64_t a, std::uint64_t b) {  // splitmix64 of a pair
  std::uint64_t z = a * 0x9E3779B97F4A7C15ull + b + 0x632BE59BD9B4E019ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
double unit(std::mt19937_64& g) { return double(g() >> 11) * 0x1.0p-53; }  // U[0, 1)

// A fixed shuffle of n rows, then MAF's split: test the last 10%, validation the last 10% of the
// rest, training the remainder.
void maf_split(RealData& rd, const std::vector<float>& all, std::size_t n) {
  const std::size_t d = std::size_t(rd.d);
  std::vector<std::size_t> perm(n);
  for (std::size_t i = 0; i < n; ++i) perm[i] = i;
  std::mt19937_64 g(42);
  for (std::size_t i = n; i > 1; --i) std::swap(perm[i - 1], perm[std::size_t(g() % i)]);
  const std::size_t n_test = n / 10, n_rest = n - n_test, n_valid = n_rest / 10, n_train = n_rest - n_valid;
  auto take = [&](Split s, std::size_t from, std::size_t count) {
    std::vector<float>& out = rd.rows[int(s)];
    out.resize(count * d);
    for (std::size_t r = 0; r < count; ++r)
      std::copy(all.begin() + long(perm[from + r] * d), all.begin() + long((perm[from + r] + 1) * d), out.begin() + long(r * d));
  };
  take(Split::Train, 0, n_train);
  take(Split::Valid, n_train, n_valid);
  take(Split::Test, n_rest, n_test);
}

// integer-valued columns (dequantized by + U[0, 1))
void mark_integer_columns(RealData& rd, const std::vector<float>& all) {
  rd.integer_col.assign(std::size_t(rd.d), true);
  for (std::size_t i = 0; i < all.size(); ++i)
    if (all[i] != std::floor(all[i])) rd.integer_col[i % std::size_t(rd.d)] = false;
}

void load_fashion(RealData& rd, const std::vector<std::string>& paths) {
  IdxU8 tr = read_idx_u8(paths[0]), te = read_idx_u8(paths[1]);
  for (const IdxU8* a : {&tr, &te})
    if (a->dims.size() != 3 || a->dims[1] != 28 || a->dims[2] != 28)
      throw InputError("'" + (a == &tr ? paths[0] : paths[1]) + "': expected 28×28 images");
  if (tr.dims[0] < 20) throw InputError("'" + paths[0] + "': too few images");
  const std::size_t d = 784, n_tr = tr.dims[0], n_valid = n_tr >= 60000 ? 10000 : n_tr / 6;
  rd.rows[int(Split::Train)].assign(tr.data.begin(), tr.data.begin() + long((n_tr - n_valid) * d));
  rd.rows[int(Split::Valid)].assign(tr.data.begin() + long((n_tr - n_valid) * d), tr.data.end());
  rd.rows[int(Split::Test)].assign(te.data.begin(), te.data.end());
}

void load_digits(RealData& rd, const std::vector<std::string>& paths) {
  std::size_t n = 0, c = 0;
  std::vector<double> v = read_csv_numbers(paths[0], &n, &c);
  if (c != 65) throw InputError("'" + paths[0] + "': expected 64 pixels and a label per row, found " + std::to_string(c) + " values");
  std::vector<float> all(n * 64);
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t k = 0; k < 64; ++k) {
      const double x = v[r * 65 + k];
      if (x < 0 || x > 16 || x != std::floor(x))
        throw InputError("'" + paths[0] + "': pixel value " + std::to_string(x) + " outside 0..16");
      all[r * 64 + k] = float(x);
    }
  maf_split(rd, all, n);
}

void load_frame(RealData& rd, const std::vector<std::string>& paths, const char* object) {
  RFrame f = read_r_frame(paths[0], object);
  std::vector<std::size_t> keep;
  for (std::size_t c = 0; c < f.columns.size(); ++c)
    if (!f.factor[c]) keep.push_back(c);  // class labels are not part of the density
  if (int(keep.size()) != rd.d)
    throw InputError("'" + paths[0] + "': " + std::to_string(keep.size()) + " numeric columns in '" + f.name + "', expected " +
                     std::to_string(rd.d));
  const std::size_t n = f.rows();
  std::vector<float> all(n * keep.size());
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t k = 0; k < keep.size(); ++k) {
      const double x = f.data[keep[k]][r];
      if (!std::isfinite(x)) throw InputError("'" + paths[0] + "': a missing value in column '" + f.columns[keep[k]] + "'");
      all[r * keep.size() + k] = float(x);
    }
  mark_integer_columns(rd, all);
  maf_split(rd, all, n);
}

// BSDS300's recipe on scikit-image's photographs: non-overlapping 8×8 patches, row by row of
// every image, dequantized once with a fixed key, scaled by 1/256, the patch mean subtracted and
// the last (bottom-right) pixel dropped.
void load_patches(RealData& rd, const std::vector<std::string>& paths) {
  std::vector<float> all;
  std::size_t n = 0;
  std::mt19937_64 g(0xB5D5300ull);
  for (const std::string& p : paths) {
    GreyImage im = read_png_grey(p);
    for (int y0 = 0; y0 + 8 <= im.height; y0 += 8)
      for (int x0 = 0; x0 + 8 <= im.width; x0 += 8) {
        double v[64], mean = 0;
        for (int k = 0; k < 64; ++k) {
          v[k] = (im.px[std::size_t(y0 + k / 8) * std::size_t(im.width) + std::size_t(x0 + k % 8)] + unit(g)) / 256.0;
          mean += v[k] / 64;
        }
        for (int k = 0; k < 63; ++k) all.push_back(float(v[k] - mean));
        ++n;
      }
  }
  maf_split(rd, all, n);
}

std::string home_cache() {
  const char* h = std::getenv("HOME");
  return std::string(h && *h ? h : "/tmp") + "/.cache/diffflow/data";
}

std::string find_install_script() {
  const char* s = std::getenv("DF_INSTALL_DATA_SCRIPT");
  if (s && *s) return s;
  const std::string p = std::string(DF_SOURCE_DIR) + "/scripts/install-data.sh";
  return is_file(p) ? p : "";
}

std::string shell_quote(const std::string& s) {
  std::string o = "'";
  for (char c : s) o += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return o + "'";
}

}  // namespace

Split parse_split(const std::string& s) {
  if (s == "train") return Split::Train;
  if (s == "valid" || s == "validation") return Split::Valid;
  if (s == "test") return Split::Test;
  throw InputError("unknown split '" + s + "' (expected train, valid or test)");
}
const char* split_name(Split s) { return s == Split::Train ? "train" : s == Split::Valid ? "valid" : "test"; }

const std::vector<RealSetInfo>& real_sets() {
  static const std::vector<RealSetInfo> sets = [] {
    std::vector<RealSetInfo> v;
    auto add = [&](const char* name, const char* pkg, const char* what, const char* lic, int dim, double levels,
                   double logit, int W, int L, int B) {
      RealSetInfo i;
      i.name = name;
      i.package = pkg;
      i.what = what;
      i.licence = lic;
      i.dim = dim;
      i.levels = levels;
      i.logit = logit;
      i.width = W;
      i.layers = L;
      i.batch = B;
      v.push_back(i);
    };
    add("fashion-mnist", "dataset-fashion-mnist", "Fashion-MNIST, 28x28 grey images (50,000/10,000/10,000)", "MIT", 784,
        256, 1e-6, 512, 3, 100);
    add("digits", "python3-sklearn", "UCI optdigits 8x8 images, 17 grey levels (1,797 rows)", "BSD-3", 64, 17, 1e-6, 256, 3,
        256);
    add("letter", "r-cran-mlbench", "UCI Letter Recognition, 16 integer features (20,000 rows)", "GPL-2", 16, 0, 0, 256, 3,
        256);
    add("shuttle", "r-cran-mlbench", "UCI Statlog Shuttle, 9 integer features (58,000 rows)", "GPL-2", 9, 0, 0, 128, 3,
        256);
    add("patches", "python3-skimage", "8x8 grey patches of CC0/public-domain photos, BSDS300 recipe (28,152 rows)",
        "CC0 / public domain", 63, 0, 0, 512, 3, 256);
    return v;
  }();
  return sets;
}

const RealSetInfo* find_real_set(const std::string& name) {
  for (const RealSetInfo& i : real_sets())
    if (i.name == name) return &i;
  return nullptr;
}

std::vector<std::string> data_roots() {
  const char* env = std::getenv("DF_DATA_DIR");
  if (env && *env) return {env};
  return {home_cache(), "/"};
}

bool real_set_installed(const RealSetInfo& info, std::string* where) {
  for (const std::string& root : data_roots()) {
    bool all = true;
    for (const std::string& f : files_of(info.name)) all = all && is_file(root + "/" + f);
    if (all) {
      if (where) *where = root;
      return true;
    }
  }
  return false;
}

std::string install_command(const RealSetInfo& info) {
  const char* env = std::getenv("DF_DATA_DIR");
  return std::string(env && *env ? "DF_DATA_DIR=" + shell_quote(env) + " " : "") + "scripts/install-data.sh " + info.name;
}

const RealData& real_data(const std::string& name) {
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<RealData>> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto hit = cache.find(name);
  if (hit != cache.end()) return *hit->second;
  const RealSetInfo* info = find_real_set(name);
  if (!info) throw InputError("'" + name + "' is not a real data set");
  std::string root;
  if (!real_set_installed(*info, &root)) {
    const char* no = std::getenv("DF_DATA_INSTALL");
    const std::string script = find_install_script();
    if (!(no && std::string(no) == "0") && !script.empty()) {
      std::fprintf(stderr,
                   "diffflow: data set '%s' is not installed; installing it now: %s holds it (%s), unpacked into %s "
                   "(scripts/install-data.sh %s; DF_DATA_INSTALL=0 to refuse)\n",
                   name.c_str(), info->package.c_str(), info->licence.c_str(), data_roots().front().c_str(), name.c_str());
      const int rc = std::system((shell_quote(script) + " " + shell_quote(name) + " >&2").c_str());
      if (rc != 0) throw InputError("data set '" + name + "': installing it failed (see above); run " + install_command(*info));
    }
    if (!real_set_installed(*info, &root))
      throw InputError("data set '" + name + "' is not installed (Debian package " + info->package + "): run " +
                       install_command(*info));
  }
  auto rd = std::make_unique<RealData>();
  rd->info = info;
  rd->d = info->dim;
  std::vector<std::string> paths;
  for (const std::string& f : files_of(name)) paths.push_back((root == "/" ? "" : root) + "/" + f);
  for (const std::string& p : paths) rd->files += (rd->files.empty() ? "" : ", ") + p;
  if (name == "fashion-mnist") load_fashion(*rd, paths);
  else if (name == "digits") load_digits(*rd, paths);
  else if (name == "letter") load_frame(*rd, paths, "LetterRecognition");
  else if (name == "shuttle") load_frame(*rd, paths, "Shuttle");
  else load_patches(*rd, paths);
  for (Split s : {Split::Train, Split::Valid, Split::Test})
    if (rd->n(s) < 2) throw InputError("data set '" + name + "': its " + split_name(s) + " split has fewer than 2 rows (" + rd->files + ")");
  if (rd->integer_col.empty()) rd->integer_col.assign(std::size_t(rd->d), false);
  const RealData& out = *rd;
  cache[name] = std::move(rd);
  return out;
}

Matrix real_rows(const RealData& rd, Split s, const std::vector<std::size_t>& idx, std::uint64_t key) {
  const std::size_t d = std::size_t(rd.d);
  const std::vector<float>& src = rd.rows[int(s)];
  const double levels = rd.info->levels;
  Matrix out(idx.size(), d);
  for (std::size_t r = 0; r < idx.size(); ++r) {
    if (idx[r] >= rd.n(s)) throw InputError("row index beyond the split");
    std::mt19937_64 g(mix(key, idx[r]));
    const float* x = src.data() + idx[r] * d;
    double* o = out.row(r);
    for (std::size_t k = 0; k < d; ++k) {
      if (levels > 0) o[k] = (double(x[k]) + unit(g)) / levels;
      else if (rd.integer_col[k]) o[k] = double(x[k]) + unit(g);
      else o[k] = double(x[k]);
    }
  }
  return out;
}

Matrix real_split(const RealData& rd, Split s, std::size_t n) {
  const std::size_t m = n == 0 || n > rd.n(s) ? rd.n(s) : n;
  std::vector<std::size_t> idx(m);
  for (std::size_t i = 0; i < m; ++i) idx[i] = i;
  return real_rows(rd, s, idx, mix(0xDA7A5E7ull, std::uint64_t(s)));
}

}  // namespace df
