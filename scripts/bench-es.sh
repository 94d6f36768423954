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
. scripts/osmem-start.sh 14GiB
docs=${1:-1000000}
shift || true
cargo run --release --example es_bench -- "$osmem_url" "$docs" --server-pid "$osmem_pid" "$@"
