// The CUDA device: the device policy of engine/device_backend.h on a real GPU (nvcc only).
// Memory through the CUDA runtime (cudaMalloc, cudaMemcpy, cudaMemset, cudaMemGetInfo); a
// launch runs body_kernel<K> (the kernel's body, kernels/cuda/kernel_bodies.h, on GpuExec) with
// the launch's grid, block and dynamic shared memory (opted in above 48 KB once per kernel), on
// the default stream, checked with CUDA_CHECK_LAUNCH; the layer-wise GEMMs and maps run on
// CudaOps (cuBLAS, kernels/cuda/layerwise_ops.cuh). Every kernel and library call counts as a
// launch. Not thread-safe: the backend is used from one host thread. It has never run on a device
// in this repository's CI.
// Graphs (begin_graph, run_graph, abort_graph): between begin_graph and run_graph the work goes to
// a stream of its own (blocking: ordered with the default stream's) under stream capture
// (cudaStreamCaptureModeRelaxed); uploads are staged in pinned host memory reserved by
// begin_graph (a capture cannot copy from pageable memory), to_host_later copies into that staging
// and hands the bytes over after the graph has run. run_graph ends the capture, updates the
// executable graph of the last run in place (cudaGraphExecUpdate: same topology, new parameters)
// or instantiates a new one, launches it and waits for it. A copy to the host, a synchronization
// or an allocation while capturing throws (they would break the capture).
#pragma once
#include <cublas_v2.h>  // before cuda_check.h, which then defines CUBLAS_CHECK
#include <cuda_runtime.h>

#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/gpu_exec.cuh"
#include "kernels/cuda/kernel_bodies.h"
#include "kernels/cuda/layerwise_ops.cuh"

namespace df {

// __launch_bounds__(threads, min_blocks) (kernel_bodies.h): the sweeps ask for one block per SM,
// which lets ptxas give a thread up to 255 registers. With the block size alone ptxas aimed at
// two 256-thread blocks (128 registers) and spilled them (AdjointK 820 B of spill stores, DiffuseK
// 192, ReverseK 180: the ptxas report of 5166c7e). At W = 128 they hold one block per SM anyway
// (shared memory); at W = 32, 64 the registers now keep them to one (docs/kernels.md).
template <class K> __global__ void __launch_bounds__(K::threads, K::min_blocks) body_kernel(typename K::args_type a) {
  GpuExec ex;
  K::run(ex, a);
}

class CudaDevice {
 public:
  CudaDevice() {
    int dev = 0;
    CUDA_CHECK(cudaGetDevice(&dev));
    CUDA_CHECK(cudaDeviceGetAttribute(&sm_count_, cudaDevAttrMultiProcessorCount, dev));
    int optin = 0;
    CUDA_CHECK(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev));
    smem_optin_ = std::size_t(optin);
    cudaDeviceProp p{};
    CUDA_CHECK(cudaGetDeviceProperties(&p, dev));
    name_ = p.name;
  }
  CudaDevice(const CudaDevice&) = delete;
  CudaDevice& operator=(const CudaDevice&) = delete;
  ~CudaDevice() {
    if (exec_) cudaGraphExecDestroy(exec_);
    if (stream_) cudaStreamDestroy(stream_);
    if (staging_) cudaFreeHost(staging_);
  }

  int sm_count() const { return sm_count_; }
  std::size_t smem_optin() const { return smem_optin_; }
  std::string name() const { return name_; }

  void* alloc_bytes(std::size_t bytes) {
    not_capturing("an allocation");
    void* p = nullptr;
    CUDA_CHECK(cudaMalloc(&p, bytes ? bytes : 1));
    CUDA_CHECK(cudaMemset(p, 0, bytes ? bytes : 1));
    return p;
  }
  void free(void* p) noexcept {
    if (p) cudaFree(p);
  }
  void to_device(void* dst, const void* src, std::size_t b) {
    if (!capturing_) return CUDA_CHECK(cudaMemcpy(dst, src, b, cudaMemcpyHostToDevice));
    unsigned char* st = stage(b);
    std::memcpy(st, src, b);
    CUDA_CHECK(cudaMemcpyAsync(dst, st, b, cudaMemcpyHostToDevice, stream_));
  }
  void to_host(void* dst, const void* src, std::size_t b) {
    not_capturing("a copy to the host");
    CUDA_CHECK(cudaMemcpy(dst, src, b, cudaMemcpyDeviceToHost));
  }
  // A copy to the host that may wait for the end of a graph (run_graph); to_host outside one.
  void to_host_later(void* dst, const void* src, std::size_t b) {
    if (!capturing_) return to_host(dst, src, b);
    unsigned char* st = stage(b);
    CUDA_CHECK(cudaMemcpyAsync(st, src, b, cudaMemcpyDeviceToHost, stream_));
    later_.push_back(Later{dst, st, b});
  }
  void copy(void* dst, const void* src, std::size_t b) {
    if (capturing_) return CUDA_CHECK(cudaMemcpyAsync(dst, src, b, cudaMemcpyDeviceToDevice, stream_));
    CUDA_CHECK(cudaMemcpy(dst, src, b, cudaMemcpyDeviceToDevice));
  }
  void zero(void* p, std::size_t b) {
    if (capturing_) return CUDA_CHECK(cudaMemsetAsync(p, 0, b, stream_));
    CUDA_CHECK(cudaMemset(p, 0, b));
  }
  // Starts capturing a graph with `staged` bytes of pinned staging (plus kStageSlack) for its
  // uploads and to_host_later copies.
  void begin_graph(std::size_t staged) {
    if (capturing_) throw std::logic_error("CUDA device: a graph inside a graph");
    const std::size_t want = staged + kStageSlack;
    if (want > staging_size_) {
      if (staging_) CUDA_CHECK(cudaFreeHost(staging_));
      staging_ = nullptr;
      staging_size_ = 0;
      void* p = nullptr;
      CUDA_CHECK(cudaMallocHost(&p, want));
      staging_ = static_cast<unsigned char*>(p);
      staging_size_ = want;
    }
    if (!stream_) CUDA_CHECK(cudaStreamCreate(&stream_));
    staged_ = 0;
    later_.clear();
    CUDA_CHECK(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeRelaxed));
    capturing_ = true;
  }
  // Ends the capture, updates or instantiates the executable graph, runs it, waits, and hands the
  // to_host_later bytes over.
  void run_graph() {
    if (!capturing_) throw std::logic_error("CUDA device: run_graph without begin_graph");
    capturing_ = false;
    cudaGraph_t g = nullptr;
    CUDA_CHECK(cudaStreamEndCapture(stream_, &g));
    if (exec_) {
      cudaGraphExecUpdateResultInfo info{};
      if (cudaGraphExecUpdate(exec_, g, &info) != cudaSuccess) {
        (void)cudaGetLastError();  // the update failed: a new topology, instantiated below
        CUDA_CHECK(cudaGraphExecDestroy(exec_));
        exec_ = nullptr;
      }
    }
    if (!exec_) {
      const cudaError_t e = cudaGraphInstantiate(&exec_, g, 0ULL);
      if (e != cudaSuccess) {
        cudaGraphDestroy(g);
        exec_ = nullptr;
        CUDA_CHECK(e);
      }
    }
    CUDA_CHECK(cudaGraphDestroy(g));
    CUDA_CHECK(cudaGraphLaunch(exec_, stream_));
    CUDA_CHECK(cudaStreamSynchronize(stream_));
    for (const Later& l : later_) std::memcpy(l.dst, l.src, l.bytes);
    later_.clear();
    ++graphs_;
  }
  // Ends a capture that failed part-way, dropping what it had recorded.
  void abort_graph() noexcept {
    if (!capturing_) return;
    capturing_ = false;
    cudaGraph_t g = nullptr;
    if (cudaStreamEndCapture(stream_, &g) == cudaSuccess && g) cudaGraphDestroy(g);
    (void)cudaGetLastError();
    later_.clear();
  }
  long graphs_run() const { return graphs_; }
  static constexpr std::size_t kStageSlack = 16 * 256;  // as EmuDevice: 256-byte offsets, 16 copies
  bool memory_info(std::size_t* free_b, std::size_t* total_b) const {
    return cudaMemGetInfo(free_b, total_b) == cudaSuccess;
  }
  void sync() {
    not_capturing("a synchronization");
    CUDA_CHECK(cudaDeviceSynchronize());
  }

  template <class K> void launch(int grid, int block, std::size_t smem, const typename K::args_type& a) {
    static bool opted = false;
    if (smem > 48 * 1024 && !opted) {
      CUDA_CHECK(cudaFuncSetAttribute(body_kernel<K>, cudaFuncAttributeMaxDynamicSharedMemorySize, int(smem_optin_)));
      opted = true;
    }
    body_kernel<K><<<grid, block, smem, capturing_ ? stream_ : cudaStream_t(0)>>>(a);
    CUDA_CHECK_LAUNCH();
    ++launches_;
  }
  void count_launch() { ++launches_; }
  long launches() const { return launches_; }

 private:
  struct Later {
    void* dst;
    const unsigned char* src;
    std::size_t bytes;
  };
  void not_capturing(const char* what) const {
    if (capturing_) throw std::logic_error(std::string("CUDA device: ") + what + " inside a graph capture");
  }
  unsigned char* stage(std::size_t b) {
    const std::size_t at = (staged_ + 255) / 256 * 256;
    if (at + b > staging_size_) throw std::logic_error("CUDA device: a graph stages more than begin_graph reserved");
    staged_ = at + b;
    return staging_ + at;
  }
  int sm_count_ = 1;
  std::size_t smem_optin_ = 48 * 1024;
  std::string name_;
  long launches_ = 0;
  cudaStream_t stream_ = nullptr;  // the capture stream
  bool capturing_ = false;
  cudaGraphExec_t exec_ = nullptr;
  unsigned char* staging_ = nullptr;  // pinned
  std::size_t staging_size_ = 0, staged_ = 0;
  std::vector<Later> later_;
  long graphs_ = 0;
};

}  // namespace df
