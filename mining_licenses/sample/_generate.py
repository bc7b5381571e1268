"""The synthetic registry: :func:`generate_records` and the deliberately bad records.

Everything is drawn from ``numpy.random.default_rng(seed)`` with whole-array
draws, so the same ``(n, seed)`` always gives the same records, on any
machine. The sample is as of :data:`SAMPLE_REFERENCE_DATE`: no license starts
after it, some expired before it and some expire within the year after it.
The tables the mix is drawn from live in ``_tables``, the draws of each
field in ``_fields``.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any, Final

import numpy as np
import polars as pl

from mining_licenses import _validate as v
from mining_licenses import gazetteer
from mining_licenses import schema as s
from mining_licenses.sample import _fields as fields
from mining_licenses.sample import _tables as ref
from mining_licenses.sample._fields import IntArray

SAMPLE_SIZE: Final = 4200
#: The most records :func:`generate_records` makes (defined with the other ceilings).
MAX_SAMPLE_SIZE: Final = v.MAX_SAMPLE_SIZE
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
    v.whole(n, name="n", function="generate_records", low=0, high=MAX_SAMPLE_SIZE)
    v.whole(seed, name="seed", function="generate_records", low=0)
    if n == 0:
        return []
    rng = np.random.default_rng(seed)
    commodities = list(ref.COMMODITY_SHARES)
    ci = fields.choice(rng, list(ref.COMMODITY_SHARES.values()), n)
    commodity = np.array(commodities)[ci]
    family = np.where(ci == 0, 0, np.where(np.isin(commodity, ref.METALS), 1, 2))
    province = np.empty(n, dtype=np.int64)  # index into schema.PROVINCES
    for k, name in enumerate(commodities):
        idx = np.flatnonzero(ci == k)
        where = np.array([s.PROVINCES.index(p) for p in ref.PROVINCE_WEIGHTS[name]])
        province[idx] = where[
            fields.choice(rng, list(ref.PROVINCE_WEIGHTS[name].values()), idx.size)
        ]
    license_type = np.empty(n, dtype="<U5")
    for f, (types, weights) in enumerate(ref.LICENSE_TYPES):
        idx = np.flatnonzero(family == f)
        license_type[idx] = np.array(types)[fields.choice(rng, weights, idx.size)]
    p_production = np.select(
        [np.isin(license_type, ("SIPB", "IPR")), np.isin(license_type, ("KK", "PKP2B", "IUPK"))],
        [1.0, 0.9],
        default=0.7,
    )
    activity = (rng.random(n) < p_production).astype(np.int64)  # 1 = Operasi Produksi
    effective, expiry = fields.dates(rng, license_type, activity, as_of=SAMPLE_REFERENCE_DATE)
    first, second = fields.cities(rng, province)
    reg = gazetteer.regencies()
    city, location = fields.place_texts(rng, first, second)
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
    region = fields.words(reg[gazetteer.CODE].str.replace(".", "", literal=True).to_list())[first]
    digits = np.array(list(ref.WIUP_COMMODITY.values()), dtype=object)[ci]
    legacy_code = rng.random(n) < 0.06
    digits[legacy_code] = fields.numbers(rng.integers(1, 10, int(legacy_code.sum())), width=2)
    year = fields.numbers(effective.astype("datetime64[Y]").astype(np.int64) + 1970)
    perm = rng.permutation(1_000_000)[np.arange(n) % 1_000_000]
    serial = fields.words([f"{v:06d}" for v in perm.tolist()])
    wiup = digits + region + year + serial
    names, slugs = fields.company_names(rng, family)
    cnc = np.array(["CNC", "CnC", "non-CNC", None], dtype=object)[
        rng.choice(4, size=n, p=[0.39, 0.17, 0.15, 0.29])
    ]
    # Generation labels belong to the old contracts (KK, PKP2B) only.
    generation = np.full(n, None, dtype=object)
    contract = np.flatnonzero(np.isin(license_type, ("KK", "PKP2B")))
    generation[contract] = fields.words(("GEN I", "GEN II", "GEN III"))[
        rng.integers(0, 3, contract.size)
    ]
    values = (
        wiup.tolist(),
        fields.license_numbers(rng, license_type, activity, effective),
        license_type.tolist(),
        np.array(s.PROVINCES, dtype=object)[province].tolist(),
        city,
        fields.iso_dates(effective),
        fields.iso_dates(expiry),
        np.array(s.ACTIVITIES, dtype=object)[activity].tolist(),
        fields.areas(rng, commodity, license_type),
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
