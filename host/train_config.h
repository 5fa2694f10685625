// The flags of `diffflow train` and the configuration of a new run built from them, shared by the
// command (host/main_diffflow.cpp) and the Python module (host/python/): one set of flags,
// defaults, ranges and messages, so a model fitted from Python with the same settings, data and
// seed is the command's, number for number.
//   declare_train_flags  every flag of `diffflow train`, with its help text and default
//   new_run_config       a new run: the model family's defaults for the device (the reference
//                        settings on a GPU, a short run on a CPU), then the flags given;
//                        InputError naming the flag for a bad value. The data (--data) and the
//                        dimension d are left to the caller.
#pragma once
#include "host/cli_args.h"
#include "host/run_state.h"

namespace df {

void declare_train_flags(Args& a);
RunConfig new_run_config(const Args& a, bool gpu);

}  // namespace df
