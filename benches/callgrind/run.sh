#!/bin/bash
# Instructions per fetch of the whole driver under callgrind, deterministic
# where wall-clock ratios are noisy. Needs valgrind (apt-get install valgrind).
#
#   benches/callgrind/run.sh                 # simple, miss, hit
#   benches/callgrind/run.sh hit             # one scenario
#   benches/callgrind/run.sh parse           # one Url::parse of the same URL
#
# Profiles land in $OUT (default target/callgrind): read them with
# `callgrind_annotate --inclusive=yes $OUT/cg.simple.out`.
set -e
here=$(cd "$(dirname "$0")" && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$here/../../target/callgrind-build}
OUT=${OUT:-$here/../../target/callgrind}
mkdir -p "$OUT"
(cd "$here" && cargo build --release -q)
N=${N:-1000}
for s in ${@:-simple miss hit}; do
  toggle='*run_chunk*'
  [ "$s" = parse ] && toggle='*parse_region*'
  valgrind --tool=callgrind --callgrind-out-file="$OUT/cg.$s.out" \
    --toggle-collect="$toggle" \
    "$CARGO_TARGET_DIR/release/crossorigin-callgrind" "$s" "$N" >/dev/null 2>"$OUT/vg.$s.log"
  tot=$(grep -E '^(summary|totals):' "$OUT/cg.$s.out" | head -1 | awk '{print $2}')
  echo "$s: $((tot / N)) instructions per operation"
done
