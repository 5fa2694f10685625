// Training loop; see host/trainer.h.
#include "host/trainer.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "engine/device_buffer.h"
#include "host/checkpoint.h"
#include "host/errors.h"
#include "host/io.h"
#include "host/model_ops.h"
#include "host/progress.h"

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

struct NetBufs {  // owned: released on every way out of train(), a throw included
  DeviceBuffer p, g, m, v, ema;
};

// log.csv keeps exactly the rows up to the checkpointed iteration.
std::string read_log_upto(const std::string& path, std::int64_t upto) {
  std::ifstream in(path);
  std::string line, out;
  if (!in) return out;
  std::getline(in, line);
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::int64_t it = std::atoll(line.c_str());
    if (it <= upto) out += line + "\n";
  }
  return out;
}

const char* kLogHeader = "iter,loss,grad_norm_f,grad_norm_s,lr_f,lr_s,N,seconds\n";

}  // namespace

int train(Backend& be, const RunConfig& cfg, RunState& st, const DataSource& data, const TrainOptions& opt) {
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

  const std::string log_path = opt.dir + "/log.csv";
  std::string log_rows = read_log_upto(log_path, st.iteration);
  std::int64_t last_saved = st.iteration;
  auto save = [&]() {
    download_state();
    save_checkpoint(opt.dir, cfg, st);
    atomic_write_file(log_path, kLogHeader + log_rows);
    last_saved = st.iteration;
  };
  if (st.iteration == 0) save();  // a run directory always holds a loadable checkpoint

  Progress bar(opt.label, st.iteration, cfg.iters, opt.quiet);
  const auto t_start = std::chrono::steady_clock::now();
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
    double loss = be.train_loss_grad(nb[0].g.buf(), nb[1].g.buf(), nb[0].p.buf(), nb[1].p.buf(), desc, x0.buf(), B, grid,
                                     key, cfg.k_for(N));
    double gn[2], scale[2];
    for (int k = 0; k < 2; ++k) {
      gn[k] = std::sqrt(be.grad_sq_norm(nb[k].g.buf()));
      scale[k] = (cfg.clip > 0 && gn[k] > cfg.clip) ? cfg.clip / gn[k] : 1.0;
    }
    if (!std::isfinite(loss) || !std::isfinite(gn[0]) || !std::isfinite(gn[1])) {
      bar.finish("stopped");
      std::fprintf(stderr,
                   "diffflow: error: non-finite loss or gradient at iteration %lld (loss %g); training stopped, "
                   "the last good checkpoint (iteration %lld) is kept in %s\n",
                   (long long)it, loss, (long long)last_saved, opt.dir.c_str());
      return 3;
    }
    const double lrf = cfg.lr_f * cfg.lr_factor(it), lrs = cfg.lr_s * cfg.lr_factor(it);
    for (int k = 0; k < 2; ++k) {
      if (!trains[k]) continue;  // the family has no such network (DDPM: drift, FFJORD: score)
      AdamHyper h;
      h.lr = float(k == 0 ? lrf : lrs);
      be.adam_update(nb[k].p.buf(), nb[k].g.buf(), nb[k].m.buf(), nb[k].v.buf(), h, long(it + 1), float(scale[k]));
      be.ema_update(nb[k].ema.buf(), nb[k].p.buf(), float(cfg.ema));
    }
    st.iteration = it + 1;
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count() - hook_seconds;
    char row[256];
    std::snprintf(row, sizeof row, "%lld,%.9g,%.6g,%.6g,%.6g,%.6g,%d,%.3f\n", (long long)st.iteration, loss, gn[0],
                  gn[1], lrf, lrs, N, secs);
    log_rows += row;
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
