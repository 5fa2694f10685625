// --tune (bench/compare.h): per model a small sweep, every candidate trained once (seed
// seed0 + 1000, not one of the real runs' seeds) on --tune-fraction of the budget, then judged on
// the validation split (DataSource::valid_sample with kValidationSeed, never the test draws).
//   candidates  every learning rate of --tune-lrs; FFJORD: × every RK4 step count of
//               --tune-ffjord-steps; DiffFlow and DDPM keep their grid N
//   rejected    the trainer stopped it (non-finite loss or gradient); the training loss did not
//               fall (mean of the last tenth of the iterations not below that of the first
//               tenth: exploding or stuck); non-finite samples; FFJORD: the exact
//               (Dormand–Prince) validation NLL exceeds its fixed-step training loss by more
//               than 1 nat (model coordinates) — the RK4 log-determinant it was trained
//               on no longer describes the flow (the divergence of docs/results.md)
//   chosen      the accepted candidate with the lowest validation SW2 (val-n model samples at
//               the training N by the default sampler, against val-n validation draws)
// When every candidate is rejected the one with the lowest finite SW2 is taken and the result
// says so (all_rejected), in the JSON and the report.
// The chosen candidate is then confirmed at the full budget (compare_main.cpp): every seed's run
// is judged as a candidate is (judge_run, on the same validation split), and a chosen candidate
// whose run fails is rejected ("at the full budget, seed K: why") and the next is chosen
// (choose_candidate), its seeds run anew: a short tuning run may not yet show the divergence.
#include <cmath>
#include <cstdio>

#include "bench/compare.h"
#include "host/metrics.h"

namespace dfc {

namespace {

constexpr double kExactGapNats = 1.0;
constexpr std::size_t kValNllPoints = 500;  // validation points for the likelihood check

std::string fmt(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.4g", v);
  return b;
}

}  // namespace

void judge_run(df::Backend& be, const Options& o, const TrainResult& tr, const df::Matrix& val_pts, Candidate& c) {
  const df::ModelKind kind = tr.cfg.kind();
  if (tr.stopped) {
    c.rejected = "non-finite loss or gradient (the trainer stopped)";
    return;
  }
  if (!(tr.loss_end < tr.loss_start)) {
    c.rejected = "the training loss did not fall (first tenth " + fmt(tr.loss_start) + ", last tenth " + fmt(tr.loss_end) + ")";
    return;
  }
  const df::Matrix samples = df::sample_model(be, tr.cfg, tr.st, val_pts.rows, 0, default_sampler(o, tr.cfg), tr.cfg.seed + 9);
  c.val_sw2 = df::sliced_w2(samples, val_pts);
  if (!std::isfinite(c.val_sw2)) {
    c.rejected = "non-finite samples";
    return;
  }
  df::Matrix sub(std::min(kValNllPoints, val_pts.rows), val_pts.cols);
  std::copy(val_pts.data.begin(), val_pts.data.begin() + long(sub.data.size()), sub.data.begin());
  const df::EvalResult ev = df::evaluate(be, tr.cfg, tr.st, sub, 1, 2, false, tr.cfg.seed + 5);
  c.val_nll = kind == df::ModelKind::FFJORD ? ev.nll_exact : ev.nll_bound;
  if (kind == df::ModelKind::FFJORD) {  // back to model coordinates: add the data map's mean log-determinant
    double log_det = 0;
    for (std::size_t i = 0; i < sub.rows; ++i) log_det += tr.st.stdz.log_det_at(&sub.data[i * sub.cols]);
    const double model_coords = c.val_nll + log_det / double(sub.rows);
    if (!(model_coords <= tr.loss_end + kExactGapNats))
      c.rejected = "exact validation NLL " + fmt(model_coords) + " exceeds the fixed-step training loss " +
                   fmt(tr.loss_end) + " by more than 1 nat (model coordinates)";
  }
}

int choose_candidate(const Tuning& t) {
  int chosen = -1;
  double best = INFINITY;
  for (std::size_t i = 0; i < t.cands.size(); ++i)
    if (t.cands[i].rejected.empty() && t.cands[i].val_sw2 < best) {
      best = t.cands[i].val_sw2;
      chosen = int(i);
    }
  return chosen;
}

Tuning tune_model(df::Backend& be, const Options& o, const df::DataSource& data, const df::RunConfig& base,
                  const df::Matrix& val_pts) {
  Tuning t;
  t.done = true;
  const bool ffjord = base.kind() == df::ModelKind::FFJORD;
  const std::vector<int> steps = ffjord ? o.tune_ffjord_steps : std::vector<int>{base.grid.N};
  for (double lr : o.tune_lrs)
    for (int n : steps) {
      Candidate c;
      c.s = Settings{lr, n};
      t.cands.push_back(c);
    }
  const Budget b = o.budget.scaled(o.tune_fraction);
  for (Candidate& c : t.cands) {
    df::RunConfig cfg = with_settings(base, c.s);
    cfg.seed = o.seed0 + kTuneSeedOffset;
    if (!o.quiet) std::fprintf(stderr, "[%s tune] lr %g, %d steps\n", base.model.c_str(), c.s.lr, c.s.train_steps);
    const TrainResult tr = train_budgeted(be, o, data, cfg, b, 1, o.out + "/" + base.model + "/tune/" + c.s.dir_name(), nullptr);
    c.iters = tr.iters;
    c.seconds = tr.seconds;
    c.evals = tr.evals;
    c.loss_start = tr.loss_start;
    c.loss_end = tr.loss_end;
    judge_run(be, o, tr, val_pts, c);
  }
  t.chosen = choose_candidate(t);
  if (t.chosen < 0) {
    double best = INFINITY;
    t.all_rejected = true;
    for (std::size_t i = 0; i < t.cands.size(); ++i)
      if (t.cands[i].val_sw2 < best) {
        best = t.cands[i].val_sw2;
        t.chosen = int(i);
      }
    if (t.chosen < 0) t.chosen = 0;
    std::fprintf(stderr, "compare: warning: every tuning candidate of %s was rejected; taking lr %g, %d steps\n",
                 base.model.c_str(), t.cands[std::size_t(t.chosen)].s.lr, t.cands[std::size_t(t.chosen)].s.train_steps);
  }
  const Candidate& ch = t.cands[std::size_t(t.chosen)];
  if (!o.quiet)
    std::fprintf(stderr, "[%s tune] chosen: lr %g, %d steps (validation SW2 %.4g)\n", base.model.c_str(), ch.s.lr,
                 ch.s.train_steps, ch.val_sw2);
  return t;
}

}  // namespace dfc
