#!/usr/bin/env python3
"""Builds data/geoip/dbip-country-lite.mmdb: IPv4 address → country, MaxMind DB format.

Source: DB-IP "IP to Country Lite" (CC BY 4.0) as packaged in the npm package
@ip-location-db/dbip-country@2.3.2026060120, file `package/dbip-country-ipv4.csv`
(`start,end,cc`, inclusive ranges). Records use the flat ip-location-db schema
`{"country_code": "DE"}`. Adjacent ranges of one country are merged, then each range is
split into CIDR networks (netaddr) and written with the PyPI package mmdb-writer.

IPv6 is left out to keep data/ small: the IPv6 ranges alone make a 4.6 MB database.

The database's build_epoch is the package's release time (from its version), not the time of
the run, so the output is byte-for-byte reproducible.

Run (needs scripts/requirements.txt):
    python3 -m venv .venv && .venv/bin/pip install -r scripts/requirements.txt
    .venv/bin/python scripts/build_geoip.py
"""

from __future__ import annotations

import csv
import datetime as dt

from mmdb_writer import MMDBWriter
from netaddr import IPAddress, IPSet, iprange_to_cidrs

from datalib import DATA, npm_package

DBIP = "@ip-location-db/dbip-country@2.3.2026060120"
OUT = DATA / "geoip" / "dbip-country-lite.mmdb"
DESCRIPTION = (
    "IP Geolocation by DB-IP (https://db-ip.com), CC BY 4.0. IPv4 country lite, from the npm "
    f"package {DBIP}."
)


class ReproducibleWriter(MMDBWriter):
    """MMDBWriter with a fixed build_epoch."""

    def __init__(self, epoch: int, **kw):
        super().__init__(**kw)
        self._epoch = epoch

    def _build_meta(self):
        meta = super()._build_meta()
        meta["build_epoch"] = self._epoch
        return meta


def release_epoch(spec: str) -> int:
    """`…@2.3.2026060120` → 2026-06-01T20:00Z as a Unix time."""
    stamp = spec.rsplit(".", 1)[1]
    t = dt.datetime.strptime(stamp, "%Y%m%d%H").replace(tzinfo=dt.timezone.utc)
    return int(t.timestamp())


def merged_ranges(path) -> list[list]:
    out: list[list] = []
    with open(path, encoding="utf-8") as f:
        for start, end, cc in csv.reader(f):
            s, e = int(IPAddress(start)), int(IPAddress(end))
            if out and out[-1][2] == cc and out[-1][1] + 1 == s:
                out[-1][1] = e
            else:
                out.append([s, e, cc])
    return out


def main() -> None:
    pkg = npm_package(DBIP)
    ranges = merged_ranges(pkg / "dbip-country-ipv4.csv")
    by_country: dict[str, list] = {}
    n_cidrs = 0
    for s, e, cc in ranges:
        cidrs = iprange_to_cidrs(IPAddress(s, 4), IPAddress(e, 4))
        by_country.setdefault(cc, []).extend(cidrs)
        n_cidrs += len(cidrs)
    w = ReproducibleWriter(release_epoch(DBIP), ip_version=4,
                           database_type="DBIP-Country-Lite", languages=["en"],
                           description=DESCRIPTION)
    for cc in sorted(by_country):
        w.insert_network(IPSet(by_country[cc]), {"country_code": cc})
    OUT.parent.mkdir(parents=True, exist_ok=True)
    w.to_db_file(str(OUT))
    print(f"{OUT.name}: {len(ranges)} ranges, {n_cidrs} networks, {len(by_country)} countries, "
          f"{OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main()
