#!/usr/bin/env bash
# CUDA compiler launcher of df_engine (CMakeLists.txt): runs the compile command given after the log
# folder and keeps its ptxas report (-Xptxas=-v: each kernel's registers, stack, spills and static
# shared memory) in DIR/<object name>.ptxas.txt, written atomically, so that scripts/kernel-report.py
# reads what this build compiled instead of compiling engine/cuda_backend.cu a second time. The
# report's lines stay out of the build's output; every other line of the compiler's stderr passes.
#   ptxas-log.sh DIR COMPILER ARGS...
set -uo pipefail
dir=$1
shift
obj=compile
prev=""
for a in "$@"; do
  if [ "$prev" = "-o" ]; then obj=$(basename "$a"); fi
  prev=$a
done
mkdir -p "$dir"
tmp="$dir/$obj.ptxas.txt.tmp.$$"
"$@" 2>"$tmp"
rc=$?
grep -v -E '^(ptxas info +:| +[0-9]+ bytes stack frame, )' "$tmp" >&2
if [ $rc -eq 0 ]; then mv -f "$tmp" "$dir/$obj.ptxas.txt"; else rm -f "$tmp"; fi
exit $rc
