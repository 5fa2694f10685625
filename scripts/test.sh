#!/usr/bin/env bash
# Install what is missing, build, and run the whole test suite: the C++ and command tests through
# ctest (GPU tests, label gpu, are skipped, exit 77, where no device is present), then the Python
# package's tests (scripts/test-python.sh: pip install . into .venv-test/, pytest). Each phase's
# wall time is printed when it ends (the whole run is kept under 15 minutes on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
phase() {
  local name=$1 t0=$SECONDS
  shift
  "$@"
  echo "test.sh: $name took $((SECONDS - t0)) s" >&2
}
phase install-deps bash scripts/install-deps.sh
phase build bash scripts/build.sh
phase ctest bash -c 'cd build && ctest --output-on-failure -j "$(nproc 2>/dev/null || echo 2)" --timeout 900'
phase python bash scripts/test-python.sh
