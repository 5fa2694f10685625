// The device backend (engine/device_backend.h) on a CUDA device (kernels/cuda/cuda_device.cuh):
// the same code as `--device emu` with the CUDA runtime and cuBLAS underneath. Compiled by nvcc
// for sm_90; it has never run on a device in this repository's CI.
#include "engine/device_backend.h"
#include "kernels/cuda/cuda_device.cuh"

namespace df {

bool cuda_backend_built() { return true; }

int cuda_device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no device" error
    return 0;
  }
  return n;
}

std::unique_ptr<Backend> make_cuda_backend(const BackendOptions& o) {
  if (cuda_device_count() < 1) throw InputError("the CUDA backend needs a CUDA device; none is present");
  return std::make_unique<DeviceBackend<CudaDevice, CudaOps>>(std::make_unique<CudaDevice>(), "cuda", o);
}

}  // namespace df
