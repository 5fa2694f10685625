// CPU block emulator: runs a kernel body written against the Exec interface (GUIDE.md, "Kernels
// that run without a GPU") with one ucontext fiber per thread of the block.
//
//   launch_emulated(grid_blocks, block_threads, shared_bytes, body)   body(EmuExec&) per thread
//
// EmuExec offers what GpuExec (kernels/cuda/gpu_exec.cuh) offers on the device:
//   tid(), nthreads(), bid(), nblocks()     thread / block indices (1-D)
//   sync()                                  block barrier (__syncthreads)
//   shared<T>()                             the block's dynamic shared memory (extern __shared__)
//   shfl_xor(v, mask)                       warp butterfly over 32 lanes (__shfl_xor_sync)
//   atomic_add(p, v)                        *p += v (blocks and fibers never run concurrently)
// Scheduling: fibers run round-robin; a fiber runs until it finishes or waits at a barrier or a
// warp operation. sync() waits until every thread of the block has arrived (arrival count plus a
// generation counter); shfl_xor waits until every lane of the warp (all lanes of a partial last
// warp) has posted its value. Blocks run one after another to completion. Shared memory is filled
// with 0xFF bytes (NaN floats) at the start of each block, so reads of unwritten shared memory show.
// A deadlock (no fiber can run and not all have finished: a thread returned while others wait at
// a barrier, threads waiting at different barriers, a warp operation that not all lanes reach)
// throws std::runtime_error naming the block and the waiting threads. An exception thrown by the
// body is rethrown by launch_emulated. Stacks: 64 KB per fiber, allocated once per launch.
#pragma once
#include <ucontext.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace df {
namespace emu {

enum class FiberState { kReady, kBarrier, kWarp, kDone };

struct Fiber {
  ucontext_t ctx;
  FiberState state = FiberState::kReady;
  std::uint64_t wait_gen = 0;  // generation waited for (barrier or warp)
};

struct WarpSlot {
  unsigned char val[2][32][8];  // posted values, double-buffered by generation parity
  int mask[2][32];
  int arrived = 0;
  std::uint64_t gen = 0;
};

class Block;
}  // namespace emu

class EmuExec {
 public:
  int tid() const { return tid_; }
  int nthreads() const { return nthreads_; }
  int bid() const { return bid_; }
  int nblocks() const { return nblocks_; }
  inline void sync();
  template <class T> T* shared() const { return reinterpret_cast<T*>(smem_); }
  template <class T> T shfl_xor(T v, int mask);
  template <class T> void atomic_add(T* p, T v) { *p += v; }

 private:
  friend class emu::Block;
  int tid_ = 0, nthreads_ = 0, bid_ = 0, nblocks_ = 0;
  unsigned char* smem_ = nullptr;
  emu::Block* blk_ = nullptr;
};

namespace emu {

constexpr std::size_t kStackBytes = 64 * 1024;

class Block {
 public:
  Block(int nthreads, std::size_t shared_bytes)
      : nthreads_(nthreads), fibers_(std::size_t(nthreads)), execs_(std::size_t(nthreads)),
        stacks_(std::size_t(nthreads) * kStackBytes), smem_(shared_bytes + 16),
        warps_(std::size_t((nthreads + 31) / 32)) {}

  // Runs block `bid` of `nblocks` to completion.
  void run(int bid, int nblocks, const std::function<void(EmuExec&)>& body) {
    body_ = &body;
    std::memset(smem_.data(), 0xFF, smem_.size());
    arrived_ = 0;
    bar_gen_ = 0;
    for (auto& w : warps_) { w.arrived = 0; w.gen = 0; }
    error_ = nullptr;
    for (int t = 0; t < nthreads_; ++t) {
      EmuExec& ex = execs_[std::size_t(t)];
      ex.tid_ = t;
      ex.nthreads_ = nthreads_;
      ex.bid_ = bid;
      ex.nblocks_ = nblocks;
      ex.smem_ = aligned_smem();
      ex.blk_ = this;
      Fiber& f = fibers_[std::size_t(t)];
      f.state = FiberState::kReady;
      getcontext(&f.ctx);
      f.ctx.uc_stack.ss_sp = stacks_.data() + std::size_t(t) * kStackBytes;
      f.ctx.uc_stack.ss_size = kStackBytes;
      f.ctx.uc_link = &sched_;
      auto self = reinterpret_cast<std::uintptr_t>(this);
      makecontext(&f.ctx, reinterpret_cast<void (*)()>(&Block::entry), 3, unsigned(self & 0xFFFFFFFFu),
                  unsigned(std::uint64_t(self) >> 32), t);
    }
    int done = 0;
    while (done < nthreads_) {
      bool progressed = false;
      for (int t = 0; t < nthreads_; ++t) {
        Fiber& f = fibers_[std::size_t(t)];
        if (!runnable(t, f)) continue;
        f.state = FiberState::kReady;
        current_ = t;
        swapcontext(&sched_, &f.ctx);
        progressed = true;
        if (error_) std::rethrow_exception(error_);
        if (f.state == FiberState::kDone) ++done;
      }
      if (!progressed && done < nthreads_) throw std::runtime_error(deadlock_message(bid));
    }
  }

  void barrier(int) {
    const std::uint64_t gen = bar_gen_;
    if (++arrived_ == nthreads_) {  // last arrival releases everyone
      arrived_ = 0;
      ++bar_gen_;
      return;
    }
    Fiber& f = fibers_[std::size_t(current_)];
    f.state = FiberState::kBarrier;
    f.wait_gen = gen;
    yield();
  }

  template <class T> T shfl_xor(int tid, T v, int mask) {
    static_assert(sizeof(T) <= 8 && std::is_trivially_copyable<T>::value, "shfl_xor: scalar up to 8 bytes");
    const int w = tid / 32, lane = tid % 32;
    const int lanes = warp_lanes(w);
    const int src = lane ^ mask;
    if (mask < 0 || src >= lanes) {
      std::ostringstream m;
      m << "emulator: shfl_xor mask " << mask << " from lane " << lane << " reads lane " << src
        << ", outside the " << lanes << " lanes of warp " << w;
      throw std::runtime_error(m.str());
    }
    WarpSlot& s = warps_[std::size_t(w)];
    const std::uint64_t gen = s.gen;
    const int par = int(gen & 1u);
    std::memcpy(s.val[par][lane], &v, sizeof(T));
    s.mask[par][lane] = mask;
    if (++s.arrived == lanes) {
      s.arrived = 0;
      ++s.gen;
    } else {
      Fiber& f = fibers_[std::size_t(current_)];
      f.state = FiberState::kWarp;
      f.wait_gen = gen;
      yield();
    }
    if (s.mask[par][src] != mask) throw std::runtime_error("emulator: lanes of one warp used different shfl_xor masks");
    T out;
    std::memcpy(&out, s.val[par][src], sizeof(T));
    return out;
  }

 private:
  static void entry(unsigned lo, unsigned hi, int t) {
    auto* self = reinterpret_cast<Block*>(std::uintptr_t(lo) | (std::uintptr_t(hi) << 32));
    try {
      (*self->body_)(self->execs_[std::size_t(t)]);
    } catch (...) {
      self->error_ = std::current_exception();
    }
    self->fibers_[std::size_t(t)].state = FiberState::kDone;
    // returning resumes uc_link = the scheduler
  }

  void yield() { swapcontext(&fibers_[std::size_t(current_)].ctx, &sched_); }

  int warp_lanes(int w) const { return std::min(32, nthreads_ - 32 * w); }

  bool runnable(int t, const Fiber& f) const {
    switch (f.state) {
      case FiberState::kReady: return true;
      case FiberState::kBarrier: return bar_gen_ != f.wait_gen;
      case FiberState::kWarp: return warps_[std::size_t(t / 32)].gen != f.wait_gen;
      default: return false;
    }
  }

  std::string deadlock_message(int bid) const {
    std::ostringstream m;
    int nb = 0, nw = 0, nd = 0;
    for (const Fiber& f : fibers_) {
      nb += f.state == FiberState::kBarrier;
      nw += f.state == FiberState::kWarp;
      nd += f.state == FiberState::kDone;
    }
    m << "emulator: deadlock in block " << bid << " of " << nthreads_ << " threads: " << nb
      << " waiting at a barrier (" << arrived_ << " arrived), " << nw << " waiting at a warp operation, " << nd
      << " finished";
    if (nd > 0 && nb > 0) m << " (a thread returned while others wait at sync())";
    m << "; first waiting threads:";
    int shown = 0;
    for (int t = 0; t < nthreads_ && shown < 8; ++t)
      if (fibers_[std::size_t(t)].state != FiberState::kDone) {
        m << ' ' << t << (fibers_[std::size_t(t)].state == FiberState::kBarrier ? "(sync)" : "(warp)");
        ++shown;
      }
    return m.str();
  }

  unsigned char* aligned_smem() {
    auto p = reinterpret_cast<std::uintptr_t>(smem_.data());
    return smem_.data() + ((16 - p % 16) % 16);
  }

  int nthreads_;
  std::vector<Fiber> fibers_;
  std::vector<EmuExec> execs_;
  std::vector<unsigned char> stacks_;
  std::vector<unsigned char> smem_;
  std::vector<WarpSlot> warps_;
  ucontext_t sched_;
  const std::function<void(EmuExec&)>* body_ = nullptr;
  int current_ = 0;
  int arrived_ = 0;
  std::uint64_t bar_gen_ = 0;
  std::exception_ptr error_;
};

}  // namespace emu

inline void EmuExec::sync() { blk_->barrier(tid_); }
template <class T> T EmuExec::shfl_xor(T v, int mask) { return blk_->shfl_xor(tid_, v, mask); }

// Runs body on grid_blocks blocks of block_threads threads, one block after another.
template <class Body>
void launch_emulated(int grid_blocks, int block_threads, std::size_t shared_bytes, Body&& body) {
  if (grid_blocks < 0 || block_threads <= 0 || block_threads > 1024)
    throw std::invalid_argument("launch_emulated: bad launch shape");
  std::function<void(EmuExec&)> fn = [&body](EmuExec& ex) { body(ex); };
  emu::Block blk(block_threads, shared_bytes);
  for (int b = 0; b < grid_blocks; ++b) blk.run(b, grid_blocks, fn);
}

}  // namespace df
