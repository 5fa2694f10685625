#!/usr/bin/env bash
# Configures and builds into build/ (Release). CUDA sources compile when nvcc is found.
# Extra CMake arguments pass through, e.g. scripts/build.sh -DDF_ENABLE_CUDA=OFF
set -euo pipefail
cd "$(dirname "$0")/.."
gen=()
if command -v ninja >/dev/null 2>&1; then gen=(-G Ninja); fi
if [ -f build/CMakeCache.txt ]; then gen=(); fi
cmake -S . -B build "${gen[@]}" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
jobs=$(nproc 2>/dev/null || echo 2)
cmake --build build -j "$jobs"
