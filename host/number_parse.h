// Numbers read from text, decimal only and independent of the locale: the CSV reader, the flags
// and the checkpoint header all parse through here, so a hex float ("0x1p3", which strtod takes)
// is refused everywhere alike.
//   parse_real  an optional sign, digits with an optional '.', an optional exponent; the words
//               nan, inf, infinity (any case, signed) give the non-finite value, so the caller can
//               say why it refuses them; overflow gives ±inf, underflow the nearest double.
//   parse_int / parse_uint  an optional sign ('+' only for parse_uint), decimal digits, in range.
// Each returns false unless the whole text is one such number.
#pragma once
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <system_error>

namespace df {

inline bool parse_real(std::string_view s, double& v) {
  if (s.size() >= 2 && s[0] == '+' && s[1] != '-' && s[1] != '+') s.remove_prefix(1);
  if (s.empty()) return false;
  double x = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), x, std::chars_format::general);
  if (r.ptr != s.data() + s.size()) return false;
  if (r.ec == std::errc::result_out_of_range) {  // decimal text out of range: strtod rounds it
    const std::string copy(s);
    x = std::strtod(copy.c_str(), nullptr);
  } else if (r.ec != std::errc()) {
    return false;
  }
  v = x;
  return true;
}

inline bool parse_int(std::string_view s, std::int64_t& v) {
  if (s.size() >= 2 && s[0] == '+' && s[1] != '-' && s[1] != '+') s.remove_prefix(1);
  std::int64_t x = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), x, 10);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size()) return false;
  v = x;
  return true;
}

inline bool parse_uint(std::string_view s, std::uint64_t& v) {
  if (s.size() >= 2 && s[0] == '+' && s[1] != '+') s.remove_prefix(1);
  std::uint64_t x = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), x, 10);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size()) return false;
  v = x;
  return true;
}

}  // namespace df
