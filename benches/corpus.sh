#!/usr/bin/env bash
# One benchmark run on one corpus: the single-thread tokenizer floor
# (benches/floor.rs) against `themata analyze` (defaults; and --jobs 1) and,
# when the subcommand exists, `themata compare --by year`. Each round runs
# them back to back, so the ratios compare runs under the same machine load;
# the summary gives medians over the rounds.
#
# usage: benches/corpus.sh [SIZE_MB|DIR] [ROUNDS]
#   SIZE_MB (default 200) builds bench-corpus/<SIZE>mb with make-corpus.sh;
#   DIR uses a folder as it is. ROUNDS defaults to 3.
# Needs /usr/bin/time (Debian package `time`). Builds release binaries first.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
arg=${1:-200}
rounds=${2:-3}
if [ -d "$arg" ]; then
    corpus=$(cd "$arg" && pwd)
else
    "$root/benches/make-corpus.sh" "$arg" >&2
    corpus=$root/bench-corpus/${arg}mb
fi
[ -x /usr/bin/time ] || { echo "corpus.sh: /usr/bin/time missing (apt-get install time)" >&2; exit 2; }
(cd "$root" && cargo build --release --quiet --bin themata --example floor)
themata=$root/target/release/themata
floor=$root/target/release/examples/floor
out=$root/bench-corpus/out
bytes=$(find "$corpus" -type f -name '*.txt' -printf '%s\n' | awk '{s+=$1} END {print s}')
mb=$(awk -v b="$bytes" 'BEGIN {printf "%.1f", b / 1e6}')
has_compare=0
if "$themata" --help 2>/dev/null | grep -q "^  compare "; then has_compare=1; fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# measure NAME CMD...: one run; appends "NAME wall_s peak_rss_kb user_s sys_s".
measure() {
    local name=$1; shift
    local t
    t=$(mktemp)
    if ! /usr/bin/time -f '%e %M %U %S' -o "$t" "$@" >/dev/null 2>&1; then
        echo "corpus.sh: $name failed: $*" >&2
        rm -f "$t"
        [ "$name" = compare_year ] && { has_compare=0; return 0; }
        exit 1
    fi
    echo "$name $(tail -1 "$t")" >> "$log"
    rm -f "$t"
}

echo "corpus: $corpus ($mb MB, $(find "$corpus" -type f -name '*.txt' | wc -l) files), $rounds rounds, $(nproc) cores"
for r in $(seq "$rounds"); do
    rm -rf "$out"
    measure floor "$floor" "$corpus"
    measure analyze "$themata" analyze "$corpus" -o "$out" -q
    rm -rf "$out"
    measure analyze_j1 "$themata" analyze "$corpus" -o "$out" -q --jobs 1
    out_mb=$(du -sm "$out" 2>/dev/null | cut -f1)
    if [ "$has_compare" = 1 ]; then
        rm -rf "$out"
        # The year is the folder a speech sits in (bench-corpus/SIZE/repNNN/YEAR/…).
        measure compare_year "$themata" compare --by folder "$corpus" -o "$out" -q
    fi
done
rm -rf "$out"
[ "$has_compare" = 1 ] || echo "compare: skipped (no \`themata compare\` subcommand in this build)"

# Summary: medians per command; ratios are per round (themata MB/s over the
# floor's MB/s in the same round), then the median.
awk -v mb="$mb" '
function median(a, n,   i, j, t) {
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{
    k = ++n[$1]; wall[$1, k] = $2; rss[$1, k] = $3; cpu[$1, k] = $4 + $5
    if ($1 != "floor") { ratio[$1, k] = wall["floor", k] / $2 }
    names[$1] = 1
}
END {
    printf "%-13s %9s %9s %9s %11s %9s %s\n", "run", "wall_s", "MB/s", "cpu_s", "peak_rss_MB", "vs_floor", "(medians)"
    split("floor analyze analyze_j1 compare_year", order, " ")
    for (o = 1; o <= 4; o++) {
        name = order[o]; if (!(name in names)) continue
        m = n[name]
        for (i = 1; i <= m; i++) { w[i] = wall[name, i]; s[i] = rss[name, i] / 1024; c[i] = cpu[name, i]; q[i] = ratio[name, i] }
        mw = median(w, m); ms = median(s, m); mc = median(c, m)
        rt = (name == "floor") ? "1.00" : sprintf("%.2f", median(q, m))
        printf "%-13s %9.2f %9.1f %9.2f %11.1f %9s\n", name, mw, mb / mw, mc, ms, rt
    }
}' "$log"
echo "(floor wall time is its own measured loop plus process start-up; output of analyze: ${out_mb:-?} MB)"
