#!/usr/bin/env bash
# Peak resident memory of raw Elasticsearch reading (scroll) against the file path on the same
# documents (issue 15): DOCS synthetic Argus requests (default 1 000 000, or $1) written to an
# NDJSON file and bulk-loaded into a fresh osmem-server; `cdnplan demand` then reads the file
# and the index (`--es-mode raw --scroll`) under /usr/bin/time, and the two demand tables
# must match. PROFILE=dev skips the release build. The per-request timeout is $ES_TIMEOUT
# seconds (default 600): an in-memory server opens a sliced scroll over a million documents
# slowly, and the figure measured here is memory, not the server's latency.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/osmem-start.sh 14GiB
docs=${1:-1000000}
profile=${PROFILE:-release}
cargo build --profile "$profile" -p cdnplan-cli
bin=target/$([ "$profile" = dev ] && echo debug || echo "$profile")/cdnplan
work=$(mktemp -d)
trap 'kill $osmem_pid 2>/dev/null || true; rm -f "$osmem_out"; rm -rf "$work"' EXIT
"$bin" synth -q -o "$work/docs.ndjson" --requests "$docs" \
  --visitors $(( docs < 7200 ? docs : 7200 )) --nodes n1,n2,n3
started=$(date +%s)
python3 - "$osmem_url" "$work/docs.ndjson" <<'PY'
import json, sys, urllib.request
url, path = sys.argv[1], sys.argv[2]
def post(body):
    r = urllib.request.Request(url + "/argus/_bulk", data=body, method="POST",
                               headers={"Content-Type": "application/x-ndjson"})
    v = json.load(urllib.request.urlopen(r, timeout=600))
    assert not v.get("errors"), str(v)[:500]
buf = []
with open(path, "rb") as f:
    for line in f:
        buf += [b'{"index":{}}\n', line]
        if len(buf) >= 20000:
            post(b"".join(buf))
            buf = []
if buf:
    post(b"".join(buf))
urllib.request.urlopen(url + "/argus/_refresh", data=b"", timeout=600)
print("documents in the index:", json.load(urllib.request.urlopen(url + "/argus/_count"))["count"])
PY
echo "loaded in $(( $(date +%s) - started )) s"
for run in file raw; do
  if [ "$run" = file ]; then
    src=("$work/docs.ndjson")
  else
    src=(--es "$osmem_url" --index argus --es-mode raw --scroll --timeout "${ES_TIMEOUT:-600}")
  fi
  /usr/bin/time -f "$run: peak RSS %M KiB, %e s" "$bin" demand -q "${src[@]}" \
    -o "$work/demand-$run.csv" >/dev/null
done
cmp <(sort "$work/demand-file.csv") <(sort "$work/demand-raw.csv") && echo "same demand table"
