// Tests for the checksums: host/crc32.h (the standard check value, the empty input,
// continuation across chunks, a single flipped bit changing the result) and host/sha256.h (the
// FIPS 180-4 check values, every padding length around the block boundary against a
// two-block message).
#include <catch2/catch.hpp>

#include <string>

#include "host/crc32.h"
#include "host/sha256.h"

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

TEST_CASE("sha256: FIPS 180-4 check values and the padding boundary") {
  CHECK(df::sha256_hex("", 0) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(df::sha256_hex("abc", 3) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";  // 56 bytes: padding spills
  CHECK(df::sha256_hex(two.data(), two.size()) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  const std::string million(1000000, 'a');
  CHECK(df::sha256_hex(million.data(), million.size()) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  std::string s(64, 'x');
  CHECK(df::sha256_hex(s.data(), 63) != df::sha256_hex(s.data(), 64));
  s[10] ^= 1;
  CHECK(df::sha256_hex(s.data(), 64) != df::sha256_hex(std::string(64, 'x').data(), 64));
}
