// Tests for host/run_estimate: the memory estimate from the shape and the batch, the refusal
// beyond the budget (DF_MAX_MEMORY_MB) as an EnvironmentError with the numbers, the byte format,
// and the time projection printed after a long run's first iteration.
#include <catch2/catch.hpp>

#include <cstdlib>

#include "host/errors.h"
#include "host/run_estimate.h"

using namespace df;
using Catch::Matchers::Contains;

TEST_CASE("memory estimate and budget", "[estimate]") {
  RunConfig c;
  c.shape = NetShape{2, 128, 3};  // 99,714 parameters (MATH.md §7)
  c.batch = 5000;
  const MemoryEstimate e = estimate_train_memory(c);
  CHECK(e.params == 99714);
  CHECK(e.host == std::uint64_t(4 * 99714 * 16 + 5000 * 2 * 12));
  CHECK(e.device == std::uint64_t(4 * 99714 * 10 + 5000 * 2 * 4));
  ::setenv("DF_MAX_MEMORY_MB", "11", 1);
  CHECK(memory_budget_bytes() == 11u << 20);
  check_train_memory(c, true);  // 10.04 MiB: fits in 11 MiB
  c.shape = NetShape{2, 4096, 64};
  try {
    check_train_memory(c, false);
    FAIL("a network of 1.1e9 parameters fitted in 11 MiB");
  } catch (const EnvironmentError& e) {
    CHECK_THAT(std::string(e.what()), Contains("the run needs about 67.0 GiB of memory") && Contains("(d=2 W=4096 L=64: 1.12e+09 parameters") &&
                                          Contains("more than the 11.0 MiB this machine allows"));
  }
  ::setenv("DF_MAX_MEMORY_MB", "lots", 1);
  CHECK_THROWS_AS(memory_budget_bytes(), InputError);
  ::unsetenv("DF_MAX_MEMORY_MB");
  CHECK(memory_budget_bytes() > (std::uint64_t(64) << 20));  // the machine's memory
  CHECK(format_bytes(512) == "512 bytes");
  CHECK(format_bytes(1536) == "1.5 KiB");
  CHECK(format_bytes(3.5 * (1 << 30)) == "3.5 GiB");
}

TEST_CASE("the time projection after the first iteration", "[estimate]") {
  CHECK(time_projection(0.02, 1499).empty());  // 30 s: no line
  CHECK(time_projection(1.0, 1200) == "the first iteration took 1 s: the 1200 left will take about 20 min");
  CHECK(time_projection(12.5, 1499) == "the first iteration took 12.5 s: the 1499 left will take about 5 h 12 min");
}
