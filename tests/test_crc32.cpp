// Tests for host/crc32.h: the standard check value, the empty input, continuation across
// chunks, and a single flipped bit changing the result.
#include <catch2/catch.hpp>

#include <string>

#include "host/crc32.h"

TEST_CASE("crc32: check value of \"123456789\" is 0xCBF43926") {
  const std::string s = "123456789";
  CHECK(df::crc32(s.data(), s.size()) == 0xCBF43926u);
}

TEST_CASE("crc32: empty input, continuation, bit flips") {
  CHECK(df::crc32("", 0) == 0u);
  CHECK(df::crc32("a", 1) == 0xE8B7BE43u);
  const std::string s = "The quick brown fox jumps over the lazy dog";
  const std::uint32_t whole = df::crc32(s.data(), s.size());
  CHECK(whole == 0x414FA339u);
  CHECK(df::crc32(s.data() + 10, s.size() - 10, df::crc32(s.data(), 10)) == whole);
  std::string t = s;
  t[7] ^= 0x04;
  CHECK(df::crc32(t.data(), t.size()) != whole);
}
