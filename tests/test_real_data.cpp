// The real data sets (host/real_data.h) and their file readers (host/data_formats.h), on the
// stand-in files of tests/real_data_fixture.h: formats, splits, dequantization, the BSDS300
// recipe, the messages for missing and damaged files.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <set>
#include <unistd.h>

#include "host/data_formats.h"
#include "host/errors.h"
#include "host/real_data.h"
#include "real_data_fixture.h"

using namespace df;

namespace {

std::string temp_dir(const char* tag) {
  std::string d = "/tmp/df_test_real_" + std::string(tag) + "_" + std::to_string(getpid());
  df_fixture::mkdirs(d);
  return d;
}

const std::string& fixture_root() {
  static const std::string root = [] {
    std::string r = temp_dir("root");
    df_fixture::write_real_data_fixture(r);
    return r;
  }();
  return root;
}

void use_fixture() {
  setenv("DF_DATA_DIR", fixture_root().c_str(), 1);
  setenv("DF_DATA_INSTALL", "0", 1);
}

}  // namespace

#if defined(DF_HAVE_ZLIB) && defined(DF_HAVE_LZMA) && defined(DF_HAVE_PNG)

TEST_CASE("a set whose files are missing names the install command, and nothing is cached") {
  const std::string empty = temp_dir("empty");
  setenv("DF_DATA_DIR", empty.c_str(), 1);
  setenv("DF_DATA_INSTALL", "0", 1);
  REQUIRE_THROWS_WITH(real_data("letter"), Catch::Contains("not installed") && Catch::Contains("r-cran-mlbench") &&
                                               Catch::Contains("scripts/install-data.sh letter"));
  CHECK_FALSE(real_set_installed(*find_real_set("letter")));
  use_fixture();
  CHECK(real_set_installed(*find_real_set("letter")));
  CHECK(real_data("letter").n(Split::Train) > 0);
}

TEST_CASE("IDX reader: dims, bytes, and damaged files") {
  use_fixture();
  const std::string p = fixture_root() + "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";
  IdxU8 a = read_idx_u8(p);
  REQUIRE(a.dims == std::vector<std::uint32_t>{12, 28, 28});
  CHECK(a.data[0] == 100);
  CHECK(a.data[784 * 3 + 200] == (3 + 100 + 200) % 256);
  const std::string dir = temp_dir("idx");
  std::string bytes = df_fixture::idx_images(2, 0);
  df::atomic_write_file(dir + "/short.idx", bytes.substr(0, bytes.size() - 5));
  CHECK_THROWS_WITH(read_idx_u8(dir + "/short.idx"), Catch::Contains("the header says"));
  std::string gz = df_fixture::gzip_bytes(bytes);
  df::atomic_write_file(dir + "/cut.gz", gz.substr(0, gz.size() / 2));
  CHECK_THROWS_WITH(read_idx_u8(dir + "/cut.gz"), Catch::Contains("gzip"));
  bytes[2] = 0x0D;  // floats
  df::atomic_write_file(dir + "/float.idx", bytes);
  CHECK_THROWS_WITH(read_idx_u8(dir + "/float.idx"), Catch::Contains("unsigned byte"));
}

TEST_CASE("R data frames: numeric columns, factors, symbol references, xz and damage") {
  use_fixture();
  RFrame f = read_r_frame(fixture_root() + "/usr/lib/R/site-library/mlbench/data/Shuttle.rda");
  CHECK(f.name == "Shuttle");
  REQUIRE(f.columns.size() == 10);
  CHECK(f.columns[0] == "V1");
  CHECK(f.columns[9] == "Class");
  CHECK(f.factor[9]);
  CHECK_FALSE(f.factor[0]);
  REQUIRE(f.rows() == 300);
  CHECK(f.data[2][5] == double((5 * 7 + 2 * 13) % 50 - 20));
  CHECK(f.data[3][0] == (3 * 13) % 50 - 20 + 0.5);
  CHECK(f.data[9][8] == 1 + 8 % 7);
  RFrame l = read_r_frame(fixture_root() + "/usr/lib/R/site-library/mlbench/data/LetterRecognition.rda", "LetterRecognition");
  CHECK(l.factor[0]);
  CHECK(l.data[16][7] == (7 * 16) % 16);
  CHECK_THROWS_WITH(read_r_frame(fixture_root() + "/usr/lib/R/site-library/mlbench/data/Shuttle.rda", "Other"),
                    Catch::Contains("no data frame named 'Other'"));
  const std::string dir = temp_dir("rda");
  std::string raw = df_fixture::r_frame("X", {{"a", {1, 2, 3}, 0, 0}});
  df::atomic_write_file(dir + "/cut.rda", raw.substr(0, raw.size() - 12));
  CHECK_THROWS_WITH(read_r_frame(dir + "/cut.rda"), Catch::Contains("overruns") || Catch::Contains("truncated"));
  df::atomic_write_file(dir + "/text.rda", "RDA2\nA\n");
  CHECK_THROWS_WITH(read_r_frame(dir + "/text.rda"), Catch::Contains("RDX2"));
}

TEST_CASE("MAF's split: sizes, disjoint rows that make up the set, integer columns dequantized") {
  use_fixture();
  const RealData& rd = real_data("shuttle");
  CHECK(rd.d == 9);
  const std::size_t n = 300, n_test = n / 10, n_valid = (n - n_test) / 10;
  CHECK(rd.n(Split::Test) == n_test);
  CHECK(rd.n(Split::Valid) == n_valid);
  CHECK(rd.n(Split::Train) == n - n_test - n_valid);
  // every original row exactly once: rows are distinct by their first and second columns' pair
  std::multiset<std::pair<float, float>> seen;
  for (Split s : {Split::Train, Split::Valid, Split::Test})
    for (std::size_t r = 0; r < rd.n(s); ++r) seen.insert({rd.rows[int(s)][r * 9], rd.rows[int(s)][r * 9 + 1]});
  std::multiset<std::pair<float, float>> want;
  for (int r = 0; r < 300; ++r) want.insert({float((r * 7) % 50 - 20), float((r * 7 + 13) % 50 - 20)});
  CHECK(seen == want);
  CHECK(rd.integer_col[0]);
  CHECK_FALSE(rd.integer_col[3]);  // it has halves: taken as continuous
  Matrix t = real_split(rd, Split::Test);
  REQUIRE(t.rows == n_test);
  for (std::size_t r = 0; r < t.rows; ++r) {
    const float* raw = rd.rows[int(Split::Test)].data() + r * 9;
    for (int k = 0; k < 9; ++k) {
      if (k == 3) {
        CHECK(t(r, 3) == double(raw[3]));
      } else {
        CHECK(t(r, std::size_t(k)) >= raw[k]);
        CHECK(t(r, std::size_t(k)) < raw[k] + 1.0);
      }
    }
  }
  // the fixed draw: the same points every time, and a prefix for fewer rows
  Matrix t2 = real_split(rd, Split::Test, 5);
  REQUIRE(t2.rows == 5);
  for (std::size_t i = 0; i < t2.data.size(); ++i) CHECK(t2.data[i] == t.data[i]);
  // other keys: other noise on the same rows
  Matrix a = real_rows(rd, Split::Train, {0, 1}, 1), b = real_rows(rd, Split::Train, {0, 1}, 2);
  CHECK(a.data != b.data);
  for (std::size_t i = 0; i < a.data.size(); ++i) CHECK(std::floor(a.data[i]) == std::floor(b.data[i]));
}

TEST_CASE("image sets: levels, MAF's MNIST split, dequantized into [0, 1]") {
  use_fixture();
  const RealData& f = real_data("fashion-mnist");
  CHECK(f.d == 784);
  CHECK(f.n(Split::Train) == 50);  // 60 images: the last sixth validates
  CHECK(f.n(Split::Valid) == 10);
  CHECK(f.n(Split::Test) == 12);
  CHECK(f.rows[int(Split::Valid)][0] == 50);  // image 50 starts with (50 + 0) mod 256
  Matrix v = real_split(f, Split::Valid, 2);
  for (std::size_t k = 0; k < 784; ++k) {
    const double b = double((50 + k) % 256);
    CHECK(v(0, k) >= b / 256);
    CHECK(v(0, k) < (b + 1) / 256);
  }
  const RealData& dg = real_data("digits");
  CHECK(dg.d == 64);
  CHECK(dg.n(Split::Test) == 4);
  CHECK(dg.n(Split::Valid) == 3);
  CHECK(dg.n(Split::Train) == 33);
  Matrix x = real_split(dg, Split::Train);
  for (double e : x.data) {
    CHECK(e >= 0);
    CHECK(e < 1);
  }
}

TEST_CASE("patches by the BSDS300 recipe: count, 63 coordinates, patch mean removed") {
  use_fixture();
  const RealData& p = real_data("patches");
  CHECK(p.d == 63);
  // 8 images of 24×16: 3×2 patches each
  CHECK(p.n(Split::Train) + p.n(Split::Valid) + p.n(Split::Test) == 48);
  // the fixture's grey value rises by 1 per column and 3 per row, so within a patch pixel
  // (r, c) minus the patch mean is c + 3r − (3.5 + 10.5) up to the dequantization noise (< 1)
  for (Split s : {Split::Train, Split::Test})
    for (std::size_t r = 0; r < p.n(s); ++r)
      for (int k = 0; k < 63; ++k) {
        const double want = (k % 8 + 3 * (k / 8) - 14.0) / 256;
        const double got = p.rows[int(s)][r * 63 + std::size_t(k)];
        CHECK(std::abs(got - want) < 1.0 / 256);
      }
  // no noise is added again: a split reads back as stored
  Matrix t = real_split(p, Split::Test);
  CHECK(t(0, 0) == double(p.rows[int(Split::Test)][0]));
}

TEST_CASE("splits by name") {
  CHECK(parse_split("train") == Split::Train);
  CHECK(parse_split("valid") == Split::Valid);
  CHECK(parse_split("test") == Split::Test);
  CHECK_THROWS_WITH(parse_split("dev"), Catch::Contains("unknown split 'dev'"));
  CHECK(find_real_set("olympic") == nullptr);
  for (const RealSetInfo& i : real_sets()) CHECK(find_real_set(i.name) == &i);
}

#else
TEST_CASE("real data readers need zlib, liblzma and libpng") {
  CHECK_THROWS_AS(read_png_grey("/nonexistent.png"), InputError);
}
#endif
