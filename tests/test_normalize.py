"""normalize_records: every response variant in the spec, and messy input."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mining_licenses import gazetteer
from mining_licenses import schema as s
from mining_licenses._errors import SchemaError
from mining_licenses.normalize import normalize_records

FETCHED = dt.datetime(2026, 8, 15, 6, 30, tzinfo=dt.UTC)

# The seed's example record, verbatim from the spec.
SEED_RECORD: dict[str, Any] = {
    "wiup_code": "3411003442014022",
    "license_number": "503/1573/IUP-OP/BPPMD-PTSP/X/2015",
    "license_type": "IUP",
    "province": "Kalimantan Timur",
    "city": "Paser",
    "license_effective_date": "2015-10-02",
    "license_expiry_date": "2025-10-02",
    "activity": "Operasi Produksi",
    "licensed_area_ha": 1500.5,
    "location": {"type": "Point", "coordinates": [116.123, -1.456]},
    "commodity_type": "Coal",
    "company_name": "PT Jasa Tambang Nusantara",
    "cnc": "CnC",
    "generation": None,
    "company_slug": "jasa-tambang-nusantara",
}


def record(**changes: Any) -> dict[str, Any]:
    out = dict(SEED_RECORD)
    out.update(changes)
    return out


def one(**changes: Any) -> dict[str, Any]:
    frame = normalize_records([record(**changes)], fetched_at=FETCHED)
    assert frame.height == 1
    return frame.row(0, named=True)


def regency_point(name: str) -> tuple[float, float]:
    row = gazetteer.regencies().filter(pl.col("name") == name).row(0, named=True)
    return row["longitude"], row["latitude"]


def test_seed_record_exact() -> None:
    frame = normalize_records([SEED_RECORD], fetched_at=FETCHED)
    assert frame.schema == s.POLARS_SCHEMA
    assert frame.row(0, named=True) == {
        "wiup_code": "3411003442014022",
        "license_number": "503/1573/IUP-OP/BPPMD-PTSP/X/2015",
        "license_type": "IUP",
        "company_name": "PT Jasa Tambang Nusantara",
        "company_slug": "jasa-tambang-nusantara",
        "company_key": "jasa-tambang-nusantara",
        "commodity_type": "Coal",
        "activity": "Operasi Produksi",
        "province": "Kalimantan Timur",
        "city": "Paser",
        "license_effective_date": dt.date(2015, 10, 2),
        "license_expiry_date": dt.date(2025, 10, 2),
        "licensed_area_ha": 1500.5,
        "cnc": "CNC",
        "generation": None,
        "location_text": None,
        "longitude": 116.123,
        "latitude": -1.456,
        "geometry_source": "api_point",
        "issues": [],
        "fetched_at": FETCHED,
    }


def test_empty_input_gives_empty_canonical_frame() -> None:
    frame = normalize_records([], fetched_at=FETCHED)
    assert frame.height == 0
    assert frame.schema == s.POLARS_SCHEMA


def test_location_single_regency_string() -> None:
    row = one(location="Kota Tasikmalaya", city="Tasikmalaya", province="Jawa Barat")
    assert row["location_text"] == "Kota Tasikmalaya"
    assert (row["longitude"], row["latitude"]) == regency_point("Kota Tasikmalaya")
    assert row["geometry_source"] == "regency"
    assert row["issues"] == []


def test_location_several_regencies_first_resolving_and_text_kept() -> None:
    text = "Kabupaten Tabalong, Kabupaten Balangan"
    row = one(location=text, city=None, province="Kalimantan Selatan")
    assert row["location_text"] == text
    assert (row["longitude"], row["latitude"]) == regency_point("Kabupaten Tabalong")
    assert row["geometry_source"] == "regency"


def test_location_first_unknown_name_skipped() -> None:
    row = one(location="Atlantis, Kabupaten Balangan", city=None, province="Kalimantan Selatan")
    assert (row["longitude"], row["latitude"]) == regency_point("Kabupaten Balangan")


def test_null_location_falls_back_to_city() -> None:
    row = one(location=None, city="Paser")
    assert (row["longitude"], row["latitude"]) == regency_point("Kabupaten Paser")
    assert row["geometry_source"] == "regency"
    assert row["location_text"] is None


def test_unplaceable_record_keeps_null_geometry() -> None:
    row = one(location=None, city="Nowhere Land")
    assert row["longitude"] is None
    assert row["latitude"] is None
    assert row["geometry_source"] is None
    assert row["issues"] == [s.ISSUE_LOCATION_UNRESOLVED]


@pytest.mark.parametrize(
    ("area", "expected", "issues"),
    [
        (23942, 23942.0, []),
        (9.2, 9.2, []),
        ("17.5", 17.5, []),
        (0, 0.0, [s.ISSUE_AREA_NOT_POSITIVE]),
        (-3, -3.0, [s.ISSUE_AREA_NOT_POSITIVE]),
        (None, None, ["missing:licensed_area_ha"]),
        ("abc", None, ["not_a_number:licensed_area_ha"]),
        (True, None, ["not_a_number:licensed_area_ha"]),
    ],
)
def test_area_variants(area: Any, expected: float | None, issues: list[str]) -> None:
    row = one(licensed_area_ha=area)
    assert row["licensed_area_ha"] == expected
    assert row["issues"] == issues


def test_impossible_date_is_null_and_flagged() -> None:
    row = one(license_expiry_date="2025-02-30")
    assert row["license_expiry_date"] is None
    assert row["issues"] == ["invalid_date:license_expiry_date"]


def test_datetime_strings_are_read_as_dates() -> None:
    row = one(license_effective_date="2015-10-02T00:00:00Z")
    assert row["license_effective_date"] == dt.date(2015, 10, 2)
    assert row["issues"] == []


def test_expiry_before_effective() -> None:
    row = one(license_effective_date="2020-01-01", license_expiry_date="2019-12-31")
    assert row["issues"] == [s.ISSUE_EXPIRY_BEFORE_EFFECTIVE]
    assert row["license_expiry_date"] == dt.date(2019, 12, 31)


def test_point_outside_indonesia_kept_as_text_and_placed_by_city() -> None:
    row = one(location={"type": "Point", "coordinates": [2.35, 48.85]}, city="Paser")
    assert s.ISSUE_COORDS_OUT_OF_BOUNDS in row["issues"]
    assert "48.85" in row["location_text"]
    assert row["geometry_source"] == "regency"
    assert (row["longitude"], row["latitude"]) == regency_point("Kabupaten Paser")


def test_swapped_point_flagged_not_used() -> None:
    row = one(location={"type": "Point", "coordinates": [-1.456, 116.123]}, city=None)
    assert row["issues"] == [s.ISSUE_COORDS_SWAPPED, s.ISSUE_LOCATION_UNRESOLVED]
    assert row["longitude"] is None
    assert "116.123" in row["location_text"]


def test_malformed_location_object() -> None:
    row = one(location={"type": "Polygon", "coordinates": [[1, 2]]}, city="Paser")
    assert s.ISSUE_LOCATION_MALFORMED in row["issues"]
    assert row["geometry_source"] == "regency"


def test_missing_wiup_code_and_short_code() -> None:
    frame = normalize_records(
        [record(wiup_code=None), record(wiup_code="123456789012345")], fetched_at=FETCHED
    )
    assert frame["issues"].to_list() == [["missing:wiup_code"], [s.ISSUE_WIUP_CODE_FORMAT]]


def test_wiup_code_stays_a_string_with_leading_zeros() -> None:
    assert one(wiup_code="0011003442014022")["wiup_code"] == "0011003442014022"
    assert one(wiup_code=3411003442014022)["wiup_code"] == "3411003442014022"


def test_unknown_commodity_kept_verbatim() -> None:
    row = one(commodity_type="Lithium")
    assert row["commodity_type"] == "Lithium"
    assert row["issues"] == ["unknown_value:commodity_type"]


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("CnC", "CNC"),
        ("CNC", "CNC"),
        ("cnc", "CNC"),
        ("non-CNC", "non-CNC"),
        ("Non CnC", "non-CNC"),
        (None, None),
    ],
)
def test_cnc_spellings(raw: str | None, canonical: str | None) -> None:
    row = one(cnc=raw)
    assert row["cnc"] == canonical
    assert row["issues"] == []


def test_case_and_province_aliases() -> None:
    row = one(
        license_type="iupk",
        activity="operasi produksi",
        commodity_type="NICKEL",
        province="Bangka Belitung",
        city=None,
        location=None,
    )
    assert (row["license_type"], row["activity"], row["commodity_type"], row["province"]) == (
        "IUPK",
        "Operasi Produksi",
        "Nickel",
        "Kepulauan Bangka Belitung",
    )


def test_generation_label_kept() -> None:
    assert one(generation="GEN I")["generation"] == "GEN I"


def test_company_key_normalises_names_and_prefers_slug() -> None:
    names = ["PT. ABC", "PT ABC", "Pt Abc", "PT ABC Tbk", " pt  abc, TBK "]
    frame = normalize_records(
        [record(company_name=n, company_slug=None) for n in names], fetched_at=FETCHED
    )
    assert frame["company_key"].to_list() == ["abc"] * len(names)
    assert one(company_slug="abc-mining", company_name="PT ABC")["company_key"] == "abc-mining"
    assert one(company_slug=None, company_name=None)["company_key"] is None


def test_unknown_extra_fields_are_ignored() -> None:
    row = one(brand_new_field={"nested": [1, 2]}, another=7)
    assert row["issues"] == []
    assert "brand_new_field" not in row


def test_non_object_records_are_kept_and_flagged() -> None:
    frame = normalize_records([SEED_RECORD, None, ["a"], SEED_RECORD], fetched_at=FETCHED)  # type: ignore[list-item]
    assert frame.height == 4
    assert frame["issues"][1].to_list()[0] == s.ISSUE_NOT_AN_OBJECT
    assert frame["wiup_code"].to_list() == ["3411003442014022", None, None, "3411003442014022"]
    assert s.ISSUE_DUPLICATE_RECORD in frame["issues"][0].to_list()


def test_nested_values_in_text_fields_take_the_slow_path() -> None:
    frame = normalize_records(
        [SEED_RECORD, record(company_name={"odd": 1}, licensed_area_ha=[1, 2])],
        fetched_at=FETCHED,
    )
    assert frame.height == 2
    assert frame["company_name"][1] == '{"odd": 1}'
    assert "not_a_number:licensed_area_ha" in frame["issues"][1].to_list()
    assert frame.row(0, named=True)["licensed_area_ha"] == 1500.5


def test_strict_lists_every_bad_record() -> None:
    records = [
        SEED_RECORD,
        record(license_expiry_date="2025-02-30"),
        record(wiup_code=None, commodity_type="Lithium"),
    ]
    with pytest.raises(SchemaError) as info:
        normalize_records(records, strict=True, fetched_at=FETCHED)
    problems = info.value.problems
    assert {(p["position"], p["field"], p["value"]) for p in problems} == {
        (1, "license_expiry_date", "2025-02-30"),
        (2, "wiup_code", None),
        (2, "commodity_type", "Lithium"),
    }
    assert "2 of 3 records" in str(info.value)
    assert "2025-02-30" in str(info.value)


def test_strict_passes_clean_records() -> None:
    frame = normalize_records([SEED_RECORD], strict=True, fetched_at=FETCHED)
    assert frame.height == 1


def test_naive_fetched_at_is_utc() -> None:
    frame = normalize_records([SEED_RECORD], fetched_at=dt.datetime(2026, 1, 2, 3, 4))
    assert frame["fetched_at"][0] == dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.UTC)


_json_scalar = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
_json_value = st.recursive(
    _json_scalar,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
_messy_record = st.dictionaries(
    st.sampled_from([*s.API_FIELDS, "extra"]),
    _json_value
    | st.sampled_from(
        ["2025-02-30", "2020-01-01", "Kota Sorong", "CnC", "Coal", "Kalimantan Timur"]
    ),
    max_size=len(s.API_FIELDS) + 1,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_messy_record | _json_value, max_size=8))
def test_messy_records_never_crash_or_get_lost(records: list[Any]) -> None:
    tagged = [
        {**r, "license_number": f"row-{i}"} if isinstance(r, dict) else r
        for i, r in enumerate(records)
    ]
    frame = normalize_records(tagged, fetched_at=FETCHED)
    assert frame.height == len(records)
    assert frame.schema == s.POLARS_SCHEMA
    for i, r in enumerate(tagged):
        if isinstance(r, dict):
            assert frame["license_number"][i] == f"row-{i}"
        else:
            assert s.ISSUE_NOT_AN_OBJECT in frame["issues"][i].to_list()
