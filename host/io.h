// File I/O for the host layer: crash-safe (atomic) writes, and matrices in .csv or .npy form.
// Every problem caused by the user's files (missing, not a regular file, too large, malformed,
// non-finite values, unknown extension) is a one-line df::InputError that names the file and the
// problem; a refusal of the system (disk full, permission) is a df::EnvironmentError; writes never
// leave a partial file at the destination. Reads are bounded (host/file_read.h).
#pragma once
#include <cstdint>
#include <string>

#include "host/file_read.h"
#include "host/matrix.h"

namespace df {

// Writes `bytes` to `path` atomically: a temporary file path + ".tmp.<pid>" in the same directory
// is written, fsync'ed and renamed over `path`, then the directory is fsync'ed (best effort). On
// any failure the temporary file is removed, `path` keeps its old content (or stays absent), and
// "cannot write 'path': <strerror>" is thrown (host/file_read.h throw_file_error picks the type).
void atomic_write_file(const std::string& path, const std::string& bytes);

// True for a temporary file name atomic_write_file makes for `target` (target.tmp.<digits>).
bool is_temporary_of(const std::string& name, const std::string& target);

// The size and SHA-256 (host/sha256.h) of the bytes a matrix was read from.
struct FileDigest {
  std::uint64_t size = 0;
  std::string sha256;
};

// Reads a matrix, chosen by extension (case-insensitive; formats in host/matrix_formats.h):
// .csv or .npy. The file must be a regular file of at most input_limit_bytes(); its header (or,
// for a .csv, its first 64 KiB) is checked before the rest is read. Memory: the file's bytes plus
// 8 bytes per number. With `digest`, also the file's size and content hash.
Matrix read_matrix(const std::string& path, FileDigest* digest = nullptr);

// Refuses, before any work, an output name write_matrix would refuse (extension not .csv/.npy,
// any case) or whose directory does not exist.
void check_matrix_output(const std::string& path);
// Refuses an output path whose directory does not exist or is not a directory.
void check_output_dir(const std::string& path);

// Writes `m` as .csv (no header, shortest text that reads back to the same double) or .npy
// ('<f8', version 1.0, C order, shape (rows, cols)), atomically. Unknown extension: InputError,
// and nothing is created.
void write_matrix(const std::string& path, const Matrix& m);

// Shortest "%.{15,16,17}g" text of `v` that parses back to exactly `v` (C locale).
std::string format_double(double v);

}  // namespace df
