// --device, --precision and the DF_LAYERWISE, DF_LAYERWISE_CHUNK and DF_GRAPHS environment
// (host/backend_flags.h).
#include "host/backend_flags.h"

#include <cstdlib>

#include "host/errors.h"

namespace df {

Device parse_device(const std::string& s) {
  if (s == "cpu") return Device::Cpu;
  if (s == "cuda") return Device::Cuda;
  if (s == "emu") return Device::Emu;
  if (s == "auto") return Device::Auto;
  throw InputError("--device: expected cpu, cuda, emu or auto (got '" + s + "')");
}

MatPrecision parse_precision(const std::string& s) {
  MatPrecision p;
  if (!parse_mat_precision(s.c_str(), &p)) throw InputError("--precision: expected fp32, tf32 or bf16 (got '" + s + "')");
  return p;
}

BackendOptions options_from_env(BackendOptions o) {
  if (const char* f = std::getenv("DF_LAYERWISE")) o.force_layerwise = std::string(f) == "1";
  if (const char* ch = std::getenv("DF_LAYERWISE_CHUNK")) {
    char* end = nullptr;
    const long v = std::strtol(ch, &end, 10);
    if (!*ch || *end || v < 1 || v > 100000000)
      throw InputError("DF_LAYERWISE_CHUNK: expected a positive number of samples (got '" + std::string(ch) + "')");
    o.layerwise_chunk = int(v);
  }
  if (const char* g = std::getenv("DF_GRAPHS")) {
    const std::string v = g;
    if (v != "0" && v != "1") throw InputError("DF_GRAPHS: expected 0 or 1 (got '" + v + "')");
    o.graphs = v == "1";
  }
  return o;
}

std::unique_ptr<Backend> open_backend(const std::string& device, const std::string& precision, std::string* why,
                                      BackendOptions o) {
  const Device d = parse_device(device);
  o.precision = MatPrecision::FP32;
  std::unique_ptr<Backend> be;
  try {
    be = make_backend(d, o, why);
  } catch (const InputError& e) {
    throw InputError("--device " + device + ": " + e.what());
  }
  try {
    be->set_precision(parse_precision(precision));
  } catch (const InputError& e) {
    throw InputError(std::string("--precision ") + precision + ": " + e.what());
  }
  return be;
}

}  // namespace df
