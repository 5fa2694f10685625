// File I/O: atomic writes (temp file + fsync + rename + directory fsync), the bounded matrix
// read that dispatches to the .csv / .npy formats (host/matrix_formats.h), and the writers
// declared in host/io.h.
#include "host/io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "host/errors.h"
#include "host/matrix_formats.h"
#include "host/sha256.h"

namespace df {
namespace {

// Lower-cased extension of the file name, with the dot ("" when there is none).
std::string extension_of(const std::string& path) {
  const std::size_t slash = path.find_last_of('/'), dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
  std::string ext = path.substr(dot);
  for (char& ch : ext) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return ext;
}

std::string unknown_extension(const std::string& path) {
  const std::string ext = extension_of(path);
  return (ext.empty() ? std::string("no file extension") : "unknown extension '" + ext + "'") +
         " (expected .csv or .npy)";
}

std::string dir_of(const std::string& path) {
  const std::size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

void atomic_write_file(const std::string& path, const std::string& bytes) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) throw_file_error("cannot write", path, errno);
  const auto fail = [&](int err) {
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    throw_file_error("cannot write", path, err);
  };
  for (std::size_t off = 0; off < bytes.size();) {
    const ssize_t n = ::write(fd, bytes.data() + off, bytes.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail(n < 0 ? errno : EIO);
    off += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) fail(errno);
  const int rc = ::close(fd);
  fd = -1;
  if (rc != 0) fail(errno);
  if (::rename(tmp.c_str(), path.c_str()) != 0) fail(errno);
  // Make the rename durable. Best effort: the new file is already in place.
  const int dfd = ::open(dir_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

bool is_temporary_of(const std::string& name, const std::string& target) {
  const std::string pre = target + ".tmp.";
  return name.size() > pre.size() && name.compare(0, pre.size(), pre) == 0 &&
         name.find_first_not_of("0123456789", pre.size()) == std::string::npos;
}

Matrix read_matrix(const std::string& path, FileDigest* digest) {
  const std::string ext = extension_of(path);
  if (ext != ".csv" && ext != ".npy") fail_read(path, unknown_extension(path));
  InputFile f(path, input_limit_bytes());
  if (ext == ".csv") {
    check_csv_text(path, f.read_prefix(std::size_t(1) << 16));
  } else {
    check_npy_size(path, parse_npy_header(path, f.read_prefix(kNpyMaxHeader + 12)), f.size());
  }
  const std::string bytes = f.read_all();
  if (digest != nullptr) {
    digest->size = bytes.size();
    digest->sha256 = sha256_hex(bytes.data(), bytes.size());
  }
  return ext == ".csv" ? parse_csv(path, bytes) : parse_npy(path, bytes);
}

void check_output_dir(const std::string& path) {
  const std::string dir = dir_of(path);
  struct stat sb;
  if (::stat(dir.c_str(), &sb) != 0) throw_file_error("cannot write", path, errno);
  if (!S_ISDIR(sb.st_mode)) throw InputError("cannot write '" + path + "': '" + dir + "' is not a directory");
  if (::access(dir.c_str(), W_OK) != 0) throw_file_error("cannot write", path, errno);
}

void check_matrix_output(const std::string& path) {
  const std::string ext = extension_of(path);
  if (ext != ".csv" && ext != ".npy") throw InputError("cannot write '" + path + "': " + unknown_extension(path));
  check_output_dir(path);
}

std::string format_double(double v) {
  char buf[40];
  for (int prec = 15; prec <= 17; ++prec) {
    std::snprintf(buf, sizeof buf, "%.*g", prec, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

void write_matrix(const std::string& path, const Matrix& m) {
  const std::string ext = extension_of(path);
  if (ext != ".csv" && ext != ".npy") throw InputError("cannot write '" + path + "': " + unknown_extension(path));
  if (m.data.size() != m.rows * m.cols) throw std::invalid_argument("write_matrix: data size != rows * cols");
  std::string out;
  if (ext == ".csv") {
    for (std::size_t i = 0; i < m.data.size(); ++i) {
      out += format_double(m.data[i]);
      out += (i + 1) % m.cols != 0 ? ',' : '\n';
    }
  } else {
    std::string dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (" + std::to_string(m.rows) +
                       ", " + std::to_string(m.cols) + "), }";
    dict.append((64 - (10 + dict.size() + 1) % 64) % 64, ' ');
    dict += '\n';
    out.assign("\x93NUMPY", 6);
    out += {'\x01', '\x00', static_cast<char>(dict.size() & 0xff), static_cast<char>(dict.size() >> 8)};
    out += dict;
    for (double v : m.data) {
      std::uint64_t u;
      std::memcpy(&u, &v, 8);
      for (int i = 0; i < 8; ++i) out += static_cast<char>((u >> (8 * i)) & 0xff);
    }
  }
  atomic_write_file(path, out);
}

}  // namespace df
