#!/usr/bin/env bash
# Installs the real data sets (docs/real-data.md) from Debian's packages, without root and
# without their dependencies: each package is fetched with `apt-get download`, unpacked with
# `dpkg-deb -x` into a temporary folder, and only the data files are kept, at the paths the
# package installs them to, under $DF_DATA_DIR (default ~/.cache/diffflow/data). Nothing of the
# data goes into the repository.
#
#   scripts/install-data.sh NAME...     fashion-mnist digits letter shuttle patches
#   scripts/install-data.sh all
#   scripts/install-data.sh --list      the sets, their packages and whether they are here
set -euo pipefail

DEST="${DF_DATA_DIR:-$HOME/.cache/diffflow/data}"
ALL="fashion-mnist digits letter shuttle patches"

package_of() {
  case "$1" in
    fashion-mnist) echo dataset-fashion-mnist ;;
    digits) echo python3-sklearn ;;
    letter|shuttle) echo r-cran-mlbench ;;
    patches) echo python3-skimage ;;
    *) return 1 ;;
  esac
}
# the files a set needs, relative to the root (as the package installs them)
files_of() {
  case "$1" in
    fashion-mnist) echo usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz \
                        usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ;;
    digits) echo usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz ;;
    letter) echo usr/lib/R/site-library/mlbench/data/LetterRecognition.rda ;;
    shuttle) echo usr/lib/R/site-library/mlbench/data/Shuttle.rda ;;
    patches) for f in astronaut camera brick grass gravel clock_motion chelsea coffee; do
               echo usr/lib/python3/dist-packages/skimage/data/$f.png; done ;;
  esac
}
# present under DEST, or installed system-wide (then nothing to do)
present() {
  local root ok
  for root in "$DEST" /; do
    ok=1
    for f in $(files_of "$1"); do [ -f "$root/$f" ] || ok=0; done
    if [ $ok = 1 ]; then echo "$root"; return 0; fi
  done
  return 1
}

if [ $# -eq 0 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
  sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
  [ $# -eq 0 ] && exit 2 || exit 0
fi
if [ "$1" = "--list" ]; then
  for s in $ALL; do
    if where=$(present "$s"); then st="installed ($where)"; else st="not installed"; fi
    printf '%-14s %-22s %s\n' "$s" "$(package_of "$s")" "$st"
  done
  exit 0
fi

sets=()
for a in "$@"; do
  if [ "$a" = all ]; then sets+=($ALL); continue; fi
  if ! package_of "$a" >/dev/null; then
    echo "install-data: error: unknown data set '$a' (known: $ALL)" >&2
    exit 2
  fi
  sets+=("$a")
done

for cmd in apt-get dpkg-deb; do
  command -v "$cmd" >/dev/null || { echo "install-data: error: $cmd not found (a Debian-based system is needed)" >&2; exit 2; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
done_pkgs=" "
for s in "${sets[@]}"; do
  if where=$(present "$s"); then
    echo "install-data: $s: already installed under $where" >&2
    continue
  fi
  pkg=$(package_of "$s")
  if [[ "$done_pkgs" != *" $pkg "* ]]; then
    echo "install-data: $s: fetching the Debian package $pkg" >&2
    if ! (cd "$tmp" && apt-get download -q "$pkg" >/dev/null 2>"$tmp/err"); then
      # no package lists yet (a fresh machine): refresh them when we may
      SUDO=""
      if [ "$(id -u)" != 0 ]; then SUDO="sudo -n"; fi
      if $SUDO apt-get update -qq >/dev/null 2>&1 && (cd "$tmp" && apt-get download -q "$pkg" >/dev/null 2>"$tmp/err"); then
        :
      else
        echo "install-data: error: cannot download $pkg: $(tail -n1 "$tmp/err")" >&2
        exit 1
      fi
    fi
    mkdir -p "$tmp/x"
    dpkg-deb -x "$tmp"/"$pkg"_*.deb "$tmp/x"
    rm -f "$tmp"/"$pkg"_*.deb
    done_pkgs+="$pkg "
  fi
  for f in $(files_of "$s"); do
    if [ ! -f "$tmp/x/$f" ]; then
      echo "install-data: error: $pkg has no $f (a different version of the package?)" >&2
      exit 1
    fi
    mkdir -p "$DEST/$(dirname "$f")"
    cp "$tmp/x/$f" "$DEST/$f.part.$$"
    mv "$DEST/$f.part.$$" "$DEST/$f"
  done
  echo "install-data: $s: installed under $DEST" >&2
done
