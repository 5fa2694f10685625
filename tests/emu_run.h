// Test helper: the device backend on the emulated device (make_emu_backend) with the tile and
// block shape of a test case, and buffer round trips, so a test drives the backend's own launch
// sequence on host memory. Cases pick small tiles and blocks (TB = 8, 64 threads, 3 SMs by
// default; TB = 3 with 40 threads gives a partial warp and fewer threads than work items).
#pragma once
#include <deque>
#include <memory>
#include <vector>

#include "engine/backend.h"

namespace df {
namespace test {

struct EmuShape {
  int TB = 8, threads = 64, sms = 3;
};

inline BackendOptions emu_options(const EmuShape& e, MatPrecision p = MatPrecision::FP32) {
  BackendOptions o;
  o.tile_samples = e.TB;
  o.block_threads = e.threads;
  o.emu_sms = e.sms;
  o.precision = p;
  return o;
}

// Buffers on a backend (owned by the run, or borrowed), released when the run goes.
struct BackendRun {
  std::unique_ptr<Backend> owned;
  Backend* be;
  explicit BackendRun(std::unique_ptr<Backend> b) : owned(std::move(b)), be(owned.get()) {}
  explicit BackendRun(Backend& b) : be(&b) {}
  ~BackendRun() {
    for (Buf& b : bufs) be->release(b);
  }
  Buf& up(const std::vector<float>& v) {
    bufs.push_back(be->alloc(v.size()));
    be->upload(bufs.back(), v.data(), v.size());
    return bufs.back();
  }
  Buf& zeros(std::size_t n) {
    bufs.push_back(be->alloc(n));
    return bufs.back();
  }
  std::vector<float> down(const Buf& b) {
    std::vector<float> h(b.n);
    be->download(h.data(), b, b.n);
    return h;
  }
  std::deque<Buf> bufs;  // released with the run; a deque keeps the references stable
};

}  // namespace test
}  // namespace df
