"""The package against the `diffflow` command on the same data, settings and seeds, for the three
families: the same training losses (log.csv), the same samples (stochastic and probability flow),
the same likelihoods (log_prob averaged as `eval --json` averages them: nll_ode / nll_exact and
nll_bound), and the same checkpoint files both ways (a model saved here is sampled by the command,
a run of the command is loaded here).

FFJORD is compared to 1e-6 instead: its CPU reference path (engine/backend_models.cpp, Eigen maps on
parameter copies whose heap alignment varies) rounds differently with the heap's layout, so the
command itself gives other last digits when only the length of its data path changes."""

import functools
import json

import numpy as np
import pytest

import diffflow
from conftest import TINY, blobs

SETTINGS = ["--width", "16", "--layers", "2", "--steps", "4", "--batch", "64", "--seed", "7", "--device", "cpu"]


def losses(run_dir):
    rows = open(run_dir / "log.csv").read().splitlines()
    return [r.split(",")[:7] for r in rows]  # all but the seconds


def numbers(run_dir):
    return np.array([[float(v) for v in r] for r in losses(run_dir)[1:]])


def mean_in_order(values):
    """The mean as host/model_ops.cpp takes it: a sum in order, then one division."""
    s = 0.0
    for v in values:
        s += float(v)
    return s / len(values)


@pytest.mark.parametrize("family", ["diffflow", "ddpm", "ffjord"])
def test_same_numbers_as_the_command(family, cli, tmp_path):
    x = blobs(300, seed=11, dtype=np.float32)
    np.save(tmp_path / "x.npy", x)
    cli("train", "--model", family, "--data", tmp_path / "x.npy", "--iters", 12, *SETTINGS, "--samples", 0,
        "--quiet", "--out", tmp_path / "cli")
    cls = {"diffflow": diffflow.DiffFlow, "ddpm": diffflow.DDPM, "ffjord": diffflow.FFJORD}[family]
    m = cls(seed=7, run_dir=tmp_path / "py", **TINY).fit(np.load(tmp_path / "x.npy"), iters=12)
    if family == "ffjord":
        same = functools.partial(np.allclose, rtol=1e-6, atol=0)
        assert same(numbers(tmp_path / "py"), numbers(tmp_path / "cli"))
    else:
        same = np.array_equal
        assert losses(tmp_path / "py") == losses(tmp_path / "cli")
        assert ["%.9g" % v for v in m.loss_curve_] == [r[1] for r in losses(tmp_path / "cli")[1:]]

    for extra, lam in (([], 1.0), (["--deterministic"], 0.0)):
        cli("sample", "--model", tmp_path / "cli", "--n", 300, "--seed", 5, "--device", "cpu", *extra,
            "--out", tmp_path / "s.npy")
        assert same(m.sample(300, seed=5, lam=lam), np.load(tmp_path / "s.npy"))

    out = cli("eval", "--model", tmp_path / "cli", "--data", tmp_path / "x.npy", "--n", 0, "--trajectories", 2,
              "--seed", 3, "--device", "cpu", "--json").stdout
    ev = json.loads(out)
    nll = -m.log_prob(x, seed=3)
    assert same(mean_in_order(nll), ev["nll_exact" if family == "ffjord" else "nll_ode"])
    if family != "ffjord":
        assert mean_in_order(-m.log_prob(x, method="bound", trajectories=2, seed=3)) == ev["nll_bound"]

    # checkpoint files both ways: the same model gives the same samples through either
    m.save(tmp_path / "saved")
    cli("sample", "--model", tmp_path / "saved", "--n", 100, "--seed", 2, "--device", "cpu", "--out", tmp_path / "a.npy")
    cli("sample", "--model", tmp_path / "cli", "--n", 100, "--seed", 2, "--device", "cpu", "--out", tmp_path / "b.npy")
    assert same(np.load(tmp_path / "a.npy"), np.load(tmp_path / "b.npy"))
    theirs = diffflow.load(tmp_path / "cli", device="cpu")
    assert type(theirs) is cls and theirs.iterations_ == 12
    assert same(theirs.sample(100, seed=2), np.load(tmp_path / "b.npy"))
    # continuing the run: the command's --resume and fit(resume=True) log the same losses
    cli("train", "--resume", tmp_path / "cli", "--iters", 14, "--quiet", "--samples", 0)
    m.fit(x, iters=14, resume=True)
    assert same(numbers(tmp_path / "py"), numbers(tmp_path / "cli"))
    assert len(losses(tmp_path / "cli")) == 15
