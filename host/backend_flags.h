// The command-line side of choosing a backend (flag names and their messages live only in host/):
//   parse_device       --device cpu | cuda | emu | auto
//   parse_precision    --precision fp32 | tf32 | bf16
//   options_from_env   DF_LAYERWISE=1 (every shape on the layer-wise path), DF_LAYERWISE_CHUNK=n,
//                      DF_GRAPHS=0 (a DiffFlow training iteration launched kernel by kernel, not as
//                      one CUDA graph)
//   open_backend       make_backend with those, the engine's refusals reworded with the flag
// InputError (one line, exit 2) for anything bad.
#pragma once
#include <memory>
#include <string>

#include "engine/backend.h"

namespace df {

Device parse_device(const std::string& s);
MatPrecision parse_precision(const std::string& s);
BackendOptions options_from_env(BackendOptions o = {});
std::unique_ptr<Backend> open_backend(const std::string& device, const std::string& precision, std::string* why,
                                      BackendOptions o = options_from_env());

}  // namespace df
