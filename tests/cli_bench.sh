#!/usr/bin/env bash
# diffflow-bench speed (bench/): a tiny real run on the CPU (with the PyTorch port when a python
# with torch exists, else it is skipped by the tool itself) must exit 0 and leave a speed.json
# that parses, with a finite engine it/s, a parity that passed or was skipped, and a speed.md;
# a bad flag must exit 2 with a one-line error. Run by ctest as `bash cli_bench.sh <diffflow>`;
# the benchmark sits next to it in bench/. Finishes in a few seconds.
set -u
BIN="$(dirname "$1")/bench/diffflow-bench"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0; pass=0
ok() { pass=$((pass+1)); }
bad() { echo "FAIL: $*"; fail=$((fail+1)); }

if [ ! -x "$BIN" ]; then echo "FAIL: $BIN not built"; exit 1; fi
PY=python3
for c in /usr/bin/python3 python3; do command -v "$c" >/dev/null 2>&1 && { PY=$c; break; }; done

if timeout 120 "$BIN" speed --device cpu --batch 64 --steps 3 --width 16 --layers 1 --iters 3 --warmup 1 \
     --batches 32,64 --threads 1 --out "$T/run" >"$T/out" 2>"$T/err"; then ok; else bad "speed run: $(tail -3 "$T/err")"; fi
for f in speed.json speed.md; do [ -s "$T/run/$f" ] && ok || bad "no $f"; done
if "$PY" - "$T/run/speed.json" <<'PY'
import json, math, sys
o = json.load(open(sys.argv[1]))
e = o["engine"]
assert math.isfinite(e["it_per_s"]) and e["it_per_s"] > 0, e
assert o["config"]["batch"] == 64 and o["config"]["steps"] == 3 and o["config"]["width"] == 16
assert [r["batch"] for r in o["batch_sweep"]] == [32, 64]
assert all(math.isfinite(r["it_per_s"]) for r in o["batch_sweep"])
assert math.isfinite(e["samples_per_s"])
p, t = o["parity"]["status"], o["torch"]["status"]
assert p == "pass" or p.startswith("skipped"), p
assert t == "ok" or t.startswith("skipped"), t
if t == "ok":
    assert math.isfinite(o["torch"]["eager_ms_per_iter"]) and math.isfinite(o["speedup_engine_over_torch"]["eager"])
assert {x["status"] for x in o["targets"]} <= {"met", "not met", "not measured"}
PY
then ok; else bad "speed.json content: $(head -c 600 "$T/run/speed.json")"; fi
grep -q "PERF.md targets" "$T/run/speed.md" && ok || bad "speed.md lacks the targets"

# bad flags: exit 2, one line, nothing written
for args in "--bogus 1" "--batch 0" "--batches 10,x" "--device tpu" "--iters abc"; do
  # shellcheck disable=SC2086
  "$BIN" speed $args --out "$T/bad" >"$T/out" 2>"$T/err"
  rc=$? lines=$(wc -l <"$T/err")
  if [ $rc -eq 2 ] && [ "$lines" -eq 1 ] && [ ! -e "$T/bad" ]; then ok; else bad "speed $args: rc=$rc lines=$lines: $(cat "$T/err")"; fi
done
"$BIN" speed --no-torch >"$T/out" 2>"$T/err"
[ $? -eq 2 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && ok || bad "missing --out: $(cat "$T/err")"
"$BIN" speed --help >"$T/out" 2>&1 && grep -q -- "--batches" "$T/out" && ok || bad "speed --help"

echo "cli_bench: $pass passed, $fail failed"
[ $fail -eq 0 ]
