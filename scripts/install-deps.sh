#!/usr/bin/env bash
# Installs what the build needs from Debian's packages, only what is missing (python3-dev and
# python3-venv: the Python package and its tests, docs/python.md).
# Needs root (or sudo) when something is missing; does nothing otherwise.
set -euo pipefail
pkgs=(build-essential cmake ninja-build pkg-config libeigen3-dev catch2 libpng-dev zlib1g-dev liblzma-dev
      libfreetype-dev fonts-dejavu-core python3-dev python3-venv)
missing=()
for p in "${pkgs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing: ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
