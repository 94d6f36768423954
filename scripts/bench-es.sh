#!/usr/bin/env bash
# Push-down vs raw reading on 1 000 000 documents (or $1) in a fresh osmem-server; further
# arguments go to the example (see examples/es_bench.rs), e.g. `--only raw --pit`. The
# server's peak resident memory is reported per read.
#
# osmem-server keeps about 9 KB of live heap per document here (8.2-8.7 GB at 1 000 000);
# Go's default GC target lets the heap grow to twice the live size, too much for 24 GB.
# GOMEMLIMIT (default 14GiB; set it to override) makes the Go runtime collect sooner instead.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/test-deps.sh
bin=$(ls .venv/lib/python3*/site-packages/osmem_server/bin/osmem-server | head -1)
out=$(mktemp)
GOMEMLIMIT=${GOMEMLIMIT:-14GiB} "$bin" -addr 127.0.0.1:0 -no-stdin-watch -parent-pid $$ >"$out" &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 50); do [ -s "$out" ] && break; sleep 0.1; done
url=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["url"])' "$out")
docs=${1:-1000000}
shift || true
cargo run --release --example es_bench -- "$url" "$docs" --server-pid "$pid" "$@"
