// Helpers of the file tests (tests/test_io.cpp, tests/test_file_read.cpp): a temporary
// directory removed afterwards, writing raw bytes, hand-made .npy bytes, and the one-line
// message of the InputError a call throws.
#pragma once
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>

#include "host/errors.h"

namespace io_test {

namespace fs = std::filesystem;

struct TempDir {
  fs::path dir;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "df_test_io_XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    dir = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(dir, ec);
  }
  std::string operator/(const std::string& name) const { return (dir / name).string(); }
  std::size_t entries() const { return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir), {})); }
};

inline void put(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A .npy file with the given version and header dict (padded like numpy does).
inline std::string npy(int major, const std::string& dict, const std::string& data) {
  const std::size_t pre = major == 1 ? 10 : 12;
  std::string h = dict;
  while ((pre + h.size() + 1) % 64) h += ' ';
  h += '\n';
  std::string out("\x93NUMPY", 6);
  out += static_cast<char>(major);
  out += '\0';
  for (std::size_t i = 0; i < pre - 8; ++i) out += static_cast<char>((h.size() >> (8 * i)) & 0xff);
  return out + h + data;
}

template <class T>
std::string raw(std::initializer_list<T> values) {  // little-endian host (checked below)
  std::string out;
  for (T v : values) out.append(reinterpret_cast<const char*>(&v), sizeof v);
  return out;
}

// The message of the InputError thrown by f (fails the test if none is thrown).
template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const df::InputError& e) {
    const std::string msg = e.what();
    CHECK(msg.find('\n') == std::string::npos);
    return msg;
  }
  FAIL("no InputError thrown");
  return "";
}

}  // namespace io_test
