#!/usr/bin/env bash
# Issue 16's parity suite at size: 200 000 documents (or $1) of awkward index layouts in a
# fresh osmem-server, read by the log reader and in push-down, raw PIT and raw scroll, with
# per-mode timings; exits 1 when any cell differs. Further arguments go to the example (see
# examples/es_parity.rs), e.g. `--nodes 20 --page 10000`. PROFILE=dev skips the release build.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/test-deps.sh
bin=$(ls .venv/lib/python3*/site-packages/osmem_server/bin/osmem-server | head -1)
out=$(mktemp)
GOMEMLIMIT=${GOMEMLIMIT:-8GiB} "$bin" -addr 127.0.0.1:0 -no-stdin-watch -parent-pid $$ >"$out" &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 50); do [ -s "$out" ] && break; sleep 0.1; done
url=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["url"])' "$out")
docs=${1:-200000}
shift || true
profile=${PROFILE:-release}
cargo run --profile "$profile" --example es_parity -- "$url" "$docs" "$@"
