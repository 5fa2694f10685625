#!/usr/bin/env bash
# The main job on a fresh machine: install what is missing, build, and train DiffFlow on the
# default 2-D set (olympic) on the best device present. Writes runs/olympic/ (checkpoint.bin,
# log.csv, samples.png, loss.png). Extra arguments go to `diffflow train`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
out=runs/olympic
if [ -f "$out/checkpoint.bin" ]; then
  out="runs/olympic-$(date +%Y%m%d-%H%M%S)"
fi
./build/diffflow train --data olympic --device auto --out "$out" "$@"
echo "samples: $out/samples.png   loss curve: $out/loss.png   log: $out/log.csv"
