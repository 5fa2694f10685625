#!/usr/bin/env bash
# The fuzz tests of ctest (tests/CMakeLists.txt):
#   run.sh build OUT          configure and build tests/fuzz/ with clang into OUT
#   run.sh run OUT csv|npy|checkpoint
#                             run that target for $DF_FUZZ_SECONDS (default 30) on the seed corpus
#                             tests/fuzz/corpus/<target> (new inputs go to OUT/corpus-<target>);
#                             a crash, a sanitizer report or a broken promise fails with the input
#                             saved as OUT/crash-<target>-*
# Exit 77 (ctest: skipped) without clang++ or its libFuzzer runtime, or with DF_FUZZ_SECONDS=0.
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
mode="$1" out="$2"
[ "${DF_FUZZ_SECONDS:-30}" = 0 ] && { echo "fuzz: DF_FUZZ_SECONDS=0: skipped"; exit 77; }
if [ "$mode" = build ]; then
  cxx="${DF_FUZZ_CXX:-}"
  if [ -z "$cxx" ]; then
    for c in clang++ clang++-18 clang++-17 clang++-16 clang++-15 clang++-14; do
      command -v "$c" >/dev/null 2>&1 && { cxx="$c"; break; }
    done
  fi
  [ -z "$cxx" ] && { echo "fuzz: no clang++: skipped"; exit 77; }
  mkdir -p "$out"
  printf 'extern "C" int LLVMFuzzerTestOneInput(const char*, unsigned long) { return 0; }\n' >"$out/probe.cpp"
  if ! "$cxx" -fsanitize=fuzzer,address,undefined "$out/probe.cpp" -o "$out/probe" 2>"$out/probe.log"; then
    echo "fuzz: $cxx cannot link libFuzzer (libclang-rt-dev missing?): skipped"; exit 77
  fi
  gen=(); command -v ninja >/dev/null 2>&1 && [ ! -f "$out/CMakeCache.txt" ] && gen=(-G Ninja)
  cmake -S "$HERE" -B "$out" "${gen[@]}" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=None >/dev/null || exit 1
  exec cmake --build "$out" -j "${DF_FUZZ_JOBS:-1}"
fi
t="$3"
[ -x "$out/fuzz_$t" ] || { echo "fuzz: $out/fuzz_$t not built (no clang?): skipped"; exit 77; }
mkdir -p "$out/corpus-$t"
dict=(); [ -f "$HERE/$t.dict" ] && dict=(-dict="$HERE/$t.dict")
"$out/fuzz_$t" -max_total_time="${DF_FUZZ_SECONDS:-30}" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  "${dict[@]}" -artifact_prefix="$out/crash-$t-" "$out/corpus-$t" "$HERE/corpus/$t" 2>"$out/log-$t.txt"
rc=$?
grep -E "^stat::number_of_executed_units|^stat::new_units_added|Done [0-9]+ runs" "$out/log-$t.txt"
if [ $rc -ne 0 ]; then
  tail -n 60 "$out/log-$t.txt"
  echo "fuzz_$t: FAILED (rc=$rc); the input is $(ls "$out"/crash-"$t"-* 2>/dev/null | head -1)"
fi
exit $rc
