#!/usr/bin/env bash
# diffflow-bench speed (bench/): a tiny real run on the CPU must exit 0 and leave a speed.json
# that parses, with a finite engine it/s and GEMM rate, and a speed.md; the peer plumbing
# (parity, timings per thread count, ratios, skipped peers) is checked with stand-in scripts;
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
     --batches 32,64 --threads 1 --peers none --out "$T/run" >"$T/out" 2>"$T/err"; then ok; else bad "speed run: $(tail -3 "$T/err")"; fi
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
assert e["kernels_per_iter"] is None and e["graphs_per_iter"] is None  # the CPU launches no kernels, no graphs
assert [r["threads"] for r in e["runs"]] == [1] and math.isfinite(e["runs"][0]["fraction_of_floor"])
assert math.isfinite(o["gemm"]["engine_gflop_per_s"]) and o["gemm"]["engine_gflop_per_s"] > 0
assert o["peers"] == []
assert {x["status"] for x in o["targets"]} <= {"met", "not met", "not measured"}
PY
then ok; else bad "speed.json content: $(head -c 600 "$T/run/speed.json")"; fi
grep -q "PERF.md targets" "$T/run/speed.md" && ok || bad "speed.md lacks the targets"

# The peer plumbing without torch or jax: stand-in modules and scripts that print the JSON the
# real ports print (torch-ref: parity equal to the engine's within 1e-9, 2x slower; jax: exits 3,
# "cannot be imported"). Two thread counts, so both timings and both ratios are read back.
mkdir -p "$T/fake"
: >"$T/fake/torch.py"; : >"$T/fake/jax.py"
cat >"$T/fake/torch_port.py" <<'FAKE'
import json, sys
a = sys.argv[1:]
if a[0] == "parity":
    vals = {}
    for line in open(a[a.index("--input") + 1]):
        if line.startswith("#") or not line.strip(): continue
        name, n, *rest = line.split(); vals[name] = [float(v) for v in rest]
    loss = float(open(sys.argv[0] + ".loss").read())
    print(json.dumps({"f64_loss": loss, "f64_grad_norm_f": 1.0, "f64_grad_norm_s": 1.0,
                      "f32_loss": loss, "f32_grad_norm_f": 1.0, "f32_grad_norm_s": 1.0}))
else:
    th = int(a[a.index("--threads") + 1])
    print(json.dumps({"torch_version": "fake", "eager_ms_median": 1000.0 / th, "eager_ms_min": 900.0 / th,
                      "sample_samples_per_s": 10.0 * th, "matmul_gflop_per_s": 1.5, "blas": "fakeblas",
                      "graph_status": "not requested"}))
FAKE
printf 'import sys\nsys.exit(3)\n' >"$T/fake/jax_port.py"
echo 0 >"$T/fake/torch_port.py.loss"
PYTHONPATH="$T/fake" timeout 120 "$BIN" speed --device cpu --batch 64 --steps 3 --width 16 --layers 1 --iters 2 --warmup 0 \
  --batches 64 --threads 1,2 --peers torch-ref,jax --python "$PY" --scripts "$T/fake" --out "$T/peers" >"$T/out" 2>"$T/err" \
  && ok || bad "speed with stand-in peers: $(tail -3 "$T/err")"
if "$PY" - "$T/peers/speed.json" <<'PY'
import json, math, sys
o = json.load(open(sys.argv[1]))
runs = {r["threads"]: r for r in o["engine"]["runs"]}
assert sorted(runs) == [1, 2], runs
p = {x["key"]: x for x in o["peers"]}
assert set(p) == {"torch-ref", "jax"}, p.keys()
t = p["torch-ref"]
assert t["status"] == "ok" and t["version"] == "fake", t
assert t["parity"]["status"] == "fail", t["parity"]   # loss 0 against the engine's ~2.8: parity must fail
for x in t["times"]:
    e = runs[x["threads"]]
    assert abs(x["ms_per_iter"] - 1000.0 / x["threads"]) < 1e-9
    assert abs(x["speedup_engine_over_peer"] - x["ms_per_iter"] / e["ms_per_iter"]) < 1e-6 * x["speedup_engine_over_peer"]
    assert e["fastest_peer"] == "torch-ref"
assert p["jax"]["times"][0]["status"].startswith("skipped"), p["jax"]
names = [x["figure"] for x in o["targets"]]
assert any("fastest peer, 2 threads" in n for n in names), names
PY
then ok; else bad "stand-in peers: $(head -c 800 "$T/peers/speed.json")"; fi
grep -q "fakeblas" "$T/peers/speed.md" && ok || bad "speed.md lacks the peer's BLAS"

# bad flags: exit 2, one line, nothing written
for args in "--bogus 1" "--batch 0" "--batches 10,x" "--device tpu" "--iters abc" "--threads 0" "--peers torch,jax"; do
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
