#!/usr/bin/env bash
# Builds a benchmark corpus of about SIZE megabytes (10^6 bytes) by copying
# the UN General Debate corpus (one speech per file) as many times as needed.
# Copy k goes to OUT/repNNN/YEAR/repNNN_ISO3_SESSION_YEAR.txt, so every file
# keeps one speech and gets its own doc_id (file stem), as in a real corpus.
#
# usage: benches/make-corpus.sh SIZE_MB [OUT] [SOURCE]
#   default OUT:    bench-corpus/<SIZE>mb   (git-ignored)
#   default SOURCE: ../shared/corpora/ungdc
# The last copy is partial (files in sorted order until SIZE is reached), so
# the corpus is SIZE MB within one speech. Rebuilding an existing OUT is a no-op
# (OUT.bytes marks a finished build).
set -euo pipefail
size_mb=${1:?usage: make-corpus.sh SIZE_MB [OUT] [SOURCE]}
root=$(cd "$(dirname "$0")/.." && pwd)
out=${2:-$root/bench-corpus/${size_mb}mb}
src=${3:-$root/../shared/corpora/ungdc}
[ -d "$src" ] || { echo "make-corpus: source $src not found" >&2; exit 2; }
target=$((size_mb * 1000000))
done_mark="$out.bytes"
if [ -f "$done_mark" ] && [ -d "$out" ]; then
    echo "$out exists ($(cat "$done_mark") bytes)"; exit 0
fi
rm -rf "$out"
mkdir -p "$out"
# "size path" per speech, sorted by path.
mapfile -t files < <(cd "$src" && find . -type f -name '*.txt' -printf '%s %p\n' | LC_ALL=C sort -k2)
total=0
rep=0
while [ "$total" -lt "$target" ]; do
    rep=$((rep + 1))
    dir=$(printf '%s/rep%03d' "$out" "$rep")
    (cd "$src" && find . -type d -exec mkdir -p "$dir/{}" \;)
    for entry in "${files[@]}"; do
        [ "$total" -lt "$target" ] || break
        f=${entry#* }
        cp "$src/$f" "$dir/${f%/*}/${dir##*/}_${f##*/}"
        total=$((total + ${entry%% *}))
    done
done
echo "$total" > "$done_mark"
echo "$out: $total bytes in $(find "$out" -type f -name '*.txt' | wc -l) files ($rep copies)"
