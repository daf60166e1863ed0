#!/bin/sh
# Runs every fuzz target for $1 seconds (default 240), one after another,
# seeded from fuzz/seeds/. Needs a nightly toolchain and cargo-fuzz.
set -e
cd "$(dirname "$0")"
for t in ${TARGETS:-section_split count_document codebook_parse import_parse decode}; do
  mkdir -p corpus/$t
  cargo +nightly fuzz run -O $t corpus/$t seeds/$t -- -max_total_time="${1:-240}" -max_len=8192 -timeout=10 -rss_limit_mb=2048 2>&1 | tail -n 12 > "log-$t.txt" || true
  grep -E "Done|ERROR|panicked|SUMMARY" "log-$t.txt" || true
done
