// Real data sets beyond 2-D (DATA.md §2), read from the files of Debian's packages and split the
// way MAF and FFJORD do it (docs/real-data.md):
//   fashion-mnist  784-D images, 256 grey levels; train = the first 50,000 of the training file,
//                  valid = its last 10,000, test = the 10,000 test images (MAF's MNIST split)
//   digits         64-D 8×8 images, 17 grey levels (UCI optdigits as scikit-learn ships it)
//   letter         16-D, UCI Letter Recognition (integer features 0..15; the letter dropped)
//   shuttle        9-D, UCI Statlog Shuttle (integer features; the class dropped)
//   patches        63-D, 8×8 grey patches of scikit-image's CC0/public-domain photographs by the
//                  BSDS300 recipe: uniform dequantization, /256, the patch mean subtracted, the
//                  last pixel dropped
// All but fashion-mnist: rows shuffled once with a fixed permutation, then MAF's split (the
// last 10% test, the last 10% of the rest validation, the remainder training).
//
// Data units: images in [0, 1] after dequantization x = (b + u)/levels, u ~ U[0, 1); tabular
// sets as given, integer-valued columns dequantized as x = b + u; patches as built. Training
// batches get fresh dequantization noise every draw; the validation and test splits get one
// fixed draw, so every evaluation (and `diffflow data --split`) sees the same points.
//
// Where the files are looked for: $DF_DATA_DIR only, when it is set; else
// ~/.cache/diffflow/data (what scripts/install-data.sh fills) and then / (packages installed
// system-wide). Each root holds the files at the paths their packages install them to.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "host/matrix.h"

namespace df {

enum class Split { Train = 0, Valid = 1, Test = 2 };
Split parse_split(const std::string& s);  // train | valid | test; InputError otherwise
const char* split_name(Split s);

struct RealSetInfo {
  std::string name, package, what, licence;
  int dim = 0;
  double levels = 0;   // images: grey levels (x = (b + u)/levels); 0: not an image
  double logit = 0;    // the data map's default logit λ (images: 1e-6, MAF's MNIST), 0: none
  int width = 128, layers = 3, batch = 256;  // default network and batch on this set
};
const std::vector<RealSetInfo>& real_sets();
const RealSetInfo* find_real_set(const std::string& name);  // null when not a real set

struct RealData {
  const RealSetInfo* info = nullptr;
  int d = 0;
  std::vector<float> rows[3];     // by Split, row-major, values before dequantization
  std::vector<bool> integer_col;  // tabular: columns dequantized by + U[0, 1)
  std::string files;              // what was read (for messages)
  std::size_t n(Split s) const { return d ? rows[int(s)].size() / std::size_t(d) : 0; }
};

// The set's three splits, read once per process. Files missing: the install script is run
// (saying so) unless DF_DATA_INSTALL=0 or it cannot be found; then an InputError that names the
// command to run.
const RealData& real_data(const std::string& name);

// Rows idx of a split in data units, dequantized with noise drawn from `key` (row r of the
// result uses (key, idx[r])).
Matrix real_rows(const RealData& rd, Split s, const std::vector<std::size_t>& idx, std::uint64_t key);
// The first n rows of a split (all when n is 0 or larger) with the split's fixed noise.
Matrix real_split(const RealData& rd, Split s, std::size_t n = 0);

// The roots searched, in order, and whether every file of a set is under one of them.
std::vector<std::string> data_roots();
bool real_set_installed(const RealSetInfo& info, std::string* where = nullptr);
// One line: how to install a set.
std::string install_command(const RealSetInfo& info);

}  // namespace df
