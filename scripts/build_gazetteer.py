"""Build the bundled gazetteer (provinces, regencies, provenance note).

Reads the reference CSVs in ``scripts/gazetteer-source`` (kept in the
repository, a copy of ``../shared/data/gazetteer``: the 2020 Kemendagri code
list with representative points, plus the 2022 Papua split) and writes
``mining_licenses/data/gazetteer/{provinces.csv,regencies.csv,README.md}``:

* 38 current provinces, named as the API spells them (``schema.PROVINCES``);
* every regency/city with its current province, a title-case name with its
  ``Kabupaten``/``Kota`` prefix, the kind, the bare name and its point;
* the source's evident point errors corrected, each listed in the README.

The build checks every point against Indonesia's extent and against the
other points of its province, and stops if it finds a suspect point that the
correction table below does not account for. Output is deterministic: the
same input gives byte-identical files.

Usage::

    python scripts/build_gazetteer.py [SOURCE_DIR] [--out OUT_DIR]
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from mining_licenses import schema
from mining_licenses.gazetteer import ATTRIBUTION

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = REPO / "scripts" / "gazetteer-source"  # a copy of ../shared/data/gazetteer
DEFAULT_OUT = REPO / "mining_licenses" / "data" / "gazetteer"

PROVINCES_2020 = "provinces_kemendagri_2020.csv"
REGENCIES_2020 = "regencies_kemendagri_2020.csv"
PAPUA_SPLIT = "papua_2022_split.csv"

KABUPATEN = "Kabupaten"
KOTA = "Kota"

#: Province codes of the four provinces created in 2022. The source numbers
#: provinces the BPS way (Papua Barat 91, Papua 94); these continue that scheme.
NEW_PROVINCE_CODES = {
    "Papua Barat Daya": "92",
    "Papua Selatan": "95",
    "Papua Tengah": "96",
    "Papua Pegunungan": "97",
}

#: Provinces whose point is the mean of their regencies' points: the six
#: provinces drawn by the 2022 split of Papua. The four new ones have no point
#: in the 2020 list, and the 2020 points of Papua and Papua Barat no longer
#: represent them (Papua's lies in Papua Pegunungan, Papua Barat's is nearest
#: a regency of Papua Barat Daya).
MEAN_POINT_PROVINCES = (
    "Papua Barat",
    "Papua Barat Daya",
    "Papua",
    "Papua Selatan",
    "Papua Tengah",
    "Papua Pegunungan",
)

#: A regency point is suspect when its nearest neighbour of the same province
#: is farther than this (degrees) and SUSPECT_RATIO times farther than the
#: nearest point of another province.
SUSPECT_MIN_DEGREES = 1.0
SUSPECT_RATIO = 4.0


@dataclass(frozen=True)
class Correction:
    """One correction of a source point."""

    table: str  # "provinces" or "regencies"
    code: str
    name: str  # as written to the bundled file
    latitude: float  # the corrected value
    longitude: float
    reason: str


#: Every change made to a source value, listed again in the generated README.
CORRECTIONS = (
    Correction(
        "provinces",
        "31",
        "DKI Jakarta",
        -6.1745,
        106.8227,
        "latitude 6.1745 lost its minus sign (the point fell in the South China Sea); "
        "now -6.1745, next to its five cities",
    ),
    Correction(
        "provinces",
        "34",
        "DI Yogyakarta",
        -7.7956,
        110.3695,
        "latitude 7.7956 lost its minus sign (the point fell in the South China Sea); "
        "now -7.7956, next to Kota Yogyakarta",
    ),
    Correction(
        "regencies",
        "13.01",
        "Kabupaten Kepulauan Mentawai",
        -1.98917,
        99.51889,
        "latitude 1.98917 lost its minus sign (the point fell in Sumatera Utara); "
        "now -1.98917, on Sipora island by Tuapejat, the regency seat",
    ),
    Correction(
        "regencies",
        "12.76",
        "Kota Binjai",
        3.608,
        98.49733,
        "longitude 108.23333 put the city in the sea near Natuna, 1,000 km from "
        "Sumatera Utara; replaced by the published coordinates of Binjai town "
        "(3.608, 98.49733), next to Medan",
    ),
    Correction(
        "regencies",
        "16.11",
        "Kabupaten Empat Lawang",
        -3.59417,
        103.08633,
        "the point (3.22667, 99.09256) is Tebing Tinggi in Sumatera Utara, the "
        "namesake of the regency seat; replaced by the published coordinates of "
        "the seat, Tebing Tinggi in Sumatera Selatan (-3.59417, 103.08633)",
    ),
)

_ROMAN = re.compile(r"^[IVX]+$")


def title_name(upper: str) -> str:
    """Return an upper-case gazetteer name in title case.

    Hyphenated parts are capitalised each (``FAK-FAK`` -> ``Fak-Fak``),
    Roman numerals stay upper case, every other word is capitalised
    (``PANGKAJENE DAN KEPULAUAN`` -> ``Pangkajene Dan Kepulauan``).
    """

    def word(w: str) -> str:
        if _ROMAN.match(w):
            return w
        return "-".join(part.capitalize() for part in w.split("-"))

    return " ".join(word(w) for w in upper.split())


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _fmt(value: float) -> str:
    """Format a coordinate: rounded to 5 decimals, shortest round-trip form (``-3.0``)."""
    return repr(round(value, 5) + 0.0)  # + 0.0 turns -0.0 into 0.0


def _province_name(upper: str) -> str:
    name = schema.canonical_value(schema.PROVINCE, upper)
    if name is None:
        msg = f"province {upper!r} of the source is not one of schema.PROVINCES"
        raise ValueError(msg)
    return name


def _dist(a: tuple[float, float], b: tuple[float, float]) -> float:
    return math.hypot(a[0] - b[0], a[1] - b[1])


def _in_bounds(lat: float, lon: float) -> bool:
    lon_min, lat_min, lon_max, lat_max = schema.INDONESIA_BOUNDS
    return lon_min <= lon <= lon_max and lat_min <= lat <= lat_max


def suspect_regencies(rows: list[dict[str, object]]) -> list[str]:
    """Return the codes of regencies whose point is out of bounds or far from its province.

    A point is suspect when its nearest neighbour within the same province is
    more than ``SUSPECT_MIN_DEGREES`` away and ``SUSPECT_RATIO`` times farther
    than the nearest point of another province (a point that sits among another
    province's regencies). Remote island regencies (Natuna, Talaud) pass: their
    nearest neighbour of any province is far too.
    """
    points = [(float(str(r["latitude"])), float(str(r["longitude"]))) for r in rows]
    out = []
    for i, row in enumerate(rows):
        same = [
            _dist(points[i], points[j])
            for j, other in enumerate(rows)
            if j != i and other["province"] == row["province"]
        ]
        others = [
            _dist(points[i], points[j])
            for j, other in enumerate(rows)
            if other["province"] != row["province"]
        ]
        near_same, near_other = min(same, default=math.inf), min(others)
        if not _in_bounds(*points[i]) or (
            near_same > SUSPECT_MIN_DEGREES and near_same > SUSPECT_RATIO * near_other
        ):
            out.append(str(row["code"]))
    return out


def suspect_provinces(
    provinces: list[dict[str, object]], regencies: list[dict[str, object]]
) -> list[str]:
    """Return the provinces whose point is out of bounds or nearest another province's regency."""
    out = []
    for prov in provinces:
        point = (float(str(prov["latitude"])), float(str(prov["longitude"])))
        nearest = min(
            regencies,
            key=lambda r: _dist(point, (float(str(r["latitude"])), float(str(r["longitude"])))),
        )
        if not _in_bounds(*point) or nearest["province"] != prov["province"]:
            out.append(str(prov["province"]))
    return out


def _regencies(source: Path) -> list[dict[str, object]]:
    provinces_2020 = {r["code"]: _province_name(r["name"]) for r in _read(source / PROVINCES_2020)}
    split = {r["regency_code_2020"]: r for r in _read(source / PAPUA_SPLIT)}
    fixes = {c.code: c for c in CORRECTIONS if c.table == "regencies"}
    rows: list[dict[str, object]] = []
    for raw in _read(source / REGENCIES_2020):
        code, upper = raw["code"], raw["name"]
        kind_upper, _, bare_upper = upper.partition(" ")
        kind = title_name(kind_upper)
        if kind not in (KABUPATEN, KOTA) or not bare_upper:
            msg = f"regency {code} {upper!r}: name does not start with KABUPATEN or KOTA"
            raise ValueError(msg)
        province = provinces_2020[raw["province_code"]]
        if code in split:
            if split[code]["regency_name"] != upper:
                other = split[code]["regency_name"]
                msg = f"regency {code}: {upper!r} in the list, {other!r} in the split"
                raise ValueError(msg)
            province = _province_name(split[code]["province_since_2022"])
        elif province in ("Papua", "Papua Barat"):
            msg = f"regency {code} {upper!r} of {province} is missing from {PAPUA_SPLIT}"
            raise ValueError(msg)
        lat, lon = float(raw["latitude"]), float(raw["longitude"])
        if code in fixes:
            if fixes[code].name != title_name(upper):
                msg = f"correction for {code} names {fixes[code].name!r}, the source {upper!r}"
                raise ValueError(msg)
            lat, lon = fixes[code].latitude, fixes[code].longitude
        rows.append(
            {
                "code": code,
                "province": province,
                "name": title_name(upper),
                "kind": kind,
                "bare_name": title_name(bare_upper),
                "latitude": lat,
                "longitude": lon,
                "raw_latitude": float(raw["latitude"]),
                "raw_longitude": float(raw["longitude"]),
            }
        )
    if len(split) != sum(1 for r in rows if r["code"] in split):
        msg = f"{PAPUA_SPLIT} lists regencies that are not in {REGENCIES_2020}"
        raise ValueError(msg)
    return sorted(rows, key=lambda r: str(r["code"]))


def _provinces(source: Path, regencies: list[dict[str, object]]) -> list[dict[str, object]]:
    fixes = {c.code: c for c in CORRECTIONS if c.table == "provinces"}
    by_name: dict[str, dict[str, object]] = {}
    for raw in _read(source / PROVINCES_2020):
        lat, lon = float(raw["latitude"]), float(raw["longitude"])
        name = _province_name(raw["name"])
        if raw["code"] in fixes:
            if fixes[raw["code"]].name != name:
                msg = f"correction for province {raw['code']} names {fixes[raw['code']].name!r}"
                raise ValueError(msg)
            lat, lon = fixes[raw["code"]].latitude, fixes[raw["code"]].longitude
        by_name[name] = {"province": name, "code": raw["code"], "latitude": lat, "longitude": lon}
    for name, code in NEW_PROVINCE_CODES.items():
        by_name[name] = {"province": name, "code": code}
    for name in MEAN_POINT_PROVINCES:
        members = [r for r in regencies if r["province"] == name]
        by_name[name]["latitude"] = round(
            sum(float(str(r["latitude"])) for r in members) / len(members), 5
        )
        by_name[name]["longitude"] = round(
            sum(float(str(r["longitude"])) for r in members) / len(members), 5
        )
    if sorted(by_name) != sorted(schema.PROVINCES):
        msg = f"provinces built {sorted(by_name)} differ from schema.PROVINCES"
        raise ValueError(msg)
    return [by_name[name] for name in schema.PROVINCES]


def _check(
    provinces: list[dict[str, object]], regencies: list[dict[str, object]], source: Path
) -> None:
    """Stop the build if a suspect point remains or a correction was not needed."""
    bad_regencies = suspect_regencies(regencies)
    bad_provinces = suspect_provinces(provinces, regencies)
    if bad_regencies or bad_provinces:
        msg = (
            f"suspect points remain after the corrections: regencies {bad_regencies}, "
            f"provinces {bad_provinces}; add them to CORRECTIONS with a reason"
        )
        raise ValueError(msg)
    # Each regency correction must answer a point the check flags in the raw data.
    raw_rows = [
        {**r, "latitude": r["raw_latitude"], "longitude": r["raw_longitude"]} for r in regencies
    ]
    flagged = set(suspect_regencies(raw_rows))
    unneeded = {c.code for c in CORRECTIONS if c.table == "regencies"} - flagged
    if unneeded:
        msg = f"corrections {sorted(unneeded)} fix points the check does not flag in {source}"
        raise ValueError(msg)


def _csv(rows: list[dict[str, object]], columns: tuple[str, ...]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(
            _fmt(v) if isinstance(v, float) else str(v) for v in (row[c] for c in columns)
        )
    return buf.getvalue()


def _readme(provinces: list[dict[str, object]], regencies: list[dict[str, object]]) -> str:
    new = ", ".join(f"{name} ({code})" for name, code in NEW_PROVINCE_CODES.items())
    fixes = "\n".join(f"- `{c.table}.csv`, {c.code} {c.name}: {c.reason}." for c in CORRECTIONS)
    means = "\n".join(
        f"  - {p['province']}: {p['latitude']}, {p['longitude']}"
        for p in provinces
        if p["province"] in MEAN_POINT_PROVINCES
    )
    return f"""# Bundled gazetteer (generated: do not edit)

Generated by `scripts/build_gazetteer.py` from `scripts/gazetteer-source/`;
re-running it gives byte-identical files.

| file | rows | columns |
| --- | --- | --- |
| `provinces.csv` | {len(provinces)} | province, code, latitude, longitude |
| `regencies.csv` | {len(regencies)} | code, province, name, kind, bare_name, latitude, longitude |

## Source and credit

{ATTRIBUTION}

Codes, names and representative points follow the Ministry of Home Affairs
(Kemendagri) regional code list as compiled in the MIT-licensed repository
`D1msky/nusantara-shipping` (`data/provinces.php`, `data/regencies.php`,
"Last updated: 2026-02-23"). The MIT licence asks that its copyright and
permission notice be included with copies or substantial portions of that
work: keep this credit with any redistribution of these files.

The points are representative points, not polygon centroids: good for placing
a license whose record carries only a regency name, not for area or
containment work.

## What the build changed

- Provinces are the 38 current ones (since the 2022 split of Papua), named as
  the licenses API spells them. Regencies of the 2020 provinces Papua and
  Papua Barat take the province they belong to since 2022
  (`papua_2022_split.csv`); regency codes are kept as in the 2020 list.
- The new provinces have codes continuing the source's numbering: {new}.
  Treat these four codes as labels, not as an official key.
- The points of the six provinces drawn by the split are the mean of their
  regencies' points (the 2020 point of Papua now lies in Papua Pegunungan, the
  one of Papua Barat is nearest a regency of Papua Barat Daya):
{means}
- Names are title case (`KABUPATEN FAK-FAK` -> `Kabupaten Fak-Fak`);
  `kind` is `Kabupaten` or `Kota`, `bare_name` the name without it.

## Corrections of source errors

Every point was checked against Indonesia's extent
({schema.INDONESIA_BOUNDS}, lon/lat) and against the other points of its
province (a regency whose nearest same-province neighbour is over
{SUSPECT_MIN_DEGREES:g} degree away and {SUSPECT_RATIO:g} times farther than the nearest point of
another province; a province whose point is nearest another province's
regency). These were corrected:

{fixes}

Every other value is as in the source.
"""


PROVINCE_COLUMNS = ("province", "code", "latitude", "longitude")
REGENCY_COLUMNS = ("code", "province", "name", "kind", "bare_name", "latitude", "longitude")


def build(source: Path) -> dict[str, str]:
    """Return the bundled files' text by file name, built from ``source``."""
    regencies = _regencies(source)
    provinces = _provinces(source, regencies)
    _check(provinces, regencies, source)
    return {
        "provinces.csv": _csv(provinces, PROVINCE_COLUMNS),
        "regencies.csv": _csv(regencies, REGENCY_COLUMNS),
        "README.md": _readme(provinces, regencies),
    }


def main(argv: list[str] | None = None) -> int:
    """Build the gazetteer files; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    files = build(args.source)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (args.out / name).write_text(text, encoding="utf-8", newline="\n")
        print(f"wrote {args.out / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
