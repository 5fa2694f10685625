// The .npy matrix format (read side): the header first, so a file is judged by its first bytes
// before its payload is read; see host/matrix_formats.h.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "host/errors.h"
#include "host/matrix_formats.h"
#include "host/number_parse.h"

namespace df {
namespace {

// Value of `key` in the .npy header dict: a quoted string (without quotes), a (...) tuple or
// [...] list (with brackets), or a bare word. Empty when the key is absent.
std::string_view dict_value(std::string_view h, const std::string& key) {
  std::size_t p = h.find("'" + key + "'");
  if (p == std::string_view::npos) p = h.find("\"" + key + "\"");
  if (p != std::string_view::npos) p = h.find(':', p + key.size() + 2);
  if (p != std::string_view::npos) p = h.find_first_not_of(" \t", p + 1);
  if (p == std::string_view::npos) return {};
  const char open = h[p];
  if (open == '\'' || open == '"' || open == '(' || open == '[') {
    const char close = open == '(' ? ')' : open == '[' ? ']' : open;
    const std::size_t e = h.find(close, p + 1);
    if (e == std::string_view::npos) return {};
    return open == '(' || open == '[' ? h.substr(p, e - p + 1) : h.substr(p + 1, e - p - 1);
  }
  const std::size_t e = h.find_first_of(",}", p);
  return trim_space(h.substr(p, e == std::string_view::npos ? std::string_view::npos : e - p));
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

}  // namespace

NpyHeader parse_npy_header(const std::string& path, std::string_view b) {
  if (b.empty()) fail_read(path, "file is empty");
  if (b.compare(0, 6, std::string_view("\x93NUMPY", 6)) != 0)
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
  if (hlen > kNpyMaxHeader)
    fail_read(path, ".npy header of " + std::to_string(hlen) + " bytes (at most " + std::to_string(kNpyMaxHeader) + ")");
  if (b.size() - hstart < hlen) fail_read(path, "truncated .npy header");
  const std::string_view h = b.substr(hstart, hlen);
  const std::string_view descr = dict_value(h, "descr"), order = dict_value(h, "fortran_order");
  const std::string_view shape = dict_value(h, "shape");
  if (descr.empty() || shape.size() < 2 || shape[0] != '(' || (order != "True" && order != "False"))
    fail_read(path, "malformed .npy header " + quoted(trim_space(h)));
  NpyHeader out;
  if (descr == "<f4" || descr == "<i4") out.item = 4;
  if (descr == "<f8" || descr == "<i8") out.item = 8;
  if (out.item == 0)
    fail_read(path, "unsupported .npy dtype " + quoted(descr) + " (expected '<f4', '<f8', '<i4' or '<i8')");
  std::vector<std::size_t> dims;  // "(3, 2)" -> {3, 2}, "(3,)" -> {3}, "()" -> {}
  std::string_view rest = shape.substr(1, shape.size() - 2);
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    const std::string_view tok = trim_space(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (tok.empty()) continue;
    std::uint64_t v = 0;
    if (tok[0] == '+' || !parse_uint(tok, v) || v > SIZE_MAX) fail_read(path, "malformed .npy shape " + quoted(shape));
    dims.push_back(static_cast<std::size_t>(v));
  }
  if (dims.empty() || dims.size() > 2)
    fail_read(path, "array has " + std::to_string(dims.size()) + " dimensions, expected 1 or 2");
  out.rows = dims[0];
  out.cols = dims.size() == 2 ? dims[1] : 1;
  if (out.rows == 0) fail_read(path, "no data rows");
  if (out.cols == 0) fail_read(path, "array has 0 columns");
  if (out.rows > SIZE_MAX / out.cols / sizeof(double))  // the matrix holds doubles
    fail_read(path, "array shape " + quoted(shape) + " is too large");
  out.data_offset = hstart + hlen;
  out.is_float = descr[1] == 'f';
  out.fortran = order == "True";
  return out;
}

void check_npy_size(const std::string& path, const NpyHeader& h, std::uint64_t file_size) {
  const std::uint64_t need = h.data_bytes(), have = file_size - h.data_offset;
  if (have < need)
    fail_read(path, "truncated data: expected " + std::to_string(need) + " bytes, found " + std::to_string(have));
  if (have > need) fail_read(path, std::to_string(have - need) + " unexpected bytes after the data");
}

Matrix parse_npy(const std::string& path, std::string_view b) {
  const NpyHeader h = parse_npy_header(path, b);
  check_npy_size(path, h, b.size());
  const std::size_t n = h.rows, d = h.cols, item = h.item;
  Matrix m(n, d);
  const unsigned char* p = reinterpret_cast<const unsigned char*>(b.data()) + h.data_offset;
  for (std::size_t k = 0; k < n * d; ++k, p += item) {
    std::uint64_t u = 0;
    for (std::size_t i = 0; i < item; ++i) u |= static_cast<std::uint64_t>(p[i]) << (8 * i);
    const double v = decode_element(u, item, h.is_float);
    const std::size_t r = h.fortran ? k % n : k / d, c = h.fortran ? k / n : k % d;
    if (!std::isfinite(v))
      fail_read(path, "element [" + std::to_string(r) + ", " + std::to_string(c) + "] is " +
                          (std::isnan(v) ? "NaN" : "infinite"));
    m(r, c) = v;
  }
  return m;
}

}  // namespace df
