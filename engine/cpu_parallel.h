// Batch parallelism of the CPU backend: the batch is cut into fixed chunks of kChunk samples
// (so results never depend on the thread count: each chunk draws its noise by its global sample
// index and partial sums are reduced in chunk order), and the chunks are shared among
// num_threads() workers. DF_NUM_THREADS (else OMP_NUM_THREADS, else the hardware) sets it.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <exception>
#include <functional>
#include <thread>
#include <vector>

namespace df {

constexpr int kChunk = 256;

inline int num_threads() {
  for (const char* var : {"DF_NUM_THREADS", "OMP_NUM_THREADS"}) {
    if (const char* v = std::getenv(var)) {
      int n = std::atoi(v);
      if (n > 0) return n;
    }
  }
  unsigned h = std::thread::hardware_concurrency();
  return h ? int(h) : 1;
}

inline int num_chunks(int B) { return (B + kChunk - 1) / kChunk; }

// fn(chunk index, first sample, samples in chunk)
inline void parallel_chunks(int B, const std::function<void(int, int, int)>& fn) {
  const int nc = num_chunks(B);
  const int nt = std::min(nc, num_threads());
  std::atomic<int> next{0};
  std::exception_ptr err;
  std::atomic<bool> failed{false};
  auto work = [&]() {
    for (int c; (c = next.fetch_add(1)) < nc;) {
      if (failed) return;
      try {
        int b0 = c * kChunk;
        fn(c, b0, std::min(kChunk, B - b0));
      } catch (...) {
        if (!failed.exchange(true)) err = std::current_exception();
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < nt; ++t) pool.emplace_back(work);
  work();
  for (auto& th : pool) th.join();
  if (err) std::rethrow_exception(err);
}

}  // namespace df
