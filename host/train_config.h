// The flags of `diffflow train` and the configuration of a run built from them, shared by the
// command (host/train_command.cpp) and the Python module (host/python/): one set of flags,
// defaults, ranges and messages, so a model fitted from Python with the same settings, data and
// seed is the command's, number for number. Every flag is parsed against the limits of
// host/run_limits.h, the same a checkpoint is checked against.
//   declare_train_flags  every flag of `diffflow train`, with its help text and default
//   new_run_config       a new run: the model family's defaults for the device (the reference
//                        settings on a GPU, a short run on a CPU), then the flags given;
//                        InputError naming the flag for a bad value. The data are left to
//                        attach_data.
//   attach_data          the data's identity (a set's canonical name, or a file's absolute
//                        path, size and SHA-256) and dimension into the configuration, then the
//                        checks across fields (validate_config), naming the flags
//   apply_resume_flags   the flags --resume takes (only those that leave the run's numbers as
//                        they are); any other is refused, never silently ignored
//   check_resume_data    the data a resumed run is given against those it recorded
#pragma once
#include <cstdint>
#include <string>

#include "host/cli_args.h"
#include "host/data_source.h"
#include "host/run_limits.h"
#include "host/run_state.h"

namespace df {

void declare_train_flags(Args& a);
// A train flag's value, checked against its limit (host/run_limits.h).
std::int64_t int_flag(const Args& a, const Limit& l);
double real_flag(const Args& a, const Limit& l);
RunConfig new_run_config(const Args& a, bool gpu);
void attach_data(RunConfig& cfg, const DataSource& data);

// --iters (required), --save-every, --diverge, --adjoint-k into cfg (and --samples, --valid,
// --patience, --budget-seconds, --quiet, --device, --precision let through: the command reads
// them); InputError for --iters below `done` or for any flag that would change the run.
void apply_resume_flags(const Args& a, RunConfig& cfg, std::int64_t done, const std::string& dir);

// InputError "train: cannot resume DIR: ..." when the data differ from the recorded ones (a file
// that changed, another dimension). A checkpoint of format 01 recorded no file identity: the
// file is taken as it is now (a warning on stderr) and its identity recorded from here on.
void check_resume_data(RunConfig& cfg, const DataSource& data, const std::string& dir);

}  // namespace df
