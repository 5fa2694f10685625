#!/usr/bin/env bash
# Install what is missing, build, and run the whole test suite: the C++ and command tests through
# ctest (GPU tests, label gpu, are skipped, exit 77, where no device is present), then the Python
# package's tests (scripts/test-python.sh: pip install . into .venv-test/, pytest).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
(cd build && ctest --output-on-failure -j "$(nproc 2>/dev/null || echo 2)" --timeout 900)
bash scripts/test-python.sh
