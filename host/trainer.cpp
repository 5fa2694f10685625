// Training loop; see host/trainer.h.
#include "host/trainer.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>

#include "engine/device_buffer.h"
#include "host/checkpoint.h"
#include "host/divergence.h"
#include "host/errors.h"
#include "host/io.h"
#include "host/model_ops.h"
#include "host/progress.h"
#include "host/run_estimate.h"
#include "host/run_limits.h"
#include "host/train_log.h"

namespace df {

RunState new_run_state(const RunConfig& cfg, const DataSource& data) {
  RunState st;
  st.stdz = data.fit_standardizer(cfg.seed);
  const std::size_t n = cfg.shape.n_params();
  for (auto [ns, id] : {std::pair<NetState*, std::uint32_t>{&st.f, 0u}, {&st.s, 1u}}) {
    ns->p.assign(n, 0.f);
    init_params(cfg.shape, ns->p.data(), cfg.seed, id);
    ns->m.assign(n, 0.f);
    ns->v.assign(n, 0.f);
    ns->ema = ns->p;
  }
  return st;
}

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

struct NetBufs {  // owned: released on every way out of train(), a throw included
  DeviceBuffer p, g, m, v, ema;
};

}  // namespace

int train(Backend& be, const RunConfig& cfg, RunState& st, const DataSource& data, const TrainOptions& opt) {
  validate_config(cfg, FieldNames{"train: ", false});  // what a checkpoint could not hold is never trained
  const std::size_t n = cfg.shape.n_params();
  const int d = cfg.shape.d, B = cfg.batch;
  const ModelDesc desc = cfg.desc();
  const bool trains[2] = {cfg.trains_drift(), cfg.trains_score()};
  NetBufs nb[2];
  NetState* ns[2] = {&st.f, &st.s};
  for (int k = 0; k < 2; ++k) {
    for (DeviceBuffer* b : {&nb[k].p, &nb[k].g, &nb[k].m, &nb[k].v, &nb[k].ema}) *b = DeviceBuffer(be, n);
    be.upload(nb[k].p.buf(), ns[k]->p.data(), n);
    be.upload(nb[k].m.buf(), ns[k]->m.data(), n);
    be.upload(nb[k].v.buf(), ns[k]->v.data(), n);
    be.upload(nb[k].ema.buf(), ns[k]->ema.data(), n);
  }
  DeviceBuffer x0(be, std::size_t(d) * B);
  auto download_state = [&]() {
    for (int k = 0; k < 2; ++k) {
      be.download(ns[k]->p.data(), nb[k].p.buf(), n);
      be.download(ns[k]->m.data(), nb[k].m.buf(), n);
      be.download(ns[k]->v.data(), nb[k].v.buf(), n);
      be.download(ns[k]->ema.data(), nb[k].ema.buf(), n);
    }
  };

  // One commit point per save: the checkpoint holds the log rows; log.csv is rewritten from them
  // after it, so a crash between the two loses nothing (restore_log_file repairs it on resume).
  const std::string log_path = opt.dir + "/log.csv", ckpt = checkpoint_path(opt.dir);
  std::int64_t last_saved = st.iteration;
  bool have_checkpoint = ::access(ckpt.c_str(), F_OK) == 0;
  const auto kept = [&] {
    return have_checkpoint ? "the last good checkpoint (iteration " + std::to_string(last_saved) + ") is kept in " + ckpt
                           : std::string("no checkpoint was written");
  };
  auto save = [&]() {
    download_state();
    try {
      save_checkpoint(opt.dir, cfg, st);
    } catch (const EnvironmentError& e) {
      throw EnvironmentError(std::string(e.what()) + "; training stopped at iteration " + std::to_string(st.iteration) +
                             ", " + kept());
    }
    last_saved = st.iteration;
    have_checkpoint = true;
    try {
      atomic_write_file(log_path, kLogHeader + st.log_rows);
    } catch (const EnvironmentError& e) {
      throw EnvironmentError(std::string(e.what()) + "; training stopped, the checkpoint " + ckpt + " (iteration " +
                             std::to_string(last_saved) + ") holds every log row and --resume restores log.csv");
    }
  };
  if (st.iteration == 0) {
    save();  // a run directory always holds a loadable checkpoint
  } else {
    const std::int64_t restored = restore_log_file(log_path, st.log_rows);
    if (restored > 0 && !opt.quiet)
      std::fprintf(stderr, "diffflow: note: %s lacked its last %lld rows; restored them from the checkpoint\n",
                   log_path.c_str(), (long long)restored);
  }
  DivergenceGuard guard(cfg.diverge, log_losses(st.log_rows));

  Progress bar(opt.label, st.iteration, cfg.iters, opt.quiet);
  const auto t_start = std::chrono::steady_clock::now();
  const std::int64_t first_iteration = st.iteration;
  double loss_ema = NAN;
  double hook_seconds = 0;  // spent in opt.on_iteration (validation, callbacks): not training time
  while (st.iteration < cfg.iters) {
    const std::int64_t it = st.iteration;
    Matrix raw = data.batch(B, cfg.seed, it);
    std::vector<float> x = st.stdz.to_model_floats(raw);
    be.upload(x0.buf(), x.data(), x.size());
    const NoiseKey key{cfg.seed, std::uint32_t(it)};
    const int N = cfg.grid.steps_at(it);
    TimeGrid grid = model_grid(cfg, N, &key);
    const double lrf = cfg.lr_f * cfg.lr_factor(it), lrs = cfg.lr_s * cfg.lr_factor(it);
    StepNet nets[2];
    for (int k = 0; k < 2; ++k) {
      nets[k].p = &nb[k].p.buf(), nets[k].g = &nb[k].g.buf(), nets[k].m = &nb[k].m.buf();
      nets[k].v = &nb[k].v.buf(), nets[k].ema = &nb[k].ema.buf();
      nets[k].trains = trains[k];
      nets[k].lr = float(k == 0 ? lrf : lrs);
    }
    StepHyper hyper;
    hyper.step = long(it + 1);
    hyper.clip = cfg.clip;
    hyper.ema = float(cfg.ema);
    // the update is already in the device buffers when the guard looks: a diverged iteration's
    // state is never downloaded (nothing is saved past the last good checkpoint, and st keeps it)
    const StepOutcome out = be.train_step(nets, desc, x0.buf(), B, grid, key, cfg.k_for(N), hyper);
    const double loss = out.loss, gn[2] = {out.gn[0], out.gn[1]};
    std::string why = guard.check(loss);
    if (why.empty() && (!std::isfinite(gn[0]) || !std::isfinite(gn[1]))) why = "the gradient is not finite";
    if (!why.empty()) {
      bar.finish("stopped");
      const std::string msg = "training diverged at iteration " + std::to_string(it + 1) + ": " + why +
                              "; training stopped, " + kept();
      if (opt.diverged) *opt.diverged = msg;
      else std::fprintf(stderr, "diffflow: error: %s\n", msg.c_str());
      return 3;
    }
    guard.add(loss);
    if (it == first_iteration && !opt.quiet) {
      const std::string eta = time_projection(seconds_since(t_start), cfg.iters - it - 1);
      if (!eta.empty()) std::fprintf(stderr, "diffflow: %s\n", eta.c_str());
    }
    st.iteration = it + 1;
    const double secs = seconds_since(t_start) - hook_seconds;
    st.log_rows += format_log_row(st.iteration, loss, gn[0], gn[1], lrf, lrs, N, secs);
    loss_ema = std::isnan(loss_ema) ? loss : 0.95 * loss_ema + 0.05 * loss;
    char status[64];
    std::snprintf(status, sizeof status, "loss %.4f", loss_ema);
    bar.update(st.iteration, status);
    if (st.iteration % cfg.save_every == 0 || st.iteration == cfg.iters) save();
    if (opt.budget_seconds > 0 && secs >= opt.budget_seconds) break;
    if (opt.on_iteration) {
      const auto h0 = std::chrono::steady_clock::now();
      const bool go_on = opt.on_iteration(st.iteration, loss);
      hook_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - h0).count();
      if (!go_on) break;
    }
  }
  char status[64];
  std::snprintf(status, sizeof status, "loss %.4f", loss_ema);
  bar.finish(status);
  if (last_saved != st.iteration) save();
  return 0;
}

}  // namespace df
