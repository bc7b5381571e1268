"""Vectorised draws of the synthetic sample's fields: dates, areas, names, places.

Each function draws whole arrays from the generator it is given, in a fixed
order, so :func:`mining_licenses.sample.generate_records` gives the same
records for the same seed. The tables drawn from are in ``_sample_tables``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from mining_licenses import gazetteer
from mining_licenses import schema as s
from mining_licenses.sample import _tables as ref

IntArray = npt.NDArray[np.int64]


def choice(rng: np.random.Generator, weights: Sequence[float], size: int) -> IntArray:
    """Draw ``size`` indices into ``weights`` with probability proportional to the weight."""
    p = np.asarray(weights, dtype=np.float64)
    return rng.choice(p.size, size=size, p=p / p.sum()).astype(np.int64)


def _companies(rng: np.random.Generator, count: int) -> list[str]:
    """Return ``count`` distinct fictional company names (``Bara Sumber Makmur``)."""
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < count:
        picks = rng.choice(len(ref.WORDS), size=(count * 2, 3))
        for a, b, c in picks.tolist():
            name = (
                f"{ref.WORDS[a]} {ref.WORDS[b]} {ref.WORDS[c]}"
                if c % 3
                else f"{ref.WORDS[a]} {ref.WORDS[b]}"
            )
            if b not in (a, c) and name not in seen:
                seen.add(name)
                names.append(name)
                if len(names) == count:
                    break
    return names


def dates(
    rng: np.random.Generator,
    license_type: npt.NDArray[np.str_],
    activity: IntArray,
    *,
    as_of: dt.date,
) -> tuple[npt.NDArray[np.datetime64], npt.NDArray[np.datetime64]]:
    """Draw effective dates and tenures by license type; return (effective, expiry).

    No license starts after ``as_of`` (the sample's reference date).
    """
    n = license_type.size
    reference = np.datetime64(as_of, "D")
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


def areas(
    rng: np.random.Generator, commodity: npt.NDArray[np.str_], license_type: npt.NDArray[np.str_]
) -> list[Any]:
    """Log-normal areas in hectares, half as integers and half as floats."""
    n = commodity.size
    median = np.full(n, ref.ROCK_MEDIAN_AREA)
    for name, value in ref.MEDIAN_AREA.items():
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


def words(options: Sequence[str]) -> npt.NDArray[np.object_]:
    """Return ``options`` as an object array, to gather Python strings by index."""
    out = np.empty(len(options), dtype=object)
    out[:] = list(options)
    return out


def numbers(values: IntArray, *, width: int = 0) -> npt.NDArray[np.object_]:
    """Return integers as an object array of (zero-padded) decimal strings."""
    low = int(values.min(initial=0))
    table = words([str(v).zfill(width) for v in range(low, int(values.max(initial=0)) + 1)])
    return table[values - low]


def iso_dates(days: npt.NDArray[np.datetime64]) -> list[str]:
    """Return dates as ISO strings, formatting each distinct day once."""
    number = days.astype("datetime64[D]").astype(np.int64)
    low = int(number.min(initial=0))
    span = np.arange(low, int(number.max(initial=0)) + 1).astype("datetime64[D]")
    table = words(np.datetime_as_string(span).tolist())
    return table[number - low].tolist()  # type: ignore[no-any-return]


def license_numbers(
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
    head = words(("503", "540", "545", "188.4"))[rng.integers(0, 4, n)]
    serial = numbers(rng.integers(1, 3000, n))
    agency = words(ref.AGENCIES)[rng.integers(0, len(ref.AGENCIES), n)]
    year = numbers(effective.astype("datetime64[Y]").astype(np.int64) + 1970)
    roman = np.array(ref.ROMAN_MONTHS, dtype=object)[
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


def company_names(rng: np.random.Generator, family: IntArray) -> tuple[list[str], list[str | None]]:
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


def cities(rng: np.random.Generator, province: IntArray) -> tuple[IntArray, IntArray]:
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


def place_texts(
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
