// `diffflow train`: a new run from its flags, or `--resume DIR` of an existing one, in a locked
// run directory (host/run_dir.h). Every flag is parsed against the limits of host/run_limits.h,
// the same a checkpoint is checked against. On --resume only the flags that do not change the
// run's results are taken (host/train_config.h apply_resume_flags); any other is refused, never
// silently ignored. Validation (--valid, host/validation.h) runs at every checkpoint. Returns the
// exit code (0, or 3 when training diverged); errors are thrown (host/errors.h).
#pragma once

namespace df {

int cmd_train(int argc, char** argv);

}  // namespace df
