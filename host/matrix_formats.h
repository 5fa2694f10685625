// The .csv and .npy formats of the matrix reader (host/io.h read_matrix) as functions of the
// bytes, so the fuzz targets (tests/fuzz/) run exactly the code the command runs. `path` only
// names the file in the messages: InputError("cannot read 'path': <problem>"), one line.
//   .csv  numbers separated by commas, one row per line, an optional first header line whose
//         cells are all non-numeric, '#' comment lines and blank lines skipped, CRLF accepted, a
//         UTF-8 byte-order mark at the start skipped; numbers are decimal (host/number_parse.h:
//         no hex floats) and finite. Binary data (a NUL byte) is refused.
//   .npy  NumPy format 1.0/2.0/3.0, dtype '<f4' '<f8' '<i4' '<i8', C or Fortran order, shape (n,)
//         (read as n x 1) or (n, d); the header is at most kNpyMaxHeader bytes, and the file must
//         hold exactly the bytes the header declares.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "host/matrix.h"

namespace df {

[[noreturn]] void fail_read(const std::string& path, const std::string& what);
// Text quoted in a message: one line, at most 40 characters, control characters as '?'.
std::string quoted(std::string_view s);
std::string_view trim_space(std::string_view s);  // without leading/trailing spaces, tabs, CRs

// Refuses binary data: the first NUL byte of `text`, if any, is an error. read_matrix runs it on
// the first 64 KiB before it reads the rest of a .csv file.
void check_csv_text(const std::string& path, std::string_view text);
Matrix parse_csv(const std::string& path, std::string_view text);

inline constexpr std::size_t kNpyMaxHeader = 65536;

struct NpyHeader {
  std::size_t data_offset = 0;  // where the elements begin
  std::size_t rows = 0, cols = 0, item = 0;  // item: bytes per element (4 or 8)
  bool is_float = false, fortran = false;
  std::uint64_t data_bytes() const { return std::uint64_t(rows) * cols * item; }
};

// The magic string, version and header dict from the first bytes of the file (the whole file or
// at least its first kNpyMaxHeader + 12 bytes).
NpyHeader parse_npy_header(const std::string& path, std::string_view prefix);
// Refuses a file whose size is not the header's data offset plus the data it declares.
void check_npy_size(const std::string& path, const NpyHeader& h, std::uint64_t file_size);
Matrix parse_npy(const std::string& path, std::string_view bytes);

}  // namespace df
