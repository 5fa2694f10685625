// Validation during training and early stopping (`diffflow train --valid N`, docs/real-data.md).
// At every checkpoint save (every --save-every iterations, and at the end) the EMA model's
// likelihood of N validation points is measured in the data's own units: the bound (−ELBO,
// one diffuse trajectory per point with a fixed noise key, so that successive values differ only
// by the weights) for DiffFlow and DDPM, the exact likelihood for FFJORD (Dormand–Prince at a
// tolerance of 1e-3 or the model's, whichever is looser). The points: a real
// set's validation split, or for a built-in 2-D set N draws no training batch or `eval` uses.
//   DIR/valid.csv      iter,valid_nll,valid_se,best_nll,best_iter,stale,seconds (one row each)
//   DIR/best/          a run directory holding the checkpoint of the best validation NLL so far
//                      (`eval --model DIR/best`, `sample --model DIR/best`)
// With patience P > 0 training stops after P validations in a row without a new best. Resume
// restores the best value and the count from valid.csv (rows past the checkpoint dropped).
// The validation's seconds (valid.csv's last column, cumulative) are not training time: the
// trainer leaves them out of --budget-seconds and of log.csv's seconds.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include "engine/backend.h"
#include "host/data_source.h"
#include "host/run_state.h"

namespace df {

struct ValidationOptions {
  std::size_t n = 0;   // validation points (0: off)
  int patience = 0;    // validations without improvement before stopping (0: never stop early)
};

class Validator {
 public:
  // InputError when the data have no validation points (a file: give a built-in or real set).
  Validator(Backend& be, const RunConfig& cfg, const RunState& st, const DataSource& data, const std::string& dir,
            const ValidationOptions& opt, bool quiet);
  // The trainer's on_iteration hook: validates right after each checkpoint save (st then holds
  // the saved weights) and returns false to stop early.
  std::function<bool(std::int64_t, double)> hook();
  // Called once the trainer returns: validates the final state if the last save was not seen.
  void finish();
  bool stopped_early() const { return stopped_; }
  double best_nll() const { return best_; }
  std::int64_t best_iter() const { return best_iter_; }

 private:
  bool validate(std::int64_t it);
  Backend& be_;
  const RunConfig& cfg_;
  const RunState& st_;
  std::string dir_;
  ValidationOptions opt_;
  bool quiet_;
  Matrix points_;
  std::string rows_;
  double best_ = 0;
  std::int64_t best_iter_ = -1, last_ = -1;
  int stale_ = 0;
  bool stopped_ = false;
  double seconds_ = 0;
};

}  // namespace df
