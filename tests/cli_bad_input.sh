#!/usr/bin/env bash
# Every malformed input gets a one-line error naming the flag or file, exit code 2, and no
# partial output file (issue: bad input). Also: --help works for every command, and a run
# directory, its samples and eval's JSON are produced by a tiny real run.
set -u
BIN="$1"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0; pass=0

# expect_err "description" "needle in the message" "file that must not exist" -- args...
expect_err() {
  local what="$1" needle="$2" nofile="$3"; shift 4
  "$BIN" "$@" >"$T/out" 2>"$T/err"
  local rc=$? lines
  lines=$(wc -l <"$T/err")
  if [ $rc -ne 2 ] || [ "$lines" -ne 1 ] || ! grep -q -- "$needle" "$T/err" || { [ -n "$nofile" ] && [ -e "$nofile" ]; }; then
    echo "FAIL: $what: rc=$rc lines=$lines stderr: $(cat "$T/err")"; fail=$((fail+1))
  else
    pass=$((pass+1))
  fi
}
expect_ok() {
  local what="$1"; shift
  if "$BIN" "$@" >"$T/out" 2>"$T/err"; then pass=$((pass+1)); else echo "FAIL: $what: $(tail -3 "$T/err")"; fail=$((fail+1)); fi
}

for c in data train sample eval; do expect_ok "$c --help" $c --help; done

# Does this build write PNG files? (libpng is optional; without it --png is an input error and
# the run figures are skipped with a warning.)
have_png=1
if ! "$BIN" data --name moons --n 10 --out "$T/probe.csv" --png "$T/probe.png" >"$T/out" 2>"$T/err"; then
  if grep -q "no libpng" "$T/err"; then
    have_png=0
    echo "cli_bad_input: this build has no libpng: PNG checks skipped"
    expect_err "data --png without libpng" "no libpng" "$T/p.csv" -- data --name moons --n 10 --out "$T/p.csv" --png "$T/p.png"
  else
    echo "FAIL: data --png: $(cat "$T/err")"; fail=$((fail+1))
  fi
elif [ -s "$T/probe.png" ]; then pass=$((pass+1)); else echo "FAIL: data --png wrote no PNG"; fail=$((fail+1)); fi

# files
printf '1,2\n3,4,5\n' >"$T/ragged.csv"
printf '1,2\n3,abc\n' >"$T/nonnum.csv"
printf '1,2\nnan,4\n' >"$T/nan.csv"
printf '1,2\ninf,4\n' >"$T/inf.csv"
: >"$T/empty.csv"
printf '1,2,3\n4,5,6\n7,8,9\n' >"$T/three.csv"
expect_err "missing file" "missing.csv" "$T/r1" -- train --data "$T/missing.csv" --out "$T/r1" --iters 1
expect_err "empty file" "empty.csv" "$T/r1" -- train --data "$T/empty.csv" --out "$T/r1" --iters 1
expect_err "ragged rows" "3 columns" "$T/r1" -- train --data "$T/ragged.csv" --out "$T/r1" --iters 1
expect_err "non-numeric" "abc" "$T/r1" -- train --data "$T/nonnum.csv" --out "$T/r1" --iters 1
expect_err "NaN" "nonnum\|nan\|NaN" "$T/r1" -- train --data "$T/nan.csv" --out "$T/r1" --iters 1
expect_err "Inf" "inf" "$T/r1" -- train --data "$T/inf.csv" --out "$T/r1" --iters 1
expect_err "unknown set" "unknown data set" "$T/r1" -- train --data nosuchset --out "$T/r1" --iters 1
expect_err "unknown flag" "unknown flag --bogus" "$T/r1" -- train --bogus 1 --out "$T/r1"
expect_err "iters < 0" "--iters" "$T/r1" -- train --iters -1 --out "$T/r1"
expect_err "batch 0" "--batch" "$T/r1" -- train --batch 0 --out "$T/r1"
expect_err "steps 0" "--steps" "$T/r1" -- train --steps 0 --out "$T/r1"
expect_err "lr not a number" "--lr" "$T/r1" -- train --lr fast --out "$T/r1"
expect_err "bad device" "--device" "$T/r1" -- train --device tpu --out "$T/r1"
expect_err "bad precision" "--precision" "$T/r1" -- train --precision fp16 --out "$T/r1"
expect_err "bf16 on the CPU" "fp32 only" "$T/r1" -- train --precision bf16 --device cpu --out "$T/r1"
DF_GRAPHS=yes expect_err "bad DF_GRAPHS" "DF_GRAPHS" "$T/r1" -- train --device emu --out "$T/r1"
expect_err "missing --out" "--out" "" -- train --iters 1
expect_err "g count" "--g" "$T/r1" -- train --g 0.1,0.2 --steps 5 --out "$T/r1"
expect_err "data: unknown set" "unknown data set" "$T/x.csv" -- data --name nope --n 10 --out "$T/x.csv"
expect_err "data: n 0" "--n" "$T/x.csv" -- data --name moons --n 0 --out "$T/x.csv"
expect_err "data: bad extension" "x.txt" "$T/x.txt" -- data --name moons --n 10 --out "$T/x.txt"
expect_err "sample: no model" "checkpoint" "$T/s.csv" -- sample --model "$T/none" --n 10 --out "$T/s.csv"
expect_err "eval: no model" "checkpoint" "" -- eval --model "$T/none" --data moons

# a tiny real run, then errors that need one
expect_ok "tiny train" train --data moons --iters 3 --batch 64 --steps 3 --width 8 --layers 1 --device cpu --quiet --samples 200 --out "$T/run"
figs=""; [ $have_png -eq 1 ] && figs="samples.png loss.png"
for f in checkpoint.bin log.csv summary.json $figs; do
  if [ -s "$T/run/$f" ]; then pass=$((pass+1)); else echo "FAIL: train left no $f"; fail=$((fail+1)); fi
done
head -1 "$T/run/log.csv" | grep -q '^iter,loss' && pass=$((pass+1)) || { echo "FAIL: log.csv header"; fail=$((fail+1)); }
expect_err "train into an existing run" "already holds a run" "" -- train --data moons --iters 3 --out "$T/run"
expect_err "resume below done" "--iters" "" -- train --resume "$T/run" --iters 1
expect_err "eval wrong dimension" "d = 3" "" -- eval --model "$T/run" --data "$T/three.csv"
expect_err "sample bad extension" "s.txt" "$T/s.txt" -- sample --model "$T/run" --n 10 --out "$T/s.txt"
expect_ok "sample" sample --model "$T/run" --n 50 --device cpu --out "$T/s.npy"
if [ $have_png -eq 0 ]; then
  expect_err "sample --png without libpng" "no libpng" "$T/s3.npy" -- sample --model "$T/run" --n 5 --device cpu --out "$T/s3.npy" --png "$T/s3.png"
fi
[ -s "$T/s.npy" ] && pass=$((pass+1)) || { echo "FAIL: sample wrote nothing"; fail=$((fail+1)); }
"$BIN" eval --model "$T/run" --data moons --n 64 --device cpu --json >"$T/eval.json" 2>"$T/err"
if python3 - "$T/eval.json" <<'PY' 2>/dev/null
import json, math, sys
o = json.load(open(sys.argv[1]))
assert o["n"] == 64 and all(math.isfinite(o[k]) for k in ("nll_bound", "nll_ode", "bpd_bound"))
PY
then pass=$((pass+1)); else echo "FAIL: eval --json: $(cat "$T/eval.json") $(cat "$T/err")"; fail=$((fail+1)); fi
cp -r "$T/run" "$T/run_bad"
printf 'X' | dd of="$T/run_bad/checkpoint.bin" bs=1 seek=200 conv=notrunc 2>/dev/null
expect_err "corrupted checkpoint" "checksum" "" -- train --resume "$T/run_bad" --iters 5
printf 'X' | dd of="$T/run_bad/checkpoint.bin" bs=1 seek=30 conv=notrunc 2>/dev/null
expect_err "corrupted checkpoint (sample)" "checkpoint" "$T/s2.csv" -- sample --model "$T/run_bad" --n 5 --out "$T/s2.csv"

echo "cli_bad_input: $pass passed, $fail failed"
[ $fail -eq 0 ]
