// libFuzzer target for the .npy reader (host/npy_read.cpp): the header alone first, as
// read_matrix judges a file by its first bytes, then the whole; a success must keep the
// header's promises (rows x cols finite values, the file exactly the declared size), a refusal
// must be a one-line df::InputError naming the file. Run by tests/fuzz/run.sh.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "host/errors.h"
#include "host/matrix_formats.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    const df::NpyHeader h = df::parse_npy_header("fuzz.npy", bytes.substr(0, df::kNpyMaxHeader + 12));
    df::check_npy_size("fuzz.npy", h, size);
    const df::Matrix m = df::parse_npy("fuzz.npy", bytes);
    if (m.rows != h.rows || m.cols != h.cols || m.data.size() != m.rows * m.cols) std::abort();
    if (h.data_offset + h.data_bytes() != size) std::abort();
    for (double v : m.data)
      if (!std::isfinite(v)) std::abort();
  } catch (const df::InputError& e) {
    const std::string_view msg = e.what();
    if (msg.find('\n') != std::string_view::npos || msg.find("'fuzz.npy'") == std::string_view::npos) std::abort();
  }
  return 0;
}
