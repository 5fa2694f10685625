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

// Batch mean of a per-chunk objective and its gradients: fn(chunk gradients, first sample,
// samples) returns the chunk mean and accumulates the chunk mean's gradients into its buffers
// (one per output, each out[k].size() floats). The results are weighted by the chunk sizes and
// reduced in chunk order into out (=), so they do not depend on the number of threads.
template <class Fn>
double chunked_mean_grad(const std::vector<std::pair<float*, std::size_t>>& out, int B, Fn fn) {
  const int nc = num_chunks(B);
  const std::size_t ng = out.size();
  std::vector<std::vector<std::vector<float>>> cg(nc);
  std::vector<double> cl(nc);
  parallel_chunks(B, [&](int c, int b0, int nb) {
    cg[c].resize(ng);
    std::vector<float*> ptrs(ng);
    for (std::size_t k = 0; k < ng; ++k) {
      cg[c][k].assign(out[k].second, 0.f);
      ptrs[k] = cg[c][k].data();
    }
    const double w = double(nb) / B;  // chunk mean → batch mean
    cl[c] = fn(ptrs, b0, nb) * w;
    for (auto& g : cg[c])
      for (float& v : g) v *= float(w);
  });
  double loss = 0;
  for (std::size_t k = 0; k < ng; ++k) std::fill(out[k].first, out[k].first + out[k].second, 0.f);
  for (int c = 0; c < nc; ++c) {
    loss += cl[c];
    for (std::size_t k = 0; k < ng; ++k)
      for (std::size_t i = 0; i < out[k].second; ++i) out[k].first[i] += cg[c][k][i];
  }
  return loss;
}

}  // namespace df
