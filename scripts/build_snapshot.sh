#!/usr/bin/env bash
# Regenerates data/snapshots/argus-2023-06.ndjson.gz: request logs in the Argus 2023 layout,
# SYNTHESISED (not real traffic) from the published June 2023 figures of the Joystream
# distribution working group: 2-17 June 2023, > 1.2 M asset requests, > 7,000 unique users,
# requests RU 20.5 %, UA 12.3 %, TR 10 %, the rest spread by internet users per country.
# The generator is documented in crates/cdnplan-io/src/synth.rs; same seed => same bytes.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release --quiet -p cdnplan-cli -- synth \
  --output data/snapshots/argus-2023-06.ndjson.gz \
  --requests 60000 --visitors 7200 --seed 2023 \
  --shares RU=20.5,UA=12.3,TR=10 \
  --start 2023-06-02T00:00:00Z --end 2023-06-17T00:00:00Z \
  --geoip data/geoip/dbip-country-lite.mmdb --countries data/countries.csv
