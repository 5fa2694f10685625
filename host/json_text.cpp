// JSON strings and numbers; see host/json_text.h.
#include "host/json_text.h"

#include <cmath>
#include <cstdio>

#include "host/io.h"

namespace df {

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string json_number(double v) { return std::isfinite(v) ? format_double(v) : "null"; }

}  // namespace df
