#!/usr/bin/env bash
# The three model families through the command: train (a few iterations), sample, eval --json
# with the fields each defines (DiffFlow and DDPM: nll_bound and nll_ode; FFJORD: nll_exact and
# the solver's function evaluations), the sample-quality metrics against a built-in set,
# DIR/summary.json after each training and the terminal summary, and resume for a baseline.
set -u
BIN="$1"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0; pass=0
ok() { pass=$((pass+1)); }
bad() { echo "FAIL: $*"; fail=$((fail+1)); }
PY=python3
for m in diffflow ddpm ffjord; do
  if "$BIN" train --model $m --data checkerboard --iters 4 --batch 64 --steps 3 --width 8 --layers 1 \
      --device cpu --quiet --samples 100 --out "$T/$m" 2>"$T/err"; then ok; else bad "train $m: $(cat "$T/err")"; continue; fi
  grep -a -q "model=$m$" "$T/$m/checkpoint.bin" && ok || bad "checkpoint of $m does not say model=$m"
  $PY - "$T/$m" <<'PY' && ok || bad "summary.json of $m: $(cat "$T/$m/summary.json" 2>&1)"
import csv, json, sys
d = sys.argv[1]; o = json.load(open(d + "/summary.json")); rows = list(csv.DictReader(open(d + "/log.csv")))
assert o["iterations"] == 4 and o["iterations_this_run"] == 4 and o["final_loss"] == float(rows[-1]["loss"])
assert o["files"] == ["checkpoint.bin", "log.csv", "samples.png", "loss.png", "summary.json"], o["files"]
assert o["seconds"] > 0 and o["iterations_per_second"] > 0 and o["smoothing_window"] == 1 and o["device"] == "cpu"
PY
  "$BIN" sample --model "$T/$m" --n 37 --device cpu --out "$T/$m.csv" 2>"$T/err" && [ "$(wc -l <"$T/$m.csv")" -eq 37 ] && ok || bad "sample $m: $(cat "$T/err")"
  "$BIN" eval --model "$T/$m" --data checkerboard --n 50 --metric-samples 300 --device cpu --json >"$T/$m.json" 2>"$T/err" || bad "eval $m: $(cat "$T/err")"
  if $PY - "$T/$m.json" "$m" <<'PY'
import json, math, sys
o = json.load(open(sys.argv[1])); m = sys.argv[2]
fin = lambda k: o[k] is not None and math.isfinite(o[k])
assert o["model"] == m and o["n"] == 50
if m == "ffjord":
    assert fin("nll_exact") and o["nfe"] > 0 and o["nll_bound"] is None
else:
    assert fin("nll_bound") and fin("nll_ode") and fin("bpd_bound") and o["nll_exact"] is None
# checkerboard: exact entropy log 32 in raw coordinates; metrics with floors; leakage in [0, 1]
assert abs(o["entropy"] - math.log(32)) < 1e-9
assert fin("kl_gap") and fin("sw2") and fin("sw2_floor") and 0 <= o["leakage"] <= 1 and 0 <= o["tv"] <= 1
PY
  then ok; else bad "eval --json of $m: $(cat "$T/$m.json")"; fi
done
# the sampler family and Tweedie's step; FFJORD has no score to denoise with; bad λ values
"$BIN" sample --model "$T/diffflow" --n 20 --lambda 0.5 --denoise --device cpu --out "$T/l05.csv" 2>"$T/err" &&
  [ "$(wc -l <"$T/l05.csv")" -eq 20 ] && ok || bad "sample --lambda 0.5 --denoise: $(cat "$T/err")"
"$BIN" sample --model "$T/diffflow" --n 20 --lambda 0 --device cpu --out "$T/l0.csv" 2>/dev/null &&
  "$BIN" sample --model "$T/diffflow" --n 20 --deterministic --device cpu --out "$T/det.csv" 2>/dev/null &&
  cmp -s "$T/l0.csv" "$T/det.csv" && ok || bad "--lambda 0 differs from --deterministic"
"$BIN" sample --model "$T/diffflow" --n 20 --device emu --lambda 0.5 --denoise --out "$T/emu.csv" 2>"$T/err" &&
  $PY - "$T/l05.csv" "$T/emu.csv" <<'PY' && ok || bad "sample on emu differs from cpu: $(cat "$T/err")"
import sys
a = [[float(v) for v in l.split(",")] for l in open(sys.argv[1]) if l.strip()]
b = [[float(v) for v in l.split(",")] for l in open(sys.argv[2]) if l.strip()]
assert len(a) == len(b) == 20
assert max(abs(x - y) for r, q in zip(a, b) for x, y in zip(r, q)) < 1e-4 * max(1.0, max(abs(x) for r in a for x in r))
PY
for args in "--lambda -1" "--lambda x" "--lambda 0.5 --deterministic"; do
  # shellcheck disable=SC2086
  "$BIN" sample --model "$T/diffflow" --n 5 $args --device cpu --out "$T/bad.csv" >/dev/null 2>"$T/err"
  [ $? -eq 2 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && ok || bad "sample $args: $(cat "$T/err")"
done
"$BIN" sample --model "$T/ffjord" --n 5 --denoise --device cpu --out "$T/bad.csv" >/dev/null 2>"$T/err"
[ $? -eq 2 ] && grep -q "no score" "$T/err" && ok || bad "ffjord --denoise: $(cat "$T/err")"
# FFJORD's adaptive sampler: Dormand–Prince at --tol, its evaluations reported; near fixed-step RK4
if "$BIN" sample --model "$T/ffjord" --n 200 --tol 1e-6 --device cpu --out "$T/ff_tol.csv" 2>"$T/err" \
   && "$BIN" sample --model "$T/ffjord" --n 200 --steps 200 --device cpu --out "$T/ff_rk4.csv" 2>/dev/null; then ok; else bad "sample --tol: $(cat "$T/err")"; fi
grep -Eq "^wrote 200 samples to .* \(([0-9]+) network evaluations per sample\)$" "$T/err" && ok || bad "sample --tol message: $(cat "$T/err")"
$PY - "$T/ff_tol.csv" "$T/ff_rk4.csv" <<'PY' && ok || bad "sample --tol differs from fine RK4"
import sys
a, b = ([[float(v) for v in l.split(",")] for l in open(f) if l.strip() and not l[0].isalpha()] for f in sys.argv[1:3])
assert len(a) == len(b) == 200
d = max(abs(x - y) for ra, rb in zip(a, b) for x, y in zip(ra, rb))
assert 0 <= d < 1e-3, d
PY
for args in "--tol 1e-3 --steps 10" "--tol -1" "--tol 2"; do
  # shellcheck disable=SC2086
  "$BIN" sample --model "$T/ffjord" --n 5 $args --device cpu --out "$T/bad.csv" >/dev/null 2>"$T/err"
  [ $? -eq 2 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && ok || bad "sample $args: $(cat "$T/err")"
done
"$BIN" sample --model "$T/diffflow" --n 5 --tol 1e-3 --device cpu --out "$T/bad.csv" >/dev/null 2>"$T/err"
[ $? -eq 2 ] && grep -q "tol is FFJORD's" "$T/err" && ok || bad "diffflow --tol: $(cat "$T/err")"
# d = 18 > 16: FFJORD and the ODE likelihoods switch to Hutchinson's trace estimator
awk 'BEGIN { srand(3); for (i = 0; i < 64; i++) { row = ""; for (k = 0; k < 18; k++) row = row (k ? "," : "") (rand() * 2 - 1 + k * 0.1); print row } }' >"$T/d18.csv"
for m in ffjord diffflow; do
  if "$BIN" train --model $m --data "$T/d18.csv" --iters 2 --batch 16 --steps 2 --width 8 --layers 1 --device cpu --quiet \
      --samples 0 --out "$T/d18-$m" 2>"$T/err" &&
     "$BIN" eval --model "$T/d18-$m" --data "$T/d18.csv" --n 16 --device cpu --json >"$T/d18.json" 2>"$T/err" &&
     $PY -c "import json,math,sys; o=json.load(open('$T/d18.json')); v=o['nll_exact'] if '$m'=='ffjord' else o['nll_ode']; assert v is not None and math.isfinite(v)"; then
    ok
  else
    bad "d = 18 $m: $(cat "$T/err") $(cat "$T/d18.json" 2>/dev/null)"
  fi
done
"$BIN" train --resume "$T/ddpm" --iters 6 --device cpu --quiet --samples 0 2>"$T/err" && [ "$(tail -1 "$T/ddpm/log.csv" | cut -d, -f1)" = 6 ] && ok || bad "resume ddpm: $(cat "$T/err")"
# the terminal summary (no --quiet) of a resumed run without figures, and its summary.json
"$BIN" train --resume "$T/diffflow" --iters 6 --device cpu --samples 0 2>"$T/err" &&
  grep -q "^summary: 2 iterations in .* it/s), 6 in all$" "$T/err" && grep -q "mean of the last 1: " "$T/err" &&
  grep -q "files: $T/diffflow/{checkpoint.bin, log.csv, summary.json}" "$T/err" &&
  $PY -c 'import json,sys; o=json.load(open(sys.argv[1])); assert o["iterations"] == 6 and o["iterations_this_run"] == 2' \
    "$T/diffflow/summary.json" && ok || bad "summary of a resumed run: $(cat "$T/err")"
"$BIN" train --model nope --out "$T/x" >/dev/null 2>"$T/err"; [ $? -eq 2 ] && grep -q "unknown model" "$T/err" && ok || bad "unknown model: $(cat "$T/err")"
echo "cli_models: $pass passed, $fail failed"
[ $fail -eq 0 ]
