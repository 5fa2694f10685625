#!/usr/bin/env bash
# Run on the development machine before a GPU session: copies the header-only dependencies the
# GPU machine may lack into the git-ignored third_party/ folder, which the device tool then
# carries (`carry: ["third_party"]`, ≤ 64 MiB):
#   /usr/include/eigen3      -> third_party/include/eigen3       (Eigen headers)
#   /usr/share/eigen3/cmake  -> third_party/share/eigen3/cmake   (Eigen3Config.cmake & co.)
#   /usr/include/catch2      -> third_party/include/catch2       (Catch2 v2 header)
# The top-level CMakeLists.txt adds third_party to CMAKE_PREFIX_PATH when
# third_party/share/eigen3/cmake exists, and tests/CMakeLists.txt looks for Catch2 in
# third_party/include first. libpng and FreeType are optional (the build works without them);
# zlib is not used. Idempotent: re-running replaces the copies. Prints the folder's size.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
tp=$root/third_party
eigen_inc=${EIGEN_INCLUDE:-/usr/include/eigen3}
eigen_cmake=${EIGEN_CMAKE:-/usr/share/eigen3/cmake}
catch_inc=${CATCH2_INCLUDE:-/usr/include/catch2}

die() { echo "prepare-gpu-carry: $*" >&2; exit 1; }
[ -f "$eigen_inc/Eigen/Core" ] || die "no Eigen headers at $eigen_inc (apt-get install libeigen3-dev)"
[ -f "$eigen_cmake/Eigen3Config.cmake" ] || die "no Eigen CMake config at $eigen_cmake (apt-get install libeigen3-dev)"
[ -f "$catch_inc/catch.hpp" ] || die "no Catch2 v2 header at $catch_inc/catch.hpp (apt-get install catch2)"

rm -rf "$tp/include/eigen3" "$tp/share/eigen3" "$tp/include/catch2"
mkdir -p "$tp/include" "$tp/share/eigen3"
cp -a "$eigen_inc" "$tp/include/eigen3"
cp -a "$eigen_cmake" "$tp/share/eigen3/cmake"
cp -a "$catch_inc" "$tp/include/catch2"

# Debian's Eigen config finds its prefix relative to its own location (three folders up:
# share/eigen3/cmake -> prefix), so the copy points at third_party/include/eigen3 by itself.
# Should a config hard-code the system include path instead, point it at the copy.
for f in "$tp"/share/eigen3/cmake/*.cmake; do
  if grep -q "$eigen_inc" "$f"; then
    sed -i "s|$eigen_inc|\${CMAKE_CURRENT_LIST_DIR}/../../../include/eigen3|g" "$f"
    echo "prepare-gpu-carry: rewrote the hard-coded $eigen_inc in $(basename "$f")"
  fi
done
grep -q 'include/eigen3' "$tp/share/eigen3/cmake/Eigen3Targets.cmake" ||
  die "Eigen3Targets.cmake does not name include/eigen3: check the copy by hand"

size_kib=$(du -sk "$tp" | cut -f1)
echo "prepare-gpu-carry: third_party/ is $((size_kib / 1024)) MiB ($size_kib KiB):"
du -sh "$tp/include/eigen3" "$tp/share/eigen3" "$tp/include/catch2"
[ "$size_kib" -lt $((60 * 1024)) ] || echo "prepare-gpu-carry: warning: over 60 MiB; the device tool carries at most 64 MiB in all" >&2
echo "carry it with the device tool: run(command=\"bash scripts/gpu-check.sh\", carry=[\"third_party\"])"
