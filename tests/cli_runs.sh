#!/usr/bin/env bash
# Run directories and what the command refuses (issue 11): the lock (a second train or resume on
# a running directory gets exit 4; a killed holder does not block a resume), a foreign log.csv
# never overwritten, --resume taking only the flags that do not change the run, the data's
# identity (resume from any directory, a changed file refused), exit codes 2/3/4, the outlier
# warning, the memory estimate and its refusal, a failing --png before any data file is written,
# an upper-case .CSV output, a UTF-8 BOM, unreadable inputs (FIFO, /dev/zero, a directory, a
# sparse file), hand-edited checkpoint fields (CRC made valid again) refused by name, validation's
# files (valid.csv, best/) in the run directory.
set -u
BIN="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
T=$(mktemp -d)
trap 'kill -9 $holder 2>/dev/null; rm -rf "$T"' EXIT
holder=
fail=0; pass=0
ok() { pass=$((pass+1)); }
bad() { echo "FAIL: $*"; fail=$((fail+1)); }
# expect RC "description" "needle in the one-line message (a fixed string)" -- args...
expect() {
  local want="$1" what="$2" needle="$3"; shift 4
  "$BIN" "$@" >"$T/out" 2>"$T/err"
  local rc=$?
  if [ $rc -ne "$want" ] || [ "$(wc -l <"$T/err")" -ne 1 ] || ! grep -q -F -- "$needle" "$T/err"; then
    bad "$what: rc=$rc (want $want): $(cat "$T/err")"
  else ok; fi
}
SMALL=(--batch 64 --steps 3 --width 8 --layers 1 --device cpu --quiet --samples 0)

# the lock: a long run holds the directory; others are refused with 4; kill -9 frees it
"$BIN" train --data moons --iters 100000000 "${SMALL[@]}" --save-every 100000000 --out "$T/held" 2>/dev/null &
holder=$!
for _ in $(seq 100); do [ -e "$T/held/checkpoint.bin" ] && break; sleep 0.05; done
expect 4 "second train on a running directory" "is in use by another diffflow process (pid $holder" -- \
  train --data moons --iters 3 "${SMALL[@]}" --out "$T/held"
expect 4 "resume of a running directory" "is in use by another diffflow process" -- train --resume "$T/held" --iters 5 --quiet
kill -9 $holder; wait $holder 2>/dev/null; holder=
"$BIN" train --resume "$T/held" --iters 5 --device cpu --quiet --samples 0 2>"$T/err" && ok || bad "resume after kill -9: $(cat "$T/err")"

# a run, then what --resume takes and refuses
printf 'x,y\n1,2\n3,4\n5,7\n2,2\n' >"$T/d.csv"
mkdir -p "$T/a/b"
(cd "$T/a" && "$BIN" train --data ../d.csv --iters 4 "${SMALL[@]}" --out b/run) 2>"$T/err" && ok || bad "train: $(cat "$T/err")"
grep -a -q "^data=$T/d.csv$" "$T/a/b/run/checkpoint.bin" && ok || bad "the checkpoint does not hold the data's absolute path"
for f in "ema 0.5" "clip 2" "decay-rate 0.5" "decay-every 3" "batch 32" "lr 0.1" "g 0.3" "beta-min 0.2"; do
  expect 2 "--resume --$f" "--${f% *} cannot be changed on --resume" -- train --resume "$T/a/b/run" --iters 6 --${f}
done
expect 2 "--resume without --iters" "needs --iters" -- train --resume "$T/a/b/run"
(cd / && "$BIN" train --resume "$T/a/b/run" --iters 8 --save-every 3 --diverge 50 --device cpu --quiet --samples 0) 2>"$T/err" \
  && ok || bad "resume from another directory: $(cat "$T/err")"
grep -a -q "^save_every=3$" "$T/a/b/run/checkpoint.bin" && grep -a -q "^diverge=50$" "$T/a/b/run/checkpoint.bin" && ok ||
  bad "--save-every / --diverge on --resume were not taken"
printf '9\n' >>"$T/d.csv"
printf 'x,y\n1,2\n3,4\n5,7\n2,2\n' >"$T/d.csv"
"$BIN" train --resume "$T/a/b/run" --iters 9 --device cpu --quiet --samples 0 2>"$T/err" && ok || bad "same content again: $(cat "$T/err")"
printf 'x,y\n1,2\n3,4\n5,7\n2,3\n' >"$T/d.csv"
expect 2 "resume on a changed data file" "changed since the run began" -- train --resume "$T/a/b/run" --iters 10 --device cpu --quiet

# new runs: a foreign log.csv is never overwritten; nothing is left by an early error
mkdir -p "$T/foreign"; echo "mine" >"$T/foreign/log.csv"
expect 2 "a foreign log.csv" "already holds log.csv but no checkpoint" -- train --data moons --iters 2 "${SMALL[@]}" --out "$T/foreign"
[ "$(cat "$T/foreign/log.csv")" = mine ] && [ ! -e "$T/foreign/checkpoint.bin" ] && ok || bad "the foreign log was touched"
printf '1,1\n1,1\n' >"$T/const.csv"
expect 2 "constant data" "constant" -- train --data "$T/const.csv" --iters 2 "${SMALL[@]}" --out "$T/new/run"
[ ! -e "$T/new" ] && ok || bad "an early error left $(ls -a "$T/new")"

# exit code 3: an exploding loss (DDPM, lr 10, no clipping) stops at once, the checkpoint kept
expect 3 "exploding loss" "the last good checkpoint (iteration 0) is kept in $T/boom/checkpoint.bin" -- \
  train --model ddpm --data moons --iters 300 --batch 64 --steps 5 --width 16 --lr 10 --clip 0 --device cpu --quiet --samples 0 --out "$T/boom"
grep -q "training diverged at iteration 2: the loss [0-9.e+]* exploded" "$T/err" && ok || bad "not the guard: $(cat "$T/err")"
[ "$(wc -l <"$T/boom/log.csv")" -eq 1 ] && [ -e "$T/boom/checkpoint.bin" ] && ok || bad "the kept run holds more than iteration 0"
# the same run with the guard off explodes to its end: only a non-finite loss would stop it
"$BIN" train --model ddpm --data moons --iters 30 --batch 64 --steps 5 --width 16 --lr 10 --clip 0 --diverge 0 \
  --device cpu --quiet --samples 0 --out "$T/boom0" 2>"$T/err" && ok || bad "--diverge 0: $(cat "$T/err")"
awk -F, 'NR > 1 && $2 > 1e6 { big = 1 } END { exit !big }' "$T/boom0/log.csv" && ok || bad "--diverge 0: no explosion logged"
expect 2 "bad --diverge" "--diverge must be in" -- train --diverge -1 --out "$T/x"

# memory: estimated up front, refused beyond the budget with 4
"$BIN" train --data moons --iters 1 --batch 64 --steps 3 --width 8 --layers 1 --device cpu --samples 0 --out "$T/mem" 2>"$T/err"
grep -q "about [0-9.]* KiB of memory" "$T/err" && ok || bad "no memory estimate: $(cat "$T/err")"
export DF_MAX_MEMORY_MB=64
expect 4 "a network beyond the memory budget" "the run needs about" -- \
  train --data moons --width 1024 --layers 8 --iters 1 --device cpu --quiet --out "$T/big"
unset DF_MAX_MEMORY_MB
[ ! -e "$T/big" ] && ok || bad "a refused run left its directory"

# outliers are warned about; bad files are refused without being read
awk 'BEGIN { for (i = 0; i < 300; i++) print (i % 7) "," (i % 5); print "1e300,1" }' >"$T/out1.csv"
"$BIN" train --data "$T/out1.csv" --iters 2 "${SMALL[@]}" --out "$T/o" 2>"$T/err"
grep -q "warning: .*out1.csv': 1 value(s) in column 1 lie more than 10^4 times" "$T/err" && ok || bad "no outlier warning: $(cat "$T/err")"
printf '\xef\xbb\xbfx,y\n1,2\n3,4\n2,2\n' >"$T/bom.csv"
"$BIN" train --data "$T/bom.csv" --iters 2 "${SMALL[@]}" --out "$T/bom" 2>"$T/err" && ok || bad "BOM: $(cat "$T/err")"
mkfifo "$T/fifo.csv"
expect 2 "a FIFO" "not a regular file (a FIFO)" -- train --data "$T/fifo.csv" --iters 1 "${SMALL[@]}" --out "$T/x"
ln -s /dev/zero "$T/zero.csv"
expect 2 "/dev/zero" "not a regular file (a character device)" -- train --data "$T/zero.csv" --iters 1 "${SMALL[@]}" --out "$T/x"
mkdir "$T/dir.csv"
expect 2 "a directory" "cannot read '$T/dir.csv': Is a directory" -- train --data "$T/dir.csv" --iters 1 "${SMALL[@]}" --out "$T/x"
[ ! -e "$T/x" ] && ok || bad "a refused --data left $T/x"
truncate -s 2G "$T/sparse.csv"
expect 2 "a 2 GiB sparse file" "above the limit of 1073741824 bytes" -- train --data "$T/sparse.csv" --iters 1 "${SMALL[@]}" --out "$T/x"
rm -f "$T/sparse.csv"

# sample: a failing --png writes no data file; .CSV in capitals is a CSV
expect 2 "sample --png into a missing directory" "--png" -- sample --model "$T/mem" --n 5 --out "$T/s.csv" --png "$T/no/s.png"
[ ! -e "$T/s.csv" ] && ok || bad "sample wrote its CSV before failing on --png"
"$BIN" sample --model "$T/mem" --n 5 --device cpu --out "$T/s.CSV" 2>"$T/err" && [ "$(wc -l <"$T/s.CSV")" -eq 5 ] && ok ||
  bad "sample --out .CSV: $(cat "$T/err")"
expect 2 "hex float flag" "--lr: '0x1p-7' is not a finite decimal number" -- train --lr 0x1p-7 --out "$T/x"

# hand-edited checkpoints: a field set out of its range, with the CRC made valid again, is refused
# by `sample` and by `train --resume` with exit 2 and one line naming the file and the field
edit() {  # edit SRC DST KEY=VALUE...: DST = SRC with these header lines (KEY= alone removes KEY)
  python3 - "$@" <<'PY'
import struct, sys, zlib
src, dst, edits = sys.argv[1], sys.argv[2], sys.argv[3:]
b = open(src, "rb").read()
head, sep, rest = b[20:].partition(b"\n\n")
lines = head.split(b"\n")
for e in edits:
    k, v = e.encode().split(b"=", 1)
    at = [i for i, l in enumerate(lines) if l.split(b"=", 1)[0] == k]
    if v == b"" and at: del lines[at[0]]
    elif at: lines[at[0]] = k + b"=" + v
    else: lines.append(k + b"=" + v)
payload = b"\n".join(lines) + sep + rest
open(dst, "wb").write(b[:8] + struct.pack("<QI", len(payload), zlib.crc32(payload)) + payload)
PY
}
if command -v python3 >/dev/null 2>&1; then
  "$BIN" train --data moons --iters 4 "${SMALL[@]}" --out "$T/e" 2>"$T/err" || bad "train for the edits: $(cat "$T/err")"
  mkdir -p "$T/same"; cp "$T/e/log.csv" "$T/same/"; edit "$T/e/checkpoint.bin" "$T/same/checkpoint.bin"
  "$BIN" sample --model "$T/same" --n 3 --device cpu --out "$T/same/s.csv" 2>"$T/err" && ok || bad "the unedited rewrite: $(cat "$T/err")"
  for e in "save_every=0|save_every must be in [1, 100000000] (got 0)" "batch=-1|batch must be in [1, 10000000] (got -1)" \
           "batch=0|batch must be in" "iters=-1|iters must be in" "ema=5|ema must be in [0, 1) (got 5)" \
           "adjoint_k=-3|adjoint_k must be in" "decay_every=-1|decay_every must be in" "beta_min=nan|beta_min" \
           "iteration=-5|iteration = -5 is outside" "batch=0x40|batch" "W=4097|W must be in" "seed=-1|seed" \
           "save_every=|missing key 'save_every'" "bogus=1|unknown key 'bogus'" "std_a=0,1|standardization" "data_size=7|data_size" \
           "std_logit=0.7|std_logit must be in [0, 0.5) (got 0.7)"; do
    kv="${e%%|*}" needle="${e#*|}"
    rm -rf "$T/ed"; mkdir "$T/ed"; cp "$T/e/log.csv" "$T/ed/"; edit "$T/e/checkpoint.bin" "$T/ed/checkpoint.bin" "$kv"
    expect 2 "sample, checkpoint with $kv" "checkpoint '$T/ed/checkpoint.bin': $needle" -- sample --model "$T/ed" --n 3 --device cpu --out "$T/ed/s.csv"
    [ ! -e "$T/ed/s.csv" ] && ok || bad "sample wrote samples from a checkpoint with $kv"
    expect 2 "resume, checkpoint with $kv" "checkpoint '$T/ed/checkpoint.bin': $needle" -- train --resume "$T/ed" --iters 8 --device cpu --quiet --samples 0
  done
  cmp -s "$T/e/log.csv" "$T/ed/log.csv" && ok || bad "a refused resume touched log.csv"
else
  echo "cli_runs: no python3, the checkpoint edits are skipped"
fi

# validation (host/validation.h) in a run directory: --resume takes --valid, --patience and
# --budget-seconds (they change no number of the run); valid.csv is read as a regular file only;
# a new run refuses a directory holding best/; best/'s stale temporaries are removed
"$BIN" train --data moons --iters 4 --save-every 2 "${SMALL[@]}" --out "$T/v" 2>"$T/err" || bad "train for --valid: $(cat "$T/err")"
"$BIN" train --resume "$T/v" --iters 6 --save-every 2 --valid 50 --patience 5 --budget-seconds 600 --device cpu --quiet \
  --samples 0 2>"$T/err" && [ "$(tail -n 1 "$T/v/valid.csv" | cut -d, -f1)" = 6 ] && [ -e "$T/v/best/checkpoint.bin" ] && ok ||
  bad "--resume with --valid: $(cat "$T/err")"
: >"$T/v/best/checkpoint.bin.tmp.4244"
"$BIN" train --resume "$T/v" --iters 8 --valid 50 --device cpu --samples 0 2>"$T/err" && [ ! -e "$T/v/best/checkpoint.bin.tmp.4244" ] &&
  grep -q "removed 1 temporary file" "$T/err" && ok || bad "best/'s temporary: $(ls "$T/v/best"): $(cat "$T/err")"
mv "$T/v/valid.csv" "$T/v/valid.keep"; mkfifo "$T/v/valid.csv"
expect 2 "a FIFO as valid.csv" "cannot read '$T/v/valid.csv': not a regular file (a FIFO)" -- \
  train --resume "$T/v" --iters 10 --valid 50 --device cpu --quiet --samples 0
rm -f "$T/v/valid.csv"
mkdir -p "$T/withbest/best"
expect 2 "a directory holding best/" "already holds best but no checkpoint" -- train --data moons --iters 2 "${SMALL[@]}" --out "$T/withbest"
expect 2 "--patience without --valid" "--patience needs --valid N" -- train --data moons --iters 2 --patience 3 "${SMALL[@]}" --out "$T/x"
[ ! -e "$T/x" ] && ok || bad "a refused --patience left $T/x"

echo "cli_runs: $pass passed, $fail failed"
[ $fail -eq 0 ]
