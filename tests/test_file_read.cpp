// Tests for host/file_read and the checks around the readers: only regular files are read (a
// FIFO without a writer, /dev/zero through a symlink), a sparse file is refused from its size or
// its first bytes, a .npy header declaring more than the file holds or a huge header is refused
// before the payload; the CSV's byte-order mark, hex floats and number parsing; a refusal of the
// system (ENOSPC, EACCES, a file-size limit) is an EnvironmentError and keeps the old file; output
// names are checked before the work.
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdlib>

#include "host/errors.h"
#include "host/io.h"
#include "host/number_parse.h"
#include "io_test_util.h"

using namespace io_test;
using Catch::Matchers::Contains;

TEST_CASE("reads take regular files only, within the size limit, judged by their first bytes") {
  TempDir t;
  ::mkfifo((t / "fifo.csv").c_str(), 0600);  // no writer: opening must not wait for one
  CHECK_THAT(error_of([&] { df::read_matrix(t / "fifo.csv"); }), Contains("not a regular file (a FIFO)"));
  fs::create_symlink("/dev/zero", t / "zero.npy");
  CHECK_THAT(error_of([&] { df::read_matrix(t / "zero.npy"); }), Contains("not a regular file (a character device)"));
  // a sparse file: refused by its size, or by its first bytes, never read whole
  {
    std::ofstream(t / "sparse.csv") << "";
    fs::resize_file(t / "sparse.csv", std::uint64_t(3) << 20);
  }
  CHECK_THAT(error_of([&] { df::read_matrix(t / "sparse.csv"); }), Contains("binary data (a NUL byte at offset 0)"));
  ::setenv("DF_MAX_INPUT_MB", "2", 1);
  CHECK_THAT(error_of([&] { df::read_matrix(t / "sparse.csv"); }),
             Contains("the file is 3145728 bytes, above the limit of 2097152 bytes (DF_MAX_INPUT_MB)"));
  ::setenv("DF_MAX_INPUT_MB", "0x10", 1);
  CHECK_THAT(error_of([&] { df::input_limit_bytes(); }), Contains("DF_MAX_INPUT_MB"));
  ::unsetenv("DF_MAX_INPUT_MB");
  CHECK(df::input_limit_bytes() == std::uint64_t(1) << 30);
  // a .npy whose header declares more data than the file holds: refused from the header
  put(t / "short.npy", npy(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000, 2), }", raw<double>({1, 2})));
  CHECK_THAT(error_of([&] { df::read_matrix(t / "short.npy"); }), Contains("truncated data: expected 16000000000 bytes"));
  std::string huge_header = npy(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1), }", raw<double>({1}));
  huge_header[8] = huge_header[9] = '\xff';
  huge_header.replace(6, 1, "\x02").insert(10, 2, '\x7f');  // version 2: a 4-byte header length near 2 GB
  put(t / "hdr.npy", huge_header);
  CHECK_THAT(error_of([&] { df::read_matrix(t / "hdr.npy"); }), Contains(".npy header of"));
}

TEST_CASE("csv: a UTF-8 byte-order mark is skipped, hex floats are refused, '+' is fine") {
  TempDir t;
  put(t / "bom.csv", "\xEF\xBB\xBFx,y\n1,2\n3,4\n");
  CHECK(df::read_matrix(t / "bom.csv").data == std::vector<double>{1, 2, 3, 4});
  put(t / "hex.csv", "1,2\n0x1p3,4\n");
  CHECK_THAT(error_of([&] { df::read_matrix(t / "hex.csv"); }), Contains("line 2, column 1: '0x1p3' is not a number"));
  put(t / "plus.csv", "+1.5,-2e-3\n");
  CHECK(df::read_matrix(t / "plus.csv").data == std::vector<double>{1.5, -2e-3});
  double v = 0;
  CHECK(df::parse_real("1e-400", v));  // underflow: the nearest double, as strtod
  CHECK(v == 0);
  CHECK(!df::parse_real("0x10", v));
  CHECK(!df::parse_real("1,5", v));
  CHECK(!df::parse_real("", v));
  std::int64_t i = 0;
  CHECK(!df::parse_int("99999999999999999999", i));
  CHECK(!df::parse_int("1e3", i));
}

TEST_CASE("a refusal of the system is an EnvironmentError, a bad name an InputError") {
  CHECK_THROWS_AS(df::throw_file_error("cannot write", "x", ENOSPC), df::EnvironmentError);
  CHECK_THROWS_AS(df::throw_file_error("cannot write", "x", EACCES), df::EnvironmentError);
  CHECK_THROWS_AS(df::throw_file_error("cannot write", "x", EFBIG), df::EnvironmentError);
  CHECK_THROWS_AS(df::throw_file_error("cannot write", "x", ENOENT), df::InputError);
  CHECK_THROWS_WITH(df::throw_file_error("cannot write", "x", ENOSPC), "cannot write 'x': No space left on device");
  // a file-size limit makes write() fail like a full disk (EFBIG): the old content stays, no temp file
  TempDir t;
  const std::string path = t / "f.bin";
  df::atomic_write_file(path, "old");
  struct rlimit old_limit;
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &old_limit) == 0);
  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = old_limit;
  small.rlim_cur = 4096;
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
  std::string msg;
  try {
    df::atomic_write_file(path, std::string(10000, 'x'));
  } catch (const df::EnvironmentError& e) {
    msg = e.what();
  }
  ::setrlimit(RLIMIT_FSIZE, &old_limit);
  std::signal(SIGXFSZ, old_handler);
  CHECK_THAT(msg, Contains("cannot write '" + path + "': File too large"));
  CHECK(df::read_file(path) == "old");
  CHECK(t.entries() == 1);
}

TEST_CASE("output names are checked before the work, extensions in any case") {
  TempDir t;
  df::check_matrix_output(t / "x.CSV");
  df::check_matrix_output(t / "x.Npy");
  CHECK_THAT(error_of([&] { df::check_matrix_output(t / "x.txt"); }), Contains("expected .csv or .npy"));
  CHECK_THAT(error_of([&] { df::check_matrix_output(t / "no/x.csv"); }), Contains("No such file"));
  put(t / "file", "");
  CHECK_THAT(error_of([&] { df::check_output_dir(t / "file/x.png"); }), Contains("is not a directory"));
  CHECK(df::is_temporary_of("log.csv.tmp.123", "log.csv"));
  CHECK(!df::is_temporary_of("log.csv.tmp.", "log.csv"));
  CHECK(!df::is_temporary_of("log.csv.tmp.12a", "log.csv"));
  CHECK(!df::is_temporary_of("xlog.csv.tmp.1", "log.csv"));
}
