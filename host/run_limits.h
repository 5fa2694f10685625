// The allowed values of every setting of a training run, defined once: the `train` flags are
// parsed against these limits (host/train_command.cpp) and a checkpoint's fields are checked
// against the same ones when it is loaded (host/checkpoint_codec.cpp), followed by the same
// whole-configuration checks (validate_config), so a hand-edited checkpoint can hold nothing a
// command line could not have asked for.
#pragma once
#include <cstdint>
#include <string>

#include "host/run_state.h"

namespace df {

struct Limit {
  const char* key;   // the field's name in a checkpoint
  const char* flag;  // the train flag without "--" ("" for a field no flag sets)
  double lo, hi;
  bool lo_open = false, hi_open = false;
  bool integer = false;
  bool contains(double v) const;
  std::string range() const;  // "[1, 10000000]", "(0, 10]", "[0, 1)"
};

namespace limits {
extern const Limit iters, batch, steps, width, layers, dim, lr, lr_drift, lr_score, seed, beta_min, beta_max,
    ddpm_t_min, t_start, t_end, grid_p, g, adjoint_k, clip, ema, decay_every, decay_rate, save_every, diverge,
    samples, valid, patience, budget_seconds, std_logit;
}  // namespace limits

// How validate_config names a field: by its flag ("--batch", for the command line) or by its
// checkpoint key ("batch"). Every message starts with `prefix` ("train: ", "checkpoint 'p': ").
struct FieldNames {
  std::string prefix;
  bool flags = true;
  std::string operator()(const Limit& l) const;
};

// Throws InputError("<prefix><name> must be in <range> (got v)") unless l.contains(v).
void check_limit(const Limit& l, double v, const FieldNames& names);

// Every field of `c` against its limit, and the checks across fields: beta_max > beta_min,
// t_end > t_start, t_start > 0 for DDPM, the g schedule (positive finite values, ascending
// knots), the progressive schedule (ascending thresholds, N within the steps limit, its last N
// the configured N), the model and the data named, a file with its size and hash (a set without).
void validate_config(const RunConfig& c, const FieldNames& names);

// The run's state against its configuration: 0 <= iteration <= iters, parameter arrays of the
// shape's size, finite standardization with positive scales.
void validate_state(const RunConfig& c, const RunState& st, const FieldNames& names);

// st.log_rows holds complete rows in ascending order of iteration, none beyond st.iteration (a
// run of this build logs every iteration; one converted from format 01 may lack rows its old
// log.csv lost).
void validate_log_rows(const RunState& st, const FieldNames& names);

}  // namespace df
