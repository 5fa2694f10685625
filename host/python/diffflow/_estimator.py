"""The estimators DiffFlow, DDPM and FFJORD: fit / sample / log_prob / score_samples / save / load
on NumPy arrays, over the engine's runs (diffflow._core.Run, host/python/module.cpp).

Settings are the flags of `diffflow train`, named with underscores (t_end=0.1 is --t-end 0.1,
randomize_grid=True is --randomize-grid); the command's parser checks them, so a bad value gives
the command's message (ValueError) and a model fitted here with the same settings, data and seed
is the command's, number for number. Training runs in a run directory like the command's
(checkpoint.bin, log.csv): run_dir=, or a temporary one removed with the estimator."""

import numbers
import os
import shutil
import tempfile
import weakref

import numpy as np

from . import _core
from ._progress import progress_bar

# `diffflow train` flags that the estimator sets itself or that only the command has
_NOT_SETTINGS = {
    "data": "pass the data to fit(X)",
    "iters": "pass iters to fit()",
    "model": "choose the class: DiffFlow, DDPM or FFJORD",
    "out": "use run_dir= or save(path)",
    "resume": "use fit(X, iters, resume=True)",
    "samples": "call sample() for samples",
    "quiet": "use progress=False",
    "help": "see `diffflow train --help` for the settings",
}


def sampler_for_lam(lam):
    """The reverse sweep's `deterministic` flag for the sampler family
    dx = [f - (1 + lam^2)/2 g^2 s] dt + lam g dw: lam = 1 is the reverse SDE (stochastic), lam = 0
    the probability flow (deterministic). Other values need the engine's lambda sampler."""
    if lam == 1:
        return False
    if lam == 0:
        return True
    raise ValueError(
        "lam=%r: only lam=1 (the reverse SDE) and lam=0 (the probability flow) are supported; other "
        "values need the engine's lambda sampler (dx = [f - (1+lam^2)/2 g^2 s] dt + lam g dw)" % (lam,))


def _flag_text(value):
    if isinstance(value, str):
        return value
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return repr(float(value))  # the shortest text that reads back to the same double
    if isinstance(value, (list, tuple)):
        return ",".join(_flag_text(v) for v in value)
    raise TypeError("a setting must be a number, a string or a list of numbers (got %r)" % (value,))


def _train_flags(settings, iters):
    flags = []
    for name, value in settings.items():
        if value is None:
            continue
        if name in _NOT_SETTINGS:
            raise ValueError("%s is not an estimator setting: %s" % (name, _NOT_SETTINGS[name]))
        flag = "--" + name.replace("_", "-")
        if isinstance(value, bool):
            if value:  # a switch such as --randomize-grid
                flags.append(flag)
            continue
        flags += [flag, _flag_text(value)]
    if iters is not None:
        flags += ["--iters", _flag_text(iters)]
    return flags


def _points(X):
    """X as a 2-D float32/float64 NumPy array, without a copy when it already is one (any order)."""
    a = X if isinstance(X, np.ndarray) else np.asarray(X)
    if a.dtype.kind in "biuf" and a.dtype not in (np.float32, np.float64):
        a = a.astype(np.float64)  # integers and float16, as the command reads integer .npy files
    elif a.dtype.kind != "f":
        raise TypeError("X must hold real numbers (float32 or float64), got dtype %s" % a.dtype)
    if not a.dtype.isnative:
        a = a.astype(a.dtype.newbyteorder("="))
    if a.ndim != 2:
        raise ValueError("X must be 2-D (n points x d dimensions), got shape %s; for 1-D data use "
                         "X.reshape(-1, 1)" % (a.shape,))
    return a


def _integer(name, value, lo, hi):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError("%s must be an integer (got %r)" % (name, value))
    if not lo <= value <= hi:
        raise ValueError("%s must be in [%d, %d] (got %d)" % (name, lo, hi, value))
    return int(value)


class _Model:
    _family = None  # "diffflow" | "ddpm" | "ffjord"

    def __init__(self, width=None, layers=None, steps=None, batch=None, lr=None, seed=0, ema=None,
                 device="auto", precision="fp32", progress=True, run_dir=None, **settings):
        self.width, self.layers, self.steps, self.batch = width, layers, steps, batch
        self.lr, self.seed, self.ema = lr, seed, ema
        self.device, self.precision, self.progress, self.run_dir = device, precision, progress, run_dir
        self.settings = settings
        self._run, self._tmp = None, None
        self.loss_curve_ = []

    # ---- scikit-learn's parameter protocol --------------------------------------------------
    _PARAMS = ("width", "layers", "steps", "batch", "lr", "seed", "ema", "device", "precision",
               "progress", "run_dir")

    def get_params(self, deep=True):
        p = {k: getattr(self, k) for k in self._PARAMS}
        p.update(self.settings)
        return p

    def set_params(self, **params):
        for k, v in params.items():
            if k in self._PARAMS:
                setattr(self, k, v)
            else:
                self.settings[k] = v
        return self

    def __repr__(self):
        shown = ", ".join("%s=%r" % (k, v) for k, v in self.get_params().items()
                          if v is not None and not (k in ("seed",) and v == 0)
                          and not (k, v) in (("device", "auto"), ("precision", "fp32"), ("progress", True)))
        return "%s(%s)" % (type(self).__name__, shown)

    # ---- training -----------------------------------------------------------------------------
    def fit(self, X, iters=None, callback=None, resume=False):
        """Trains on X (n x d, float32/float64, C or Fortran order; or the name of a built-in set or
        a .csv/.npy file) for `iters` iterations (default: the family's for the device). With
        resume=True it continues this model (or the run in run_dir) up to `iters` in all.
        callback(iteration, loss) is called after every iteration; returning False stops there.
        Ctrl-C stops at the next iteration with the model at that iteration, then raises
        KeyboardInterrupt. Returns self."""
        data, spec = (None, os.fspath(X)) if isinstance(X, (str, os.PathLike)) else (_points(X), "")
        run_dir = self._run_dir(resume)
        if resume:
            if self._run is None:
                if not os.path.isfile(os.path.join(run_dir, "checkpoint.bin")):
                    raise RuntimeError("nothing to resume: the model is not fitted and %s holds no run" % run_dir)
                self._run = _core.Run.load(run_dir, self.device, self.precision)
            if iters is None:
                raise TypeError("fit(..., resume=True) needs iters (the iterations in all)")
            self._train(lambda hook: self._run.resume(_integer("iters", iters, 0, 100000000), data, spec,
                                                      run_dir, hook), callback)
        else:
            run = _core.Run(self.device, self.precision)
            self.loss_curve_ = []
            try:
                self._train(lambda hook: run.fit(["--model", self._family] + _train_flags(self._settings(), iters), data, spec, run_dir,
                                                 hook), callback)
            finally:
                if run.fitted:
                    self._run = run
        return self

    def _settings(self):
        s = {"width": self.width, "layers": self.layers, "steps": self.steps,
             "batch": self.batch, "lr": self.lr, "seed": self.seed, "ema": self.ema}
        s.update(self.settings)
        return s

    def _train(self, start, callback):
        bar = None

        def hook(done, total, loss):
            nonlocal bar
            if bar is None:
                bar = progress_bar(total, done - 1, type(self).__name__, self.progress)
            self.loss_curve_.append(loss)
            bar.update(done, loss)
            return callback is None or callback(done, loss) is not False

        try:
            start(hook)
        except KeyboardInterrupt as e:
            if self._run is not None and hasattr(e, "add_note"):
                e.add_note("diffflow: training stopped at iteration %d; the model keeps that state"
                           % self._run.iteration)
            raise
        finally:
            if bar is not None:
                bar.close()

    def _run_dir(self, resume):
        if self.run_dir is not None:
            os.makedirs(self.run_dir, exist_ok=True)
            if not resume and os.path.isfile(os.path.join(self.run_dir, "checkpoint.bin")):
                raise ValueError("run_dir %s already holds a run (fit(X, iters, resume=True) continues it; or "
                                 "choose another run_dir)" % self.run_dir)
            return os.fspath(self.run_dir)
        if self._tmp is None:
            self._tmp = tempfile.mkdtemp(prefix="diffflow-run-")
            weakref.finalize(self, shutil.rmtree, self._tmp, True)
        return self._tmp

    # ---- using a trained model ------------------------------------------------------------------
    def _fitted(self):
        if self._run is None:
            raise RuntimeError("%s is not fitted yet: call fit() or load() first" % type(self).__name__)
        return self._run

    def sample(self, n, steps=None, lam=1.0, seed=0):
        """n samples (n x d float64, in the data's coordinates) with the EMA weights: lam=1 the
        stochastic sampler (the reverse SDE), lam=0 the probability flow; steps: the time steps
        (default: the training N). FFJORD's sampler is its ODE whatever lam."""
        run = self._fitted()
        deterministic = sampler_for_lam(lam)
        n = _integer("n", n, 1, 100000000)
        steps = 0 if steps is None else _integer("steps", steps, 1, 100000)
        return run.sample(n, steps, deterministic, _integer("seed", seed, 0, 2**63 - 1))

    def log_prob(self, X, method="ode", trajectories=4, ode_substeps=2, seed=0, tol=1e-5):
        """log p(x) in nats per point (shape (n,)), in the data's coordinates. method="ode": the
        probability-flow ODE with an exact trace (RK4, ode_substeps per grid cell; FFJORD: its exact
        likelihood, Dormand-Prince at tol); method="bound": the ELBO (a lower bound; the mean over
        `trajectories` diffuse trajectories; DiffFlow and DDPM)."""
        run = self._fitted()
        return run.log_prob(_points(X), method, _integer("trajectories", trajectories, 1, 10000),
                            _integer("ode_substeps", ode_substeps, 1, 1000), _integer("seed", seed, 0, 2**63 - 1),
                            float(tol))

    def score_samples(self, X):
        """log p(x) per point by the ODE (scikit-learn's name for it)."""
        return self.log_prob(X, method="ode")

    def score(self, X, y=None):
        """The mean log-likelihood of X by the ODE (scikit-learn's convention)."""
        return float(np.mean(self.score_samples(X)))

    # ---- files ----------------------------------------------------------------------------------
    def save(self, path):
        """Writes the run directory `path` (checkpoint.bin and log.csv) that the command reads:
        `diffflow sample --model path`, `eval --model path`, `train --resume path`."""
        run = self._fitted()
        path = os.fspath(path)
        os.makedirs(path, exist_ok=True)
        run.save(path)
        log = os.path.join(self._run_dir(True), "log.csv")
        if os.path.isfile(log) and os.path.abspath(log) != os.path.abspath(os.path.join(path, "log.csv")):
            shutil.copyfile(log, os.path.join(path, "log.csv"))
        return path

    @classmethod
    def load(cls, path, device="auto", precision="fp32", progress=True):
        """The model in run directory `path` (written by save() or by `diffflow train`)."""
        path = os.fspath(path)
        run = _core.Run.load(path, device, precision)
        family = run.config()["model"]
        if cls._family is not None and family != cls._family:
            raise ValueError("%s holds a %s model; load it with %s.load or diffflow.load"
                             % (path, family, _CLASSES[family].__name__))
        c = run.config()
        model = _CLASSES[family](width=c["width"], layers=c["layers"], steps=c["steps"], batch=c["batch"],
                                 seed=c["seed"], ema=c["ema"], device=device, precision=precision,
                                 progress=progress)
        model._run = run
        log = os.path.join(path, "log.csv")
        if os.path.isfile(log):  # so that a resumed fit keeps the whole history
            shutil.copyfile(log, os.path.join(model._run_dir(True), "log.csv"))
        return model

    # ---- what a fitted model reports ------------------------------------------------------------
    @property
    def iterations_(self):
        return self._fitted().iteration

    @property
    def n_features_in_(self):
        return self._fitted().config()["d"]

    @property
    def config_(self):
        """The run's configuration (model, data, d, width, layers, steps, batch, iters, lr_drift,
        lr_score, ema, seed) as the checkpoint holds it."""
        return self._fitted().config()

    @property
    def device_(self):
        return self._fitted().device

    @property
    def device_info_(self):
        """Which device the backend took and why (as the command prints it)."""
        return self._fitted().device_why


class DiffFlow(_Model):
    """Diffusion Normalizing Flow: a learned drift and score, trained together on the KL between
    the diffuse and the reverse paths (the negative ELBO)."""
    _family = "diffflow"


class DDPM(_Model):
    """The DDPM baseline on the same networks: the variance-preserving SDE, an epsilon network."""
    _family = "ddpm"


class FFJORD(_Model):
    """The FFJORD baseline: a continuous normalizing flow trained by exact maximum likelihood."""
    _family = "ffjord"


_CLASSES = {"diffflow": DiffFlow, "ddpm": DDPM, "ffjord": FFJORD}


def load(path, device="auto", precision="fp32", progress=True):
    """The model in run directory `path`, as the class of its family (DiffFlow, DDPM or FFJORD)."""
    return _Model.load(path, device, precision, progress)
