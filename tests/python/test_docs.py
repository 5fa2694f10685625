"""The examples in docs/ run as written: the worked example of docs/python.md (its ```python
blocks, in a scratch directory) and the notebook-style tour docs/python-example.py, each checked
for what its text says it shows."""

import re
import runpy
import tempfile

import numpy as np

from conftest import ROOT


def test_worked_example_of_the_page(tmp_path, monkeypatch, capsys):
    page = (ROOT / "docs" / "python.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", page, re.S)
    assert len(blocks) == 1
    monkeypatch.chdir(tmp_path)
    ns = {}
    exec(compile(blocks[0], "docs/python.md", "exec"), ns)
    out = capsys.readouterr().out
    assert out.splitlines()[:3] == ["100 1.887", "200 1.869", "300 1.804"]  # the output the page shows
    assert abs((ns["samples"][:, 0] > 0).mean() - 0.5) < 0.05
    lp = ns["model"].log_prob([[-2.0, 0.0], [2.0, 0.0], [0.0, 0.0]])
    assert lp[2] < min(lp[0], lp[1]) - 2
    assert sorted(p.name for p in (tmp_path / "runs" / "two-blobs").iterdir()) == ["checkpoint.bin", "log.csv"]


def test_notebook_example(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    ns = runpy.run_path(str(ROOT / "docs" / "python-example.py"))
    out = capsys.readouterr().out
    assert "reverse SDE" in out and "FFJORD log p(ring)" in out
    for s in (ns["sde"], ns["flow"]):
        r = np.hypot(s[:, 0], s[:, 1])
        assert abs(r.mean() - 1) < 0.1 and r.std() < 0.3  # on the ring
    assert ns["model"].score(ns["held_out"]) > ns["model"].log_prob(np.zeros((1, 2)))[0] + 2
    assert np.mean(ns["model"].loss_curve_[-20:]) < np.mean(ns["model"].loss_curve_[:20])
