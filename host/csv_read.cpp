// The .csv matrix format (read side) and the message helpers the readers share; see
// host/matrix_formats.h.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "host/errors.h"
#include "host/matrix_formats.h"
#include "host/number_parse.h"

namespace df {

void fail_read(const std::string& path, const std::string& what) {
  throw InputError("cannot read '" + path + "': " + what);
}

std::string quoted(std::string_view s) {
  std::string out(s.substr(0, 40));
  if (s.size() > 40) out += "...";
  for (char& ch : out)
    if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) ch = '?';
  return "'" + out + "'";
}

std::string_view trim_space(std::string_view s) {
  const std::size_t b = s.find_first_not_of(" \t\r"), e = s.find_last_not_of(" \t\r");
  return b == std::string_view::npos ? std::string_view() : s.substr(b, e - b + 1);
}

void check_csv_text(const std::string& path, std::string_view text) {
  const void* nul = std::memchr(text.data(), '\0', text.size());
  if (nul != nullptr)
    fail_read(path, "binary data (a NUL byte at offset " +
                        std::to_string(static_cast<const char*>(nul) - text.data()) + "), not a text .csv file");
}

Matrix parse_csv(const std::string& path, std::string_view text) {
  if (text.size() >= 3 && text.compare(0, 3, "\xEF\xBB\xBF") == 0) text.remove_prefix(3);  // UTF-8 BOM
  if (text.empty()) fail_read(path, "file is empty");
  check_csv_text(path, text);
  Matrix m;
  bool seen_content = false;
  std::size_t pos = 0, line_no = 0;
  std::vector<std::string_view> cells;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = trim_space(text.substr(pos, end - pos));
    pos = end + 1;
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    cells.clear();
    for (std::size_t b = 0;;) {
      const std::size_t c = line.find(',', b);
      cells.push_back(trim_space(line.substr(b, c == std::string_view::npos ? std::string_view::npos : c - b)));
      if (c == std::string_view::npos) break;
      b = c + 1;
    }
    const auto where = [line_no] { return "line " + std::to_string(line_no); };  // built on error only
    const bool first = !seen_content;
    seen_content = true;
    double v = 0;
    if (first && std::none_of(cells.begin(), cells.end(), [&v](std::string_view c) { return parse_real(c, v); })) {
      m.cols = cells.size();  // the first line is a header: no cell is numeric
      continue;
    }
    if (m.cols == 0) m.cols = cells.size();
    if (cells.size() != m.cols)
      fail_read(path, where() + " has " + std::to_string(cells.size()) + " columns, expected " + std::to_string(m.cols));
    for (std::size_t j = 0; j < cells.size(); ++j) {
      const auto cell = [&] { return where() + ", column " + std::to_string(j + 1) + ": "; };
      if (cells[j].empty()) fail_read(path, cell() + "empty cell");
      if (!parse_real(cells[j], v)) fail_read(path, cell() + quoted(cells[j]) + " is not a number");
      if (!std::isfinite(v)) fail_read(path, cell() + quoted(cells[j]) + " is not a finite number (NaN or Inf)");
      m.data.push_back(v);
    }
    ++m.rows;
  }
  if (m.rows == 0) fail_read(path, seen_content ? "no data rows (header only)" : "no data rows");
  return m;
}

}  // namespace df
