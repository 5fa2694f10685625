// Tests for host/run_estimate: the memory estimate from the shape and the batch (and the backend's
// own figure of its sweep, Backend::train_bytes, where its memory is the host's), the refusal
// beyond the budget (DF_MAX_MEMORY_MB) as an EnvironmentError with the numbers, the byte format,
// and the time projection printed after a long run's first iteration.
#include <catch2/catch.hpp>

#include <cstdlib>

#include "engine/backend.h"
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

TEST_CASE("the backend's sweep memory counts where it lives", "[estimate]") {
  auto be = make_cpu_backend();
  RunConfig c;
  c.shape = NetShape{2, 128, 3};
  c.batch = 5000;
  c.grid.N = 30;
  const MemoryEstimate plain = estimate_train_memory(c), e = estimate_train_memory(c, be.get());
  CHECK(plain.working == 0);
  CHECK(e.working == be->train_bytes(c.desc(), c.batch, 30, c.k_for(30)));
  CHECK(e.total() == e.host + e.device + e.working);
  c.grid.progressive = {{0, 5}, {10, 60}};  // the largest N of a progressive schedule is the one that counts
  c.grid.N = 60;
  CHECK(estimate_train_memory(c, be.get()).working == be->train_bytes(c.desc(), c.batch, 60, c.k_for(60)));
  c.grid.progressive.clear();
  c.grid.N = 30;
  // a budget the networks and batch fit in but the sweep does not
  const std::uint64_t mib = 1 << 20, budget_mb = (e.host + e.device) / mib + 1;
  REQUIRE(e.total() > budget_mb * mib);
  ::setenv("DF_MAX_MEMORY_MB", std::to_string(budget_mb).c_str(), 1);
  check_train_memory(c, true);             // without the backend's part: fits
  check_train_memory(c, false, be.get());  // device memory is not the host's budget
  CHECK_THROWS_AS(check_train_memory(c, true, be.get()), EnvironmentError);
  ::unsetenv("DF_MAX_MEMORY_MB");
}

TEST_CASE("the time projection after the first iteration", "[estimate]") {
  CHECK(time_projection(0.02, 1499).empty());  // 30 s: no line
  CHECK(time_projection(1.0, 1200) == "the first iteration took 1 s: the 1200 left will take about 20 min");
  CHECK(time_projection(12.5, 1499) == "the first iteration took 12.5 s: the 1499 left will take about 5 h 12 min");
}

TEST_CASE("the adjoint's checkpoint interval: K = 1 while the whole path is small, ⌈√N⌉ beyond", "[estimate]") {
  // (N + 1)·B·d floats against kAutoPathBytes (64 MiB)
  CHECK(auto_adjoint_k(30, 10000, 2) == 1);     // 2.5 MB: the PERF.md shape
  CHECK(auto_adjoint_k(100, 1000, 784) == 10);  // 317 MB
  CHECK(auto_adjoint_k(30, 10000, 784) == 6);   // 972 MB
  const std::int64_t fits = std::int64_t(kAutoPathBytes / (31 * 2 * sizeof(float)));  // the most B at N = 30, d = 2
  CHECK(auto_adjoint_k(30, fits, 2) == 1);
  CHECK(auto_adjoint_k(30, fits + 1, 2) == 6);
  CHECK(auto_adjoint_k(1, 1 << 30, 784) == 1);  // ⌈√1⌉
  RunConfig c;
  c.shape = NetShape{784, 128, 3};
  c.batch = 1000;
  CHECK(c.k_for(100) == 10);
  c.shape.d = 2;
  CHECK(c.k_for(100) == 1);
  c.adjoint_k = 4;  // --adjoint-k wins
  CHECK(c.k_for(100) == 4);
}
