#!/usr/bin/env bash
# The real data sets through the command, on the stand-in files of tests/real_data_fixture.h
# (make_real_fixture, next to the tests): the listing, a split written out, training with
# validation and early stopping (valid.csv, DIR/best), resume of the validation, eval on the
# test and validation splits with discrete bits per dimension, the Gaussian baseline, an image
# grid for an image set, the memory estimate, and the errors (a set not installed, bad --split,
# --patience alone, --valid on a file). Run by ctest as `bash cli_real_data.sh <diffflow>`.
set -u
BIN="$1"
FIX="$(dirname "$1")/tests/make_real_fixture"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0; pass=0
ok() { pass=$((pass+1)); }
bad() { echo "FAIL: $*"; fail=$((fail+1)); }
PY=python3
"$FIX" "$T/root" || { echo "FAIL: make_real_fixture"; exit 1; }
export DF_DATA_DIR="$T/root" DF_DATA_INSTALL=0
small=(--width 8 --layers 1 --batch 16 --steps 3 --device cpu --samples 50)

[ "$("$BIN" data --list | grep -c "installed ($T/root)")" -eq 5 ] && ok || bad "data --list: $("$BIN" data --list)"
"$BIN" data --name digits --split test --out "$T/test.csv" 2>"$T/err" && ok || bad "data --split: $(cat "$T/err")"
ntest=$(wc -l <"$T/test.csv")
"$BIN" data --name digits --split valid --out "$T/valid.csv" 2>"$T/err" && ok || bad "data --split valid: $(cat "$T/err")"
nvalid=$(wc -l <"$T/valid.csv")

# training with validation at every checkpoint; the best checkpoint in DIR/best
if "$BIN" train --data digits --iters 30 --save-every 10 --valid 1000 "${small[@]}" --out "$T/run" 2>"$T/err"; then ok
else bad "train --valid: $(tail -3 "$T/err")"; fi
grep -q "about .* of memory -> " "$T/err" && ok || bad "no memory estimate: $(head -5 "$T/err")"
grep -q "digits's network and batch" "$T/err" && ok || bad "no real-set defaults line: $(head -3 "$T/err")"
check_valid() {  # valid.csv: one row per checkpoint, best = running minimum, stale counts
  $PY - "$1" "$2" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1] + "/valid.csv")))
its = [int(r["iter"]) for r in rows]
assert its == [int(x) for x in sys.argv[2].split(",")], its
best, bi, stale = None, -1, 0
for r in rows:
    v = float(r["valid_nll"])
    if best is None or v < best: best, bi, stale = v, int(r["iter"]), 0
    else: stale += 1
    assert abs(float(r["best_nll"]) - best) <= 1e-6 * abs(best) and int(r["best_iter"]) == bi and int(r["stale"]) == stale, r
hdr = open(sys.argv[1] + "/best/checkpoint.bin", "rb").read(20000)
assert b"\niteration=%d\n" % bi in hdr, "best/ holds another iteration than %d" % bi
import re
m = re.search(rb"\nstd_logit=([^\n]+)\n", hdr)
assert m and abs(float(m.group(1)) - 1e-6) < 1e-15, "no logit map in the checkpoint"
PY
}
check_valid "$T/run" 10,20,30 && ok || bad "valid.csv / best after training"
# resume continues the validation record
if "$BIN" train --resume "$T/run" --iters 40 --valid 1000 --quiet 2>"$T/err"; then ok; else bad "resume: $(cat "$T/err")"; fi
check_valid "$T/run" 10,20,30,40 && ok || bad "valid.csv after resume"

# early stop: a learning rate too small to move a float32 weight leaves the validation NLL
# exactly where it was, so patience 2 stops at the third validation
if "$BIN" train --data digits --iters 100 --save-every 10 --valid 1000 --patience 2 --lr 1e-12 "${small[@]}" \
     --out "$T/stop" 2>"$T/err"; then ok; else bad "train --patience: $(tail -3 "$T/err")"; fi
grep -q "early stop: 2 validations without improvement" "$T/err" && ok || bad "no early-stop message: $(tail -4 "$T/err")"
[ "$(tail -1 "$T/stop/log.csv" | cut -d, -f1)" = 30 ] && ok || bad "early stop did not stop at 30: $(tail -1 "$T/stop/log.csv")"
check_valid "$T/stop" 10,20,30 && ok || bad "valid.csv of the early stop"

# eval on both held-out splits; bits per dimension of 17 grey levels
for split in test valid; do
  "$BIN" eval --model "$T/run/best" --data digits --split $split --n 0 --no-ode --trajectories 2 --device cpu --json \
    >"$T/ev.json" 2>"$T/err" || bad "eval --split $split: $(cat "$T/err")"
  want=$([ $split = test ] && echo "$ntest" || echo "$nvalid")
  $PY - "$T/ev.json" "$want" <<'PY' && ok || bad "eval --split $split: $(cat "$T/ev.json")"
import json, math, sys
o = json.load(open(sys.argv[1]))
assert o["n"] == int(sys.argv[2]), (o["n"], sys.argv[2])
assert math.isfinite(o["nll_bound"]) and o["nll_ode"] is None
assert abs(o["bpd_bound"] - (o["nll_bound"] + 64 * math.log(17)) / (64 * math.log(2))) < 1e-9
PY
done
# the ODE likelihood at d = 64 takes Hutchinson's estimator: repeats and their spread
for R in 1 3; do
  "$BIN" eval --model "$T/run" --data digits --n 20 --probe-repeats $R --trajectories 1 --device cpu --json \
    >"$T/ode.json" 2>"$T/err" || bad "eval --probe-repeats $R: $(cat "$T/err")"
  $PY - "$T/ode.json" $R <<'PY' && ok || bad "probe repeats $R: $(cat "$T/ode.json")"
import json, math, sys
o = json.load(open(sys.argv[1])); R = int(sys.argv[2])
assert o["probe_repeats"] == R and math.isfinite(o["nll_ode"])
assert (o["probe_sd"] is None) if R == 1 else (o["probe_sd"] > 0)
PY
done
"$BIN" sample --model "$T/run/best" --n 20 --out "$T/s.csv" --device cpu 2>"$T/err" && ok || bad "sample best: $(cat "$T/err")"
$PY - "$T/s.csv" <<'PY' && ok || bad "samples of an image set are not in [0, 1] (the logit map undone)"
import csv, sys
v = [float(x) for r in csv.reader(open(sys.argv[1])) for x in r]
assert len(v) == 20 * 64 and all(0 <= x <= 1 for x in v)
PY

# the Gaussian baseline
"$BIN" baseline --data letter --json >"$T/b.json" 2>"$T/err" || bad "baseline: $(cat "$T/err")"
$PY - "$T/b.json" <<'PY' && ok || bad "baseline json: $(cat "$T/b.json")"
import json, math, sys
o = json.load(open(sys.argv[1]))
assert o["data"] == "letter" and o["split"] == "test" and o["n"] > 0 and o["n_train"] > o["n"]
assert math.isfinite(o["nll"]) and o["nll_se"] > 0 and abs(o["bpd"] - o["nll"] / (16 * math.log(2))) < 1e-9
PY
# on the rows eval takes (--n: the first N of the split), fitted on the same training split
"$BIN" baseline --data letter --n 5 --json >"$T/b5.json" 2>"$T/err" || bad "baseline --n: $(cat "$T/err")"
$PY - "$T/b.json" "$T/b5.json" <<'PY' && ok || bad "baseline --n json: $(cat "$T/b5.json")"
import json, math, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
assert b["n"] == 5 and b["n_train"] == a["n_train"] and math.isfinite(b["nll"]) and b["nll"] != a["nll"], (a, b)
PY

# an image set draws image grids
if "$BIN" train --data fashion-mnist --iters 2 "${small[@]}" --out "$T/fm" 2>"$T/err"; then ok; else bad "fashion-mnist: $(tail -3 "$T/err")"; fi
[ -s "$T/fm/samples.png" ] && ok || bad "no image grid for fashion-mnist"

# errors: one line, exit 2, no run directory left behind
expect2() {  # label, message part, command...
  local label="$1" want="$2"; shift 2
  "$@" >"$T/out" 2>"$T/err"; local rc=$?
  if [ $rc -eq 2 ] && grep -q -- "$want" "$T/err" && [ "$(wc -l <"$T/err")" -eq 1 ]; then ok
  else bad "$label: rc=$rc $(cat "$T/err")"; fi
}
expect2 "not installed" "install-data.sh digits" env DF_DATA_DIR="$T/none" "$BIN" train --data digits --out "$T/ni"
[ ! -e "$T/ni" ] && ok || bad "a run directory was left for a set that is not installed"
expect2 "split train" "not held out" "$BIN" eval --model "$T/run" --data digits --split train
expect2 "split on a 2-D set" "for real sets" "$BIN" eval --model "$T/run" --data checkerboard --split valid
expect2 "patience alone" "needs --valid" "$BIN" train --data digits --patience 3 "${small[@]}" --out "$T/p"
"$BIN" data --name checkerboard --n 100 --out "$T/pts.csv" 2>/dev/null
expect2 "valid on a file" "no validation split" "$BIN" train --data "$T/pts.csv" --valid 10 "${small[@]}" --out "$T/f"
expect2 "baseline of a 2-D set" "not a real set" "$BIN" baseline --data olympic
expect2 "unknown set lists the real ones" "real sets: fashion-mnist" "$BIN" train --data nosuch --out "$T/u"

echo "cli_real_data: $pass passed, $fail failed"
[ $fail -eq 0 ]
