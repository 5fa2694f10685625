// libFuzzer target for the .csv reader (host/csv_read.cpp): any bytes either parse into a
// matrix that keeps its promises (rows x cols values, all finite, at least one row) or throw
// df::InputError with a one-line message naming the file; anything else (a crash, another
// exception, a sanitizer report) is a finding. Run by tests/fuzz/run.sh.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "host/errors.h"
#include "host/matrix_formats.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    df::check_csv_text("fuzz.csv", text.substr(0, 1 << 16));
    const df::Matrix m = df::parse_csv("fuzz.csv", text);
    if (m.rows == 0 || m.cols == 0 || m.data.size() != m.rows * m.cols) std::abort();
    for (double v : m.data)
      if (!std::isfinite(v)) std::abort();
  } catch (const df::InputError& e) {
    const std::string_view msg = e.what();
    if (msg.find('\n') != std::string_view::npos || msg.find("'fuzz.csv'") == std::string_view::npos) std::abort();
  }
  return 0;
}
