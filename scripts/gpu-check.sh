#!/usr/bin/env bash
# The one script a session runs on the GPU machine (the device tool), in under 8 minutes:
#   (a) exits 77 with a message unless nvidia-smi lists a GPU
#   (b) configures (Ninja, Release, sm_90, CMAKE_PREFIX_PATH=third_party) and builds, all cores
#   (c) ctest -L gpu --output-on-failure, then the CPU suite (ctest -LE gpu -j)
#   (d) compute-sanitizer on build/tests/gpu_test_parity, small cases: memcheck, then racecheck,
#       synccheck, initcheck as time allows
#   (e) build/bench/diffflow-bench speed --device cuda --out $OUT/bench, when that binary exists,
#       then short runs with DF_LAYERWISE=1 (the layer-wise path) into $OUT/bench-layerwise and
#       with DF_GRAPHS=0 (the training iteration without its CUDA graph) into $OUT/bench-eager
#   (f) Nsight Compute (SpeedOfLight, LaunchStats, Occupancy) on the diffuse/adjoint/reverse
#       kernels of a short `diffflow train` / `sample` / `eval`; Nsight Systems when time is left
#   (g) $OUT/gpu-report.json and $OUT/gpu-report.md: date, commit ($DF_COMMIT, else git, else
#       unknown), GPU and driver, every step's status, each GPU test's pass/fail/skip, parity
#       lines, sanitizer, bench and ncu summaries. Logs of every step: $OUT/logs/.
# The machine has no apt and no internet: run scripts/prepare-gpu-carry.sh here first and carry
# third_party (Eigen and Catch2 headers); libpng and FreeType are optional, zlib is not used.
# Every step runs under `timeout` with what is left of the budget; a failing step is recorded
# and the later ones still run. Exit status: 0 when every step that ran passed (skips allowed),
# 1 otherwise, 77 without a GPU (then nothing is written).
# Device tool (docs/kernels.md, "Running on the GPU machine"):
#   run(command="DF_COMMIT=<sha> bash scripts/gpu-check.sh", carry=["third_party"], timeout_s=600)
# Environment: OUT (output folder, default ./gpu-out), DF_COMMIT, DF_BUILD_DIR (default build),
# DF_GPU_CHECK_BUDGET (seconds for the steps, default 440; the report takes a few more),
# DF_BENCH_ARGS (extra flags for the bench, default none: its PERF.md defaults).
set -u
START=$(date +%s)
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD

# ---- (a) a GPU? ------------------------------------------------------------------------------
if ! command -v nvidia-smi >/dev/null 2>&1; then
  echo "gpu-check: nvidia-smi not found: this is not a GPU machine; nothing was checked (exit 77)"
  exit 77
fi
if ! nvidia-smi -L 2>/dev/null | grep -q '^GPU '; then
  echo "gpu-check: nvidia-smi lists no GPU ($(nvidia-smi -L 2>&1 | head -1)); nothing was checked (exit 77)"
  exit 77
fi

BUDGET=${DF_GPU_CHECK_BUDGET:-440}
DEADLINE=$((START + BUDGET))
OUT=${OUT:-$ROOT/gpu-out}
mkdir -p "$OUT/logs" || exit 1
OUT=$(cd "$OUT" && pwd)
LOGS=$OUT/logs
STEPS=$LOGS/steps.tsv
: >"$STEPS"
BUILD=${DF_BUILD_DIR:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
JOBS=$(nproc 2>/dev/null || echo 4)
BENCH_ARGS=${DF_BENCH_ARGS:-}
WORK=$(mktemp -d /tmp/gpu-check.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
export PATH="$PATH:/usr/local/cuda/bin"
any_failed=0

log() { echo "[gpu-check $(( $(date +%s) - START ))s] $*"; }

# Keeps a log under 2 MB (its head and tail).
cap_log() {
  local f=$1
  if [ -f "$f" ] && [ "$(stat -c %s "$f")" -gt 2000000 ]; then
    { head -c 1000000 "$f"; printf '\n... [gpu-check: log cut to 2 MB] ...\n'; tail -c 900000 "$f"; } >"$f.cut"
    mv "$f.cut" "$f"
  fi
}

record() {  # name status rc seconds limit note
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$6" >>"$STEPS"
}

# run_step NAME MAX_S MIN_S 'shell command'  — runs it with the log in $LOGS/NAME.log, under
# min(MAX_S, what is left of the budget); skips it when less than MIN_S is left.
run_step() {
  local name=$1 max=$2 min=$3 cmd=$4
  local left=$((DEADLINE - $(date +%s)))
  local t=$max
  [ "$left" -lt "$t" ] && t=$left
  if [ "$t" -lt "$min" ]; then
    log "$name: skipped (${left}s of the budget left, needs ${min}s)"
    record "$name" skip "" 0 "$t" "time budget: ${left}s left"
    return 0
  fi
  log "$name (limit ${t}s)"
  local t0 rc status
  t0=$(date +%s)
  printf '$ %s\n' "$cmd" >"$LOGS/$name.log"
  timeout --kill-after=10 "$t" bash -c "$cmd" >>"$LOGS/$name.log" 2>&1
  rc=$?
  case $rc in
    0) status=pass ;;
    77) status=skip ;;
    124 | 137) status=timeout ;;
    *) status=fail ;;
  esac
  if [ "$status" = fail ] || [ "$status" = timeout ]; then any_failed=1; fi
  cap_log "$LOGS/$name.log"
  record "$name" "$status" "$rc" "$(( $(date +%s) - t0 ))" "$t" ""
  log "$name: $status (rc $rc, $(( $(date +%s) - t0 ))s)"
  return 0
}

note_skip() {  # name reason
  log "$1: skipped ($2)"
  record "$1" skip "" 0 0 "$2"
}

find_tool() {  # name -> path or empty
  local p
  p=$(command -v "$1" 2>/dev/null) && { echo "$p"; return; }
  for p in /usr/local/cuda/bin/"$1" /opt/nvidia/nsight-compute/*/"$1" /opt/nvidia/nsight-systems/*/bin/"$1" \
           /usr/local/cuda/nsight-compute*/"$1" /usr/local/cuda/nsight-systems*/bin/"$1"; do
    [ -x "$p" ] && { echo "$p"; return; }
  done
}

# ---- machine facts ------------------------------------------------------------------------
{
  nvidia-smi
  echo
  nvidia-smi --query-gpu=index,name,memory.total,driver_version,compute_cap,clocks.max.sm --format=csv
  echo
  command -v nvcc >/dev/null && nvcc --version
  cmake --version | head -1
  command -v ninja >/dev/null && echo "ninja $(ninja --version)"
  echo "cores: $JOBS"
} >"$LOGS/machine.log" 2>&1

# ---- (b) configure and build --------------------------------------------------------------
if [ -f "$BUILD/CMakeCache.txt" ] && ! grep -q "^CMAKE_HOME_DIRECTORY:INTERNAL=$ROOT\$" "$BUILD/CMakeCache.txt"; then
  log "$BUILD was configured for another source folder: starting it afresh"
  rm -rf "$BUILD"
fi
GEN="-G Ninja"; KEEP="-- -k 0"
if ! command -v ninja >/dev/null 2>&1; then GEN="-G 'Unix Makefiles'"; KEEP="-- -k"; fi
if [ -f "$BUILD/CMakeCache.txt" ]; then  # keep the generator it was made with
  GEN=""
  grep -q "^CMAKE_GENERATOR:INTERNAL=Ninja" "$BUILD/CMakeCache.txt" && KEEP="-- -k 0" || KEEP="-- -k"
fi
NVCC=$(command -v nvcc 2>/dev/null || true)
run_step configure 90 10 "cmake -S '$ROOT' -B '$BUILD' $GEN -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES=90 \
  -DCMAKE_PREFIX_PATH='$ROOT/third_party' ${NVCC:+-DCMAKE_CUDA_COMPILER=$NVCC}"
CUDA_BUILT=unknown
grep -q "diffflow: CUDA backend ON" "$LOGS/configure.log" && CUDA_BUILT=yes
grep -q "diffflow: CUDA backend OFF" "$LOGS/configure.log" && CUDA_BUILT=no
if [ "$CUDA_BUILT" = no ]; then any_failed=1; log "warning: the CUDA backend was not configured (no nvcc?)"; fi
# -k: build whatever compiles, so one broken target (say the bench) does not block the tests
run_step build 240 30 "cmake --build '$BUILD' -j $JOBS $KEEP"
# the adjoint's gradient reductions (ex.red: atomicAdd with the result unused) should be RED, not
# ATOMG, in its SASS (no disassembler on the development machines; the counts land in the log)
run_step sass 30 5 "cuobjdump -sass -fun _ZN2df11body_kernelINS_8AdjointKEEEvNT_9args_typeE \
  '$BUILD/CMakeFiles/df_engine.dir/engine/cuda_backend.cu.o' | grep -oE '\\b(RED|ATOMG)[A-Z0-9._]*' | sort | uniq -c"

PARITY=$BUILD/tests/gpu_test_parity
CASE_SWEEPS="CUDA sweeps equal the CPU backend"
CASE_OPTIM="CUDA optimizer kernels equal the CPU backend"

# ---- (c) tests ----------------------------------------------------------------------------
if [ -f "$BUILD/CTestTestfile.cmake" ]; then
  run_step gpu-tests 150 20 "cd '$BUILD' && ctest -L gpu --output-on-failure"
  run_step cpu-tests 90 15 "cd '$BUILD' && ctest -LE gpu -j $JOBS --output-on-failure"
else
  note_skip gpu-tests "not configured"; note_skip cpu-tests "not configured"; any_failed=1
fi

# ---- (d) compute-sanitizer ---------------------------------------------------------------
SAN=$(find_tool compute-sanitizer)
sanitize() {  # tool step-name max section ('' = the optimizer case)
  local tool=$1 name=$2 max=$3 sec=$4 spec
  if [ -n "$sec" ]; then spec="'$CASE_SWEEPS' -c '$sec'"; else spec="'$CASE_OPTIM'"; fi
  run_step "$name" "$max" 15 "'$SAN' --tool $tool --error-exitcode 1 --print-limit 50 '$PARITY' $spec"
}
if [ -z "$SAN" ]; then note_skip sanitizer "compute-sanitizer not found"
elif [ ! -x "$PARITY" ]; then note_skip sanitizer "$PARITY was not built"
else
  sanitize memcheck memcheck-tiny 60 "d=2 W=32 L=1 B=1 N=1"
  sanitize memcheck memcheck-b31 60 "d=2 W=64 L=3 B=31 N=7"
  sanitize memcheck memcheck-d5 60 "d=5 W=64 L=2 B=1000 N=7"
  sanitize memcheck memcheck-optim 45 ""
fi

# ---- (e) the speed benchmark ---------------------------------------------------------------
BENCH=$BUILD/bench/diffflow-bench
if [ -x "$BENCH" ]; then
  run_step bench 150 30 "'$BENCH' speed --device cuda $BENCH_ARGS --out '$OUT/bench'"
  # the layer-wise path on the same workload (forced), no peer: its speed next to the fused one
  run_step bench-layerwise 60 20 "DF_LAYERWISE=1 '$BENCH' speed --device cuda --no-torch --iters 10 --warmup 3 \
    --batches 10000 --sample-batch 10000 --out '$OUT/bench-layerwise'"
  # the training iteration launched kernel by kernel (no CUDA graph): what the graph saves
  run_step bench-eager 40 15 "DF_GRAPHS=0 '$BENCH' speed --device cuda --no-torch --iters 10 --warmup 3 \
    --batches 10000 --sample-batch 10000 --out '$OUT/bench-eager'"
else
  note_skip bench "$BENCH not built (bench/ absent or it failed to compile)"
fi

# ---- (f) Nsight Compute: one short training run, a sampling run and an evaluation ----------
NCU=$(find_tool ncu)
DF=$BUILD/diffflow
RUNCFG="--data olympic --batch 5000 --steps 30 --width 128 --layers 3 --device cuda --quiet"
if [ -z "$NCU" ]; then note_skip ncu "ncu not found"
elif [ ! -x "$DF" ]; then note_skip ncu "$DF was not built"
else
  run_step ncu 100 30 "'$NCU' --target-processes all --kernel-name regex:'DiffuseK|AdjointK|ReverseK' --launch-count 6 \
    --section SpeedOfLight --section LaunchStats --section Occupancy bash -c \"\
'$DF' train $RUNCFG --iters 2 --samples 0 --out '$WORK/ncu-run' && \
'$DF' sample --model '$WORK/ncu-run' --n 5000 --device cuda --out '$WORK/ncu-s.npy' && \
'$DF' eval --model '$WORK/ncu-run' --data olympic --n 5000 --trajectories 1 --no-ode --device cuda --json\""
fi

# ---- (d, continued) the slower sanitizer tools on the smallest cases -----------------------
if [ -n "$SAN" ] && [ -x "$PARITY" ]; then
  sanitize racecheck racecheck-tiny 45 "d=2 W=32 L=1 B=1 N=1"
  sanitize racecheck racecheck-b31 60 "d=2 W=64 L=3 B=31 N=7"
  sanitize synccheck synccheck-b31 45 "d=2 W=64 L=3 B=31 N=7"
  sanitize initcheck initcheck-b31 45 "d=2 W=64 L=3 B=31 N=7"
fi

# ---- parity numbers of every case (Catch -s prints each comparison's worst element) --------
if [ -x "$PARITY" ]; then
  run_step parity-detail 90 30 "'$PARITY' -s"
else
  note_skip parity-detail "$PARITY was not built"
fi

# ---- Nsight Systems, when time is left ------------------------------------------------------
NSYS=$(find_tool nsys)
if [ -z "$NSYS" ]; then note_skip nsys "nsys not found"
elif [ ! -x "$DF" ]; then note_skip nsys "$DF was not built"
else
  run_step nsys 60 25 "'$NSYS' profile --trace=cuda,nvtx --sample=none --cpuctxsw=none --force-overwrite=true \
    -o '$WORK/nsys-train' '$DF' train $RUNCFG --iters 5 --samples 0 --out '$WORK/nsys-run' && \
    { '$NSYS' stats --report nvtx_sum --report cuda_gpu_kern_sum '$WORK/nsys-train.nsys-rep' || \
      '$NSYS' stats --report nvtxsum --report gpukernsum '$WORK/nsys-train.nsys-rep'; }"
fi

# ---- (g) the report -------------------------------------------------------------------------
COMMIT=${DF_COMMIT:-}
COMMIT_FROM=DF_COMMIT
if [ -z "$COMMIT" ]; then
  COMMIT=$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || true)
  COMMIT_FROM=git
fi
[ -z "$COMMIT" ] && { COMMIT=unknown; COMMIT_FROM="none (no DF_COMMIT, no git)"; }
export OUT LOGS STEPS BUILD ROOT COMMIT COMMIT_FROM CUDA_BUILT START BUDGET
log "writing $OUT/gpu-report.json and gpu-report.md"
if command -v python3 >/dev/null 2>&1; then
  timeout 60 python3 - <<'PY' || { echo "gpu-check: the report writer failed"; any_failed=1; }
import json, os, re, socket, subprocess, time

OUT, LOGS, STEPS = os.environ["OUT"], os.environ["LOGS"], os.environ["STEPS"]

def read(name):
    try:
        with open(os.path.join(LOGS, name), errors="replace") as f:
            return f.read()
    except OSError:
        return ""

steps = []
for line in open(STEPS):
    f = line.rstrip("\n").split("\t")
    if len(f) >= 6:
        steps.append({"name": f[0], "status": f[1], "rc": int(f[2]) if f[2] else None,
                      "seconds": int(f[3]), "limit_s": int(f[4]), "note": f[5],
                      "log": "logs/%s.log" % f[0] if os.path.exists(os.path.join(LOGS, f[0] + ".log")) else None})
by_name = {s["name"]: s for s in steps}

def q(args):
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=20).stdout.strip()
    except Exception:
        return ""

gpu_line = q(["nvidia-smi", "--query-gpu=index,name,memory.total,driver_version,compute_cap",
              "--format=csv,noheader"]).splitlines()
driver = q(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"]).splitlines()
nvcc = [l for l in read("machine.log").splitlines() if l.startswith("Cuda compilation tools")]

def ctest_results(text):
    out = []
    for m in re.finditer(r"Test\s+#\d+:\s+(\S+)\s+\.*\s*(.*?)\s+([\d.]+) sec", text):
        word = m.group(2).replace("*", "").strip()
        st = ("pass" if word.startswith("Passed") else "skip" if word.startswith("Skipped")
              else "timeout" if word.startswith("Timeout") else "fail")
        out.append({"name": m.group(1), "status": st, "ctest": word, "seconds": float(m.group(3))})
    return out

gpu_tests = ctest_results(read("gpu-tests.log"))
cpu_all = ctest_results(read("cpu-tests.log"))
cpu_tests = {"passed": sum(t["status"] == "pass" for t in cpu_all),
             "skipped": [t["name"] for t in cpu_all if t["status"] == "skip"],
             "failed": [t["name"] for t in cpu_all if t["status"] in ("fail", "timeout")],
             "total": len(cpu_all)}

def parity_lines(text):
    # Catch's console reporter: a dashed line, the test case name, indented section names, a
    # dashed line; then per assertion "file:line: PASSED:" (or FAILED:) ... "with message:" lines.
    # Catch wraps long messages at 80 columns: continuation lines follow until a blank line.
    lines, case, status, header, more = [], "", "", False, False
    for l in text.splitlines():
        if more:
            if l.strip() and not re.search(r"\b(PASSED|FAILED):", l):
                lines[-1] += " " + l.strip()
                continue
            more = False
        if re.match(r"^-{20,}$", l):
            header = not header
            if header:
                case = ""
            continue
        if header and l.strip():
            case = l.strip() if not case else case + " / " + l.strip()
            continue
        if re.search(r"\b(PASSED|FAILED):", l):
            status = "PASSED" if "PASSED" in l else "FAILED"
        if "worst element" in l:
            lines.append("%s %s: %s" % (status, case, l.strip()))
            more = True
    return lines

parity = parity_lines(read("parity-detail.log")) or parity_lines(read("gpu-tests.log"))

sanitizer = {}
for s in steps:
    if re.match(r"(memcheck|racecheck|synccheck|initcheck)-", s["name"]):
        text = read(s["name"] + ".log")
        summ = [l.strip("= ").strip() for l in text.splitlines() if "SUMMARY" in l]
        errs = [l.strip() for l in text.splitlines() if l.startswith("========= ") and
                ("Invalid" in l or "hazard" in l.lower() or "Error" in l or "Uninitialized" in l)]
        sanitizer[s["name"]] = {"status": s["status"], "seconds": s["seconds"], "summary": summ,
                                "first_errors": errs[:5]}
    elif s["name"] == "sanitizer":
        sanitizer["sanitizer"] = {"status": s["status"], "note": s["note"]}

bench = {"status": by_name.get("bench", {}).get("status", "not run"),
         "note": by_name.get("bench", {}).get("note", "")}
bench["lines"] = [l for l in read("bench.log").splitlines()
                  if l.startswith("[bench] engine") or "parity" in l.lower()][-4:]
try:
    bench["speed"] = json.load(open(os.path.join(OUT, "bench", "speed.json")))
except Exception:
    bench["speed"] = None
try:
    bench_md = open(os.path.join(OUT, "bench", "speed.md")).read()
except Exception:
    bench_md = ""

def ncu_parse(text):
    kernels, cur = [], None
    for l in text.splitlines():
        m = re.match(r"^  (\S.*?) \((\d+), (\d+), (\d+)\)x\((\d+), (\d+), (\d+)\)", l)
        if m:
            cur = {"kernel": m.group(1), "grid": int(m.group(2)), "block": int(m.group(5)), "metrics": {}}
            kernels.append(cur)
            continue
        m = re.match(r"^\s{4,}(\S.*?)\s{2,}(\S+)\s+([-\d.,]+)\s*$", l)
        if m and cur is not None:
            cur["metrics"]["%s [%s]" % (m.group(1), m.group(2))] = m.group(3)
    return kernels

ncu_text = read("ncu.log")
ncu = {"status": by_name.get("ncu", {}).get("status", "not run"), "note": by_name.get("ncu", {}).get("note", ""),
       "kernels": ncu_parse(ncu_text),
       "messages": [l for l in ncu_text.splitlines() if l.startswith("==ERROR==") or l.startswith("==WARNING==")][:10]}
nsys = {"status": by_name.get("nsys", {}).get("status", "not run"), "note": by_name.get("nsys", {}).get("note", "")}

report = {
    "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    "commit": os.environ["COMMIT"], "commit_from": os.environ["COMMIT_FROM"],
    "host": socket.gethostname(),
    "gpu": gpu_line, "driver": driver[0] if driver else "", "nvcc": nvcc[0] if nvcc else "",
    "cuda_backend_built": os.environ["CUDA_BUILT"],
    "elapsed_s": int(time.time()) - int(os.environ["START"]), "budget_s": int(os.environ["BUDGET"]),
    "steps": steps, "gpu_tests": gpu_tests, "cpu_tests": cpu_tests, "parity": parity,
    "sanitizer": sanitizer, "bench": bench, "ncu": ncu, "nsys": nsys,
}
with open(os.path.join(OUT, "gpu-report.json"), "w") as f:
    json.dump(report, f, indent=2)

md = ["# GPU check, %s" % report["date"], "",
      "- commit: `%s` (from %s)" % (report["commit"], report["commit_from"]),
      "- GPU: %s" % ("; ".join(gpu_line) or "?"),
      "- driver: %s; %s" % (report["driver"], report["nvcc"] or "nvcc ?"),
      "- CUDA backend built: %s" % report["cuda_backend_built"],
      "- elapsed: %d s (step budget %d s)" % (report["elapsed_s"], report["budget_s"]), "",
      "## Steps", "", "| step | status | rc | s | limit s | note |", "|---|---|---|---|---|---|"]
for s in steps:
    md.append("| %s | %s | %s | %d | %d | %s |" % (s["name"], s["status"], "" if s["rc"] is None else s["rc"],
                                                    s["seconds"], s["limit_s"], s["note"]))
md += ["", "## GPU tests (ctest -L gpu)", ""]
md += ["- %s: %s (%s, %.1f s)" % (t["name"], t["status"], t["ctest"], t["seconds"]) for t in gpu_tests] or ["- none ran"]
md += ["", "CPU suite: %d of %d passed; skipped %s; failed %s" % (cpu_tests["passed"], cpu_tests["total"],
       cpu_tests["skipped"] or "none", cpu_tests["failed"] or "none"), "", "## Parity (worst element per comparison)", ""]
md += ["    " + l for l in parity] or ["(no parity lines: see logs/gpu-tests.log, logs/parity-detail.log)"]
md += ["", "## compute-sanitizer", ""]
for k, v in sanitizer.items():
    md.append("- %s: %s %s" % (k, v["status"], "; ".join(v.get("summary", [])) or v.get("note", "")))
    md += ["    - " + e for e in v.get("first_errors", [])]
if not sanitizer:
    md.append("- not run")
md += ["", "## Benchmark", "", "status: %s %s" % (bench["status"], bench["note"]), ""]
md += ["    " + l for l in bench["lines"]]
if bench_md:
    md += ["", "<details><summary>bench/speed.md</summary>", "", bench_md, "", "</details>"]
md += ["", "## Nsight Compute", "", "status: %s %s" % (ncu["status"], ncu["note"]), ""]
keys = ["Duration", "Compute (SM) Throughput", "Memory Throughput", "DRAM Throughput", "Registers Per Thread",
        "Dynamic Shared Memory Per Block", "Theoretical Occupancy", "Achieved Occupancy"]
for k in ncu["kernels"]:
    ms = ["%s = %s" % (name, v) for name, v in k["metrics"].items() if any(name.startswith(x) for x in keys)]
    md.append("- `%s` grid %d × block %d: %s" % (k["kernel"], k["grid"], k["block"], "; ".join(ms)))
md += ["    " + l for l in ncu["messages"]]
md += ["", "## Nsight Systems", "", "status: %s %s (logs/nsys.log)" % (nsys["status"], nsys["note"]), ""]
with open(os.path.join(OUT, "gpu-report.md"), "w") as f:
    f.write("\n".join(md) + "\n")
PY
else
  {
    echo "# GPU check, $(date -Iseconds) (python3 missing: plain report)"
    echo "commit: $COMMIT ($COMMIT_FROM)"
    nvidia-smi --query-gpu=index,name,memory.total,driver_version --format=csv,noheader
    echo; echo "step status rc seconds limit note"; cat "$STEPS"
    grep -h "Test *#" "$LOGS"/gpu-tests.log 2>/dev/null
    grep -h "SUMMARY" "$LOGS"/*check-*.log 2>/dev/null
  } >"$OUT/gpu-report.md"
  printf '{"commit": "%s", "note": "python3 missing: see gpu-report.md and logs/steps.tsv"}\n' "$COMMIT" >"$OUT/gpu-report.json"
fi
log "done in $(( $(date +%s) - START ))s: $OUT/gpu-report.md"
[ -f "$OUT/gpu-report.md" ] && sed -n '/^## Steps/,/^## Parity/p' "$OUT/gpu-report.md"
exit $any_failed
