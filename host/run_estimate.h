// What a run will cost before it starts: the memory of its parameters, optimizer state and
// batch against the memory budget (so --width 4096 --layers 64 or a batch of ten million is
// refused with a number, not a bad_alloc), and, after its first iteration, the time the rest will
// take when that is long.
#pragma once
#include <cstdint>
#include <string>

#include "host/run_state.h"

namespace df {

// $DF_MAX_MEMORY_MB mebibytes, else the machine's physical memory (or its cgroup's limit when
// that is lower).
std::uint64_t memory_budget_bytes();

struct MemoryEstimate {
  std::uint64_t host = 0;    // host copies of both networks (4 arrays each), the checkpoint being encoded, the batch
  std::uint64_t device = 0;  // backend buffers: 5 arrays per network (parameters, gradients, 2 moments, EMA), the batch
  std::uint64_t params = 0;  // parameters per network
};
// The CPU backend's activation cache (DF_CPU_CACHE_MB per thread) comes on top; it is bounded
// and small beside these at the sizes where they matter.
MemoryEstimate estimate_train_memory(const RunConfig& cfg);

// Throws EnvironmentError when the estimate exceeds the budget (both parts when the backend's
// buffers live in host memory, as on the CPU).
void check_train_memory(const RunConfig& cfg, bool device_in_host_memory);

// "12.3 MiB", "4.1 GiB".
std::string format_bytes(double bytes);

// After the first iteration took `seconds`: a line projecting the `remaining` iterations when
// they would take over ten minutes; "" otherwise.
std::string time_projection(double seconds, std::int64_t remaining);

}  // namespace df
