// What a run will cost before it starts: the memory of its parameters, optimizer state, batch and
// the backend's sweep against the memory budget (so --width 4096 --layers 64 or a batch of ten million is
// refused with a number, not a bad_alloc), and, after its first iteration, the time the rest will
// take when that is long.
#pragma once
#include <cstdint>
#include <string>

#include "engine/backend.h"
#include "host/run_state.h"

namespace df {

// $DF_MAX_MEMORY_MB mebibytes, else the machine's physical memory (or its cgroup's limit when
// that is lower).
std::uint64_t memory_budget_bytes();

struct MemoryEstimate {
  std::uint64_t host = 0;     // host copies of both networks (4 arrays each), the checkpoint being encoded, the batch
  std::uint64_t device = 0;   // backend buffers: 5 arrays per network (parameters, gradients, 2 moments, EMA), the batch
  std::uint64_t working = 0;  // the backend's sweep: states, network caches, scratch (Backend::train_bytes)
  std::uint64_t params = 0;   // parameters per network
  std::uint64_t total() const { return host + device + working; }
};
// With a backend, its own figure of the sweep's memory at the run's largest N (exact for the
// device plans, an estimate from the cache sizes on the CPU); without, working stays 0.
MemoryEstimate estimate_train_memory(const RunConfig& cfg, const Backend* be = nullptr);

// Throws EnvironmentError when the estimate exceeds the budget (the backend's parts too when its
// memory is host memory, as on the CPU and the emulated device).
void check_train_memory(const RunConfig& cfg, bool device_in_host_memory, const Backend* be = nullptr);

// "12.3 MiB", "4.1 GiB".
std::string format_bytes(double bytes);

// After the first iteration took `seconds`: a line projecting the `remaining` iterations when
// they would take over ten minutes; "" otherwise.
std::string time_projection(double seconds, std::int64_t remaining);

}  // namespace df
