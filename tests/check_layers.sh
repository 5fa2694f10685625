#!/usr/bin/env bash
# The include graph against the layer table of docs/architecture.md (between the "layers"
# markers): every #include "x/..." of a file in a layer must name a folder the layer's row allows
# (a row naming `kernels` allows every kernels/ folder). Prints each offending include and exits
# 1 when there is one. Run by ctest as `bash check_layers.sh <repo>`.
set -u
ROOT="${1:-$(dirname "$0")/..}"
DOC="$ROOT/docs/architecture.md"
[ -f "$DOC" ] || { echo "check_layers: $DOC not found"; exit 1; }
table=$(sed -n '/<!-- layers: begin -->/,/<!-- layers: end -->/p' "$DOC" | grep '^| [a-z]' | grep -v '^| layer ')
[ -n "$table" ] || { echo "check_layers: no layer table in $DOC"; exit 1; }
declare -A allow
while IFS='|' read -r _ layer deps _; do
  layer=$(echo "$layer" | xargs); deps=$(echo "$deps" | xargs)
  allow[$layer]="$deps"
done <<<"$table"
bad=0; files=0
layer_of() {  # the most specific row for a path
  local p=$1 best=""
  for l in "${!allow[@]}"; do
    case "$p" in "$l"/*) [ ${#l} -gt ${#best} ] && best=$l ;; esac
  done
  echo "$best"
}
ok_dep() {  # does layer $1 allow including path $2?
  local d
  for d in ${allow[$1]}; do
    case "$2" in "$d"/*) return 0 ;; esac
  done
  return 1
}
cd "$ROOT" || exit 1
while IFS= read -r f; do
  layer=$(layer_of "$f")
  [ -n "$layer" ] || continue
  files=$((files + 1))
  while IFS= read -r inc; do
    case "$inc" in kernels/*|engine/*|host/*|bench/*|tests/*) ;; *) continue ;; esac
    if ! ok_dep "$layer" "$inc"; then
      echo "check_layers: $f (layer $layer) includes $inc"
      bad=$((bad + 1))
    fi
  done < <(grep -oE '^#include "[^"]+"' "$f" | sed 's/#include "//; s/"$//')
done < <(git ls-files --cached --others --exclude-standard 'kernels/*' 'engine/*' 'host/*' 'bench/*' 'tests/*' 2>/dev/null | grep -E '\.(h|hpp|cuh|cpp|cu)$' | sort -u)
echo "check_layers: $files files, $bad forbidden includes"
[ "$files" -gt 0 ] && [ "$bad" -eq 0 ]
