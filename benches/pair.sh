#!/usr/bin/env bash
# A and B side by side: in each round both binaries analyze the corpus at
# the same time, one per core (`taskset`; the cores swap every round), so
# both meet the same phase of a shared, throttling machine. Prints each
# round and the medians of the per-round ratios B/A (user CPU, and user +
# sys). Check first that two CPU-bound processes run at full speed side by
# side (an A/A pairing gives ratios around 1.00: `pair.sh CORPUS 10 A A`).
#
# usage: benches/pair.sh CORPUS ROUNDS A B [ANALYZE_ARGS...]
#   runs `BIN analyze CORPUS -o OUT -q --jobs 1 --charts none ANALYZE_ARGS`
#   (`PAIR_COMMAND=compare` runs `compare` instead, with the same flags);
#   put the corpus and binaries on tmpfs (e.g. /dev/shm). Needs two cores,
#   taskset (util-linux) and /usr/bin/time (Debian package `time`).
set -euo pipefail
corpus=${1:?usage: pair.sh CORPUS ROUNDS A B [ARGS...]}
rounds=${2:?rounds}
a=${3:?binary A}
b=${4:?binary B}
shift 4
[ -x /usr/bin/time ] || { echo "pair.sh: /usr/bin/time missing (apt-get install time)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
run() { # CORE BIN NAME
    /usr/bin/time -f "%U %S" -o "$work/$3" taskset -c "$1" "$2" "${PAIR_COMMAND:-analyze}" "$corpus" \
        -o "$work/out-$3" -q --jobs 1 --charts none "${args[@]}" >/dev/null 2>&1 \
        || { echo "pair.sh: $2 failed" >&2; return 1; }
}
args=("$@")
for r in $(seq "$rounds"); do
    ca=$((r % 2)); cb=$((1 - ca))
    run "$ca" "$a" a & pid=$!
    run "$cb" "$b" b
    wait "$pid"
    echo "$(cat "$work/a") $(cat "$work/b")"
    rm -rf "$work/out-a" "$work/out-b"
done | awk '
function median(x, n,   i, j, t) {
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (x[j] < x[i]) { t = x[i]; x[i] = x[j]; x[j] = t }
    return (n % 2) ? x[(n + 1) / 2] : (x[n / 2] + x[n / 2 + 1]) / 2
}
{
    n++; ua[n] = $1; ub[n] = $3; ru[n] = $3 / $1; rc[n] = ($3 + $4) / ($1 + $2)
    printf "round %d: A user %.2f sys %.2f, B user %.2f sys %.2f, user B/A %.3f\n", n, $1, $2, $3, $4, $3 / $1
}
END {
    mu = median(ru, n); lo = ru[1]; hi = ru[n]
    printf "medians: user A %.2f s, B %.2f s; B/A user %.3f (%.3f-%.3f), user+sys %.3f\n", median(ua, n), median(ub, n), mu, lo, hi, median(rc, n)
}'
