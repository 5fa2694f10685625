// DeviceBuffer: a backend buffer (engine/backend.h Buf) owned by its holder, released when the
// holder goes (a throw included). Move-only; buf() is the view the Backend's methods take.
#pragma once
#include <cstddef>
#include <utility>

#include "engine/backend.h"

namespace df {

class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(Backend& be, std::size_t n) : be_(&be), b_(be.alloc(n)) {}
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& o) noexcept : be_(o.be_), b_(o.b_) {
    o.be_ = nullptr;
    o.b_ = Buf{};
  }
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    if (this != &o) {
      reset();
      be_ = o.be_;
      b_ = o.b_;
      o.be_ = nullptr;
      o.b_ = Buf{};
    }
    return *this;
  }
  ~DeviceBuffer() { reset(); }

  Buf& buf() { return b_; }
  const Buf& buf() const { return b_; }
  std::size_t size() const { return b_.n; }
  void reset() noexcept {
    if (be_ && b_.ptr) {
      try {
        be_->release(b_);
      } catch (...) {  // a device error while unwinding must not terminate
      }
    }
    be_ = nullptr;
    b_ = Buf{};
  }

 private:
  Backend* be_ = nullptr;
  Buf b_;
};

}  // namespace df
