// Backend selection, and the CUDA entry points' stand-ins when the build has no CUDA. Built as
// its own library (df_backends) so that df_core does not depend on df_cuda. Messages name the
// problem; the command adds the flag.
#include "engine/backend.h"
#include "kernels/math/errors.h"

namespace df {

#ifndef DF_HAVE_CUDA
bool cuda_backend_built() { return false; }
int cuda_device_count() { return 0; }
std::unique_ptr<Backend> make_cuda_backend(const BackendOptions&) { throw InputError("this build has no CUDA backend"); }
#endif

std::unique_ptr<Backend> make_backend(Device device, const BackendOptions& o, std::string* why) {
  std::unique_ptr<Backend> b;
  switch (device) {
    case Device::Cpu:
      if (why) *why = "cpu (requested)";
      b = make_cpu_backend();
      break;
    case Device::Emu:
      if (why) *why = "emu (requested: the CUDA backend's code on the emulated device)";
      b = make_emu_backend(o);
      break;
    case Device::Cuda:
      if (!cuda_backend_built()) throw InputError("cuda: this build has no CUDA backend (nvcc was not found at configure time)");
      if (cuda_device_count() < 1) throw InputError("cuda: no CUDA device is present");
      if (why) *why = "cuda (requested)";
      b = make_cuda_backend(o);
      break;
    case Device::Auto:
      if (cuda_backend_built() && cuda_device_count() > 0) {
        try {
          b = make_cuda_backend(o);
          if (why) *why = "cuda (auto: a CUDA device is present)";
        } catch (const std::exception& e) {
          if (why) *why = std::string("cpu (auto: CUDA backend unavailable: ") + e.what() + ")";
        }
      } else if (why) {
        *why = cuda_backend_built() ? "cpu (auto: no CUDA device present)" : "cpu (auto: built without CUDA)";
      }
      if (!b) b = make_cpu_backend();
      break;
  }
  b->set_precision(o.precision);
  return b;
}

}  // namespace df
