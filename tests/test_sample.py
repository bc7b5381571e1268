"""Tests of the synthetic sample generator."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from typing import Any

import polars as pl
import pytest

from mining_licenses import gazetteer, sample, schema

REF = sample.SAMPLE_REFERENCE_DATE


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    return sample.generate_records()


@pytest.fixture(scope="module")
def bad(records) -> dict[str, dict[str, Any]]:
    return {quirk: records[i] for quirk, i in sample.quirk_positions().items()}


@pytest.fixture(scope="module")
def good(records) -> list[dict[str, Any]]:
    spoiled = set(sample.quirk_positions().values())
    return [r for i, r in enumerate(records) if i not in spoiled]


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _company(name: str) -> str:
    text = re.sub(r"[^a-z ]", " ", name.lower())
    return " ".join(w for w in text.split() if w not in {"pt", "cv", "tbk"})


# ------------------------------------------------------------ shape, determinism


def test_constants():
    assert sample.SAMPLE_SIZE == 4200
    assert dt.date(2026, 11, 1) == sample.SAMPLE_REFERENCE_DATE
    assert sample.SAMPLE_FETCHED_AT.date() == sample.SAMPLE_REFERENCE_DATE
    assert sample.SAMPLE_FETCHED_AT.utcoffset() == dt.timedelta(0)
    assert "Synthetic" in sample.SYNTHETIC_NOTE
    assert "2026-11-01" in sample.SYNTHETIC_NOTE


def test_size_and_fields(records):
    assert len(records) == sample.SAMPLE_SIZE
    assert all(list(r) == list(schema.API_FIELDS) for r in records)


def test_records_are_json_compatible(records):
    assert json.loads(json.dumps(records)) == records


def test_same_seed_same_records(records):
    assert sample.generate_records() == records
    assert sample.generate_records(300, seed=7) == sample.generate_records(300, seed=7)


def test_different_seed_different_records(records):
    other = sample.generate_records(seed=sample.SAMPLE_SEED + 1)
    assert len(other) == len(records)
    assert other != records
    assert [r[schema.WIUP_CODE] for r in other] != [r[schema.WIUP_CODE] for r in records]


def test_sizes():
    assert sample.generate_records(0) == []
    small = sample.generate_records(50, seed=3)
    assert len(small) == 50
    assert sample.quirk_positions(50) == {}
    with pytest.raises(ValueError, match="n must be between 0 and 1,000,000"):
        sample.generate_records(-1)


def test_records_are_independent_objects():
    first = sample.generate_records(200, seed=2)
    first[sample.quirk_positions(200)["coordinates_outside"]][schema.LOCATION]["coordinates"][0] = 0
    second = sample.generate_records(200, seed=2)
    point = second[sample.quirk_positions(200)["coordinates_outside"]][schema.LOCATION]
    assert point["coordinates"] == [151.2093, -33.8688]


# ------------------------------------------------------------------ realism


def test_commodity_mix_led_by_coal(records):
    counts = Counter(r[schema.COMMODITY] for r in records)
    top = [name for name, _ in counts.most_common(5)]
    assert top == ["Coal", "Nickel", "Tin", "Gold", "Sand, Stone, Gravel"]
    assert 0.3 < counts["Coal"] / len(records) < 0.45
    assert set(counts) - {"Zircon"} <= set(schema.COMMODITIES)


def test_commodities_in_their_provinces(good):
    by = Counter((r[schema.COMMODITY], r[schema.PROVINCE]) for r in good)
    tin = {p for (c, p) in by if c == "Tin"}
    assert tin <= {"Kepulauan Bangka Belitung", "Kepulauan Riau", "Riau"}
    nickel = Counter({p: n for (c, p), n in by.items() if c == "Nickel"})
    assert nickel.most_common(1)[0][0] == "Sulawesi Tenggara"
    assert "Sulawesi Tengah" in nickel
    assert "Maluku Utara" in nickel
    coal = Counter({p: n for (c, p), n in by.items() if c == "Coal"})
    assert [p for p, _ in coal.most_common(2)] == ["Kalimantan Timur", "Kalimantan Selatan"]
    assert {"Kalimantan Tengah", "Sumatera Selatan", "Jambi"} <= set(coal)
    bauxite = {p for (c, p) in by if c == "Bauxite"}
    assert "Kalimantan Barat" in bauxite
    gold = {p for (c, p) in by if c == "Gold"}
    assert {"Sulawesi Utara", "Jawa Timur", "Sumatera Utara"} <= gold
    assert {r[schema.PROVINCE] for r in good} <= set(schema.PROVINCES)


def test_license_types_and_activities(good):
    types = Counter(r[schema.LICENSE_TYPE] for r in good)
    assert set(types) == set(schema.LICENSE_TYPES)
    assert types.most_common(1)[0][0] == "IUP"
    assert {r[schema.ACTIVITY] for r in good} == set(schema.ACTIVITIES)


def test_license_number_formats(good):
    patterns = {
        "IUP": r"^(503|540|545|188\.4)/\d+/IUP-(OP|EKS)/[A-Z-]+(/[IVX]+)?/\d{4}$",
        "IUPK": r"^\d+\.K/30/MEM/\d{4}$",
        "KK": r"^B-\d+/Pres/[IVX]+/\d{4}$",
        "PKP2B": r"^\d+\.K/20\.01/DJG/\d{4}$",
        "SIPB": r"^(503|540|545|188\.4)/\d+/SIPB/[A-Z-]+/\d{4}$",
        "IPR": r"^(503|540|545|188\.4)/\d+/IPR/[A-Z-]+/\d{4}$",
    }
    for r in good:
        assert re.match(patterns[r[schema.LICENSE_TYPE]], r[schema.LICENSE_NUMBER]), r
        year = r[schema.LICENSE_NUMBER][-4:]
        assert year == r[schema.EFFECTIVE_DATE][:4]
    assert any("/IUP-OP/" in r[schema.LICENSE_NUMBER] for r in good)
    assert any("/IUP-EKS/" in r[schema.LICENSE_NUMBER] for r in good)


def test_wiup_codes(records, bad):
    codes = [r[schema.WIUP_CODE] for r in records]
    odd = {id(bad["wiup_code_missing"]), id(bad["wiup_code_15_digits"])}
    normal = [r[schema.WIUP_CODE] for r in records if id(r) not in odd]
    assert all(isinstance(c, str) and re.fullmatch(r"\d{16}", c) for c in normal)
    assert len(set(normal)) == len(normal)
    assert sum(c.startswith("0") for c in normal) > 50  # leading zeros kept
    assert bad["wiup_code_missing"][schema.WIUP_CODE] is None
    assert re.fullmatch(r"\d{15}", bad["wiup_code_15_digits"][schema.WIUP_CODE])
    assert codes.count(None) == 1


def test_dates_and_tenures(good):
    effective = [_date(r[schema.EFFECTIVE_DATE]) for r in good]
    expiry = [_date(r[schema.EXPIRY_DATE]) for r in good]
    assert max(effective) <= REF
    assert min(effective).year < 2000
    assert max(effective).year == 2026
    for r, start, end in zip(good, effective, expiry, strict=True):
        years = (end - start).days / 365.25
        assert 0.99 < years < 30.1, r
        if r[schema.LICENSE_TYPE] in ("KK", "PKP2B"):
            assert years > 24
    expired = sum(e < REF for e in expiry) / len(good)
    soon = sum(REF <= e <= REF + dt.timedelta(days=365) for e in expiry) / len(good)
    assert 0.3 < expired < 0.65
    assert 0.03 < soon < 0.15


def test_areas(good):
    areas = [r[schema.AREA_HA] for r in good]
    assert all(isinstance(a, int | float) and a > 0 for a in areas)
    kinds = Counter(type(a) for a in areas)
    assert kinds[int] > 0.3 * len(areas)
    assert kinds[float] > 0.3 * len(areas)
    coal = sorted(r[schema.AREA_HA] for r in good if r[schema.COMMODITY] == "Coal")
    rocks = sorted(r[schema.AREA_HA] for r in good if r[schema.COMMODITY] == "Sand, Stone, Gravel")
    assert coal[len(coal) // 2] > 10 * rocks[len(rocks) // 2]
    assert max(areas) > 20 * coal[len(coal) // 2]  # a long tail


def test_location_shares(records):
    kinds = Counter(
        "null"
        if r[schema.LOCATION] is None
        else "text"
        if isinstance(r[schema.LOCATION], str)
        else "point"
        for r in records
    )
    share = {k: v / len(records) for k, v in kinds.items()}
    assert 0.6 < share["text"] < 0.76
    assert 0.15 < share["point"] < 0.25
    assert 0.08 < share["null"] < 0.16
    several = [
        r for r in records if isinstance(r[schema.LOCATION], str) and ", " in r[schema.LOCATION]
    ]
    assert len(several) > 100


def test_points_are_geojson_near_their_city(good):
    reg = gazetteer.regencies()
    points = [r for r in good if isinstance(r[schema.LOCATION], dict)]
    cities = gazetteer.locate(
        pl.Series([r[schema.CITY] for r in points], dtype=pl.String),
        pl.Series([r[schema.PROVINCE] for r in points]),
    )
    lon_min, lat_min, lon_max, lat_max = schema.INDONESIA_BOUNDS
    for r, lon, lat in zip(points, cities[schema.LONGITUDE], cities[schema.LATITUDE], strict=True):
        assert r[schema.LOCATION]["type"] == "Point"
        x, y = r[schema.LOCATION]["coordinates"]
        assert lon_min < x < lon_max
        assert lat_min < y < lat_max
        if lon is not None:
            assert abs(x - lon) < 0.6
            assert abs(y - lat) < 0.6
    assert reg.height > 0


def test_every_name_resolves_except_the_deliberate_one(records, bad):
    cities = pl.Series([r[schema.CITY] for r in records], dtype=pl.String)
    provinces = pl.Series([r[schema.PROVINCE] for r in records])
    texts = pl.Series(
        [r[schema.LOCATION] if isinstance(r[schema.LOCATION], str) else None for r in records],
        dtype=pl.String,
    )
    by_city = gazetteer.locate(cities, provinces)
    by_text = gazetteer.locate(texts, provinces)
    unresolved_city = cities.is_not_null() & by_city[gazetteer.REGENCY_CODE].is_null()
    unresolved_text = texts.is_not_null() & by_text[gazetteer.REGENCY_CODE].is_null()
    odd = sample.quirk_positions()["location_unresolvable"]
    assert unresolved_city.arg_true().to_list() == [odd]
    assert unresolved_text.arg_true().to_list() == [odd]
    assert bad["location_unresolvable"][schema.CITY] == "Desa Tanjung Harapan"
    # The text names the city's regency first, and that regency is in the record's province.
    both = (
        by_city[gazetteer.REGENCY_CODE].is_not_null()
        & by_text[gazetteer.REGENCY_CODE].is_not_null()
    )
    assert by_city.filter(both)[gazetteer.REGENCY_CODE].equals(
        by_text.filter(both)[gazetteer.REGENCY_CODE]
    )
    reg = gazetteer.regencies().select(gazetteer.CODE, schema.PROVINCE)
    placed = by_city.with_columns(provinces.alias("record_province")).join(
        reg, left_on=gazetteer.REGENCY_CODE, right_on=gazetteer.CODE, how="inner"
    )
    assert placed["record_province"].equals(placed[schema.PROVINCE], check_names=False)


def test_city_spellings(good):
    cities = [r[schema.CITY] for r in good if r[schema.CITY] is not None]
    assert any(c.startswith("Kota ") for c in cities)
    assert any(c.startswith("Kabupaten ") for c in cities)
    assert any(c.startswith("Kab. ") for c in cities)
    assert any(c.isupper() for c in cities)
    assert any(" " not in c and c[0].isupper() and not c.isupper() for c in cities)  # bare
    assert sum(r[schema.CITY] is None for r in good) > 0


def test_cnc_and_generation(records):
    cnc = Counter(r[schema.CNC] for r in records)
    assert set(cnc) == {"CNC", "CnC", "non-CNC", None}
    generation = Counter(r[schema.GENERATION] for r in records)
    assert generation[None] > 0.9 * len(records)
    assert set(generation) == {None, "GEN I", "GEN II", "GEN III"}
    for r in records:
        if r[schema.GENERATION] is not None:
            assert r[schema.LICENSE_TYPE] in ("KK", "PKP2B")


def test_companies_spelled_several_ways_and_heavy_tailed(good):
    spellings: dict[str, set[str]] = {}
    for r in good:
        spellings.setdefault(_company(r[schema.COMPANY_NAME]), set()).add(r[schema.COMPANY_NAME])
    assert sum(len(v) >= 3 for v in spellings.values()) > 50
    names = [n for v in spellings.values() for n in v]
    assert any(n.startswith("PT. ") for n in names)
    assert any(n.startswith("Pt ") for n in names)
    assert any(n.endswith((" Tbk", " TBK")) for n in names)
    assert any(n.startswith("CV") for n in names)
    holdings = Counter(_company(r[schema.COMPANY_NAME]) for r in good)
    counts = sorted(holdings.values())
    assert counts[-1] >= 20  # a few companies hold dozens of licenses
    assert counts[len(counts) // 2] <= 3  # most hold a few
    assert len(holdings) > 500


def test_slugs_rare_and_consistent(records):
    with_slug = [r for r in records if r[schema.COMPANY_SLUG]]
    assert 0.005 < len(with_slug) / len(records) < 0.04
    for r in with_slug:
        assert r[schema.COMPANY_SLUG] == _company(r[schema.COMPANY_NAME]).replace(" ", "-")
    # A company carries its slug on all of its records or on none.
    slugged = {_company(r[schema.COMPANY_NAME]) for r in with_slug}
    for r in records:
        if r[schema.COMPANY_NAME] and _company(r[schema.COMPANY_NAME]) in slugged:
            assert r[schema.COMPANY_SLUG] is not None, r


def test_bad_records(bad):
    assert set(bad) == set(sample.QUIRKS)
    assert 10 <= len(bad) <= 20
    assert bad["impossible_effective_date"][schema.EFFECTIVE_DATE] == "2025-02-30"
    assert bad["impossible_expiry_date"][schema.EXPIRY_DATE] == "2023-02-29"
    swapped = bad["expiry_before_effective"]
    assert _date(swapped[schema.EXPIRY_DATE]) < _date(swapped[schema.EFFECTIVE_DATE])
    assert bad["area_zero"][schema.AREA_HA] == 0
    assert bad["area_negative"][schema.AREA_HA] < 0
    assert bad["area_missing"][schema.AREA_HA] is None
    assert bad["area_not_a_number"][schema.AREA_HA] == "n/a"
    lat, lon = bad["coordinates_swapped"][schema.LOCATION]["coordinates"]
    assert -11.5 < lat < 6.5
    assert 94 < lon < 141.5
    x, y = bad["coordinates_outside"][schema.LOCATION]["coordinates"]
    assert not (94 < x < 141.5 and -11.5 < y < 6.5)
    assert bad["unknown_commodity"][schema.COMMODITY] not in schema.COMMODITIES
    assert bad["unknown_license_type"][schema.LICENSE_TYPE] not in schema.LICENSE_TYPES
    assert bad["company_missing"][schema.COMPANY_NAME] is None


def test_quirk_positions_are_spread_and_seed_independent():
    positions = sample.quirk_positions()
    assert len(set(positions.values())) == len(sample.QUIRKS)
    assert min(positions.values()) > 0
    assert max(positions.values()) < sample.SAMPLE_SIZE - 1
    big = sample.generate_records(1000, seed=11)
    assert big[sample.quirk_positions(1000)["area_zero"]][schema.AREA_HA] == 0


def test_cli_writes_json(tmp_path):
    out = tmp_path / "sample.json"
    from mining_licenses.cli import main

    assert main(["sample", "--json", str(out), "-n", "150", "--seed", "5"]) == 0
    assert json.loads(out.read_text(encoding="utf-8")) == sample.generate_records(150, seed=5)
