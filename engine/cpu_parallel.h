// Batch parallelism of the CPU backend: the batch is cut into fixed chunks of kChunk samples
// (so results never depend on the thread count: each chunk draws its noise by its global sample
// index and partial sums are reduced in chunk order), and the chunks are shared among
// num_threads() workers. DF_NUM_THREADS (else OMP_NUM_THREADS, else the hardware) sets it.
#pragma once
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/params.h"

namespace df {

#ifndef DF_CHUNK
#define DF_CHUNK 256
#endif
constexpr int kChunk = DF_CHUNK;

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

// Memory per thread for the network caches of one chunk's trajectory (DF_CPU_CACHE_MB, default
// 256): within it the CPU adjoint reuses the diffuse sweep's evaluations (engine/diffflow.h
// keep_all), beyond it re-diffuses the checkpoint segments. Both give the same bits.
inline std::size_t cpu_cache_budget_bytes() {
  const char* v = std::getenv("DF_CPU_CACHE_MB");
  const long mb = v ? std::atol(v) : 256;
  return std::size_t(mb > 0 ? mb : 0) << 20;
}
// Bytes of the network caches of a whole trajectory of B samples (all N+1 states, both
// networks: h and GELU' of every layer), what keep_all holds.
inline std::size_t trajectory_cache_bytes(int W, int L, int N, int B, std::size_t scalar_bytes) {
  return std::size_t(N + 1) * 2 * 2 * std::size_t(L + 1) * std::size_t(W) * std::size_t(B) * scalar_bytes;
}
inline bool cpu_keeps_trajectory(const NetShape& s, int N) {
  return trajectory_cache_bytes(s.W, s.L, N, kChunk, sizeof(float)) <= cpu_cache_budget_bytes();
}

// Worker threads that live as long as the process, so that their thread_local workspaces (the
// trajectory caches of engine/diffflow.h, the scratch of kernels/cpu/mlp.h) survive between
// calls. run(n, job) calls job(w) for w = 0..n−1, w = 0 on the calling thread, and returns when
// all have finished. One run at a time (calls from several threads are serialized).
class WorkerPool {
 public:
  static WorkerPool& get() {
    static WorkerPool pool;
    return pool;
  }
  void run(int n, const std::function<void(int)>& job) {
    std::lock_guard<std::mutex> one_run(run_mu_);
    {
      std::unique_lock<std::mutex> lk(mu_);
      while (int(threads_.size()) < n - 1) {
        const int w = int(threads_.size()) + 1;
        threads_.emplace_back([this, w] { loop(w); });
      }
      job_ = &job;
      active_ = pending_ = n - 1;
      ++generation_;
    }
    cv_.notify_all();
    job(0);
    std::unique_lock<std::mutex> lk(mu_);
    done_.wait(lk, [&] { return pending_ == 0; });
    job_ = nullptr;
  }
  ~WorkerPool() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }

 private:
  void loop(int w) {
    long seen = 0;
    for (;;) {
      const std::function<void(int)>* job = nullptr;
      {
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait(lk, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
        if (w > active_) continue;  // not needed in this run
        job = job_;
      }
      (*job)(w);
      std::lock_guard<std::mutex> lk(mu_);
      if (--pending_ == 0) done_.notify_all();
    }
  }
  std::mutex run_mu_, mu_;
  std::condition_variable cv_, done_;
  std::vector<std::thread> threads_;
  const std::function<void(int)>* job_ = nullptr;
  int active_ = 0, pending_ = 0;
  long generation_ = 0;
  bool stop_ = false;
};

// fn(chunk index, first sample, samples in chunk)
inline void parallel_chunks(int B, const std::function<void(int, int, int)>& fn) {
  const int nc = num_chunks(B);
  const int nt = std::min(nc, num_threads());
  std::atomic<int> next{0};
  std::exception_ptr err;
  std::atomic<bool> failed{false};
  auto work = [&](int) {
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
  if (nt <= 1) work(0);
  else WorkerPool::get().run(nt, work);
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
  // kept between calls (no page faults per call); a reference, so the workers see this thread's
  thread_local std::vector<std::vector<std::vector<float>>> kept;
  auto& cg = kept;
  if (int(cg.size()) < nc) cg.resize(std::size_t(nc));
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
