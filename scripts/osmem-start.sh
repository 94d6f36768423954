# Sourced by the scripts that need a fresh osmem-server (es-parity.sh, bench-es.sh): installs
# it when missing (scripts/test-deps.sh), starts it on a free loopback port with the Go heap
# target GOMEMLIMIT (default $1), stops it when the calling script exits, and sets
# `osmem_url` (http://127.0.0.1:PORT) and `osmem_pid`.
scripts/test-deps.sh
osmem_bin=$(ls .venv/lib/python3*/site-packages/osmem_server/bin/osmem-server | head -1)
osmem_out=$(mktemp)
GOMEMLIMIT=${GOMEMLIMIT:-$1} "$osmem_bin" -addr 127.0.0.1:0 -no-stdin-watch -parent-pid $$ >"$osmem_out" &
osmem_pid=$!
trap 'kill $osmem_pid 2>/dev/null || true; rm -f "$osmem_out"' EXIT
for _ in $(seq 50); do [ -s "$osmem_out" ] && break; sleep 0.1; done
osmem_url=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["url"])' "$osmem_out")
