#!/usr/bin/env bash
# Issue 16's parity suite at size: 200 000 documents (or $1) of awkward index layouts in a
# fresh osmem-server, read by the log reader and in push-down, raw PIT and raw scroll, with
# per-mode timings; exits 1 when any cell differs. Further arguments go to the example (see
# examples/es_parity.rs), e.g. `--nodes 20 --page 10000`. PROFILE=dev skips the release build.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/osmem-start.sh 8GiB
docs=${1:-200000}
shift || true
profile=${PROFILE:-release}
cargo run --profile "$profile" --example es_parity -- "$osmem_url" "$docs" "$@"
