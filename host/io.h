// File I/O for the host layer: whole-file reads, crash-safe (atomic) writes, and matrices in
// .csv or .npy form. Every problem caused by the user's files (missing, unreadable, malformed,
// non-finite values, unknown extension) is reported as a one-line df::InputError that names the
// file and the problem; writes never leave a partial file at the destination.
#pragma once
#include <string>

#include "host/matrix.h"

namespace df {

// Writes `bytes` to `path` atomically: a temporary file path + ".tmp.<pid>" in the same directory
// is written, fsync'ed and renamed over `path`, then the directory is fsync'ed (best effort). On
// any failure the temporary file is removed, `path` keeps its old content (or stays absent), and
// InputError("cannot write 'path': <strerror>") is thrown.
void atomic_write_file(const std::string& path, const std::string& bytes);

// The whole content of `path`. InputError("cannot read 'path': <strerror>") when it is missing,
// unreadable or a directory.
std::string read_file(const std::string& path);

// Reads a matrix, chosen by extension (case-insensitive):
//   .csv  comma separated numbers, one row per line; an optional first header line whose cells
//         are all non-numeric; '#' comment lines and blank lines are skipped.
//   .npy  NumPy format versions 1.0/2.0/3.0, dtype '<f4', '<f8', '<i4' or '<i8', C or Fortran
//         order, shape (n,) (read as n x 1) or (n, d).
// Values must be finite. At least one data row is required.
Matrix read_matrix(const std::string& path);

// Writes `m` as .csv (no header, shortest text that reads back to the same double) or .npy
// ('<f8', version 1.0, C order, shape (rows, cols)), atomically. Unknown extension: InputError,
// and nothing is created.
void write_matrix(const std::string& path, const Matrix& m);

// Shortest "%.{15,16,17}g" text of `v` that parses back to exactly `v` (C locale).
std::string format_double(double v);

}  // namespace df
