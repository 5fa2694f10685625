// `diffflow train`; see host/train_command.h.
#include "host/train_command.h"

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>

#include "host/backend_flags.h"
#include "host/checkpoint.h"
#include "host/cli_args.h"
#include "host/data_source.h"
#include "host/errors.h"
#include "host/real_data.h"
#include "host/run_dir.h"
#include "host/run_estimate.h"
#include "host/run_figures.h"
#include "host/run_limits.h"
#include "host/run_summary.h"
#include "host/train_config.h"
#include "host/train_log.h"
#include "host/trainer.h"
#include "host/validation.h"

namespace df {

int cmd_train(int argc, char** argv) {
  Args a("train",
         "diffflow train --data NAME|FILE [--iters K] [--batch B] [--steps N] [--width W] [--layers L] [--lr X]\n"
         "                      [--seed S] [--device cpu|cuda|auto] --out DIR\n"
         "       diffflow train --resume DIR --iters K");
  declare_train_flags(a);
  if (!a.parse(argc, argv, 2)) return 0;
  const bool resume = a.has("resume"), quiet = a.on("quiet");
  const FieldNames flag_names{"train: ", true};
  std::string device_why;
  auto be = open_backend(a.str("device"), a.str("precision"), &device_why);
  const bool gpu = be->name() == "cuda";  // the emulated device takes the CPU defaults (it is slow)
  const auto n_fig = std::size_t(int_flag(a, limits::samples));
  RunConfig cfg;
  RunState st;
  std::unique_ptr<RunDir> run;
  std::unique_ptr<DataSource> data;
  ValidationOptions vo;  // --valid, --patience (host/validation.h)
  vo.n = std::size_t(int_flag(a, limits::valid));
  vo.patience = int(int_flag(a, limits::patience));
  if (vo.patience > 0 && vo.n == 0) throw InputError("train: --patience needs --valid N");
  std::unique_ptr<Validator> val;
  if (resume) {
    const std::string dir = a.str("resume");
    apply_resume_flags(a, cfg, 0, dir);  // the flags alone, before the lock
    run = std::make_unique<RunDir>(dir, RunDir::Mode::Resume);
    load_checkpoint(dir, cfg, st);
    apply_resume_flags(a, cfg, st.iteration, dir);
    validate_config(cfg, flag_names);
    data = std::make_unique<DataSource>(cfg.data);
    check_resume_data(cfg, *data, dir);
    if (vo.n > 0) val = std::make_unique<Validator>(*be, cfg, st, *data, dir, vo, quiet);
  } else {
    const std::string dir = a.required("out");
    cfg = new_run_config(a, gpu);
    data = std::make_unique<DataSource>(cfg.data);
    attach_data(cfg, *data);
    const std::string outliers = data->outlier_warning();
    if (!outliers.empty()) std::fprintf(stderr, "diffflow: warning: %s\n", outliers.c_str());
    check_train_memory(cfg, !gpu, be.get());
    st = new_run_state(cfg, *data);  // before the directory exists: a failure leaves nothing
    if (vo.n > 0) val = std::make_unique<Validator>(*be, cfg, st, *data, dir, vo, quiet);
    run = std::make_unique<RunDir>(dir, RunDir::Mode::Fresh);
  }
  const std::string& dir = run->path();
  if (resume) check_train_memory(cfg, !gpu, be.get());
  if (!quiet) {
    std::fprintf(stderr, "device: %s\n", device_why.c_str());
    if (run->removed_temporaries() > 0)
      std::fprintf(stderr, "removed %d temporary file(s) a killed run left in %s\n", run->removed_temporaries(),
                   dir.c_str());
    if (!resume && !gpu) {
      const ModelFamily& f = family(cfg.kind());
      if (const RealSetInfo* rs = find_real_set(cfg.data))
        std::fprintf(stderr,
                     "defaults for flags not given: %s's network and batch W=%d L=%d B=%d; the CPU's N=%d, %lld "
                     "iterations, EMA %g\n",
                     rs->name.c_str(), rs->width, rs->layers, rs->batch, f.cpu.steps, (long long)f.cpu.iters,
                     f.cpu.ema);
      else
        std::fprintf(stderr,
                     "CPU defaults for flags not given: W=%d L=3 B=%d N=%d, %lld iterations, EMA %g (the GPU default "
                     "is the reference: W=%d L=3 B=%d N=%d, %lld iterations, EMA %g)\n",
                     f.cpu.width, f.cpu.batch, f.cpu.steps, (long long)f.cpu.iters, f.cpu.ema, f.gpu.width,
                     f.gpu.batch, f.gpu.steps, (long long)f.gpu.iters, f.gpu.ema);
    }
    const MemoryEstimate mem = estimate_train_memory(cfg, be.get());
    std::fprintf(stderr,
                 "training %s on %s: %s, B=%d, N=%d, %lld iterations, lr %g/%g, seed %llu, about %s of memory -> %s\n",
                 cfg.model.c_str(), cfg.data.c_str(), cfg.shape.str().c_str(), cfg.batch, cfg.grid.steps_at(cfg.iters),
                 (long long)cfg.iters, cfg.lr_f, cfg.lr_s, (unsigned long long)cfg.seed,
                 format_bytes(double(mem.total())).c_str(), dir.c_str());
  }
  TrainOptions opt;
  opt.dir = dir;
  opt.quiet = quiet;
  opt.budget_seconds = real_flag(a, limits::budget_seconds);
  if (val) opt.on_iteration = val->hook();
  const std::int64_t start_iteration = st.iteration;
  const auto t0 = std::chrono::steady_clock::now();
  const int rc = train(*be, cfg, st, *data, opt);
  if (rc == 0 && val) val->finish();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (rc != 0) return rc;
  std::vector<std::string> files{"checkpoint.bin", "log.csv"};
  if (n_fig > 0)
    for (const std::string& f : write_run_figures(*be, cfg, st, *data, dir, n_fig)) files.push_back(f);  // none without libpng
  const RunSummary sum = summarize_run(read_train_log(dir + "/log.csv"), cfg, start_iteration, st.iteration, seconds,
                                       be->name(), dir, files);
  write_summary_json(sum);
  if (!quiet) std::fputs(summary_text(sum).c_str(), stderr);
  return 0;
}

}  // namespace df
