"""Fixtures of the Python package's tests: the `diffflow` command for the parity tests (DF_BIN,
else build/diffflow; skipped only when neither exists and DF_BIN is unset), small data sets, and
the tiny settings every test trains with (width 16, 2 layers, 4 steps, batches of 64, the CPU)."""

import os
import pathlib
import subprocess

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
TINY = dict(width=16, layers=2, steps=4, batch=64, device="cpu", progress=False)


@pytest.fixture(scope="session")
def cli():
    path = os.environ.get("DF_BIN") or str(ROOT / "build" / "diffflow")
    if not os.path.isfile(path):
        if os.environ.get("DF_BIN"):
            pytest.fail("DF_BIN=%s does not exist" % path)
        pytest.skip("the diffflow command is not built (bash scripts/build.sh), and DF_BIN is unset")

    def run(*args, check=True):
        p = subprocess.run([path, *map(str, args)], capture_output=True, text=True)
        if check and p.returncode != 0:
            raise AssertionError("diffflow %s: exit %d: %s" % (" ".join(map(str, args)), p.returncode, p.stderr))
        return p

    return run


def blobs(n=300, seed=0, dtype=np.float64):
    """Two Gaussian blobs in 2-D, n points."""
    rng = np.random.default_rng(seed)
    centers = np.array([[-2.0, 1.0], [1.5, -0.5]])
    x = centers[rng.integers(0, 2, n)] + rng.normal(scale=[0.4, 0.25], size=(n, 2))
    return x.astype(dtype)


@pytest.fixture
def X():
    return blobs()
