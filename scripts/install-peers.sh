#!/usr/bin/env bash
# Installs the benchmark's peers from PyPI into an ignored virtual environment, .venv-peers/:
# PyTorch (its Linux wheel carries MKL) and JAX (XLA), with NumPy. Only on request: the engine
# needs none of it. `diffflow-bench speed` finds them there (or give it --python).
#   bash scripts/install-peers.sh            torch and jax, the newest releases
#   TORCH=torch==2.15.0 JAX=jax==0.10.2 bash scripts/install-peers.sh     pinned versions
# About 6 GB on disk (the torch wheel pulls NVIDIA's CUDA libraries even for a CPU run).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-peers
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv" || { echo "install-peers: python3 -m venv failed (Debian: apt-get install python3-venv)" >&2; exit 4; }
fi
"$venv/bin/pip" install -q --upgrade pip >/dev/null
"$venv/bin/pip" install -q "${TORCH:-torch}" "${JAX:-jax}" numpy
"$venv/bin/python" - <<'PY'
import torch, jax
print(f"install-peers: torch {torch.__version__} (MKL: {torch.backends.mkl.is_available()}), jax {jax.__version__} in .venv-peers")
PY
