#!/usr/bin/env bash
# diffflow-bench compare and scripts/run-comparison.sh end to end at tiny sizes (width 8, a few
# iterations or half a second, 2 seeds, 2 sampling step counts):
#   - the script on two sets (one with a hard support and a known entropy, one without) writes
#     machine.txt, commands.txt (exit 0 per set) and results.md with both fragments and links;
#     scripts/comparison-summary.py's tables from them
#   - compare.json: the budget, the seeds, iterations and network evaluations per seed
#     (iterations · batch · passes, passes = 2N+1, 1, 4·RK4 steps), the tuning sweep (every
#     candidate, the chosen one is the settings used and was accepted, validation ≠ test sizes),
#     the steps sweep (every N × λ, FFJORD without λ), the curve points, mean ± sd over 2 seeds,
#     the verdicts per pair and metric, the figures with their pixel sizes equal to the PNGs'
#   - equal wall time: each run trains its 0.5 s (not much more), the curve's last point is the
#     run's training time (measurements not counted)
#   - equal network evaluations: iterations = ⌊E / (batch · passes)⌋ per model
#   - the verdicts recomputed from the runs: mean ± sd, the floors (two-draw, binomial, the
#     likelihood's standard error), win only beyond both the spread and the floor
#   - --tune rejects a candidate that diverges (FFJORD at learning rate 3) and takes another; a
#     chosen one whose full-budget run fails is rejected, set aside, and the next one run
#   - runs the trainer stops are reported (iterations, no test metrics) and left out of the means
#   - a real set beyond 2-D, tuned on its validation split: likelihoods, curves, sweep, no scatter
#   - bad flags: exit 2, one line, nothing written
# Run by ctest as `bash cli_compare.sh <diffflow>`; the benchmark sits next to it in bench/.
set -u
BIN="$(dirname "$1")/bench/diffflow-bench"
SCRIPT="$(cd "$(dirname "$0")/.." && pwd)/scripts/run-comparison.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0; pass=0
ok() { pass=$((pass+1)); }
bad() { echo "FAIL: $*"; fail=$((fail+1)); }
[ -x "$BIN" ] || { echo "FAIL: $BIN not built"; exit 1; }
PY=python3
TINY=(--device cpu --width 8 --batch 64 --steps 5 --eval-n 200 --metric-samples 1000 --sweep-samples 500 --sweep-eval-n 100 --curve-samples 500 --curve-eval-n 100)

# 1. the script, tuned, equal iterations
if timeout 120 bash "$SCRIPT" --out "$T/exp" --sets checkerboard,olympic --bin "$BIN" "${TINY[@]}" --iters 20 \
     --seeds 2 --sample-steps 10,100 --ffjord-tols 1e-2,1e-5 --curve-points 3 --tune-lrs 0.003,0.01 --tune-ffjord-steps 2,4 \
     --val-n 500 >"$T/out" 2>"$T/err"; then ok; else bad "script: $(tail -3 "$T/err")"; fi
grep -q "^commit: [0-9a-f]\{40\}" "$T/exp/machine.txt" && grep -q "^cpu: " "$T/exp/machine.txt" && ok || bad "machine.txt: $(cat "$T/exp/machine.txt")"
[ "$(grep -c "compare --data .* --tune .* --iters 20 " "$T/exp/commands.txt")" -eq 2 ] && [ "$(grep -c "# exit 0," "$T/exp/commands.txt")" -eq 2 ] \
  && ok || bad "commands.txt: $(cat "$T/exp/commands.txt")"
for s in checkerboard olympic; do
  grep -q "^## $s$" "$T/exp/results.md" && grep -q "](${s}/steps.png)" "$T/exp/results.md" && ok || bad "results.md lacks $s"
done
grep -q "^- SW2, diffflow vs ddpm: " "$T/exp/results.md" && grep -q "DiffFlow at N = 10 at least as good as DDPM at N = 100" "$T/exp/results.md" \
  && ok || bad "results.md lacks the verdicts"

if "$PY" - "$T/exp" <<'PY'
import json, math, struct, sys
root = sys.argv[1]
def close(a, b):
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))
# 4 line panels (SW2, TV, leakage, KL gap) in 2 rows of 3; olympic: no leakage (no hard support),
# NLL instead of the KL gap, 1 row. 15 (3 models x 5 times) and 4 scatter panels of 300 px, rows of 5.
sizes = {"checkerboard": {"curves.png": (1944, 866), "steps.png": (1944, 866), "steps_seconds.png": (1944, 866)},
         "olympic": {"curves.png": (1944, 450), "steps.png": (1944, 450), "steps_seconds.png": (1944, 450)}}
for s in sizes.values():
    s.update({"diffuse.png": (1940, 1162), "samples.png": (1552, 410)})
for name, want in sizes.items():
    o = json.load(open(f"{root}/{name}/compare.json"))
    assert o["ffjord_tols"] == [1e-2, 1e-5], o["ffjord_tols"]
    md = open(f"{root}/{name}/compare.md").read()
    assert "FFJORD's sampler at its ODE tolerances" in md and "| tolerance | 0.01 | 1e-05 |" in md, md
    assert "| network evaluations per sample | " in md
    assert o["data"] == name and o["budget"]["kind"] == "iterations" and o["budget"]["amount"] == 20, o["budget"]
    assert o["seeds"] == [0, 1] and o["tuned"] is True and o["sample_steps"] == [10, 100] and o["lambdas"] == [0, 0.5, 1]
    assert o["sizes"]["test_points"] == 200 and o["sizes"]["validation_points"] == 500
    assert [m["model"] for m in o["models"]] == ["diffflow", "ddpm", "ffjord"]
    for m in o["models"]:
        st = m["settings"]
        passes = {"diffflow": 2 * 5 + 1, "ddpm": 1, "ffjord": 4 * st["train_steps"]}[m["model"]]
        assert m["train_passes_per_sample"] == passes, (m["model"], m["train_passes_per_sample"])
        t = m["tuning"]
        cands = t["candidates"]
        assert len(cands) == (4 if m["model"] == "ffjord" else 2), len(cands)
        assert sorted({c["lr"] for c in cands}) == [0.003, 0.01]
        if m["model"] == "ffjord":
            assert sorted({c["train_steps"] for c in cands}) == [2, 4]
        ch = cands[t["chosen"]]
        assert ch["lr"] == st["lr"] and ch["train_steps"] == st["train_steps"]
        accepted = [c["val_sw2"] for c in cands if c["rejected"] is None]
        assert t["all_rejected"] == (not accepted)
        assert t["all_rejected"] or (ch["rejected"] is None and ch["val_sw2"] == min(accepted)), t
        assert all(c["iterations"] == 5 for c in cands), [c["iterations"] for c in cands]   # 0.25 x 20
        assert len(m["runs"]) == 2 and [r["seed"] for r in m["runs"]] == [0, 1]
        for r in m["runs"]:
            assert not r["stopped"] and r["iterations"] == 20 and r["evaluations"] == 20 * 64 * passes, r["evaluations"]
            assert r["seconds"] > 0 and math.isfinite(r["sw2"]) and math.isfinite(r["tv"]) and r["nfe_sample"] > 0
            assert [c["iterations"] for c in r["curve"]] == [6, 13, 20], r["curve"]
            assert all(c["seconds"] > 0 and math.isfinite(c["sw2"]) for c in r["curve"])
            sw = r["sweep"]
            if m["model"] == "ffjord":
                # its sampler at each tolerance: Dormand–Prince, 1 + 6 evaluations per step tried
                assert [(p["tol"], p["lambda"]) for p in sw] == [(1e-2, None), (1e-5, None)], sw
                assert all(p["nfe"] > 7 and (p["nfe"] - 1) % 6 == 0 and p["steps"] == (p["nfe"] - 1) // 6 for p in sw), sw
                assert sw[0]["nfe"] < sw[1]["nfe"], sw   # a tighter tolerance takes more steps
            else:
                assert [(p["steps"], p["lambda"], p["tol"]) for p in sw] == [(n, l, None) for n in (10, 100) for l in (0, 0.5, 1)]
                k = 2 if m["model"] == "diffflow" else 1
                assert [p["nfe"] for p in sw] == [k * n for n in (10, 100) for _ in range(3)]
                assert all((p["nll"] is not None) == (p["lambda"] in (0, 1)) for p in sw)
            assert all(p["seconds"] > 0 and math.isfinite(p["sw2"]) for p in sw)
        su = m["summary"]
        assert su["iterations"] == {"mean": 20, "sd": 0, "n": 2}
        for key in ("sw2", "tv", "seconds", "nll_exact" if m["model"] == "ffjord" else "nll_ode"):
            a, b = (r[key] for r in m["runs"])   # two seeds: mean (a+b)/2, sample sd |a-b|/sqrt(2)
            assert su[key]["n"] == 2 and close(su[key]["mean"], (a + b) / 2) and close(su[key]["sd"], abs(a - b) / math.sqrt(2)), (key, su[key], a, b)
    if name == "checkerboard":
        assert math.isfinite(o["entropy"]) and all(math.isfinite(r["leakage"]) for r in o["models"][0]["runs"])
    else:
        assert o["entropy"] is None and o["models"][0]["runs"][0]["leakage"] is None
    metrics = ["NLL", "SW2", "TV"] + (["leakage"] if name == "checkerboard" else [])
    v = o["verdicts"]
    assert [(x["a"], x["b"]) for x in v] == [(a, b) for a, b in [("diffflow", "ddpm"), ("diffflow", "ffjord"), ("ddpm", "ffjord")] for _ in metrics]
    assert [x["metric"] for x in v] == metrics * 3
    runs = {m["model"]: m["runs"] for m in o["models"]}
    def lik(model, r):
        return r["nll_exact"] if model == "ffjord" else r["nll_ode"]
    key = {"SW2": "sw2", "TV": "tv", "leakage": "leakage"}
    for x in v:
        ra, rb = runs[x["a"]], runs[x["b"]]
        va = [lik(x["a"], r) if x["metric"] == "NLL" else r[key[x["metric"]]] for r in ra]
        vb = [lik(x["b"], r) if x["metric"] == "NLL" else r[key[x["metric"]]] for r in rb]
        for got, vals in ((x["a_stat"], va), (x["b_stat"], vb)):   # the stats are the runs' own
            assert got["n"] == 2 and close(got["mean"], sum(vals) / 2) and close(got["sd"], abs(vals[0] - vals[1]) / math.sqrt(2)), (x, vals)
        if x["metric"] == "NLL":   # twice the standard error of the difference over the test points
            sa, sb = (sum(r["nll_se"] for r in rr) / 2 for rr in (ra, rb))
            floor = 2 * math.sqrt(sa * sa + sb * sb)
        elif x["metric"] == "leakage":   # twice the binomial standard error at 1000 samples
            pa, pb = sum(va) / 2, sum(vb) / 2
            floor = 2 * math.sqrt(pa * (1 - pa) / 1000 + pb * (1 - pb) / 1000)
        else:   # the two-draw floor, averaged over both sides' runs
            floor = sum(r[key[x["metric"]] + "_floor"] for r in ra + rb) / 4
        assert floor > 0 and close(x["floor"], floor), (x, floor)
        d, spread = abs(x["a_stat"]["mean"] - x["b_stat"]["mean"]), x["a_stat"]["sd"] + x["b_stat"]["sd"]
        assert x["win"] == (d > spread and d > x["floor"]), x
        lower = x["a"] if x["a_stat"]["mean"] < x["b_stat"]["mean"] else x["b"]
        assert x["better"] == (lower if x["win"] else None), x
        assert x["text"].startswith(f"{lower} better" if x["win"] else "no difference established"), x
    sv = o["steps_verdicts"]
    assert len(sv) == 3 * (len(metrics) - 1)   # per lambda: SW2, TV (, leakage)
    for x in sv:   # DiffFlow at N = 10 against DDPM at N = 100, at the same lambda
        lam = x["a"].split("λ=")[1]
        assert x["a"] == f"diffflow N=10 λ={lam}" and x["b"] == f"ddpm N=100 λ={lam}", x
        for got, model, n in ((x["a_stat"], "diffflow", 10), (x["b_stat"], "ddpm", 100)):
            vals = [p[key[x["metric"]]] for r in runs[model] for p in r["sweep"] if p["steps"] == n and p["lambda"] == float(lam)]
            assert len(vals) == 2 and close(got["mean"], sum(vals) / 2), (x, vals)
    figs = {f["file"]: (f["width"], f["height"]) for f in o["figures"]}
    assert figs == want, (name, figs)
    for f, (w, h) in figs.items():
        head = open(f"{root}/{name}/{f}", "rb").read(24)
        assert head[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", head[16:24]) == (w, h), (f, head)
PY
then ok; else bad "compare.json of the script's run"; fi

# 1b. scripts/comparison-summary.py on the script's output: a row per set and model with the
#     numbers of compare.json, and a row of verdicts per set
SUMMARY="$(dirname "$SCRIPT")/comparison-summary.py"
if "$PY" "$SUMMARY" "$T/exp" checkerboard olympic >"$T/summary.md" 2>"$T/err" && "$PY" - "$T/exp" "$T/summary.md" <<'PY'
import json, sys
root, md = sys.argv[1], open(sys.argv[2]).read().splitlines()
for s in ("checkerboard", "olympic"):
    o = json.load(open(f"{root}/{s}/compare.json"))
    for m in o["models"]:
        rows = [l for l in md if l.startswith(f"| {s} | {m['model']}")]
        assert len(rows) == 1, (s, m["model"], rows)
        it = m["summary"]["iterations"]["mean"]
        assert f"{it:.4g}" in rows[0], (rows[0], it)
    verdict_rows = [l for l in md if l.startswith(f"| {s} | ") and ("better" in l or "no difference" in l)]
    assert len(verdict_rows) == 1, verdict_rows
    # FFJORD's tolerance table: one row per set, a cell per tolerance with the seeds' mean SW2 and NFE
    ff = [m for m in o["models"] if m["model"] == "ffjord"][0]
    i = md.index("| set | FFJORD tol 0.01 | FFJORD tol 1e-05 | DiffFlow λ = 0, N = 10 |")
    rows = [l for l in md[i:] if l.startswith(f"| {s} | ")]
    assert len(rows) == 1, rows
    cells = [c.strip() for c in rows[0].strip("|").split("|")][1:]
    for cell, tol in zip(cells, (1e-2, 1e-5)):
        pts = [p for r in ff["runs"] for p in r["sweep"] if p["tol"] == tol]
        sw2, nfe = sum(p["sw2"] for p in pts) / len(pts), sum(p["nfe"] for p in pts) / len(pts)
        assert cell.startswith(f"{sw2:.3g} ± ") and cell.endswith(f"({nfe:.3g})"), (cell, sw2, nfe)
PY
then ok; else bad "comparison-summary.py: $(tail -3 "$T/err")"; fi

# 2. equal wall time: 0.5 s per model and seed, no tuning
if timeout 120 "$BIN" compare --data checkerboard --models diffflow,ddpm "${TINY[@]}" --budget-seconds 0.5 --seeds 2 --curve-points 2 \
     --sample-steps 10,100 \
     --quiet --out "$T/time" >"$T/out" 2>"$T/err"; then ok; else bad "time budget: $(tail -3 "$T/err")"; fi
if "$PY" - "$T/time/compare.json" <<'PY'
import json, sys
o = json.load(open(sys.argv[1]))
assert o["budget"]["kind"] == "seconds" and o["budget"]["amount"] == 0.5 and o["tuned"] is False
for m in o["models"]:
    assert m["tuning"] is None and m["settings"]["lr"] == 0.01
    for r in m["runs"]:
        assert 0.5 <= r["seconds"] < 1.5, r["seconds"]
        assert len(r["curve"]) == 2 and r["curve"][-1]["seconds"] == r["seconds"] and r["measure_seconds"] > 0
        assert r["curve"][0]["seconds"] >= 0.25 and r["iterations"] > r["curve"][0]["iterations"] > 0
        assert r["decay_every"] >= 1 and r["expected_iterations"] > 0
ddpm = [m for m in o["models"] if m["model"] == "ddpm"][0]["runs"][0]["iterations"]
diffflow = [m for m in o["models"] if m["model"] == "diffflow"][0]["runs"][0]["iterations"]
assert ddpm > diffflow, (ddpm, diffflow)   # a DDPM iteration is the cheaper one
PY
then ok; else bad "time budget JSON: $(head -c 300 "$T/time/compare.json")"; fi

# 3. equal network evaluations: E = 70400 gives 70400 / (64 * passes) iterations
if timeout 120 "$BIN" compare --data carpet "${TINY[@]}" --seeds 1 --ffjord-steps 4 --budget-evals 70400 --sample-steps 10 \
     --lambdas 1 --curve-points 1 --quiet --out "$T/evals" >"$T/out" 2>"$T/err"; then ok; else bad "evaluation budget: $(tail -3 "$T/err")"; fi
if "$PY" - "$T/evals/compare.json" <<'PY'
import json, sys
o = json.load(open(sys.argv[1]))
assert o["budget"]["kind"] == "evaluations" and o["budget"]["amount"] == 70400
got = {m["model"]: (m["runs"][0]["iterations"], m["runs"][0]["evaluations"]) for m in o["models"]}
assert got == {"diffflow": (100, 70400), "ddpm": (1100, 70400), "ffjord": (68, 68 * 64 * 16)}, got
PY
then ok; else bad "evaluation budget JSON"; fi

# 4. a diverging candidate is rejected: FFJORD at learning rate 3 stops on a non-finite loss
if timeout 120 "$BIN" compare --data checkerboard --models ffjord "${TINY[@]}" --iters 40 --seeds 1 --sample-steps 10 \
     --curve-points 1 --tune --tune-lrs 0.003,3 --tune-ffjord-steps 2 --val-n 500 \
     --tune-fraction 1 --quiet --out "$T/diverge" >"$T/out" 2>"$T/err"; then ok; else bad "diverging tune: $(tail -3 "$T/err")"; fi
if "$PY" - "$T/diverge/compare.json" <<'PY'
import json, math, sys
o = json.load(open(sys.argv[1]))
t = o["models"][0]["tuning"]
c = {x["lr"]: x for x in t["candidates"]}
assert c[3]["rejected"].startswith("non-finite loss") and c[3]["iterations"] < 40, c[3]
assert c[0.003]["rejected"] is None and t["candidates"][t["chosen"]]["lr"] == 0.003 and not t["all_rejected"], t
assert o["models"][0]["settings"]["lr"] == 0.003 and math.isfinite(o["models"][0]["runs"][0]["nll_exact"])
PY
then ok; else bad "diverging candidate not rejected"; fi

# 4b. a chosen candidate that diverges only at the full budget (FFJORD at 0.03: its tuning run of
#     45 iterations has the lower validation SW2, its 300-iteration run stops) is rejected, its run
#     set aside, and the next candidate's seeds run anew
if timeout 120 "$BIN" compare --data checkerboard --models ffjord "${TINY[@]}" --iters 300 --seeds 2 --sample-steps 10 \
     --curve-points 1 --tune --tune-lrs 0.001,0.03 --tune-ffjord-steps 2 --val-n 500 \
     --tune-fraction 0.15 --quiet --out "$T/full" >"$T/out" 2>"$T/err"; then ok; else bad "full-budget check: $(tail -3 "$T/err")"; fi
if "$PY" - "$T/full/compare.json" <<'PY'
import json, math, sys
o = json.load(open(sys.argv[1]))
m = o["models"][0]
t = m["tuning"]
c = {x["lr"]: x for x in t["candidates"]}
assert c[0.03]["val_sw2"] < c[0.001]["val_sw2"], c  # the tuning alone would have chosen 0.03
assert c[0.03]["rejected"].startswith("at the full budget, seed 0: "), c[0.03]
assert c[0.001]["rejected"] is None and t["candidates"][t["chosen"]]["lr"] == 0.001 and not t["all_rejected"], t
assert m["settings"]["lr"] == 0.001 and [r["seed"] for r in m["runs"]] == [0, 1], m["runs"]
assert all(r["iterations"] == 300 and math.isfinite(r["nll_exact"]) for r in m["runs"]), m["runs"]
PY
then ok; else bad "full-budget failure not handled"; fi
[ -d "$T/full/ffjord/rejected/lr-0.03-steps-2/seed-0" ] && [ -d "$T/full/ffjord/seed-0" ] && [ -d "$T/full/ffjord/seed-1" ] \
  && grep -q "rejected: at the full budget, seed 0" "$T/full/compare.md" && grep -q "failed at the full budget" "$T/err" \
  && ok || bad "full-budget failure: directories or report ($(ls -R "$T/full/ffjord" | head -20))"

# 5. runs the trainer stops (FFJORD at learning rate 3, both seeds) are reported, left out of the
#    means and of the verdicts
if timeout 120 "$BIN" compare --data checkerboard --models ffjord,diffflow "${TINY[@]}" --iters 40 --seeds 2 --sample-steps 10 \
     --curve-points 2 --ffjord-steps 2 --lr 3 --quiet --out "$T/stop" >"$T/out" 2>"$T/err"; then ok; else bad "stopped runs: $(tail -3 "$T/err")"; fi
grep -q "^compare: ffjord seed 0: training diverged at iteration [0-9]*: " "$T/err" && ! grep -q "diffflow: error" "$T/err" \
  && ok || bad "the divergence is not compare's own line: $(cat "$T/err")"
if "$PY" - "$T/stop/compare.json" <<'PY'
import json, sys
o = json.load(open(sys.argv[1]))
f = o["models"][0]
assert f["model"] == "ffjord"
for r in f["runs"]:
    assert r["stopped"] is True and 0 <= r["iterations"] < 40 and r["sw2"] is None and r["nll_exact"] is None, r
    assert r["sweep"] == [] and r["evaluations"] == r["iterations"] * 64 * 8, r
assert f["summary"]["sw2"] == {"mean": None, "sd": None, "n": 0} and f["summary"]["iterations"]["n"] == 0
v = [x for x in o["verdicts"] if "ffjord" in (x["a"], x["b"])]
assert len(v) == 3 and all(not x["win"] and "fewer than 2 finite seeds" in x["text"] for x in v), v
PY
then ok; else bad "stopped runs JSON"; fi
grep -q "^| ffjord (2 stopped) | 3 | 2 | " "$T/stop/compare.md" && ok || bad "compare.md does not mark the stopped runs"

# 6. a real set beyond 2-D (the stand-in files of tests/real_data_fixture.h), tuned on its
#    validation split: likelihoods only (no sample metrics, no scatter figures)
if "$(dirname "$1")/tests/make_real_fixture" "$T/real" >/dev/null 2>&1 && DF_DATA_DIR="$T/real" DF_DATA_INSTALL=0 timeout 120 \
     "$BIN" compare --data digits --device cpu --width 8 --layers 1 --batch 16 --steps 3 --iters 10 --seeds 2 --eval-n 50 \
     --val-n 50 --metric-samples 100 --sample-steps 5 --lambdas 0,1 --sweep-samples 100 --sweep-eval-n 20 --curve-points 2 \
     --curve-samples 0 --curve-eval-n 20 --tune --tune-lrs 0.003,0.01 --tune-ffjord-steps 2 --quiet --out "$T/digits" \
     >"$T/out" 2>"$T/err"; then ok; else bad "real set: $(tail -3 "$T/err")"; fi
for split in valid test; do
  DF_DATA_DIR="$T/real" DF_DATA_INSTALL=0 "$(dirname "$1")/diffflow" data --name digits --split $split --out "$T/$split.csv" 2>/dev/null
done
# the stand-in's splits are smaller than asked for: the sizes tell which split each came from
if "$PY" - "$T/digits/compare.json" "$(wc -l <"$T/valid.csv")" "$(wc -l <"$T/test.csv")" <<'PY'
import json, math, sys
o = json.load(open(sys.argv[1]))
nvalid, ntest = int(sys.argv[2]), int(sys.argv[3])
assert nvalid != ntest and nvalid < 50 and ntest < 50, (nvalid, ntest)
assert o["data"] == "digits" and o["entropy"] is None, o
assert o["sizes"]["validation_points"] == nvalid and o["sizes"]["test_points"] == ntest, o["sizes"]
assert sorted(f["file"] for f in o["figures"]) == ["curves.png", "steps.png", "steps_seconds.png"], o["figures"]
for m in o["models"]:
    assert len(m["tuning"]["candidates"]) == 2
    for r in m["runs"]:
        assert r["sw2"] is None and r["leakage"] is None and r["iterations"] == 10
        assert math.isfinite(r["nll_exact"] if m["model"] == "ffjord" else r["nll_ode"]), r
        assert [c["iterations"] for c in r["curve"]] == [5, 10] and all(math.isfinite(c["nll"]) for c in r["curve"])
    if m["model"] != "ffjord":
        assert [(p["steps"], p["lambda"]) for p in m["runs"][0]["sweep"]] == [(5, 0), (5, 1)]
        assert all(math.isfinite(p["nll"]) for p in m["runs"][0]["sweep"])
assert any(v["metric"] == "NLL" for v in o["verdicts"]) and not any(v["metric"] == "SW2" for v in o["verdicts"] if v["a_stat"]["n"])
PY
then ok; else bad "real set JSON"; fi

# 7. bad flags: exit 2, one line, nothing written
printf 'x,y\n0,1\n1,0\n2,2\n' >"$T/pts.csv"
for args in "--iters 5 --budget-seconds 3" "--tune --lr 0.01" "--sample-steps 10,x" "--lambdas -1" "--seeds 0" \
            "--tune-fraction 0" "--models ddpm,bogus" "--models ddpm,ddpm" "--curve-points 0" "--tune-lrs 0.01,,0.1" "--budget-evals 0"; do
  # shellcheck disable=SC2086
  "$BIN" compare --data checkerboard --device cpu $args --out "$T/bad" >"$T/out" 2>"$T/err"
  rc=$? lines=$(wc -l <"$T/err")
  if [ $rc -eq 2 ] && [ "$lines" -eq 1 ] && [ ! -e "$T/bad" ]; then ok; else bad "compare $args: rc=$rc lines=$lines: $(cat "$T/err")"; fi
done
"$BIN" compare --data "$T/pts.csv" --tune --device cpu --out "$T/bad" >"$T/out" 2>"$T/err"
[ $? -eq 2 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && [ ! -e "$T/bad" ] && ok || bad "--tune on a file: $(cat "$T/err")"
bash "$SCRIPT" --sets checkerboard --bin "$BIN" >"$T/out" 2>"$T/err"
[ $? -eq 2 ] && ok || bad "script without --out"
"$BIN" compare --help >"$T/out" 2>&1 && grep -q -- "--budget-evals" "$T/out" && grep -q -- "--tune-ffjord-steps" "$T/out" && ok || bad "compare --help"

echo "cli_compare: $pass passed, $fail failed"
[ $fail -eq 0 ]
