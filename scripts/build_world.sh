#!/usr/bin/env bash
# Regenerates data/world/countries-110m.json: Natural Earth's 1:110m country outlines (public
# domain) as TopoJSON, from the npm package world-atlas@2.0.2 (ISC), copied unchanged. The map
# of a plan (map.svg) draws them.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent world-atlas@2.0.2 >/dev/null)
tar -xzf "$tmp"/world-atlas-2.0.2.tgz -C "$tmp"
mkdir -p data/world
cp "$tmp/package/countries-110m.json" data/world/countries-110m.json
