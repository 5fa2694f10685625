#!/usr/bin/env bash
# The Python package's tests (docs/python.md): a virtual environment in .venv-test/, the build and
# test tools from PyPI, `pip install .` into it without CUDA (the module and the engine compile
# again, in build-python/, which is kept, so a second run rebuilds only what changed), then pytest
# on tests/python/ with the command of build/ (scripts/build.sh) for the parity tests.
# Run by scripts/test.sh after ctest. PYTHON picks the interpreter (default python3).
set -euo pipefail
cd "$(dirname "$0")/.."
py=${PYTHON:-python3}
[ -x .venv-test/bin/python ] || "$py" -m venv .venv-test
pip=(.venv-test/bin/python -m pip -q --disable-pip-version-check)
"${pip[@]}" install "scikit-build-core>=0.10" "nanobind>=2.0" numpy pytest tqdm
CMAKE_BUILD_PARALLEL_LEVEL=$(nproc 2>/dev/null || echo 2) "${pip[@]}" install --no-build-isolation . \
  -C cmake.define.DF_ENABLE_CUDA=OFF -C build-dir=build-python
DF_BIN="$PWD/build/diffflow" OMP_NUM_THREADS=2 .venv-test/bin/python -m pytest -q tests/python
