// The emulated device: the device policy of engine/device_backend.h on the CPU. Memory is host
// memory (256-byte aligned and zeroed on allocation, as cudaMalloc's; accounted, so memory_info
// reports what a cudaMemGetInfo would see change); a launch runs the kernel's body
// (kernels/cuda/kernel_bodies.h) through the block emulator (block_emulator.h) with the launch's
// grid, block and dynamic shared memory, after the
// checks the CUDA runtime makes (block size within the kernel's bound, shared memory within the
// device's opt-in limit). The layer-wise GEMMs and maps run on CpuOps (kernels/layerwise/cpu_ops.h).
// Properties: sm_count (3 by default: the persistent blocks of a sweep, so the emulator stays
// fast while every block-balancing path runs) and the shared memory limit of an H200 (227 KB).
// The cost model (bench/cost_model.cpp): with Props::log set, every launch runs and counts only
// its first log->count_blocks blocks (launch_emulated_counted; the other blocks are skipped, so
// the results are incomplete) and appends their counts to the log, and every zero and copy
// appends its bytes ("memset", "copy").
// Graphs (begin_graph, run_graph, abort_graph; what a CUDA stream capture is on the GPU): between
// begin_graph and run_graph the launches, copies, zeros and uploads are recorded (an upload's
// bytes taken into the staging reserved by begin_graph at once, as the CUDA device stages them in
// pinned memory), and run_graph replays them in order, then hands the to_host_later copies over.
// A synchronizing call (to_host, sync) or an allocation while recording throws std::logic_error,
// as a capture on the GPU would fail, and so does staging past the reserve.
#pragma once
#include <algorithm>
#include <cstring>
#include <functional>
#include <map>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/emu/block_emulator.h"

namespace df {

class EmuDevice {
 public:
  static constexpr std::size_t kAllocAlign = 256;  // cudaMalloc's guarantee
  struct Props {
    int sm_count = 3;
    std::size_t smem_optin = 227 * 1024;
    std::size_t memory = std::size_t(141) << 30;
    emu::CountLog* log = nullptr;  // the cost model's record; null: run every block, count nothing
  };
  EmuDevice() = default;
  explicit EmuDevice(Props p) : props_(p) {}
  EmuDevice(const EmuDevice&) = delete;
  EmuDevice& operator=(const EmuDevice&) = delete;
  ~EmuDevice() {
    for (auto& kv : live_) delete[] static_cast<char*>(kv.first);
  }

  int sm_count() const { return props_.sm_count; }
  std::size_t smem_optin() const { return props_.smem_optin; }
  std::string name() const { return "emulated device (" + std::to_string(props_.sm_count) + " SMs, block emulator)"; }

  void* alloc_bytes(std::size_t bytes) {
    not_recording("an allocation");
    const std::size_t b = bytes ? bytes : 1;
    if (allocated_ + b > props_.memory) throw std::runtime_error("emulated device: out of memory");
    // 256-byte aligned and zeroed, as cudaMalloc's: the cost model's sectors and lines, and the
    // kernels' choice of vector loads (mlp_vec4_ok), then see the device's alignment
    char* p = static_cast<char*>(::operator new[](b, std::align_val_t(kAllocAlign)));
    std::memset(p, 0, b);
    live_[p] = b;
    allocated_ += b;
    peak_ = std::max(peak_, allocated_);
    return p;
  }
  void free(void* p) noexcept {
    auto it = live_.find(p);
    if (it == live_.end()) return;
    allocated_ -= it->second;
    ::operator delete[](p, std::align_val_t(kAllocAlign));
    live_.erase(it);
  }
  void to_device(void* dst, const void* src, std::size_t bytes) {
    if (!recording_) return (void)std::memcpy(dst, src, bytes);
    const std::size_t at = stage(bytes);
    std::memcpy(staging_.data() + at, src, bytes);
    ops_.push_back([this, dst, at, bytes] { std::memcpy(dst, staging_.data() + at, bytes); });
  }
  void to_host(void* dst, const void* src, std::size_t bytes) {
    not_recording("a copy to the host");
    std::memcpy(dst, src, bytes);
  }
  // A copy to the host that may wait for the end of a graph (run_graph); to_host outside one.
  void to_host_later(void* dst, const void* src, std::size_t bytes) {
    if (!recording_) return to_host(dst, src, bytes);
    const std::size_t at = stage(bytes);
    ops_.push_back([this, src, at, bytes] { std::memcpy(staging_.data() + at, src, bytes); });
    later_.push_back([this, dst, at, bytes] { std::memcpy(dst, staging_.data() + at, bytes); });
  }
  void copy(void* dst, const void* src, std::size_t bytes) {
    if (recording_) return ops_.push_back([this, dst, src, bytes] { copy_now(dst, src, bytes); });
    copy_now(dst, src, bytes);
  }
  void zero(void* p, std::size_t bytes) {
    if (recording_) return ops_.push_back([this, p, bytes] { zero_now(p, bytes); });
    zero_now(p, bytes);
  }
  // Starts recording a graph, with `staged` bytes of host staging (uploads and to_host_later)
  // reserved for it.
  void begin_graph(std::size_t staged) {
    if (recording_) throw std::logic_error("emulated device: a graph inside a graph");
    recording_ = true;
    ops_.clear();
    later_.clear();
    staging_.assign(staged + kStageSlack, 0);
    staged_ = 0;
  }
  // Ends the recording and runs it: the recorded work in order, then the copies to the host.
  void run_graph() {
    if (!recording_) throw std::logic_error("emulated device: run_graph without begin_graph");
    recording_ = false;
    for (auto& op : ops_) op();
    for (auto& op : later_) op();
    ops_.clear();
    later_.clear();
    ++graphs_;
  }
  void abort_graph() noexcept {
    recording_ = false;
    ops_.clear();
    later_.clear();
  }
  long graphs_run() const { return graphs_; }
  bool memory_info(std::size_t* free_b, std::size_t* total_b) const {
    *total_b = props_.memory;
    *free_b = props_.memory - allocated_;
    return true;
  }
  std::size_t allocated_bytes() const { return allocated_; }
  // The most allocated at once since construction or the last reset_peak().
  std::size_t peak_bytes() const { return peak_; }
  void reset_peak() { peak_ = allocated_; }
  void sync() { not_recording("a synchronization"); }

  template <class K> void launch(int grid, int block, std::size_t smem, const typename K::args_type& a) {
    if (recording_) {
      ops_.push_back([this, grid, block, smem, a] { launch_now<K>(grid, block, smem, a); });
      ++launches_;
      return;
    }
    launch_now<K>(grid, block, smem, a);
    ++launches_;
  }
  void count_launch() { ++launches_; }
  long launches() const { return launches_; }

  // Staging bytes begin_graph reserves past its argument: each staged copy's offset is rounded up
  // to 256 bytes (as the CUDA device's pinned staging), for up to 16 copies.
  static constexpr std::size_t kStageSlack = 16 * 256;

 private:
  template <class K> void launch_now(int grid, int block, std::size_t smem, const typename K::args_type& a) {
    if (grid < 1 || block < 1 || block > K::threads)
      throw std::runtime_error(std::string("emulated launch of ") + K::name + ": invalid configuration (grid " +
                               std::to_string(grid) + ", block " + std::to_string(block) + ")");
    if (smem > props_.smem_optin)
      throw std::runtime_error(std::string("emulated launch of ") + K::name + ": " + std::to_string(smem) +
                               " bytes of shared memory exceed the device's " + std::to_string(props_.smem_optin));
    if (props_.log) {
      emu::LaunchCounts lc =
          launch_emulated_counted(grid, block, smem, props_.log->count_blocks, [&](EmuExec& ex) { K::run(ex, a); },
                                  props_.log->sites);
      lc.name = K::name;
      props_.log->launches.push_back(lc);
    } else {
      launch_emulated(grid, block, smem, [&](EmuExec& ex) { K::run(ex, a); });
    }
  }
  void copy_now(void* dst, const void* src, std::size_t bytes) {
    log_bytes("copy", bytes);
    std::memmove(dst, src, bytes);
  }
  void zero_now(void* p, std::size_t bytes) {
    log_bytes("memset", bytes);
    std::memset(p, 0, bytes);
  }
  void not_recording(const char* what) const {
    if (recording_) throw std::logic_error(std::string("emulated device: ") + what + " inside a graph capture");
  }
  std::size_t stage(std::size_t bytes) {
    const std::size_t at = (staged_ + 255) / 256 * 256;
    if (at + bytes > staging_.size())
      throw std::logic_error("emulated device: a graph stages more than begin_graph reserved");
    staged_ = at + bytes;
    return at;
  }
  void log_bytes(const char* what, std::size_t bytes) {
    if (!props_.log) return;
    emu::LaunchCounts lc;
    lc.name = what;
    lc.bytes = bytes;
    props_.log->launches.push_back(lc);
  }
  Props props_;
  std::map<void*, std::size_t> live_;
  std::size_t allocated_ = 0, peak_ = 0;
  long launches_ = 0;
  bool recording_ = false;
  std::vector<std::function<void()>> ops_, later_;  // a graph's work; its copies to the host
  std::vector<unsigned char> staging_;
  std::size_t staged_ = 0;
  long graphs_ = 0;
};

}  // namespace df
