"""Bad input raises a Python exception, never a crash: the command's message for what the command
also refuses (compared word for word where both see the same input), ValueError / TypeError for
what only the package sees (array shapes and dtypes, lam, method, counts), RuntimeError for a model
not fitted yet."""

import numpy as np
import pytest

import diffflow
from conftest import TINY, blobs


def cli_message(cli, *args):
    p = cli(*args, check=False)
    assert p.returncode == 2, p.stderr
    line = p.stderr.strip().splitlines()[-1]
    assert line.startswith("diffflow: error: ")
    return line[len("diffflow: error: "):]


@pytest.mark.parametrize("name, value, text", [
    ("width", 0, "0"),
    ("steps", -3, "-3"),
    ("lr", 0.0, "0.0"),
    ("ema", 1.5, "1.5"),
    ("t_end", 0.0001, "0.0001"),
    ("g", [0.1, 0.2], "0.1,0.2"),
    ("grid", "cubic", "cubic"),
    ("no_such_flag", 1, "1"),
    ("device", "tpu", "tpu"),
])
def test_settings_refused_with_the_commands_message(name, value, text, cli, tmp_path):
    x = blobs(100)
    np.save(tmp_path / "x.npy", x)
    kw = dict(TINY, progress=None)
    kw[name] = value
    flags = []
    for k, v in kw.items():
        if v is not None:
            flags += ["--" + k.replace("_", "-"), text if k == name else str(v)]
    expected = cli_message(cli, "train", "--data", tmp_path / "x.npy", "--out", tmp_path / "o", "--iters", 1, *flags)
    with pytest.raises(ValueError) as e:
        diffflow.DiffFlow(**dict(kw, progress=False)).fit(x, iters=1)
    assert str(e.value) == expected


def test_bad_values_in_the_data(cli, tmp_path):
    for value, word in ((np.nan, "NaN"), (np.inf, "infinite")):
        x = blobs(50)
        x[3, 1] = value
        np.save(tmp_path / "x.npy", x)
        expected = cli_message(cli, "train", "--data", tmp_path / "x.npy", "--out", tmp_path / "o", "--iters", 1)
        assert expected.endswith("element [3, 1] is " + word)
        with pytest.raises(ValueError, match=r"^'<array 50x2>': element \[3, 1\] is " + word + "$"):
            diffflow.DiffFlow(**TINY).fit(x, iters=1)
    const = blobs(50)
    const[:, 1] = 2.0
    np.save(tmp_path / "c.npy", const)
    expected = cli_message(cli, "train", "--data", tmp_path / "c.npy", "--out", tmp_path / "o2", "--iters", 1)
    with pytest.raises(ValueError) as e:
        diffflow.DiffFlow(**TINY).fit(const, iters=1)
    assert str(e.value) == expected == "dimension 2 of the data is constant"
    with pytest.raises(ValueError, match="need at least 2 rows of data"):
        diffflow.DiffFlow(**TINY).fit(blobs(1), iters=1)
    with pytest.raises(ValueError, match="unknown data set 'nosuchset'"):
        diffflow.DiffFlow(**TINY).fit("nosuchset", iters=1)


def test_array_shapes_and_types():
    m = diffflow.DiffFlow(**TINY)
    with pytest.raises(ValueError, match=r"X must be 2-D .* got shape \(10,\); for 1-D data use X.reshape"):
        m.fit(np.arange(10.0), iters=1)
    with pytest.raises(ValueError, match="X must be 2-D"):
        m.fit(np.zeros((4, 3, 2)), iters=1)
    with pytest.raises(TypeError, match="X must hold real numbers"):
        m.fit(np.array([["a", "b"], ["c", "d"]]), iters=1)
    with pytest.raises(TypeError, match="X must hold real numbers"):
        m.fit(np.ones((10, 2), dtype=complex), iters=1)
    m.fit(np.arange(40).reshape(20, 2) % 7, iters=2)  # integers are read as the command reads them
    assert m.iterations_ == 2


def test_using_a_model(X, tmp_path):
    with pytest.raises(RuntimeError, match="DiffFlow is not fitted yet"):
        diffflow.DiffFlow(**TINY).sample(5)
    m = diffflow.DiffFlow(**TINY).fit(X, iters=2)
    with pytest.raises(ValueError, match="the data have 3 columns, the model expects d = 2"):
        m.log_prob(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"^X: element \[1, 0\] is NaN$"):
        m.log_prob(np.array([[0.0, 1.0], [np.nan, 0.0]]))
    with pytest.raises(ValueError, match="method must be 'ode' or 'bound'"):
        m.log_prob(X, method="exact")
    with pytest.raises(ValueError, match=r"lam=0.5: only lam=1 .* need the engine's lambda sampler"):
        m.sample(5, lam=0.5)
    with pytest.raises(ValueError, match=r"n must be in \[1, 100000000\] \(got 0\)"):
        m.sample(0)
    with pytest.raises(TypeError, match="n must be an integer"):
        m.sample(2.5)
    with pytest.raises(ValueError, match="steps must be in"):
        m.sample(5, steps=0)
    with pytest.raises(ValueError, match="data is not an estimator setting: pass the data to fit"):
        diffflow.DiffFlow(data="olympic", **TINY).fit(X, iters=1)
    with pytest.raises(TypeError, match="needs iters"):
        m.fit(X, resume=True)
    with pytest.raises(ValueError, match="iters 1 is below the 2 iterations the run has done"):
        m.fit(X, iters=1, resume=True)
    with pytest.raises(ValueError, match="the data have d = 3, the model has d = 2"):
        m.fit(np.zeros((10, 3)) + np.arange(30).reshape(10, 3), iters=5, resume=True)


def test_bad_checkpoints(X, cli, tmp_path):
    with pytest.raises(ValueError, match="cannot read '.*/missing/checkpoint.bin'"):
        diffflow.load(tmp_path / "missing")
    diffflow.DiffFlow(**TINY).fit(X, iters=2).save(tmp_path / "m")
    raw = bytearray((tmp_path / "m" / "checkpoint.bin").read_bytes())
    raw[-5] ^= 0xFF
    (tmp_path / "m" / "checkpoint.bin").write_bytes(bytes(raw))
    expected = cli_message(cli, "sample", "--model", tmp_path / "m", "--n", 5, "--out", tmp_path / "s.csv")
    assert "checksum mismatch" in expected
    with pytest.raises(ValueError) as e:
        diffflow.load(tmp_path / "m", device="cpu")
    assert str(e.value) == expected


def test_non_finite_loss(cli, tmp_path):
    """lr 10 without clipping blows DiffFlow up at its second iteration, here and in the command:
    FloatingPointError, and the model stays at the last good checkpoint (iteration 0)."""
    x = blobs(100)
    np.save(tmp_path / "x.npy", x)
    p = cli("train", "--data", tmp_path / "x.npy", "--out", tmp_path / "o", "--iters", 5, "--lr", 10, "--clip", 0,
            "--width", 16, "--layers", 2, "--steps", 4, "--batch", 64, "--device", "cpu", "--quiet", check=False)
    assert p.returncode == 3 and "training diverged at iteration 2: the loss is not finite" in p.stderr
    m = diffflow.DiffFlow(lr=10.0, clip=0, run_dir=tmp_path / "py", **TINY)
    with pytest.raises(FloatingPointError, match=r"^training diverged at iteration 2: the loss is not finite; training "
                                                 r"stopped, the last good checkpoint \(iteration 0\) is kept in "
                                                 r".*py/checkpoint\.bin$"):
        m.fit(x, iters=5)
    assert m.iterations_ == 0 and np.isfinite(m.sample(5)).all()
