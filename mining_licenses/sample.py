"""A deterministic synthetic registry shaped like the real one (the bundled sample).

:func:`generate_records` returns license records exactly as the API's
``results`` carry them: JSON-compatible dicts with the 15 fields of
:data:`mining_licenses.schema.API_FIELDS`. The data is synthetic: companies,
license numbers, codes, dates and areas are made up; only the mix (which
commodity is mined in which province, how licenses are numbered, how long they
run, how messy the fields are) follows the real registry. Regency names and
points come from the bundled gazetteer.

Everything is drawn from ``numpy.random.default_rng(seed)`` with whole-array
draws, so the same ``(n, seed)`` always gives the same records, on any
machine. The sample is as of :data:`SAMPLE_REFERENCE_DATE`: no license starts
after it, some expired before it and some expire within the year after it.

Run ``python -m mining_licenses.sample --json OUT`` to write the records as JSON.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import polars as pl

from mining_licenses import gazetteer
from mining_licenses import schema as s

__all__ = [
    "QUIRKS",
    "SAMPLE_FETCHED_AT",
    "SAMPLE_REFERENCE_DATE",
    "SAMPLE_SEED",
    "SAMPLE_SIZE",
    "SYNTHETIC_NOTE",
    "generate_records",
    "quirk_positions",
]

SAMPLE_SIZE: Final = 4200
SAMPLE_SEED: Final = 20261101
#: The day the sample describes; no license in it starts later.
SAMPLE_REFERENCE_DATE: Final = dt.date(2026, 11, 1)
#: When the sample "was fetched": a fixed time on the reference date.
SAMPLE_FETCHED_AT: Final = dt.datetime(2026, 11, 1, 6, 0, tzinfo=dt.UTC)

SYNTHETIC_NOTE: Final = (
    "Synthetic data: a made-up registry of mining licenses shaped like the Sectors API's "
    "(commodity and province mix, license-number and wiup_code formats, tenures, messy "
    "fields), generated deterministically by mining_licenses.sample as of 2026-11-01. "
    "Companies, license numbers, codes, dates and areas are fictional; regency names "
    "and points come from the Kemendagri gazetteer."
)

#: The deliberately bad records, by name, with the quirk each carries.
QUIRKS: Final = {
    "impossible_effective_date": "license_effective_date is 2025-02-30",
    "impossible_expiry_date": "license_expiry_date is 2023-02-29 (not a leap year)",
    "expiry_before_effective": "the expiry date is before the effective date",
    "area_zero": "licensed_area_ha is 0",
    "area_negative": "licensed_area_ha is negative",
    "area_missing": "licensed_area_ha is null",
    "area_not_a_number": "licensed_area_ha is the string 'n/a'",
    "coordinates_swapped": "location is a point written [latitude, longitude]",
    "coordinates_outside": "location is a point in Australia",
    "wiup_code_missing": "wiup_code is null",
    "wiup_code_15_digits": "wiup_code has 15 digits",
    "unknown_commodity": "commodity_type is 'Zircon', outside the known set (kept verbatim)",
    "unknown_license_type": "license_type is 'IUP OPK', outside the known set",
    "company_missing": "company_name is null",
    "location_unresolvable": "location and city name no regency of the gazetteer",
}

# Field values of the quirks that set a fixed value (the others are computed).
_QUIRK_VALUES: Final[dict[str, dict[str, Any]]] = {
    "impossible_effective_date": {s.EFFECTIVE_DATE: "2025-02-30"},
    "impossible_expiry_date": {s.EXPIRY_DATE: "2023-02-29"},
    "area_zero": {s.AREA_HA: 0},
    "area_negative": {s.AREA_HA: -12.5},
    "area_missing": {s.AREA_HA: None},
    "area_not_a_number": {s.AREA_HA: "n/a"},
    "coordinates_outside": {s.LOCATION: {"type": "Point", "coordinates": [151.2093, -33.8688]}},
    "wiup_code_missing": {s.WIUP_CODE: None},
    "unknown_commodity": {s.COMMODITY: "Zircon"},
    "unknown_license_type": {s.LICENSE_TYPE: "IUP OPK"},
    "company_missing": {s.COMPANY_NAME: None, s.COMPANY_SLUG: None},
    "location_unresolvable": {s.LOCATION: "Blok Sungai Seberang", s.CITY: "Desa Tanjung Harapan"},
}
_MIN_SIZE_FOR_QUIRKS: Final = 100

# Commodity mix, led by coal (shares of all licenses).
_COMMODITY_SHARES: Final = {
    "Coal": 0.38, "Nickel": 0.16, "Tin": 0.11, "Gold": 0.085, "Sand, Stone, Gravel": 0.06,
    "Limestone": 0.04, "Bauxite": 0.035, "Iron": 0.025, "Copper": 0.02, "Granite": 0.02,
    "Sand": 0.02, "Non-Metallic Mineral": 0.02, "Clay": 0.015, "Others": 0.015,
}  # fmt: skip
_ROCKS: Final = {
    "Jawa Barat": 12, "Jawa Tengah": 12, "Jawa Timur": 12, "Sulawesi Selatan": 7,
    "Sumatera Utara": 6, "Banten": 5, "Lampung": 5, "Nusa Tenggara Timur": 5,
    "Nusa Tenggara Barat": 5, "Sumatera Barat": 5, "Kalimantan Timur": 5,
    "Kepulauan Riau": 5, "Riau": 4, "DI Yogyakarta": 3, "Bali": 3, "Aceh": 3,
    "Sulawesi Utara": 3,
}  # fmt: skip
# Where each commodity is mined (relative weights).
_PROVINCE_WEIGHTS: Final = {
    "Coal": {
        "Kalimantan Timur": 30, "Kalimantan Selatan": 22, "Kalimantan Tengah": 12,
        "Sumatera Selatan": 12, "Jambi": 7, "Kalimantan Utara": 4, "Bengkulu": 3,
        "Riau": 2, "Sumatera Barat": 2, "Kalimantan Barat": 2, "Aceh": 2,
        "Papua Barat": 1, "Sulawesi Selatan": 1,
    },
    "Nickel": {
        "Sulawesi Tenggara": 40, "Sulawesi Tengah": 30, "Maluku Utara": 20,
        "Sulawesi Selatan": 5, "Papua Barat Daya": 3, "Maluku": 2,
    },
    "Tin": {"Kepulauan Bangka Belitung": 85, "Kepulauan Riau": 10, "Riau": 5},
    "Gold": {
        "Sulawesi Utara": 15, "Nusa Tenggara Barat": 10, "Jawa Timur": 8, "Sumatera Utara": 8,
        "Gorontalo": 8, "Kalimantan Tengah": 8, "Maluku Utara": 7, "Papua Tengah": 6,
        "Kalimantan Barat": 6, "Aceh": 5, "Papua": 4, "Jambi": 4, "Sumatera Barat": 4,
        "Jawa Barat": 4, "Bengkulu": 3,
    },
    "Copper": {
        "Papua Tengah": 35, "Nusa Tenggara Barat": 35, "Jawa Timur": 10,
        "Sulawesi Tengah": 10, "Gorontalo": 10,
    },
    "Bauxite": {"Kalimantan Barat": 70, "Kepulauan Riau": 25, "Kepulauan Bangka Belitung": 5},
    "Iron": {
        "Kalimantan Selatan": 25, "Lampung": 15, "Sumatera Barat": 15, "Jawa Barat": 15,
        "Jawa Tengah": 10, "Aceh": 10, "Sulawesi Selatan": 10,
    },
    "Granite": {
        "Kepulauan Riau": 50, "Kepulauan Bangka Belitung": 20, "Kalimantan Barat": 15,
        "Sulawesi Tengah": 15,
    },
    "Sand, Stone, Gravel": _ROCKS, "Limestone": _ROCKS, "Sand": _ROCKS,
    "Non-Metallic Mineral": _ROCKS, "Clay": _ROCKS, "Others": _ROCKS,
}  # fmt: skip
_METALS: Final = ("Nickel", "Tin", "Gold", "Bauxite", "Iron", "Copper")
# Median licensed area (ha) of an IUP by commodity; areas are log-normal around it.
_MEDIAN_AREA: Final = {"Coal": 2000.0, "Nickel": 1500.0, "Tin": 300.0, "Gold": 1000.0,
                       "Bauxite": 2500.0, "Iron": 600.0, "Copper": 3000.0}  # fmt: skip
_ROCK_MEDIAN_AREA: Final = 25.0
# wiup_code commodity digits (the first two of the 16).
_WIUP_COMMODITY: Final = {c: f"{11 + 6 * i:02d}" for i, c in enumerate(_COMMODITY_SHARES)}

_WORDS: Final = (
    "Alam", "Anugerah", "Bara", "Barito", "Batu", "Berau", "Borneo", "Bumi", "Cahaya",
    "Delta", "Energi", "Gemilang", "Indah", "Jasa", "Jaya", "Karya", "Kencana", "Khatulistiwa",
    "Lestari", "Mahakam", "Makmur", "Mandiri", "Mega", "Mineral", "Mitra", "Multi", "Nusa",
    "Nusantara", "Perkasa", "Permata", "Persada", "Prima", "Putra", "Raya", "Sakti", "Samudra",
    "Sejahtera", "Sentosa", "Sinar", "Sukses", "Sumber", "Tambang", "Tunggal", "Utama",
    "Wahana", "Abadi", "Agung", "Artha", "Bintang", "Citra",
)  # fmt: skip
# License types by commodity family (coal, metals, rocks) with their shares.
_LICENSE_TYPES: Final = (
    (("IUP", "PKP2B", "IUPK"), (0.89, 0.07, 0.04)),
    (("IUP", "IUPK", "KK", "IPR"), (0.85, 0.06, 0.04, 0.05)),
    (("IUP", "SIPB", "IPR"), (0.55, 0.30, 0.15)),
)
_ROMAN_MONTHS: Final = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
_AGENCIES: Final = ("BPPMD-PTSP", "DPMPTSP", "DISTAMBEN", "DPMPTSP-PROV", "BKPM", "DESDM")

IntArray = npt.NDArray[np.int64]


def _choice(rng: np.random.Generator, weights: Sequence[float], size: int) -> IntArray:
    """Draw ``size`` indices into ``weights`` with probability proportional to the weight."""
    p = np.asarray(weights, dtype=np.float64)
    return rng.choice(p.size, size=size, p=p / p.sum()).astype(np.int64)


def _companies(rng: np.random.Generator, count: int) -> list[str]:
    """Return ``count`` distinct fictional company names (``Bara Sumber Makmur``)."""
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < count:
        words = rng.choice(len(_WORDS), size=(count * 2, 3))
        for a, b, c in words.tolist():
            name = f"{_WORDS[a]} {_WORDS[b]} {_WORDS[c]}" if c % 3 else f"{_WORDS[a]} {_WORDS[b]}"
            if b not in (a, c) and name not in seen:
                seen.add(name)
                names.append(name)
                if len(names) == count:
                    break
    return names


def _dates(
    rng: np.random.Generator, license_type: npt.NDArray[np.str_], activity: IntArray
) -> tuple[npt.NDArray[np.datetime64], npt.NDArray[np.datetime64]]:
    """Draw effective dates and tenures by license type; return (effective, expiry)."""
    n = license_type.size
    reference = np.datetime64(SAMPLE_REFERENCE_DATE, "D")
    # IUPs date from the 2009 mining law (most from its first years), SIPBs from
    # 2021; the contracts (KK, PKP2B) from the 1990s.
    year = np.clip(np.round(rng.normal(2013.5, 4.5, n)), 2009, 2026).astype(np.int64)
    exploration = (activity == 0) & (license_type == "IUP")
    year[exploration] = np.clip(
        np.round(rng.normal(2020.0, 4.0, int(exploration.sum()))), 2009, 2026
    )
    for kind, low in (("IUPK", 2010), ("IPR", 2010), ("SIPB", 2021)):
        chosen = license_type == kind
        year[chosen] = rng.integers(low, 2027, int(chosen.sum()))
    legacy = np.isin(license_type, ("KK", "PKP2B"))
    year[legacy] = rng.integers(1991, 2001, int(legacy.sum()))
    start = (year - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    effective = start + rng.integers(0, 365, n).astype("timedelta64[D]")
    effective = np.minimum(effective, reference - rng.integers(1, 60, n).astype("timedelta64[D]"))
    iupk, sipb, ipr = (license_type == t for t in ("IUPK", "SIPB", "IPR"))
    tenure = np.select(
        [legacy, iupk, sipb, ipr, exploration],
        [rng.integers(25, 31, n), rng.integers(10, 21, n), rng.integers(3, 6, n),
         rng.integers(5, 11, n), rng.integers(1, 9, n)],
        default=rng.choice(np.array([10, 15, 20]), n, p=[0.45, 0.25, 0.30]),
    ).astype(np.int64)  # fmt: skip
    months = effective.astype("datetime64[M]")
    day = (effective - months.astype("datetime64[D]")).astype(np.int64)
    expiry_month = months + (12 * tenure).astype("timedelta64[M]")
    # A 29 February start expires on 28 February of a common year.
    last_day = (
        (expiry_month + 1).astype("datetime64[D]") - expiry_month.astype("datetime64[D]")
    ).astype(np.int64)
    expiry = expiry_month.astype("datetime64[D]") + np.minimum(day, last_day - 1).astype(
        "timedelta64[D]"
    )
    return effective, expiry


def _area(
    rng: np.random.Generator, commodity: npt.NDArray[np.str_], license_type: npt.NDArray[np.str_]
) -> list[Any]:
    """Log-normal areas in hectares, half as integers and half as floats."""
    n = commodity.size
    median = np.full(n, _ROCK_MEDIAN_AREA)
    for name, value in _MEDIAN_AREA.items():
        median[commodity == name] = value
    median[np.isin(license_type, ("KK", "PKP2B"))] *= 10.0
    median[license_type == "IPR"] = 5.0
    area = np.exp(np.log(median) + rng.normal(0.0, 1.1, n))
    area = np.maximum(area, 0.5)
    as_int = (rng.random(n) < 0.5) & (area >= 1)
    values = np.empty(n, dtype=object)
    values[as_int] = np.round(area[as_int]).astype(np.int64).tolist()
    values[~as_int] = np.round(area[~as_int], 2).tolist()
    return values.tolist()


def _words(options: Sequence[str]) -> npt.NDArray[np.object_]:
    """Return ``options`` as an object array, to gather Python strings by index."""
    out = np.empty(len(options), dtype=object)
    out[:] = list(options)
    return out


def _numbers(values: IntArray, *, width: int = 0) -> npt.NDArray[np.object_]:
    """Return integers as an object array of (zero-padded) decimal strings."""
    low = int(values.min(initial=0))
    table = _words([str(v).zfill(width) for v in range(low, int(values.max(initial=0)) + 1)])
    return table[values - low]


def _iso_dates(days: npt.NDArray[np.datetime64]) -> list[str]:
    """Return dates as ISO strings, formatting each distinct day once."""
    number = days.astype("datetime64[D]").astype(np.int64)
    low = int(number.min(initial=0))
    span = np.arange(low, int(number.max(initial=0)) + 1).astype("datetime64[D]")
    table = _words(np.datetime_as_string(span).tolist())
    return table[number - low].tolist()  # type: ignore[no-any-return]


def _license_numbers(
    rng: np.random.Generator,
    license_type: npt.NDArray[np.str_],
    activity: IntArray,
    effective: npt.NDArray[np.datetime64],
) -> list[str]:
    """License numbers in the registry's formats, by license type and activity.

    For example ``503/1573/IUP-OP/BPPMD-PTSP/X/2015`` (a regional IUP),
    ``540/123/IUP-EKS/DPMPTSP/2019``, ``1802.K/30/MEM/2018`` (a ministry IUPK).
    """
    n = license_type.size
    head = _words(("503", "540", "545", "188.4"))[rng.integers(0, 4, n)]
    serial = _numbers(rng.integers(1, 3000, n))
    agency = _words(_AGENCIES)[rng.integers(0, len(_AGENCIES), n)]
    year = _numbers(effective.astype("datetime64[Y]").astype(np.int64) + 1970)
    roman = np.array(_ROMAN_MONTHS, dtype=object)[
        effective.astype("datetime64[M]").astype(np.int64) % 12
    ]
    kind = np.where(activity == 0, "IUP-EKS", "IUP-OP").astype(object)
    with_month = rng.random(n) < 0.6
    out = np.empty(n, dtype=object)
    for lt in np.unique(license_type).tolist():
        i = np.flatnonzero(license_type == lt)
        if lt == "KK":
            out[i] = "B-" + serial[i] + "/Pres/" + roman[i] + "/" + year[i]
        elif lt == "PKP2B":
            out[i] = serial[i] + ".K/20.01/DJG/" + year[i]
        elif lt == "IUPK":
            out[i] = serial[i] + ".K/30/MEM/" + year[i]
        elif lt in ("SIPB", "IPR"):
            out[i] = head[i] + "/" + serial[i] + "/" + lt + "/" + agency[i] + "/" + year[i]
        else:
            month = np.where(with_month[i], "/" + roman[i], "")
            out[i] = (
                head[i] + "/" + serial[i] + "/" + kind[i] + "/" + agency[i] + month + "/" + year[i]
            )
    return out.tolist()


def _company_names(
    rng: np.random.Generator, family: IntArray
) -> tuple[list[str], list[str | None]]:
    """Draw a company for each license and spell its name; return (names, slugs).

    Companies hold several licenses each (a heavy tail: a few hold dozens) and
    stay within one commodity family. The same company is spelled in several
    ways (``PT. ABC``, ``PT ABC``, ``Pt Abc``, ``ABC, PT``, ``PT ABC Tbk``),
    as in the real registry; about 2% of the records carry a slug.
    """
    n = family.size
    families = np.unique(family).tolist()
    pools = {f: max(1, min(int((family == f).sum()) // 3, 8000)) for f in families}
    base = _companies(rng, sum(pools.values()))
    company = np.empty(n, dtype=np.int64)
    offset = 0
    for f in families:
        idx = np.flatnonzero(family == f)
        size = pools[f]
        weights = (np.arange(size) + 4.0) ** -1.15
        company[idx] = offset + rng.choice(size, size=idx.size, p=weights / weights.sum())
        offset += size
    counts = np.bincount(company, minlength=len(base))
    # Listed companies (Tbk): about 4% of the licenses, none of the giants.
    order = rng.permutation(len(base))
    eligible = order[(counts[order] > 0) & (counts[order] <= max(1, n // 200))]
    listed = np.zeros(len(base), dtype=bool)
    listed[eligible[np.cumsum(counts[eligible]) <= 0.04 * n]] = True
    # Small quarry companies (the rocks family, last) are often CVs.
    cv = np.zeros(len(base), dtype=np.int64)
    rock_start = sum(pools[f] for f in families if f < 2)
    cv[rock_start:] = rng.random(len(base) - rock_start) < 0.4
    cv[listed] = 0
    style = rng.choice(6, size=n, p=[0.52, 0.18, 0.12, 0.07, 0.06, 0.05])
    bodies = np.array(base + [b.upper() for b in base], dtype=object)
    body = bodies[company + len(base) * np.isin(style, (2, 4))]
    form = cv[company]  # 0: PT, 1: CV
    forms = [["PT ", "PT. ", "PT ", "Pt ", "PT. ", ""], ["CV ", "CV. ", "CV ", "Cv ", "CV. ", ""]]
    prefix = np.array(forms, dtype=object)[form, style]
    trail = np.where(style == 5, np.array([", PT", ", CV"], dtype=object)[form], "")
    tbk = np.array([" Tbk", " TBK", ", Tbk", ""], dtype=object)[
        rng.choice(4, size=n, p=[0.55, 0.2, 0.1, 0.15])
    ]
    suffix = np.where(listed[company], tbk, "")
    slug_of = np.array([b.lower().replace(" ", "-") for b in base], dtype=object)
    # Half the listed companies carry a slug, on every one of their records.
    slugged = listed & (rng.random(len(base)) < 0.5)
    slug = slug_of[company]
    slug[~slugged[company]] = None
    return (prefix + body + suffix + trail).tolist(), slug.tolist()


def _cities(rng: np.random.Generator, province: IntArray) -> tuple[IntArray, IntArray]:
    """Draw two regencies of each license's province (the second for multi-regency texts).

    ``province`` indexes ``schema.PROVINCES``; the result indexes
    ``gazetteer.regencies()``. Cities (kota) are drawn less often than
    regencies: mines lie outside city limits.
    """
    reg = gazetteer.regencies()
    reg_province = np.array([s.PROVINCES.index(p) for p in reg[s.PROVINCE].to_list()])
    weight = np.where(reg[gazetteer.KIND].to_numpy() == gazetteer.KOTA, 0.08, 1.0)
    first = np.empty(province.size, dtype=np.int64)
    second = np.empty(province.size, dtype=np.int64)
    for k in np.unique(province).tolist():
        idx = np.flatnonzero(province == k)
        rows = np.flatnonzero(reg_province == k)
        p = weight[rows] / weight[rows].sum()
        first[idx] = rows[rng.choice(rows.size, size=idx.size, p=p)]
        second[idx] = rows[rng.choice(rows.size, size=idx.size, p=p)]
    return first, second


def _place_texts(
    rng: np.random.Generator, first: IntArray, second: IntArray
) -> tuple[list[str | None], npt.NDArray[np.object_]]:
    """Spell ``city`` and a text ``location`` the many ways the API does.

    A city (kota) is always named with its prefix, since its bare name may
    also be a regency's (Sorong); a regency is named bare (``Paser``), in full
    (``Kabupaten Paser``), upper case, or ``Kab. Paser``. A location names the
    regency, sometimes followed by a neighbour (``Kabupaten Tabalong,
    Kabupaten Balangan``).
    """
    reg = gazetteer.regencies()
    n = first.size
    full = reg[gazetteer.NAME].to_list()
    styles = [
        [
            name if kind == gazetteer.KOTA else variant
            for variant in (bare, name, name.upper(), f"Kab. {bare}", bare.upper())
        ]
        for name, bare, kind in zip(
            full, reg[gazetteer.BARE_NAME].to_list(), reg[gazetteer.KIND].to_list(), strict=True
        )
    ]
    city_style = rng.choice(5, size=n, p=[0.55, 0.28, 0.06, 0.06, 0.05])
    city = np.array(styles, dtype=object)[first, city_style]
    missing = rng.random(n) < 0.01
    city[missing] = None
    names = np.array(full, dtype=object)
    location = np.where(missing, names[first], city)
    loc_style = rng.choice(3, size=n, p=[0.72, 0.16, 0.12])
    location[loc_style == 1] = names[first[loc_style == 1]]
    several = (loc_style == 2) & (first != second)
    location[several] = names[first[several]] + ", " + names[second[several]]
    return city.tolist(), location


def quirk_positions(n: int = SAMPLE_SIZE) -> dict[str, int]:
    """Return the position of each deliberately bad record in ``generate_records(n)``.

    The bad records sit at fixed, evenly spread positions that do not depend
    on the seed. Samples of fewer than 100 records carry none.

    Examples
    --------
    >>> positions = quirk_positions()
    >>> sorted(positions) == sorted(QUIRKS)
    True
    >>> quirk_positions(10)
    {}
    """
    if n < _MIN_SIZE_FOR_QUIRKS:
        return {}
    spots = np.linspace(0, n - 1, len(QUIRKS) + 2)[1:-1].round().astype(np.int64)
    return dict(zip(QUIRKS, spots.tolist(), strict=True))


def _spoil(records: list[dict[str, Any]], reg: pl.DataFrame, first: IntArray) -> None:
    """Give the records at :func:`quirk_positions` their quirks, in place."""
    for quirk, i in quirk_positions(len(records)).items():
        record = records[i]
        record.update(copy.deepcopy(_QUIRK_VALUES.get(quirk, {})))
        if quirk == "expiry_before_effective":
            dates = record[s.EFFECTIVE_DATE], record[s.EXPIRY_DATE]
            record[s.EXPIRY_DATE], record[s.EFFECTIVE_DATE] = dates
        elif quirk == "coordinates_swapped":
            point = [reg[s.LATITUDE][int(first[i])], reg[s.LONGITUDE][int(first[i])]]
            record[s.LOCATION] = {"type": "Point", "coordinates": point}
        elif quirk == "wiup_code_15_digits":
            record[s.WIUP_CODE] = str(record[s.WIUP_CODE])[1:]


def generate_records(n: int = SAMPLE_SIZE, *, seed: int = SAMPLE_SEED) -> list[dict[str, Any]]:
    """Return ``n`` synthetic license records exactly as the API would return them.

    Parameters
    ----------
    n
        Number of records. The bundled sample has :data:`SAMPLE_SIZE`.
    seed
        Seed of ``numpy.random.default_rng``; the same ``(n, seed)`` always
        gives the same records.

    Returns
    -------
    list of dict
        JSON-compatible dicts with the 15 fields of ``schema.API_FIELDS``, in
        that order. A handful carry deliberate quirks (see :data:`QUIRKS` and
        :func:`quirk_positions`).

    Examples
    --------
    >>> records = generate_records(200, seed=1)
    >>> len(records), list(records[0]) == list(s.API_FIELDS)
    (200, True)
    >>> generate_records(200, seed=1) == records
    True
    """
    if n < 0:
        msg = f"generate_records(n={n}): n must be zero or more"
        raise ValueError(msg)
    if n == 0:
        return []
    rng = np.random.default_rng(seed)
    commodities = list(_COMMODITY_SHARES)
    ci = _choice(rng, list(_COMMODITY_SHARES.values()), n)
    commodity = np.array(commodities)[ci]
    family = np.where(ci == 0, 0, np.where(np.isin(commodity, _METALS), 1, 2))
    province = np.empty(n, dtype=np.int64)  # index into schema.PROVINCES
    for k, name in enumerate(commodities):
        idx = np.flatnonzero(ci == k)
        where = np.array([s.PROVINCES.index(p) for p in _PROVINCE_WEIGHTS[name]])
        province[idx] = where[_choice(rng, list(_PROVINCE_WEIGHTS[name].values()), idx.size)]
    license_type = np.empty(n, dtype="<U5")
    for f, (types, weights) in enumerate(_LICENSE_TYPES):
        idx = np.flatnonzero(family == f)
        license_type[idx] = np.array(types)[_choice(rng, weights, idx.size)]
    p_production = np.select(
        [np.isin(license_type, ("SIPB", "IPR")), np.isin(license_type, ("KK", "PKP2B", "IUPK"))],
        [1.0, 0.9],
        default=0.7,
    )
    activity = (rng.random(n) < p_production).astype(np.int64)  # 1 = Operasi Produksi
    effective, expiry = _dates(rng, license_type, activity)
    first, second = _cities(rng, province)
    reg = gazetteer.regencies()
    city, location = _place_texts(rng, first, second)
    # Locations: text 68%, GeoJSON point near the regency's point 20%, null 12%.
    shape = rng.choice(3, size=n, p=[0.68, 0.20, 0.12])
    at = np.flatnonzero(shape == 1)
    lon = np.round(reg[s.LONGITUDE].to_numpy()[first[at]] + rng.normal(0, 0.08, at.size), 6)
    lat = np.round(reg[s.LATITUDE].to_numpy()[first[at]] + rng.normal(0, 0.08, at.size), 6)
    location[at] = [
        {"type": "Point", "coordinates": [x, y]}
        for x, y in zip(lon.tolist(), lat.tolist(), strict=True)
    ]
    location[shape == 2] = None
    # wiup_code: commodity (2 digits; older codes start with 0), regency (4), year (4), serial (6).
    region = _words(reg[gazetteer.CODE].str.replace(".", "", literal=True).to_list())[first]
    digits = np.array(list(_WIUP_COMMODITY.values()), dtype=object)[ci]
    legacy_code = rng.random(n) < 0.06
    digits[legacy_code] = _numbers(rng.integers(1, 10, int(legacy_code.sum())), width=2)
    year = _numbers(effective.astype("datetime64[Y]").astype(np.int64) + 1970)
    perm = rng.permutation(1_000_000)[np.arange(n) % 1_000_000]
    serial = _words([f"{v:06d}" for v in perm.tolist()])
    wiup = digits + region + year + serial
    names, slugs = _company_names(rng, family)
    cnc = np.array(["CNC", "CnC", "non-CNC", None], dtype=object)[
        rng.choice(4, size=n, p=[0.39, 0.17, 0.15, 0.29])
    ]
    # Generation labels belong to the old contracts (KK, PKP2B) only.
    generation = np.full(n, None, dtype=object)
    contract = np.flatnonzero(np.isin(license_type, ("KK", "PKP2B")))
    generation[contract] = _words(("GEN I", "GEN II", "GEN III"))[rng.integers(0, 3, contract.size)]
    values = (
        wiup.tolist(),
        _license_numbers(rng, license_type, activity, effective),
        license_type.tolist(),
        np.array(s.PROVINCES, dtype=object)[province].tolist(),
        city,
        _iso_dates(effective),
        _iso_dates(expiry),
        np.array(s.ACTIVITIES, dtype=object)[activity].tolist(),
        _area(rng, commodity, license_type),
        location.tolist(),
        commodity.tolist(),
        names,
        cnc.tolist(),
        generation.tolist(),
        slugs,
    )
    # A dict display with the keys bound to locals builds 1M records ~40% faster
    # than dict(zip(...)).
    (k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, k10, k11, k12, k13, k14) = s.API_FIELDS
    records = [
        {
            k0: v0, k1: v1, k2: v2, k3: v3, k4: v4, k5: v5, k6: v6, k7: v7,
            k8: v8, k9: v9, k10: v10, k11: v11, k12: v12, k13: v13, k14: v14,
        }
        for v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14 in zip(
            *values, strict=True
        )
    ]  # fmt: skip
    _spoil(records, reg, first)
    return records


def main(argv: Sequence[str] | None = None) -> int:
    """Write the sample records as JSON (``python -m mining_licenses.sample --json OUT``)."""
    parser = argparse.ArgumentParser(
        prog="python -m mining_licenses.sample", description=SYNTHETIC_NOTE
    )
    parser.add_argument("--json", type=Path, required=True, help="file to write ('-': stdout)")
    parser.add_argument("-n", type=int, default=SAMPLE_SIZE, help="number of records")
    parser.add_argument("--seed", type=int, default=SAMPLE_SEED)
    args = parser.parse_args(argv)
    text = json.dumps(generate_records(args.n, seed=args.seed), ensure_ascii=False, indent=1) + "\n"
    if str(args.json) == "-":
        sys.stdout.write(text)
    else:
        args.json.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
