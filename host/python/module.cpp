// The extension module diffflow._core (nanobind): one run (configuration, state, backend) with
// fit / resume / sample / log_prob / save / load on NumPy arrays, for the estimator classes of
// host/python/diffflow/_estimator.py. It calls what the command calls (host/train_config.h,
// host/trainer.h, host/model_ops.h, host/checkpoint.h), so the numbers are the command's.
//   input points   float32 or float64, 2-D, any strides: read in place (host/points_view.h)
//   output arrays  float64, owning the engine's result (no copy)
//   errors         InputError -> ValueError with the command's message, EnvironmentError ->
//                  OSError; training diverged (a non-finite or exploding loss) ->
//                  FloatingPointError with the command's message (the state goes back to the
//                  last good checkpoint)
//   threads        the work runs without the GIL; training checks for Ctrl-C after every
//                  iteration and stops there (checkpointed), then raises KeyboardInterrupt.
//                  One call at a time per run: a second, concurrent one raises RuntimeError.
//                  Training holds the run directory's lock (host/run_dir.h), as `train` does:
//                  another process or model training there meanwhile raises OSError.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/unique_ptr.h>
#include <nanobind/stl/vector.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "host/backend_flags.h"
#include "host/checkpoint.h"
#include "host/data_source.h"
#include "host/errors.h"
#include "host/model_ops.h"
#include "host/points_view.h"
#include "host/run_dir.h"
#include "host/train_config.h"
#include "host/trainer.h"

namespace nb = nanobind;
using namespace df;

namespace {

using Points = nb::ndarray<nb::numpy, nb::ro, nb::ndim<2>, nb::device::cpu>;  // any dtype, any strides
using Array2 = nb::ndarray<nb::numpy, double, nb::ndim<2>>;
using Array1 = nb::ndarray<nb::numpy, double, nb::ndim<1>>;

PointsView view_of(const Points& x) {
  const bool f32 = x.dtype() == nb::dtype<float>();
  if (!f32 && x.dtype() != nb::dtype<double>()) throw nb::type_error("the points must be float32 or float64");
  const std::ptrdiff_t item = f32 ? 4 : 8;
  return {static_cast<const unsigned char*>(x.data()), x.shape(0), x.shape(1), std::ptrdiff_t(x.stride(0)) * item,
          std::ptrdiff_t(x.stride(1)) * item, f32};
}

std::string array_label(const PointsView& v) {
  return "<array " + std::to_string(v.rows) + "x" + std::to_string(v.cols) + ">";
}

Array2 to_numpy(Matrix&& m) {
  auto* owned = new Matrix(std::move(m));
  nb::capsule owner(owned, [](void* p) noexcept { delete static_cast<Matrix*>(p); });
  return Array2(owned->data.data(), {owned->rows, owned->cols}, owner);
}

Array1 to_numpy(std::vector<double>&& v) {
  auto* owned = new std::vector<double>(std::move(v));
  nb::capsule owner(owned, [](void* p) noexcept { delete static_cast<std::vector<double>*>(p); });
  return Array1(owned->data(), {owned->size()}, owner);
}

// The `train` flags as the command parses them (host/train_config.h).
RunConfig config_from_flags(const std::vector<std::string>& flags, bool gpu) {
  Args a("train", "diffflow train");
  declare_train_flags(a);
  std::vector<std::string> words{"diffflow", "train"};
  words.insert(words.end(), flags.begin(), flags.end());
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  if (!a.parse(int(argv.size()), argv.data(), 2)) throw InputError("train: --help is not an estimator option");
  return new_run_config(a, gpu);
}

class Run {
 public:
  Run(const std::string& device, const std::string& precision) : be_(open_backend(device, precision, &device_why_)) {}

  static std::unique_ptr<Run> load(const std::string& dir, const std::string& device, const std::string& precision) {
    auto r = std::make_unique<Run>(device, precision);
    load_checkpoint(dir, r->cfg_, r->st_);
    r->fitted_ = true;
    return r;
  }

  // A new run on X (or on a built-in set / file named by spec) with the `train` flags given.
  void fit(const std::vector<std::string>& flags, const std::optional<Points>& X, const std::string& spec,
           const std::string& dir, nb::object hook) {
    Busy busy(this);
    RunConfig cfg = config_from_flags(flags, be_->name() == "cuda");
    std::optional<DataSource> data;
    if (X) data.emplace(array_label(view_of(*X)), view_of(*X));
    else data.emplace(spec);
    attach_data(cfg, *data);  // the data's identity and the checks across the settings
    RunState st;
    {
      nb::gil_scoped_release nogil;
      st = new_run_state(cfg, *data);
    }
    cfg_ = cfg;
    st_ = std::move(st);
    fitted_ = true;
    run_train(*data, dir, hook);
  }

  // Continues this run up to `iters` iterations in all (the command's --resume).
  void resume(std::int64_t iters, const std::optional<Points>& X, const std::string& spec, const std::string& dir,
              nb::object hook) {
    Busy busy(this);
    require_fitted();
    std::optional<DataSource> data;
    if (X) data.emplace(array_label(view_of(*X)), view_of(*X));
    else data.emplace(spec.empty() ? cfg_.data : spec);
    if (data->dim() != cfg_.shape.d)
      throw InputError("train: the data have d = " + std::to_string(data->dim()) + ", the model has d = " +
                       std::to_string(cfg_.shape.d));
    if (iters < st_.iteration)
      throw InputError("train: iters " + std::to_string(iters) + " is below the " + std::to_string(st_.iteration) +
                       " iterations the run has done");
    if (!X) check_resume_data(cfg_, *data, dir);  // a file that changed is refused, as by --resume
    cfg_.iters = iters;
    run_train(*data, dir, hook);
  }

  Array2 sample(std::size_t n, int steps, bool deterministic, std::uint64_t seed) {
    Busy busy(this);
    require_fitted();
    Matrix m;
    {
      nb::gil_scoped_release nogil;
      m = sample_model(*be_, cfg_, st_, n, steps, deterministic, seed);
    }
    return to_numpy(std::move(m));
  }

  // Per-point log-likelihoods (nats): method "ode" (FFJORD: exact, Dormand–Prince at tol) or
  // "bound" (the ELBO, a lower bound).
  Array1 log_prob(const Points& X, const std::string& method, int trajectories, int ode_substeps, std::uint64_t seed,
                  double tol) {
    Busy busy(this);
    require_fitted();
    if (method != "ode" && method != "bound")
      throw InputError("log_prob: method must be 'ode' or 'bound' (got '" + method + "')");
    const PointsView v = view_of(X);
    RunConfig cfg = cfg_;
    cfg.ode_tol = tol;
    PointNll p;
    {
      nb::gil_scoped_release nogil;
      require_finite(v, "X");
      p = point_nll(*be_, cfg, st_, v, trajectories, ode_substeps, method == "bound", method == "ode", seed);
    }
    std::vector<double>& nll = method == "bound" ? p.bound : p.ode;
    for (double& x : nll) x = -x;
    return to_numpy(std::move(nll));
  }

  void save(const std::string& dir) {
    Busy busy(this);
    require_fitted();
    save_checkpoint(dir, cfg_, st_);
  }

  bool fitted() const { return fitted_; }
  const RunConfig& config() const { return cfg_; }
  std::int64_t iteration() const { return st_.iteration; }
  std::string device() const { return be_->name(); }
  const std::string& device_why() const { return device_why_; }

 private:
  struct Busy {  // one call at a time: the backend and the state are not shared between threads
    Run* r;
    explicit Busy(Run* run) : r(run) {
      if (r->busy_.exchange(true)) throw std::runtime_error("this model is busy (another call on it is running)");
    }
    ~Busy() { r->busy_ = false; }
  };

  void require_fitted() const {
    if (!fitted_) throw std::runtime_error("the model is not fitted yet: call fit() or load() first");
  }

  // train() with the GIL released; after every iteration, with the GIL: Ctrl-C, then the hook
  // (hook(done, total, loss) -> bool, False stops).
  void run_train(const DataSource& data, const std::string& dir, nb::object hook) {
    TrainOptions opt;
    opt.dir = dir;
    opt.quiet = true;
    bool python_error = false;  // a KeyboardInterrupt or the hook's exception is pending
    opt.on_iteration = [&](std::int64_t done, double loss) {
      nb::gil_scoped_acquire gil;
      if (PyErr_CheckSignals() != 0) {
        python_error = true;
        return false;
      }
      if (!hook.is_valid() || hook.is_none()) return true;
      try {
        return nb::cast<bool>(hook(done, cfg_.iters, loss));
      } catch (nb::python_error& e) {
        e.restore();
        python_error = true;
        return false;
      }
    };
    std::string diverged;
    opt.diverged = &diverged;
    int rc;
    {
      const RunDir held(dir, RunDir::Mode::Resume);  // the command's lock: one writer per run directory
      nb::gil_scoped_release nogil;
      rc = train(*be_, cfg_, st_, data, opt);
    }
    if (python_error) throw nb::python_error();
    if (rc != 0) {  // diverged: back to the last good checkpoint, which the message names
      load_checkpoint(dir, cfg_, st_);
      PyErr_SetString(PyExc_FloatingPointError, diverged.c_str());
      throw nb::python_error();
    }
  }

  std::string device_why_;
  std::unique_ptr<Backend> be_;
  RunConfig cfg_;
  RunState st_;
  bool fitted_ = false;
  std::atomic<bool> busy_{false};
};

}  // namespace

NB_MODULE(_core, m) {
  m.doc() = "diffflow's engine: runs of DiffFlow, DDPM and FFJORD (use the classes of the diffflow package)";
  nb::register_exception_translator([](const std::exception_ptr& p, void*) {
    try {
      std::rethrow_exception(p);
    } catch (const InputError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const EnvironmentError& e) {  // the command's exit 4: disk full, permission
      PyErr_SetString(PyExc_OSError, e.what());
    }
  });
#ifdef DF_HAVE_CUDA
  m.attr("cuda_built") = true;
#else
  m.attr("cuda_built") = false;
#endif
  nb::class_<Run>(m, "Run")
      .def(nb::init<const std::string&, const std::string&>(), nb::arg("device"), nb::arg("precision"))
      .def_static("load", &Run::load, nb::arg("dir"), nb::arg("device"), nb::arg("precision"))
      .def("fit", &Run::fit, nb::arg("flags"), nb::arg("X").none(), nb::arg("spec"), nb::arg("dir"),
           nb::arg("hook").none())
      .def("resume", &Run::resume, nb::arg("iters"), nb::arg("X").none(), nb::arg("spec"), nb::arg("dir"),
           nb::arg("hook").none())
      .def("sample", &Run::sample, nb::arg("n"), nb::arg("steps"), nb::arg("deterministic"), nb::arg("seed"))
      .def("log_prob", &Run::log_prob, nb::arg("X"), nb::arg("method"), nb::arg("trajectories"),
           nb::arg("ode_substeps"), nb::arg("seed"), nb::arg("tol"))
      .def("save", &Run::save, nb::arg("dir"))
      .def_prop_ro("fitted", &Run::fitted)
      .def_prop_ro("iteration", &Run::iteration)
      .def_prop_ro("device", &Run::device)
      .def_prop_ro("device_why", &Run::device_why)
      .def("config", [](const Run& r) {
        const RunConfig& c = r.config();
        nb::dict d;
        d["model"] = c.model;
        d["data"] = c.data;
        d["d"] = c.shape.d;
        d["width"] = c.shape.W;
        d["layers"] = c.shape.L;
        d["steps"] = c.grid.N;
        d["batch"] = c.batch;
        d["iters"] = c.iters;
        d["lr_drift"] = c.lr_f;
        d["lr_score"] = c.lr_s;
        d["ema"] = c.ema;
        d["seed"] = c.seed;
        return d;
      });
}
