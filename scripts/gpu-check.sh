#!/usr/bin/env bash
# The one script to run on a GPU machine (the device tool), in under 8 minutes:
#   configure + build (Release, sm_90, Ninja), the gpu-labelled tests, the CPU suite,
#   compute-sanitizer on the parity test, `diffflow-bench speed` on the GPU, and an Nsight Compute
#   summary of the fused sweeps of a short run; then $OUT/gpu-report.json and gpu-report.md.
# The machine has no apt and no internet: run scripts/prepare-gpu-carry.sh here first and carry
# third_party (Eigen and Catch2 headers). Every step has a time limit and a failing step does not
# stop the later ones; the report records each step's exit status. Exits 77 without a GPU.
# Usage (device tool): command "bash scripts/gpu-check.sh", carry ["third_party"].
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:-$PWD/gpu-out}
mkdir -p "$OUT"
log() { echo "[gpu-check] $*" >&2; }
if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L >/dev/null 2>&1; then
  log "no NVIDIA GPU here (nvidia-smi missing or no device): nothing to check"
  exit 77
fi
commit=${DF_COMMIT:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}
device=$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | head -1)
declare -A rc
step() {  # step NAME SECONDS command...
  local name=$1 secs=$2; shift 2
  log "$name (limit ${secs}s)"
  local t0=$(date +%s)
  timeout "$secs" "$@" >"$OUT/$name.log" 2>&1
  rc[$name]=$?
  log "$name: exit ${rc[$name]} in $(( $(date +%s) - t0 ))s"
}
gen=(); command -v ninja >/dev/null && gen=(-G Ninja)
step configure 120 cmake -S . -B build-gpu "${gen[@]}" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES=90 \
  -DCMAKE_PREFIX_PATH="$PWD/third_party"
step build 240 cmake --build build-gpu -j "$(nproc)"
step gpu_tests 120 bash -c "cd build-gpu && ctest -L gpu --output-on-failure"
step cpu_tests 120 bash -c "cd build-gpu && ctest -LE gpu -j $(nproc) --output-on-failure"
if command -v compute-sanitizer >/dev/null 2>&1 && [ -x build-gpu/tests/gpu_test_parity ]; then
  step sanitizer 90 compute-sanitizer --tool memcheck --error-exitcode 9 build-gpu/tests/gpu_test_parity
fi
if [ -x build-gpu/bench/diffflow-bench ]; then
  step bench 150 build-gpu/bench/diffflow-bench speed --device cuda --out "$OUT/bench"
fi
if command -v ncu >/dev/null 2>&1 && [ -x build-gpu/diffflow ]; then
  step ncu 90 ncu --target-processes all --kernel-name regex:"diffuse|adjoint|reverse|embed" --launch-count 8 \
    --section SpeedOfLight build-gpu/diffflow train --data olympic --iters 2 --device cuda --quiet --samples 0 \
    --out "$OUT/ncu-run"
fi

# report
{
  echo "# GPU check"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "- commit: $commit"
  echo "- device: $device"
  echo
  echo "| step | exit status |"
  echo "|---|---|"
  for k in configure build gpu_tests cpu_tests sanitizer bench ncu; do
    [ -n "${rc[$k]+x}" ] && echo "| $k | ${rc[$k]} |"
  done
  echo
  echo "## GPU tests"; echo; echo '```'; grep -E "Test +#|tests passed|worst|rel" "$OUT/gpu_tests.log" 2>/dev/null | head -60; echo '```'
  [ -f "$OUT/sanitizer.log" ] && { echo "## compute-sanitizer"; echo; echo '```'; tail -5 "$OUT/sanitizer.log"; echo '```'; }
  [ -f "$OUT/bench/speed.md" ] && { echo "## Speed"; echo; cat "$OUT/bench/speed.md"; }
  [ -f "$OUT/ncu.log" ] && { echo "## Nsight Compute (SpeedOfLight)"; echo; echo '```'; grep -E "^  [a-z_]+.*\(|Duration|Throughput|SM \[%\]|Memory \[%\]" "$OUT/ncu.log" | head -80; echo '```'; }
} >"$OUT/gpu-report.md"
{
  echo "{\"date\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\", \"commit\": \"$commit\", \"device\": \"$device\", \"steps\": {"
  first=1
  for k in configure build gpu_tests cpu_tests sanitizer bench ncu; do
    [ -n "${rc[$k]+x}" ] || continue
    [ $first -eq 1 ] || echo ","
    printf '"%s": %s' "$k" "${rc[$k]}"
    first=0
  done
  echo "}}"
} >"$OUT/gpu-report.json"
log "wrote $OUT/gpu-report.md and gpu-report.json"
[ "${rc[gpu_tests]:-1}" -eq 0 ]
