#!/usr/bin/env bash
# A/B comparison of two or more themata binaries on one corpus, as the
# performance rules ask: the binaries run one after the other in each
# round, in alternating order, single-threaded (`--jobs 1`, so two cores
# are not fighting), and the summary gives per binary the median CPU
# seconds (user + sys) and the median per-round ratio against the first
# binary (the baseline), for CPU (user + sys) and user time alone.
#
# usage: benches/ab.sh CORPUS ROUNDS BASELINE CANDIDATE... [-- ANALYZE_ARGS...]
#   CORPUS     a folder (benches/make-corpus.sh 200 builds the 200 MB one;
#              put it and the binaries on tmpfs, e.g. /dev/shm)
#   ROUNDS     at least 5 for a figure worth quoting
#   ANALYZE_ARGS are added to `themata analyze CORPUS -o OUT -q --jobs 1
#              --charts none` (e.g. `-- --tables documents,terms_by_document`)
# Needs /usr/bin/time (Debian package `time`). Output folders go to a
# temporary folder beside nothing of yours and are removed.
set -euo pipefail
corpus=${1:?usage: ab.sh CORPUS ROUNDS BASELINE CANDIDATE... [-- ARGS...]}
rounds=${2:?rounds}
shift 2
bins=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do bins+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
[ "${#bins[@]}" -ge 2 ] || { echo "ab.sh: give a baseline and at least one candidate" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "ab.sh: /usr/bin/time missing (apt-get install time)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log=$work/log
for r in $(seq "$rounds"); do
    order=("${bins[@]}")
    # Odd rounds run the list backwards, so no binary always goes first.
    if [ $((r % 2)) -eq 1 ]; then
        order=(); for ((i = ${#bins[@]} - 1; i >= 0; i--)); do order+=("${bins[$i]}"); done
    fi
    for b in "${order[@]}"; do
        rm -rf "$work/out"
        /usr/bin/time -f "%U %S" -o "$work/t" "$b" analyze "$corpus" -o "$work/out" -q --jobs 1 --charts none "$@" >/dev/null 2>&1 \
            || { echo "ab.sh: $b failed" >&2; exit 1; }
        echo "$r $b $(tail -1 "$work/t")" >> "$log"
    done
done
awk -v base="${bins[0]}" '
function median(a, n,   i, j, t) {
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{ cpu[$2, $1] = $3 + $4; usr[$2, $1] = $3; if (!($2 in seen)) { seen[$2] = 1; order[++k] = $2 }; rounds[$1] = 1 }
END {
    printf "%-32s %8s %8s %8s %8s %8s  %s\n", "binary", "cpu_s", "min", "max", "user_s", "ratio", "user ratio (medians of per-round ratios to the baseline)"
    for (b = 1; b <= k; b++) {
        name = order[b]; n = 0
        for (r in rounds) { n++; c[n] = cpu[name, r]; q[n] = cpu[name, r] / cpu[base, r]; u[n] = usr[name, r]; p[n] = usr[name, r] / usr[base, r] }
        mc = median(c, n); mq = median(q, n); mu = median(u, n); mp = median(p, n)
        lo = c[1]; hi = c[n]
        printf "%-32s %8.2f %8.2f %8.2f %8.2f %8.3f  %.3f\n", name, mc, lo, hi, mu, mq, mp
    }
}' "$log"
