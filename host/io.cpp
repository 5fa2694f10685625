// File I/O: atomic writes (temp file + fsync + rename + directory fsync), whole-file reads, and
// the .csv / .npy matrix readers and writers declared in host/io.h. All user-caused problems are
// one-line df::InputError messages of the form "cannot read 'path': <problem>".
#include "host/io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "host/errors.h"

namespace df {
namespace {

[[noreturn]] void fail_read(const std::string& path, const std::string& what) {
  throw InputError("cannot read '" + path + "': " + what);
}

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

// Text quoted in a message: one line, at most 40 characters.
std::string quoted(const std::string& s) {
  std::string out = s.size() > 40 ? s.substr(0, 40) + "..." : s;
  for (char& ch : out)
    if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) ch = '?';
  return "'" + out + "'";
}

std::string trim(const std::string& s) {
  const std::size_t b = s.find_first_not_of(" \t\r"), e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

bool parse_number(const std::string& s, double& v) {
  if (s.empty()) return false;
  char* end = nullptr;
  v = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();
}

Matrix parse_csv(const std::string& path, const std::string& text) {
  if (text.empty()) fail_read(path, "file is empty");
  Matrix m;
  bool seen_content = false;
  std::size_t pos = 0, line_no = 0;
  std::vector<std::string> cells;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string line = trim(text.substr(pos, end - pos));
    pos = end + 1;
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    cells.clear();
    for (std::size_t b = 0;;) {
      const std::size_t c = line.find(',', b);
      cells.push_back(trim(line.substr(b, c == std::string::npos ? std::string::npos : c - b)));
      if (c == std::string::npos) break;
      b = c + 1;
    }
    const auto where = [line_no] { return "line " + std::to_string(line_no); };  // built on error only
    const bool first = !seen_content;
    seen_content = true;
    double v = 0;
    if (first && std::none_of(cells.begin(), cells.end(), [&v](const std::string& c) { return parse_number(c, v); })) {
      m.cols = cells.size();  // the first line is a header: no cell is numeric
      continue;
    }
    if (m.cols == 0) m.cols = cells.size();
    if (cells.size() != m.cols)
      fail_read(path, where() + " has " + std::to_string(cells.size()) + " columns, expected " +
                          std::to_string(m.cols));
    for (std::size_t j = 0; j < cells.size(); ++j) {
      const auto cell = [&] { return where() + ", column " + std::to_string(j + 1) + ": "; };
      if (cells[j].empty()) fail_read(path, cell() + "empty cell");
      if (!parse_number(cells[j], v)) fail_read(path, cell() + quoted(cells[j]) + " is not a number");
      if (!std::isfinite(v)) fail_read(path, cell() + quoted(cells[j]) + " is not a finite number (NaN or Inf)");
      m.data.push_back(v);
    }
    ++m.rows;
  }
  if (m.rows == 0) fail_read(path, seen_content ? "no data rows (header only)" : "no data rows");
  return m;
}

// Value of `key` in the .npy header dict: a quoted string (without quotes), a (...) tuple or
// [...] list (with brackets), or a bare word. Empty when the key is absent.
std::string dict_value(const std::string& h, const std::string& key) {
  std::size_t p = h.find("'" + key + "'");
  if (p == std::string::npos) p = h.find("\"" + key + "\"");
  if (p != std::string::npos) p = h.find(':', p + key.size() + 2);
  if (p != std::string::npos) p = h.find_first_not_of(" \t", p + 1);
  if (p == std::string::npos) return "";
  const char open = h[p];
  if (open == '\'' || open == '"' || open == '(' || open == '[') {
    const char close = open == '(' ? ')' : open == '[' ? ']' : open;
    const std::size_t e = h.find(close, p + 1);
    if (e == std::string::npos) return "";
    return open == '(' || open == '[' ? h.substr(p, e - p + 1) : h.substr(p + 1, e - p - 1);
  }
  const std::size_t e = h.find_first_of(",}", p);
  return trim(h.substr(p, e == std::string::npos ? std::string::npos : e - p));
}

// One little-endian element (already assembled into u) as a double.
double decode_element(std::uint64_t u, std::size_t item, bool is_float) {
  if (!is_float)
    return item == 4 ? static_cast<double>(static_cast<std::int32_t>(static_cast<std::uint32_t>(u)))
                     : static_cast<double>(static_cast<std::int64_t>(u));
  if (item == 8) {
    double d;
    std::memcpy(&d, &u, 8);
    return d;
  }
  const auto u32 = static_cast<std::uint32_t>(u);
  float f;
  std::memcpy(&f, &u32, 4);
  return f;
}

Matrix parse_npy(const std::string& path, const std::string& b) {
  if (b.empty()) fail_read(path, "file is empty");
  if (b.compare(0, 6, std::string("\x93NUMPY", 6)) != 0)
    fail_read(path, b.size() < 6 ? "truncated .npy header" : "not a .npy file (bad magic string)");
  if (b.size() < 10) fail_read(path, "truncated .npy header");
  const auto byte = [&](std::size_t i) { return static_cast<std::size_t>(static_cast<unsigned char>(b[i])); };
  const std::size_t major = byte(6), minor = byte(7);
  std::size_t hstart = 10, hlen = byte(8) | byte(9) << 8;
  if (major == 2 || major == 3) {
    if (b.size() < 12) fail_read(path, "truncated .npy header");
    hstart = 12;
    hlen |= byte(10) << 16 | byte(11) << 24;
  } else if (major != 1) {
    fail_read(path, "unsupported .npy version " + std::to_string(major) + "." + std::to_string(minor));
  }
  if (b.size() - hstart < hlen) fail_read(path, "truncated .npy header");
  const std::string h = b.substr(hstart, hlen);
  const std::string descr = dict_value(h, "descr"), order = dict_value(h, "fortran_order");
  const std::string shape = dict_value(h, "shape");
  if (descr.empty() || shape.size() < 2 || shape[0] != '(' || (order != "True" && order != "False"))
    fail_read(path, "malformed .npy header " + quoted(trim(h)));
  std::size_t item = 0;
  if (descr == "<f4" || descr == "<i4") item = 4;
  if (descr == "<f8" || descr == "<i8") item = 8;
  if (item == 0)
    fail_read(path, "unsupported .npy dtype " + quoted(descr) + " (expected '<f4', '<f8', '<i4' or '<i8')");
  std::vector<std::size_t> dims;  // "(3, 2)" -> {3, 2}, "(3,)" -> {3}, "()" -> {}
  std::istringstream dims_in(shape.substr(1, shape.size() - 2));
  for (std::string tok; std::getline(dims_in, tok, ',');) {
    if ((tok = trim(tok)).empty()) continue;
    if (tok.find_first_not_of("0123456789") != std::string::npos)
      fail_read(path, "malformed .npy shape " + quoted(shape));
    dims.push_back(static_cast<std::size_t>(std::strtoull(tok.c_str(), nullptr, 10)));
  }
  if (dims.empty() || dims.size() > 2)
    fail_read(path, "array has " + std::to_string(dims.size()) + " dimensions, expected 1 or 2");
  const std::size_t n = dims[0], d = dims.size() == 2 ? dims[1] : 1;
  if (n == 0) fail_read(path, "no data rows");
  if (d == 0) fail_read(path, "array has 0 columns");
  if (n > SIZE_MAX / d / item) fail_read(path, "array shape " + quoted(shape) + " is too large");
  const std::size_t need = n * d * item, have = b.size() - hstart - hlen;
  if (have < need)
    fail_read(path, "truncated data: expected " + std::to_string(need) + " bytes, found " + std::to_string(have));
  if (have > need) fail_read(path, std::to_string(have - need) + " unexpected bytes after the data");
  const bool fortran = order == "True", is_float = descr[1] == 'f';
  Matrix m(n, d);
  const unsigned char* p = reinterpret_cast<const unsigned char*>(b.data()) + hstart + hlen;
  for (std::size_t k = 0; k < n * d; ++k, p += item) {
    std::uint64_t u = 0;
    for (std::size_t i = 0; i < item; ++i) u |= static_cast<std::uint64_t>(p[i]) << (8 * i);
    const double v = decode_element(u, item, is_float);
    const std::size_t r = fortran ? k % n : k / d, c = fortran ? k / n : k % d;
    if (!std::isfinite(v))
      fail_read(path, "element [" + std::to_string(r) + ", " + std::to_string(c) + "] is " +
                          (std::isnan(v) ? "NaN" : "infinite"));
    m(r, c) = v;
  }
  return m;
}

}  // namespace

void atomic_write_file(const std::string& path, const std::string& bytes) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) throw InputError("cannot write '" + path + "': " + std::strerror(errno));
  const auto fail = [&](int err) {
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    throw InputError("cannot write '" + path + "': " + std::strerror(err));
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
  const std::size_t slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

std::string read_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail_read(path, std::strerror(errno));
  struct stat st;
  int err = ::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) ? EISDIR : 0;
  std::string out;
  char buf[1 << 16];
  while (err == 0) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n == 0) break;
    if (n > 0) out.append(buf, static_cast<std::size_t>(n));
    else if (errno != EINTR) err = errno;
  }
  ::close(fd);
  if (err != 0) fail_read(path, std::strerror(err));
  return out;
}

Matrix read_matrix(const std::string& path) {
  const std::string ext = extension_of(path);
  if (ext != ".csv" && ext != ".npy") fail_read(path, unknown_extension(path));
  const std::string bytes = read_file(path);
  return ext == ".csv" ? parse_csv(path, bytes) : parse_npy(path, bytes);
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
