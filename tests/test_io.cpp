// Tests for host/io: exact .csv/.npy round trips, hand-crafted .npy files (float32, int, 1-D,
// Fortran order, versions 2.0/3.0), every malformed-input error (InputError naming the file and
// the problem), and atomic_write_file's guarantees (old content kept, no temp file left).
// Bounded reads, system errors and output names: tests/test_file_read.cpp.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>

#include "host/errors.h"
#include "host/io.h"
#include "io_test_util.h"

namespace fs = std::filesystem;
using namespace io_test;
using Catch::Matchers::Contains;

namespace {

df::Matrix sample_matrix() {
  df::Matrix m(50, 3);
  std::mt19937_64 rng(7);
  std::normal_distribution<double> nd(0.0, 3.0);
  for (double& v : m.data) v = nd(rng) * std::pow(10.0, static_cast<int>(rng() % 40) - 20);
  m(0, 0) = 0.1, m(0, 1) = -0.0, m(0, 2) = 1e-300;
  m(1, 0) = std::numeric_limits<double>::max(), m(1, 1) = std::numeric_limits<double>::denorm_min(), m(1, 2) = -1.0 / 3;
  return m;
}

}  // namespace

TEST_CASE("host is little-endian (the crafted npy bytes assume it)") {
  const std::uint16_t one = 1;
  unsigned char b;
  std::memcpy(&b, &one, 1);
  REQUIRE(b == 1);
}

TEST_CASE("csv and npy round trips are exact") {
  TempDir t;
  const df::Matrix m = sample_matrix();
  for (const char* name : {"m.csv", "m.npy", "M.CSV"}) {
    df::write_matrix(t / name, m);
    const df::Matrix back = df::read_matrix(t / name);
    REQUIRE(back.rows == m.rows);
    REQUIRE(back.cols == m.cols);
    REQUIRE(std::memcmp(back.data.data(), m.data.data(), m.data.size() * sizeof(double)) == 0);
  }
  CHECK(t.entries() == 3);  // no temp files left behind
  const std::string npy_bytes = df::read_file(t / "m.npy");
  const std::size_t hlen = static_cast<unsigned char>(npy_bytes[8]) | static_cast<unsigned char>(npy_bytes[9]) << 8;
  CHECK(npy_bytes.compare(0, 8, std::string("\x93NUMPY\x01\x00", 8)) == 0);
  CHECK((10 + hlen) % 64 == 0);
  CHECK(npy_bytes.size() == 10 + hlen + 50 * 3 * 8);
  CHECK_THAT(npy_bytes.substr(10, hlen), Contains("'descr': '<f8'") && Contains("'shape': (50, 3)"));
  CHECK(df::read_file(t / "m.csv").substr(0, 8) == "0.1,-0,1");
}

TEST_CASE("format_double is the shortest exact text") {
  CHECK(df::format_double(0.1) == "0.1");
  CHECK(df::format_double(2.5) == "2.5");
  CHECK(df::format_double(1.0 / 3) == "0.3333333333333333");
  CHECK(df::format_double(0.1 + 0.2) == "0.30000000000000004");
  const df::Matrix m = sample_matrix();
  for (double v : m.data) CHECK(std::strtod(df::format_double(v).c_str(), nullptr) == v);
}

TEST_CASE("csv: header, comments, blank lines, CRLF and spaces") {
  TempDir t;
  put(t / "a.csv", "# made by hand\nx, y\r\n# comment\n1,2\n\n  3 , -4.5e1\r\n\n\n");
  const df::Matrix m = df::read_matrix(t / "a.csv");
  REQUIRE(m.rows == 2);
  REQUIRE(m.cols == 2);
  CHECK(m.data == std::vector<double>{1, 2, 3, -45});
  put(t / "b.csv", "7\n8\n9");  // one column, no trailing newline
  CHECK(df::read_matrix(t / "b.csv").data == std::vector<double>{7, 8, 9});
}

TEST_CASE("npy: hand-crafted float32, ints, 1-D, Fortran order, versions 2 and 3") {
  TempDir t;
  put(t / "f4.npy", npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }",
                        raw<float>({1.5f, -2.25f, 3.f, 0.1f, 1e-30f, 7.f})));
  df::Matrix m = df::read_matrix(t / "f4.npy");
  REQUIRE((m.rows == 3 && m.cols == 2));
  CHECK(m.data == std::vector<double>{1.5, -2.25, 3.0, double(0.1f), double(1e-30f), 7.0});

  // Fortran order: memory holds column 0 then column 1 ...
  put(t / "fo.npy", npy(1, "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }",
                        raw<double>({1, 4, 2, 5, 3, 6})));
  m = df::read_matrix(t / "fo.npy");
  REQUIRE((m.rows == 2 && m.cols == 3));
  CHECK(m.data == std::vector<double>{1, 2, 3, 4, 5, 6});

  put(t / "v2.npy", npy(2, "{'descr': '<i8', 'fortran_order': False, 'shape': (4,), }",
                        raw<std::int64_t>({-3, 0, 5, 1LL << 40})));
  m = df::read_matrix(t / "v2.npy");
  REQUIRE((m.rows == 4 && m.cols == 1));
  CHECK(m.data == std::vector<double>{-3, 0, 5, 1099511627776.0});

  put(t / "v3.npy", npy(3, "{\"descr\": \"<i4\", \"fortran_order\": False, \"shape\": (1, 2)}",
                        raw<std::int32_t>({-7, 2147483647})));
  CHECK(df::read_matrix(t / "v3.npy").data == std::vector<double>{-7, 2147483647.0});
}

TEST_CASE("bad inputs throw one-line InputErrors naming the file and the problem") {
  TempDir t;
  const auto expect = [&](const std::string& name, const std::string& content, const std::string& problem) {
    const std::string path = t / name;
    put(path, content);
    INFO(name);
    CHECK_THAT(error_of([&] { df::read_matrix(path); }), Contains("'" + path + "'") && Contains(problem));
  };
  const std::string nan_str = raw<double>({std::nan("")}), hdr22 = "'fortran_order': False, 'shape': (2, 2), }";
  expect("empty.csv", "", "file is empty");
  expect("header.csv", "x,y\n\n", "no data rows");
  expect("comments.csv", "# nothing\n\n", "no data rows");
  expect("ragged.csv", "1,2\n3,4\n# c\n\n\n\n5,6,7\n", "line 7 has 3 columns, expected 2");
  expect("hdr_ragged.csv", "a,b\n1,2,3\n", "line 2 has 3 columns, expected 2");
  expect("word.csv", "x,y\n1,2\n3,4\n5,abc\n", "line 4, column 2: 'abc' is not a number");
  expect("mixed.csv", "x,1\n2,3\n", "line 1, column 1: 'x' is not a number");
  expect("emptycell.csv", "1,,2\n", "line 1, column 2: empty cell");
  expect("nan.csv", "1,2\nnan,3\n", "line 2, column 1: 'nan' is not a finite number");
  expect("inf.csv", "1,-inf\n", "'-inf' is not a finite number");
  expect("huge.csv", "1e999,1\n", "'1e999' is not a finite number");
  expect("empty.npy", "", "file is empty");
  expect("magic.npy", "PK\x03\x04 not numpy", "bad magic");
  expect("short.npy", std::string("\x93NUMPY\x01", 7), "truncated .npy header");
  expect("v4.npy", npy(1, "{'descr': '<f8', " + hdr22, "").replace(6, 1, "\x04"), "unsupported .npy version 4.0");
  expect("big.npy", npy(1, "{'descr': '>f8', " + hdr22, std::string(32, '\0')), "unsupported .npy dtype '>f8'");
  expect("f2.npy", npy(1, "{'descr': '<f2', " + hdr22, std::string(8, '\0')), "unsupported .npy dtype '<f2'");
  expect("trunc.npy", npy(1, "{'descr': '<f8', " + hdr22, std::string(31, '\0')),
         "truncated data: expected 32 bytes, found 31");
  expect("hdr.npy", npy(1, "{'descr': '<f8', " + hdr22, "").substr(0, 40), "truncated .npy header");
  expect("nan.npy", npy(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1), }", nan_str),
         "element [0, 0] is NaN");
  expect("inf.npy", npy(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }",
                        raw<float>({1, 2, std::numeric_limits<float>::infinity(), 4})),
         "element [0, 1] is infinite");
  expect("3d.npy", npy(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 1), }", std::string(8, '\0')),
         "array has 3 dimensions, expected 1 or 2");
  expect("zero.npy", npy(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (0, 2), }", ""), "no data rows");
  expect("data.txt", "1,2\n", "unknown extension '.txt'");
  expect("noext", "1,2\n", "no file extension");

  const std::string missing = t / "missing.csv";
  CHECK_THAT(error_of([&] { df::read_matrix(missing); }), Contains(missing) && Contains("No such file"));
  fs::create_directory(t / "dir.npy");
  CHECK_THAT(error_of([&] { df::read_matrix(t / "dir.npy"); }), Contains("dir.npy") && Contains("Is a directory"));
  if (::geteuid() != 0) {  // root can read anything
    put(t / "secret.csv", "1\n");
    ::chmod((t / "secret.csv").c_str(), 0);
    CHECK_THAT(error_of([&] { df::read_matrix(t / "secret.csv"); }), Contains("Permission denied"));
  }
}

TEST_CASE("atomic_write_file replaces content and never leaves partial or temp files") {
  TempDir t;
  const std::string path = t / "out.txt";
  df::atomic_write_file(path, "old content");
  df::atomic_write_file(path, "new content");
  CHECK(df::read_file(path) == "new content");
  CHECK(t.entries() == 1);
  const std::string big(3 << 20, 'x');
  df::atomic_write_file(path, big);
  CHECK(df::read_file(path) == big);

  SECTION("the temporary file cannot be created") {
    fs::create_directory(path + ".tmp." + std::to_string(::getpid()));
    CHECK_THAT(error_of([&] { df::atomic_write_file(path, "lost"); }), Contains(path));
    CHECK(df::read_file(path) == big);
  }
  SECTION("the destination is a directory") {
    fs::create_directory(t / "d");
    CHECK_THAT(error_of([&] { df::atomic_write_file(t / "d", "x"); }), Contains(t / "d") && Contains("Is a directory"));
    CHECK(fs::is_directory(t / "d"));
    CHECK(t.entries() == 2);  // out.txt and d: no temp file
  }
  SECTION("the directory does not exist") {
    CHECK_THAT(error_of([&] { df::atomic_write_file(t / "no/such.txt", "x"); }), Contains("No such file"));
  }
  SECTION("the directory is not writable") {
    if (::geteuid() == 0) {
      WARN("running as root: directory permissions are not enforced, skipped");
    } else {
      fs::permissions(t.dir, fs::perms::owner_read | fs::perms::owner_exec);
      CHECK_THAT(error_of([&] { df::atomic_write_file(path, "lost"); }),
                 Contains(path) && Contains("Permission denied"));
      fs::permissions(t.dir, fs::perms::owner_all);
      CHECK(df::read_file(path) == big);
      CHECK(t.entries() == 1);
    }
  }
}

TEST_CASE("write_matrix rejects unknown extensions and creates nothing") {
  TempDir t;
  df::Matrix m(2, 2);
  for (const char* name : {"m.txt", "m", "m.npz"}) {
    CHECK_THAT(error_of([&] { df::write_matrix(t / name, m); }),
               Contains(t / name) && Contains("expected .csv or .npy"));
  }
  CHECK(t.entries() == 0);
  CHECK_THAT(error_of([&] { df::write_matrix(t / "no/dir/m.csv", m); }), Contains("No such file"));
}
