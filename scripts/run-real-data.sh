#!/usr/bin/env bash
# The real-data experiment of docs/real-data.md: DiffFlow, DDPM and FFJORD on real sets at equal
# wall-clock time, each at its own learning rate chosen on the validation split, several seeds,
# beside the full-covariance Gaussian baseline; then one run per model on an image set for the
# sample grids. Writes into --out DIR:
#   machine.txt, commands.txt (every command with its exit status and seconds)
#   SET/baseline.json, SET/MODEL/tune-lr-X/, SET/MODEL/seed-K/ (run directories: valid.csv, best/)
#   SET/MODEL/seed-K.eval.json (eval of the best validation checkpoint on the test split)
#   results.jsonl (one line per final run), results.md (the tables, scripts/real-data-table.py)
# Usage: bash scripts/run-real-data.sh [--out DIR] [--budget-seconds S] [--seeds K]
#          [--sets "digits letter"] [--image-set fashion-mnist|none] [--lrs "0.001 0.003 0.01"]
#          [--width W] [--eval-n N] [--models "diffflow ddpm ffjord"] [--append] [--lr X]
#          [--first-seed S] [--valid N] [--bin PATH]
# Defaults: runs/real-data, 90 s, 3 seeds, digits and letter, fashion-mnist, W = 128, the test
# split's first 1000 rows. The learning-rate sweep trains each candidate for a quarter of the
# budget with seed 1000 and keeps the lowest best validation NLL (valid.csv); the learning rate
# is not decayed (--decay-rate 1), so that no model's schedule depends on its iteration speed.
# Validation runs 8 times in a final run and 4 times in a tuning run, at checkpoints spaced by a
# 3 s speed probe; its time is not training time. FFJORD validates once, at the end of each run:
# its Dormand–Prince solves grow with training (on the digits, 11 validations of 161 points took
# 539 s beside 90 s of training). FFJORD's test NLL: Dormand–Prince at tolerance 1e-3. --append
# adds to an earlier output (results.jsonl, commands.txt) instead of starting anew; --lr X skips
# the sweep (a rate chosen by an earlier sweep); --first-seed S starts the seeds at S; --valid N
# validates on the first N validation points (default 1000; FFJORD at 784-D needs fewer).
set -euo pipefail
cd "$(dirname "$0")/.."
out=runs/real-data budget=90 seeds=3 sets="digits letter" image_set=fashion-mnist lrs="0.001 0.003 0.01"
width=128 eval_n=1000 bin=build/diffflow models="diffflow ddpm ffjord" append=0 fixed_lr="" first_seed=0 valid_n=1000
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --budget-seconds) budget=$2; shift 2 ;;
    --seeds) seeds=$2; shift 2 ;;
    --sets) sets=$2; shift 2 ;;
    --image-set) image_set=$2; shift 2 ;;
    --lrs) lrs=$2; shift 2 ;;
    --width) width=$2; shift 2 ;;
    --eval-n) eval_n=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --models) models=$2; shift 2 ;;
    --append) append=1; shift ;;
    --lr) fixed_lr=$2; shift 2 ;;
    --first-seed) first_seed=$2; shift 2 ;;
    --valid) valid_n=$2; shift 2 ;;
    *) echo "run-real-data.sh: error: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[ -x "$bin" ] || { echo "run-real-data.sh: error: $bin not built (bash scripts/build.sh)" >&2; exit 2; }
mkdir -p "$out"
[ $append = 1 ] || : >"$out/machine.txt"
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "commit: $(git rev-parse HEAD 2>/dev/null || echo unknown)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) hardware threads"
  echo "budget: $budget s per final run, seeds $seeds, sets $sets, models $models, image set $image_set, lrs $lrs, W = $width, valid $valid_n, eval $eval_n"
} >>"$out/machine.txt"
if [ $append = 0 ]; then : >"$out/commands.txt"; : >"$out/results.jsonl"; fi

run() {  # logs the command, its exit status and seconds; never stops the experiment
  local t0 rc
  t0=$(date +%s.%N)
  "$@" && rc=0 || rc=$?
  printf '%s\t%d\t%.1f\n' "$*" "$rc" "$(echo "$(date +%s.%N) - $t0" | bc)" >>"$out/commands.txt"
  return $rc
}
its_per_s() {  # iterations per second of a finished run directory (log.csv: iter, ..., seconds)
  tail -1 "$1/log.csv" | awk -F, '{ if ($8 > 0) printf "%.6f", $1 / $8; else print 0 }'
}
best_valid() {  # the best validation NLL of a run directory (last row of valid.csv), or "inf"
  [ -s "$1/valid.csv" ] && tail -1 "$1/valid.csv" | cut -d, -f4 || echo inf
}

train_run() {  # set model lr seed budget save_every dir
  local set=$1 model=$2 lr=$3 seed=$4 secs=$5 every=$6 dir=$7
  rm -rf "$dir"
  run "$bin" train --data "$set" --model "$model" --width "$width" --lr "$lr" --seed "$seed" --iters 100000000 \
    --budget-seconds "$secs" --save-every "$every" --valid "$valid_n" --decay-rate 1 --samples 0 --quiet --out "$dir" \
    2>>"$out/$set.log" || true
}

for set in $sets; do
  mkdir -p "$out/$set"
  echo "== $set ($(date -u +%H:%M:%S))" >&2
  run "$bin" baseline --data "$set" --n "$eval_n" --json >"$out/$set/baseline.json" 2>>"$out/$set.log" || true
  for model in $models; do
    # speed probe: 3 s, for the checkpoint (= validation) interval
    train_run "$set" "$model" 0.003 1000 3 1000000 "$out/$set/$model/probe"
    ips=$(its_per_s "$out/$set/$model/probe")
    rm -rf "$out/$set/$model/probe"
    tune_every=$(awk -v r="$ips" -v s="$budget" 'BEGIN { e = int(r * s / 4 / 4); print (e < 1 ? 1 : e) }')
    every=$(awk -v r="$ips" -v s="$budget" 'BEGIN { e = int(r * s / 8); print (e < 1 ? 1 : e) }')
    tol=1e-5
    if [ "$model" = ffjord ]; then tune_every=100000000 every=100000000 tol=1e-3; fi
    best_lr="$fixed_lr" best=inf
    for lr in $([ -n "$fixed_lr" ] || echo "$lrs"); do
      d="$out/$set/$model/tune-lr-$lr"
      train_run "$set" "$model" "$lr" 1000 "$(awk -v s="$budget" 'BEGIN { print s / 4 }')" "$tune_every" "$d"
      v=$(best_valid "$d")
      echo "   $model lr $lr: best validation NLL $v" >&2
      if awk -v a="$v" -v b="$best" 'BEGIN { exit !(a != "inf" && a != "nan" && (b == "inf" || a + 0 < b + 0)) }'; then
        best=$v best_lr=$lr
      fi
    done
    [ -n "$best_lr" ] || { echo "   $model: every learning rate failed; skipped" >&2; continue; }
    for ((s = first_seed; s < seeds; ++s)); do
      d="$out/$set/$model/seed-$s"
      train_run "$set" "$model" "$best_lr" "$s" "$budget" "$every" "$d"
      [ -s "$d/best/checkpoint.bin" ] || { echo "   $model seed $s: no best checkpoint" >&2; continue; }
      run "$bin" eval --model "$d/best" --data "$set" --n "$eval_n" --trajectories 4 --tol "$tol" --device cpu --json \
        >"$d.eval.json" 2>>"$out/$set.log" || continue
      python3 - "$set" "$model" "$s" "$best_lr" "$d" "$d.eval.json" >>"$out/results.jsonl" <<'PY'
import csv, json, sys
set_, model, seed, lr, d, ev = sys.argv[1:]
e = json.load(open(ev))
log = list(csv.DictReader(open(d + "/log.csv")))
val = list(csv.DictReader(open(d + "/valid.csv")))
print(json.dumps({"set": set_, "model": model, "seed": int(seed), "lr": float(lr),
                  "iterations": int(log[-1]["iter"]), "train_seconds": float(log[-1]["seconds"]),
                  "best_iter": int(val[-1]["best_iter"]), "valid": [[int(r["iter"]), float(r["valid_nll"])] for r in val],
                  "eval": e}))
PY
    done
  done
done

if [ "$image_set" != none ]; then
  mkdir -p "$out/$image_set"
  echo "== $image_set samples ($(date -u +%H:%M:%S))" >&2
  for model in $models; do
    d="$out/$image_set/$model"
    rm -rf "$d"
    run "$bin" train --data "$image_set" --model "$model" --width "$width" --lr 0.003 --iters 100000000 \
      --budget-seconds "$budget" --save-every 1000000 --decay-rate 1 --quiet --out "$d" 2>>"$out/$image_set.log" || true
  done
fi
python3 scripts/real-data-table.py "$out" >"$out/results.md"
echo "wrote $out/results.md" >&2
