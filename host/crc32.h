// CRC-32 (ISO-HDLC / zlib / PNG): the reflected polynomial 0xEDB88320, initial value and final
// xor 0xFFFFFFFF, one byte at a time through a 256-entry table. The same numbers as zlib's
// crc32(), so checkpoints written by earlier builds (which used zlib) still verify.
//   crc32(data, n, crc = 0)   CRC of data[0..n); pass a previous result as crc to continue it.
// Check value (tests/test_crc32.cpp): crc32("123456789") == 0xCBF43926.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>

namespace df {

namespace detail {
inline const std::array<std::uint32_t, 256>& crc32_table() {
  static const std::array<std::uint32_t, 256> table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  return table;
}
}  // namespace detail

inline std::uint32_t crc32(const void* data, std::size_t n, std::uint32_t crc = 0) {
  const auto& t = detail::crc32_table();
  const auto* p = static_cast<const unsigned char*>(data);
  crc = ~crc;
  for (std::size_t i = 0; i < n; ++i) crc = t[(crc ^ p[i]) & 0xFFu] ^ (crc >> 8);
  return ~crc;
}

}  // namespace df
