#!/usr/bin/env bash
# The layer check (tests/check_layers.sh) passes on this repository and catches a forbidden
# include in a copy of the layer table and a few files (a kernels/ header including engine/, an
# engine/ file including host/), naming both. Run by ctest as `bash cli_layers.sh <diffflow>`.
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(dirname "$HERE")"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0; pass=0
ok() { pass=$((pass+1)); }
bad() { echo "FAIL: $*"; fail=$((fail+1)); }

if bash "$HERE/check_layers.sh" "$ROOT" >"$T/out" 2>&1; then ok; else bad "the repository: $(cat "$T/out")"; fi

mkdir -p "$T/repo/docs" "$T/repo/kernels/math" "$T/repo/engine" "$T/repo/host"
cp "$ROOT/docs/architecture.md" "$T/repo/docs/"
printf '#include "kernels/math/gelu.h"\n#include "engine/params.h"\n' >"$T/repo/kernels/math/x.h"
printf '#include "kernels/math/x.h"\n#include "host/io.h"\n' >"$T/repo/engine/y.cpp"
printf '#include "engine/y.h"\n#include "kernels/math/x.h"\n' >"$T/repo/host/z.cpp"
(cd "$T/repo" && git init -q . && git add -A)
if bash "$HERE/check_layers.sh" "$T/repo" >"$T/out2" 2>&1; then bad "a forbidden include passed: $(cat "$T/out2")"; else ok; fi
grep -q "kernels/math/x.h (layer kernels/math) includes engine/params.h" "$T/out2" && ok || bad "kernels -> engine not named: $(cat "$T/out2")"
grep -q "engine/y.cpp (layer engine) includes host/io.h" "$T/out2" && ok || bad "engine -> host not named: $(cat "$T/out2")"
grep -q "2 forbidden includes" "$T/out2" && ok || bad "the host file's includes are allowed: $(cat "$T/out2")"

echo "cli_layers: $pass passed, $fail failed"
[ $fail -eq 0 ]
