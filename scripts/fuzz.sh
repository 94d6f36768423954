#!/usr/bin/env bash
# The long fuzz run (issue 15): every parser of user input, CASES structured mutations each
# (default 100000), in a release build (tests/fuzz.rs). Prints the cases and seconds per
# parser; fails on the first panic or position-less error (proptest prints the input).
#
#   scripts/fuzz.sh [CASES] [FILTER]     e.g. scripts/fuzz.sh 1000000 fuzz_demand_csv
set -euo pipefail
cd "$(dirname "$0")/.."
cases="${1:-100000}"
filter="${2:-fuzz::}"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
started=$(date +%s)
status=0
CDNPLAN_FUZZ_CASES="$cases" cargo test --release -p cdnplan --test tests "$filter" -- \
  --test-threads 1 --nocapture >"$log" 2>&1 || status=$?
grep -oE 'fuzz [^:]+: [0-9]+ cases in [0-9.]+ s|^test result.*|.*panicked.*|^---- .*' "$log" || true
if [ "$status" -ne 0 ]; then
  tail -n 60 "$log"
fi
echo "fuzz.sh: $cases cases per parser, $(( $(date +%s) - started )) s in all (build included), exit $status"
exit "$status"
