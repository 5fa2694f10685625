// Backend selection (--device cpu|cuda|auto), and the CUDA entry points' stand-ins when the
// build has no CUDA. Built as its own library (df_backends) so that df_core does not depend on
// df_cuda.
#include "engine/backend.h"
#include "host/errors.h"

namespace df {

#ifndef DF_HAVE_CUDA
bool cuda_backend_built() { return false; }
int cuda_device_count() { return 0; }
std::unique_ptr<Backend> make_cuda_backend() { throw InputError("this build has no CUDA backend"); }
#endif

std::unique_ptr<Backend> make_backend(const std::string& device, std::string* why) {
  if (device == "cpu") {
    if (why) *why = "cpu (requested)";
    return make_cpu_backend();
  }
  if (device == "cuda") {
    if (!cuda_backend_built()) throw InputError("--device cuda: this build has no CUDA backend (nvcc was not found at configure time)");
    if (cuda_device_count() < 1) throw InputError("--device cuda: no CUDA device is present");
    if (why) *why = "cuda (requested)";
    return make_cuda_backend();
  }
  if (device == "auto") {
    if (cuda_backend_built() && cuda_device_count() > 0) {
      try {
        auto b = make_cuda_backend();
        if (why) *why = "cuda (auto: a CUDA device is present)";
        return b;
      } catch (const std::exception& e) {
        if (why) *why = std::string("cpu (auto: CUDA backend unavailable: ") + e.what() + ")";
        return make_cpu_backend();
      }
    }
    if (why) *why = cuda_backend_built() ? "cpu (auto: no CUDA device present)" : "cpu (auto: built without CUDA)";
    return make_cpu_backend();
  }
  throw InputError("--device: expected cpu, cuda or auto (got '" + device + "')");
}

}  // namespace df
