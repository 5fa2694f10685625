// CPU block emulator: runs a kernel body written against the Exec interface (GUIDE.md, "Kernels
// that run without a GPU") with one ucontext fiber per thread of the block.
//
//   launch_emulated(grid_blocks, block_threads, shared_bytes, body)   body(EmuExec&) per thread
//
// EmuExec offers what GpuExec (kernels/cuda/gpu_exec.cuh) offers on the device:
//   tid(), nthreads(), bid(), nblocks()     thread / block indices (1-D)
//   sync()                                  block barrier (__syncthreads)
//   shared<T>()                             the block's dynamic shared memory (extern __shared__)
//   syncwarp()                              every lane present in the warp arrives (__syncwarp);
//                                           lanes meeting at another warp operation: an error
//   lineup()                                for the counts only: the warp's lanes wait for each
//                                           other here as at syncwarp, so that the accesses before
//                                           and after are lined up as separate instructions (where a
//                                           loop every lane runs has lanes that skip a round: SIMT
//                                           runs the round's instructions with those lanes off);
//                                           GPU: nothing (no value passes between the lanes)
//   tile_done(keep_bytes = 0)               right after the barrier that ends one of a block's
//                                           tiles: shared memory past keep_bytes becomes 0xFF
//                                           bytes (NaN as floats) before any thread goes on, so a
//                                           read of the last tile's values in the next shows
//                                           (GPU: nothing)
//   shfl_xor(v, mask)                       warp butterfly over 32 lanes (__shfl_xor_sync)
//   shfl(v, src_lane)                       value of lane src_lane of this warp (__shfl_sync)
//   mma_tf32_m16n8k8(d, a, b, c)            warp MMA D = A·B + C, tf32 operands (float a[4],
//                                           b[2]), fp32 c[4], d[4]; PTX fragment layouts
//   mma_bf16_m16n8k16(d, a, b, c)           the same with bf16 pairs (uint32_t a[4], b[2])
//   atomic_add(p, v)                        *p += v (blocks and fibers never run concurrently)
//   ld(p, i), st(p, i, v), add(p, i, v)     p[i]; p[i] = v; p[i] += v (shared or global memory);
//                                           an access of 8 or 16 bytes (the vector types) at an
//                                           address that is not a multiple of its size throws,
//                                           as the device faults on one
//   red(p, i, v)                            p[i] += v as a reduction in global memory (the device's
//                                           red.global.add, a float, or a Float2/Float4 of floats
//                                           added element by element): no value comes back, so it
//                                           is counted as one store, no load; a vector one on
//                                           shared memory throws (the device's is global only)
//   fma(c, a, b)                            c + a·b (two roundings: emulator code is built with
//                                           -ffp-contract=off, CMakeLists.txt)
// The last five are the counted forms of plain accesses and products: with counting on
// (launch_emulated_counted, the cost model) each records what it does (kernels/emu/emu_counts.h:
// the call's site (file and line), its address and size; one FMA), and every barrier and warp operation is
// counted; with counting off (launch_emulated) they are the plain operations and nothing is kept.
// An access a body makes without them is invisible to the counts.
// The MMAs (layouts and exact semantics: kernels/cuda/mma.h) are emulated by one warp exchange of
// every lane's fragments, after which each lane forms its four outputs as c + Σ_k a_k·b_k in fp32,
// k ascending (the products of tf32 or bf16 values are exact in fp32). They need a full warp of
// 32 lanes (a partial last warp throws), every lane making the same call; tf32 operands must hold
// tf32 values (low 13 bits zero, round_tf32), else it throws. emu::mma_count() counts the warp
// MMAs run since the program started (tests use it to see which path a kernel took).
// Scheduling: fibers run round-robin; a fiber runs until it finishes or waits at a barrier or a
// warp operation. sync() waits until every thread of the block has arrived (arrival count plus a
// generation counter); shfl_xor, shfl and the MMAs wait until every lane of the warp (all lanes of
// a partial last warp) has posted its value; the lanes of a warp must all make the same kind of
// warp operation (and, for shfl_xor, with the same mask), else it throws. Blocks run one after
// another to completion. Shared memory is filled
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

#include "kernels/cuda/mma.h"
#include "kernels/emu/emu_counts.h"

namespace df {
namespace emu {

enum class FiberState { kReady, kBarrier, kWarp, kDone };

struct Fiber {
  ucontext_t ctx;
  FiberState state = FiberState::kReady;
  std::uint64_t wait_gen = 0;  // generation waited for (barrier or warp)
};

// Kinds of warp operation a lane posts (shfl_xor posts its mask, >= 0).
constexpr int kOpShfl = -1, kOpMmaTf32 = -2, kOpMmaBf16 = -3, kOpSyncwarp = -4;
constexpr int kSlotWords = 10;  // the largest post: an mma's a[4], b[2], c[4]

struct WarpSlot {
  std::uint32_t val[2][32][kSlotWords];  // posted values, double-buffered by generation parity
  int op[2][32];                         // shfl_xor mask, or kOpShfl / kOpMma*
  int arrived = 0;
  std::uint64_t gen = 0;
};

// Warp MMAs run by the emulator since the program started (one per warp-level call).
inline long& mma_count() {
  static long n = 0;
  return n;
}

class Block;
}  // namespace emu

class EmuExec {
 public:
  int tid() const { return tid_; }
  int nthreads() const { return nthreads_; }
  int bid() const { return bid_; }
  int nblocks() const { return nblocks_; }
  inline void sync();
  inline void syncwarp();
  inline void lineup();
  inline void tile_done(std::size_t keep_bytes = 0);
  template <class T> T* shared() const { return reinterpret_cast<T*>(smem_); }
  template <class T> T shfl_xor(T v, int mask);
  template <class T> T shfl(T v, int src_lane);
  inline void mma_tf32_m16n8k8(float d[4], const float a[4], const float b[2], const float c[4]);
  inline void mma_bf16_m16n8k16(float d[4], const std::uint32_t a[4], const std::uint32_t b[2], const float c[4]);
  template <class T> void atomic_add(T* p, T v) { *p += v; }
  template <class T, class I>
  T ld(const T* p, I i, const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
    static_assert(sizeof(T) <= 16, "ld: at most 16 bytes");
    check_aligned(&p[i], sizeof(T), file, line);
    if (counting_) record(&p[i], sizeof(T), false, file, line);
    return p[i];
  }
  template <class T, class I, class V>
  void st(T* p, I i, V v, const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
    static_assert(sizeof(T) <= 16, "st: at most 16 bytes");
    check_aligned(&p[i], sizeof(T), file, line);
    if (counting_) record(&p[i], sizeof(T), true, file, line);
    p[i] = v;
  }
  template <class T, class I, class V>
  void add(T* p, I i, V v, const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
    check_aligned(&p[i], sizeof(T), file, line);
    if (counting_) {
      record(&p[i], sizeof(T), false, file, line);
      record(&p[i], sizeof(T), true, file, line);
    }
    p[i] += v;
  }
  template <class T, class I>
  void red(T* p, I i, const T& v, const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
    static_assert(sizeof(T) == 4 || sizeof(T) == 8 || sizeof(T) == 16, "red: a float or a vector of 2 or 4 floats");
    check_aligned(&p[i], sizeof(T), file, line);
    const auto* a = reinterpret_cast<const unsigned char*>(&p[i]);
    if (sizeof(T) > 4 && a >= smem_ && a < smem_ + smem_bytes_)  // the device's vector atomicAdd: global only
      throw std::runtime_error(std::string("emulated kernel: vector reduction on shared memory at ") + file + ":" +
                               std::to_string(line));
    if (counting_) record(&p[i], sizeof(T), true, file, line);
    float d[sizeof(T) / 4], s[sizeof(T) / 4];
    std::memcpy(d, &p[i], sizeof(T));
    std::memcpy(s, &v, sizeof(T));
    for (std::size_t k = 0; k < sizeof(T) / 4; ++k) d[k] += s[k];
    std::memcpy(&p[i], d, sizeof(T));
  }
  float fma(float c, float a, float b) {
    fma_ += counting_;
    return c + a * b;
  }

 private:
  friend class emu::Block;
  // 8- and 16-byte accesses must be aligned to their size (the device's vector loads and stores)
  static void check_aligned(const void* p, std::size_t bytes, const char* file, int line) {
    if (bytes <= 4 || reinterpret_cast<std::uintptr_t>(p) % bytes == 0) return;
    throw std::runtime_error(std::string("emulated kernel: misaligned ") + std::to_string(bytes) + "-byte access at " +
                             file + ":" + std::to_string(line));
  }
  void record(const void* p, std::size_t bytes, bool store, const char* file, int line) {
    rec_.push_back(emu::make_access(p, bytes, store, file, line));
  }
  int tid_ = 0, nthreads_ = 0, bid_ = 0, nblocks_ = 0;
  unsigned char* smem_ = nullptr;
  std::size_t smem_bytes_ = 0;
  emu::Block* blk_ = nullptr;
  bool counting_ = false;
  long fma_ = 0;                   // ex.fma calls since this lane's warp last synchronized
  std::vector<emu::Access> rec_;   // accesses since then
};

namespace emu {

constexpr std::size_t kStackBytes = 64 * 1024;

class Block {
 public:
  Block(int nthreads, std::size_t shared_bytes)
      : nthreads_(nthreads), shared_bytes_(shared_bytes), fibers_(std::size_t(nthreads)), execs_(std::size_t(nthreads)),
        stacks_(std::size_t(nthreads) * kStackBytes), smem_(shared_bytes + 16),
        warps_(std::size_t((nthreads + 31) / 32)) {}

  // Runs block `bid` of `nblocks` to completion; with count, counts it (counts(), footprint()).
  // With sites (and count), also per site of access (sites()).
  void run(int bid, int nblocks, const std::function<void(EmuExec&)>& body, bool count = false, bool sites = false) {
    body_ = &body;
    counting_ = count;
    per_site_ = count && sites;
    counts_ = Counts{};
    sites_.clear();
    footprint_.clear();
    std::memset(smem_.data(), 0xFF, smem_.size());
    arrived_ = 0;
    bar_gen_ = 0;
    poisoned_gen_ = ~std::uint64_t(0);
    for (auto& w : warps_) { w.arrived = 0; w.gen = 0; }
    error_ = nullptr;
    for (int t = 0; t < nthreads_; ++t) {
      EmuExec& ex = execs_[std::size_t(t)];
      ex.tid_ = t;
      ex.nthreads_ = nthreads_;
      ex.bid_ = bid;
      ex.nblocks_ = nblocks;
      ex.smem_ = aligned_smem();
      ex.smem_bytes_ = shared_bytes_;
      ex.blk_ = this;
      ex.counting_ = count;
      ex.fma_ = 0;
      ex.rec_.clear();
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
    if (counting_) {
      flush_all();
      counts_.footprint_sectors = long(footprint_.size());
    }
  }

  const Counts& counts() const { return counts_; }
  const emu::SiteCounts& sites() const { return sites_; }
  const std::unordered_set<std::uintptr_t>& footprint() const { return footprint_; }

  void barrier(int) {
    const std::uint64_t gen = bar_gen_;
    if (++arrived_ == nthreads_) {  // last arrival releases everyone
      arrived_ = 0;
      ++bar_gen_;
      if (counting_) {
        ++counts_.barriers;
        flush_all();
      }
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
    const int par = exchange(tid, mask, &v, sizeof(T));
    const WarpSlot& s = warps_[std::size_t(w)];
    if (s.op[par][src] != mask) throw std::runtime_error("emulator: lanes of one warp used different shfl_xor masks");
    T out;
    std::memcpy(&out, s.val[par][src], sizeof(T));
    return out;
  }

  // tile_done: once per barrier generation, by the first thread to call it after the barrier.
  // The thread that arrived last at a barrier runs on first, so no thread has written shared
  // memory since the barrier when this runs, as long as tile_done follows the barrier directly.
  void poison_shared(std::size_t keep) {
    if (poisoned_gen_ == bar_gen_) return;
    poisoned_gen_ = bar_gen_;
    if (keep < shared_bytes_) std::memset(aligned_smem() + keep, 0xFF, shared_bytes_ - keep);
  }

  // __syncwarp: returns when every lane present in the warp has arrived.
  void syncwarp(int tid) {
    const int w = tid / 32, lanes = warp_lanes(w);
    const unsigned char none = 0;
    const int par = exchange(tid, kOpSyncwarp, &none, 0);
    const WarpSlot& s = warps_[std::size_t(w)];
    for (int l = 0; l < lanes; ++l)
      if (s.op[par][l] != kOpSyncwarp)
        throw std::runtime_error("emulator: lanes of one warp mixed syncwarp with another warp operation");
  }

  template <class T> T shfl(int tid, T v, int src) {
    static_assert(sizeof(T) <= 8 && std::is_trivially_copyable<T>::value, "shfl: scalar up to 8 bytes");
    const int w = tid / 32, lane = tid % 32;
    const int lanes = warp_lanes(w);
    if (src < 0 || src >= lanes) {
      std::ostringstream m;
      m << "emulator: shfl from lane " << lane << " reads lane " << src << ", outside the " << lanes
        << " lanes of warp " << w;
      throw std::runtime_error(m.str());
    }
    const int par = exchange(tid, kOpShfl, &v, sizeof(T));
    const WarpSlot& s = warps_[std::size_t(w)];
    if (s.op[par][src] != kOpShfl) throw std::runtime_error("emulator: lanes of one warp mixed shfl with another warp operation");
    T out;
    std::memcpy(&out, s.val[par][src], sizeof(T));
    return out;
  }

  // d = A·B + c for one warp (kernels/cuda/mma.h): post the fragments (a[4], b[2] as raw words,
  // c[4]), wait for the 32 lanes, then form this lane's four outputs from the gathered fragments.
  void mma(int tid, bool bf16, const std::uint32_t a[4], const std::uint32_t b[2], const float c[4], float d[4]) {
    const int w = tid / 32, lane = tid % 32;
    if (warp_lanes(w) != 32) {
      std::ostringstream m;
      m << "emulator: mma in warp " << w << " of " << warp_lanes(w) << " lanes (needs a full warp of 32)";
      throw std::runtime_error(m.str());
    }
    if (!bf16)
      for (int i = 0; i < 6; ++i)
        if ((i < 4 ? a[i] : b[i - 4]) & 0x1FFFu)
          throw std::runtime_error("emulator: mma_tf32 operand is not a tf32 value (low 13 bits set; use round_tf32)");
    std::uint32_t post[kSlotWords];
    std::memcpy(post, a, 16);
    std::memcpy(post + 4, b, 8);
    std::memcpy(post + 6, c, 16);
    const int op = bf16 ? kOpMmaBf16 : kOpMmaTf32;
    const int par = exchange(tid, op, post, sizeof post);
    const WarpSlot& s = warps_[std::size_t(w)];
    for (int l = 0; l < 32; ++l)
      if (s.op[par][l] != op) throw std::runtime_error("emulator: lanes of one warp mixed an mma with another warp operation");
    if (lane == 0) ++mma_count();
    const auto word = [&](const MmaSlot& q) { return s.val[par][q.lane][q.reg]; };
    const auto ab = [&](const MmaSlot& q) {  // the operand value held by slot q
      const std::uint32_t u = word(q);
      return bf16 ? (q.half ? bf16x2_hi(u) : bf16x2_lo(u)) : f32_from_bits(u);
    };
    const int K = bf16 ? 16 : 8;
    for (int j = 0; j < 4; ++j) {
      const int r = mma_out_row(lane, j), col = mma_out_col(lane, j);
      MmaSlot cs = mma_c_slot(r, col);
      cs.reg += 6;  // c follows a, b in the post
      float acc = f32_from_bits(word(cs));
      for (int k = 0; k < K; ++k) {
        const float x = ab(bf16 ? mma_bf16_a_slot(r, k) : mma_tf32_a_slot(r, k));
        MmaSlot bs = bf16 ? mma_bf16_b_slot(k, col) : mma_tf32_b_slot(k, col);
        bs.reg += 4;  // b follows a in the post
        const float y = ab(bs);
        acc += x * y;
      }
      d[j] = acc;
    }
  }

 private:
  // Posts bytes (≤ kSlotWords words) and op for this lane and waits until every lane of the warp
  // has posted; returns the parity of the slot buffers holding the posts. Double buffering is
  // enough: a lane can post to the next generation only after every lane has left this one.
  int exchange(int tid, int op, const void* bytes, std::size_t n) {
    WarpSlot& s = warps_[std::size_t(tid / 32)];
    const int lane = tid % 32, lanes = warp_lanes(tid / 32);
    const std::uint64_t gen = s.gen;
    const int par = int(gen & 1u);
    std::memcpy(s.val[par][lane], bytes, n);
    s.op[par][lane] = op;
    if (++s.arrived == lanes) {
      s.arrived = 0;
      ++s.gen;
      if (counting_) {
        flush_warp(tid / 32);
        if (op != kOpSyncwarp) ++(op == kOpMmaTf32 ? counts_.mma_tf32 : op == kOpMmaBf16 ? counts_.mma_bf16 : counts_.shfl);
      }
    } else {
      Fiber& f = fibers_[std::size_t(current_)];
      f.state = FiberState::kWarp;
      f.wait_gen = gen;
      yield();
    }
    return par;
  }

  // The warp instructions warp w's lanes made since its last synchronization point, into counts_.
  void flush_warp(int w) {
    const int lanes = warp_lanes(w);
    const std::vector<Access>* recs[32];
    long most = 0, sum = 0;
    for (int l = 0; l < lanes; ++l) {
      const EmuExec& e = execs_[std::size_t(32 * w + l)];
      recs[l] = &e.rec_;
      most = std::max(most, e.fma_);
      sum += e.fma_;
    }
    const auto lo = reinterpret_cast<std::uintptr_t>(aligned_smem());
    count_warp(recs, lanes, lo, lo + shared_bytes_, counts_, footprint_, per_site_ ? &sites_ : nullptr);
    for (int l = 0; l < lanes; ++l) {
      EmuExec& e = execs_[std::size_t(32 * w + l)];
      e.rec_.clear();
      e.fma_ = 0;
    }
    counts_.fma_warp += most;
    counts_.fma_lanes += sum;
  }
  void flush_all() {
    for (int w = 0; w < int(warps_.size()); ++w) flush_warp(w);
  }

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
  std::size_t shared_bytes_;
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
  std::uint64_t poisoned_gen_ = ~std::uint64_t(0);  // the barrier generation shared memory was poisoned in
  std::exception_ptr error_;
  bool counting_ = false;
  Counts counts_;
  bool per_site_ = false;
  emu::SiteCounts sites_;
  std::unordered_set<std::uintptr_t> footprint_;  // global sectors this block touched
};

}  // namespace emu

inline void EmuExec::sync() { blk_->barrier(tid_); }
inline void EmuExec::syncwarp() { blk_->syncwarp(tid_); }
inline void EmuExec::lineup() { blk_->syncwarp(tid_); }
inline void EmuExec::tile_done(std::size_t keep_bytes) { blk_->poison_shared(keep_bytes); }
template <class T> T EmuExec::shfl_xor(T v, int mask) { return blk_->shfl_xor(tid_, v, mask); }
template <class T> T EmuExec::shfl(T v, int src_lane) { return blk_->shfl(tid_, v, src_lane); }
inline void EmuExec::mma_tf32_m16n8k8(float d[4], const float a[4], const float b[2], const float c[4]) {
  std::uint32_t ua[4], ub[2];
  std::memcpy(ua, a, sizeof ua);
  std::memcpy(ub, b, sizeof ub);
  float out[4];  // d may alias c
  blk_->mma(tid_, false, ua, ub, c, out);
  std::memcpy(d, out, sizeof out);
}
inline void EmuExec::mma_bf16_m16n8k16(float d[4], const std::uint32_t a[4], const std::uint32_t b[2], const float c[4]) {
  float out[4];
  blk_->mma(tid_, true, a, b, c, out);
  std::memcpy(d, out, sizeof out);
}

// Runs body on grid_blocks blocks of block_threads threads, one block after another.
template <class Body>
void launch_emulated(int grid_blocks, int block_threads, std::size_t shared_bytes, Body&& body) {
  if (grid_blocks < 0 || block_threads <= 0 || block_threads > 1024)
    throw std::invalid_argument("launch_emulated: bad launch shape");
  std::function<void(EmuExec&)> fn = [&body](EmuExec& ex) { body(ex); };
  emu::Block blk(block_threads, shared_bytes);
  for (int b = 0; b < grid_blocks; ++b) blk.run(b, grid_blocks, fn);
}

// The cost model's launch: runs and counts blocks 0 .. min(count_blocks, grid_blocks) − 1 and
// skips the others (their outputs stay unwritten: the results are incomplete, only the counts
// are kept). Returns the shape and the counts (sum over the counted blocks; footprint_sectors
// the union of their footprints).
template <class Body>
emu::LaunchCounts launch_emulated_counted(int grid_blocks, int block_threads, std::size_t shared_bytes,
                                          int count_blocks, Body&& body, bool sites = false) {
  if (grid_blocks < 0 || block_threads <= 0 || block_threads > 1024 || count_blocks < 1)
    throw std::invalid_argument("launch_emulated_counted: bad launch shape");
  std::function<void(EmuExec&)> fn = [&body](EmuExec& ex) { body(ex); };
  emu::Block blk(block_threads, shared_bytes);
  emu::LaunchCounts lc;
  lc.grid = grid_blocks;
  lc.block = block_threads;
  lc.smem = shared_bytes;
  std::unordered_set<std::uintptr_t> all;
  for (int b = 0; b < grid_blocks && b < count_blocks; ++b) {
    blk.run(b, grid_blocks, fn, true, sites);
    lc.sum += blk.counts();
    for (const auto& kv : blk.sites()) lc.sites[kv.first] += kv.second;
    lc.block_footprint_sectors += blk.counts().footprint_sectors;
    all.insert(blk.footprint().begin(), blk.footprint().end());
    ++lc.counted_blocks;
  }
  lc.sum.footprint_sectors = long(all.size());
  return lc;
}

}  // namespace df
