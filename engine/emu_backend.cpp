// The device backend (engine/device_backend.h) on the emulated device (kernels/emu/emu_device.h):
// the CUDA backend's own code, host memory and the block emulator. `--device emu`.
#include "engine/device_backend.h"
#include "kernels/emu/emu_device.h"
#include "kernels/layerwise/cpu_ops.h"

namespace df {
namespace {
template <class Dev> using EmuOps = CpuOps;
}  // namespace

std::unique_ptr<Backend> make_emu_backend(const BackendOptions& o) {
  EmuDevice::Props p;
  p.sm_count = o.emu_sms > 0 ? o.emu_sms : 1;
  if (o.emu_smem_optin > 0) p.smem_optin = o.emu_smem_optin;
  p.log = o.emu_log;
  return std::make_unique<DeviceBackend<EmuDevice, EmuOps>>(std::make_unique<EmuDevice>(p), "emu", o);
}

}  // namespace df
