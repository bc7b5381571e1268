"""Tests of mining_licenses.analytics (and the summary tables of the CLI).

Every expected value is worked out by hand from the small frames built here,
not by calling the function under test another way.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import geopandas as gpd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mining_licenses import analytics as an
from mining_licenses import schema as s
from mining_licenses._errors import ConfigurationError, SchemaError
from mining_licenses.analytics.columns import QUALITY_COLUMNS
from mining_licenses.cli._tables import (
    csv_ready,
    render_table,
    render_tables,
    summary_tables,
)
from mining_licenses.geo import to_geodataframe
from mining_licenses.normalize import normalize_records
from tests.test_companies import registry

D = dt.date
FETCHED = dt.datetime(2024, 7, 1, 3, 0, tzinfo=dt.UTC)
INVALID_EXPIRY = s.field_issue(s.ISSUE_INVALID_DATE, s.EXPIRY_DATE)
INVALID_EFFECTIVE = s.field_issue(s.ISSUE_INVALID_DATE, s.EFFECTIVE_DATE)


def frame(*rows: dict[str, Any]) -> pl.DataFrame:
    """A canonical frame from partial rows; unnamed columns are null, issues empty."""
    full = [{c: row.get(c, [] if c == s.ISSUES else None) for c in s.COLUMNS} for row in rows]
    return pl.DataFrame(full, schema=s.POLARS_SCHEMA)


def lic(
    code: str,
    *,
    effective: dt.date | None = None,
    expiry: dt.date | None = None,
    area: float | None = 1.0,
    **extra: Any,
) -> dict[str, Any]:
    """One license row with the fields the analytics look at most."""
    return {
        s.WIUP_CODE: code,
        s.EFFECTIVE_DATE: effective,
        s.EXPIRY_DATE: expiry,
        s.AREA_HA: area,
        **extra,
    }


def years(days: float) -> float:
    return days / 365.25


# ------------------------------------------------------------ expiring_soon


def edge_frame() -> pl.DataFrame:
    # as_of 2024-01-01; 2024 is a leap year, so +365 days is 2024-12-31.
    return frame(
        lic("before", expiry=D(2023, 12, 31)),
        lic("last", expiry=D(2025, 1, 1)),  # +366: outside
        lic("edge_end", expiry=D(2024, 12, 31)),  # +365: inside
        lic("today", expiry=D(2024, 1, 1)),  # == as_of: inside
        lic("leap", expiry=D(2024, 2, 29)),
        lic("no_date", expiry=None),
    )


def test_expiring_soon_window_is_inclusive_at_both_ends() -> None:
    out = an.expiring_soon(edge_frame(), within_days=365, as_of=D(2024, 1, 1))
    assert out[s.WIUP_CODE].to_list() == ["today", "leap", "edge_end"]
    assert out[an.DAYS_TO_EXPIRY].to_list() == [0, 59, 365]
    assert out.schema[an.DAYS_TO_EXPIRY] == pl.Int64()
    assert out.columns == [*s.COLUMNS, an.DAYS_TO_EXPIRY]


def test_expiring_soon_default_window_is_the_api_365_days() -> None:
    out = an.expiring_soon(edge_frame(), as_of="2024-01-01")
    assert out[s.WIUP_CODE].to_list() == ["today", "leap", "edge_end"]


def test_expiring_soon_zero_days_keeps_only_as_of() -> None:
    out = an.expiring_soon(edge_frame(), within_days=0, as_of="2024-02-29")
    assert out[s.WIUP_CODE].to_list() == ["leap"]
    assert out[an.DAYS_TO_EXPIRY].to_list() == [0]


def test_expiring_soon_sorts_ties_by_wiup_code() -> None:
    df = frame(
        lic("c", expiry=D(2024, 3, 1)),
        lic("b", expiry=D(2024, 2, 1)),
        lic("a", expiry=D(2024, 3, 1)),
    )
    out = an.expiring_soon(df, as_of=D(2024, 1, 1))
    assert out[s.WIUP_CODE].to_list() == ["b", "a", "c"]


def test_expiring_soon_keeps_flagged_dates_like_the_api() -> None:
    df = frame(
        lic(
            "odd",
            effective=D(2025, 1, 1),
            expiry=D(2024, 6, 1),
            **{s.ISSUES: [s.ISSUE_EXPIRY_BEFORE_EFFECTIVE]},
        ),
        lic("bad", expiry=None, **{s.ISSUES: [INVALID_EXPIRY]}),
    )
    out = an.expiring_soon(df, as_of=D(2024, 1, 1))
    assert out[s.WIUP_CODE].to_list() == ["odd"]
    assert out[s.ISSUES].to_list() == [[s.ISSUE_EXPIRY_BEFORE_EFFECTIVE]]


def test_as_of_defaults_to_the_utc_date_of_the_latest_fetch() -> None:
    df = frame(
        lic("a", expiry=D(2024, 6, 30), **{s.FETCHED_AT: dt.datetime(2024, 6, 30, tzinfo=dt.UTC)}),
        lic("b", expiry=D(2024, 7, 1), **{s.FETCHED_AT: FETCHED}),
    )
    out = an.expiring_soon(df)
    assert out[s.WIUP_CODE].to_list() == ["b"]
    assert out[an.DAYS_TO_EXPIRY].to_list() == [0]


def test_as_of_takes_the_utc_date_of_a_fetch_in_another_zone() -> None:
    # 2024-07-01 05:00 in Jakarta (UTC+7) is still 2024-06-30 in UTC.
    df = frame(lic("a", expiry=D(2024, 6, 30))).with_columns(
        pl.lit(dt.datetime(2024, 7, 1, 5, 0))
        .dt.replace_time_zone("Asia/Jakarta")
        .alias(s.FETCHED_AT)
    )
    out = an.expiring_soon(df)
    assert out[an.DAYS_TO_EXPIRY].to_list() == [0]


def test_as_of_without_fetched_at_is_today_in_utc() -> None:
    today = dt.datetime.now(dt.UTC).date()
    df = frame(lic("a", expiry=today), lic("b", expiry=today - dt.timedelta(days=1)))
    out = an.expiring_soon(df.drop(s.FETCHED_AT))
    assert out[s.WIUP_CODE].to_list() == ["a"]


def test_as_of_accepts_an_aware_datetime_by_its_utc_date() -> None:
    df = frame(lic("a", expiry=D(2024, 6, 30)))
    jakarta = dt.timezone(dt.timedelta(hours=7))
    out = an.expiring_soon(df, as_of=dt.datetime(2024, 7, 1, 5, 0, tzinfo=jakarta))
    assert out[an.DAYS_TO_EXPIRY].to_list() == [0]


@pytest.mark.parametrize("days", [-1, 1.5, True, "30"])
def test_expiring_soon_rejects_bad_within_days(days: Any) -> None:
    with pytest.raises(ConfigurationError, match="within_days"):
        an.expiring_soon(edge_frame(), within_days=days, as_of=D(2024, 1, 1))


@pytest.mark.parametrize("as_of", ["2024-02-30", "yesterday", 20240101])
def test_bad_as_of_is_a_configuration_error(as_of: Any) -> None:
    with pytest.raises(ConfigurationError, match="as_of"):
        an.expiring_soon(edge_frame(), as_of=as_of)


def test_missing_column_is_named() -> None:
    with pytest.raises(SchemaError, match=r"license_expiry_date.*normalize_records"):
        an.expiring_soon(edge_frame().drop(s.EXPIRY_DATE), as_of=D(2024, 1, 1))


def test_wrong_dtype_is_named() -> None:
    df = edge_frame().with_columns(pl.col(s.EXPIRY_DATE).cast(pl.String))
    with pytest.raises(SchemaError, match=r"license_expiry_date.*Date.*String"):
        an.expiring_soon(df, as_of=D(2024, 1, 1))


def test_not_a_frame_is_refused() -> None:
    with pytest.raises(SchemaError, match="polars DataFrame or a GeoDataFrame"):
        an.expiring_soon({"wiup_code": ["a"]}, as_of=D(2024, 1, 1))  # type: ignore[call-overload]


def test_expiring_soon_empty_frame() -> None:
    out = an.expiring_soon(s.empty_frame(), as_of=D(2024, 1, 1))
    assert out.height == 0
    assert out.schema == pl.Schema({**s.COLUMNS, an.DAYS_TO_EXPIRY: pl.Int64()})


def test_expiring_soon_geodataframe_in_geodataframe_out() -> None:
    df = edge_frame().with_columns(
        pl.Series(s.LONGITUDE, [116.0, 117.0, 118.0, 119.0, None, 120.0]),
        pl.Series(s.LATITUDE, [-1.0, -2.0, -3.0, -4.0, None, -5.0]),
    )
    out = an.expiring_soon(to_geodataframe(df), as_of=D(2024, 1, 1))
    assert isinstance(out, gpd.GeoDataFrame)
    assert out.crs.to_epsg() == 4326
    assert list(out[s.WIUP_CODE]) == ["today", "leap", "edge_end"]
    assert list(out[an.DAYS_TO_EXPIRY]) == [0, 59, 365]
    geoms = list(out.geometry)
    assert (geoms[0].x, geoms[0].y) == (119.0, -4.0)
    assert geoms[1] is None  # an unplaced license is kept, without geometry
    assert (geoms[2].x, geoms[2].y) == (118.0, -3.0)
    assert list(out.index) == [3, 4, 2]  # the given rows, index kept


def test_expiring_soon_keeps_a_geodataframes_own_geometry_and_columns() -> None:
    points = gpd.points_from_xy([110.0 + i for i in range(6)], [-2.0] * 6, crs="EPSG:4326")
    gdf = gpd.GeoDataFrame(
        {
            s.WIUP_CODE: edge_frame()[s.WIUP_CODE].to_list(),
            s.EXPIRY_DATE: edge_frame()[s.EXPIRY_DATE].to_list(),
            "note": ["a", "b", "c", "d", "e", "f"],
        },
        geometry=gpd.GeoSeries(points).to_crs("EPSG:3857").buffer(100.0),
    ).set_index(s.WIUP_CODE, drop=False)
    out = an.expiring_soon(gdf, within_days=0, as_of=D(2024, 1, 1))
    assert isinstance(out, gpd.GeoDataFrame)
    assert list(out.index) == ["today"]
    assert list(out["note"]) == ["d"]
    assert out[an.DAYS_TO_EXPIRY].tolist() == [0]
    assert out.crs.to_epsg() == 3857
    assert out.geometry.iloc[0].geom_type == "Polygon"
    assert out.geometry.iloc[0].equals(gdf.geometry.iloc[3])


# ---------------------------------------------------------- expiry_schedule


def schedule_frame() -> pl.DataFrame:
    return frame(
        lic("past", expiry=D(2023, 12, 31), area=1.0, **{s.COMMODITY: "Coal"}),
        lic("today", expiry=D(2024, 1, 1), area=2.0, **{s.COMMODITY: "Coal"}),
        lic("leap", expiry=D(2024, 2, 29), area=4.0, **{s.COMMODITY: "Gold"}),
        lic("q2", expiry=D(2024, 4, 1), area=8.0, **{s.COMMODITY: "Coal"}),
        lic("next", expiry=D(2025, 3, 31), area=16.0, **{s.COMMODITY: "Coal"}),
        lic("none", expiry=None, area=32.0, **{s.COMMODITY: "Coal"}),
        lic("bad", expiry=None, area=64.0, **{s.ISSUES: [INVALID_EXPIRY], s.COMMODITY: "Gold"}),
        lic(
            "odd",
            effective=D(2026, 1, 1),
            expiry=D(2024, 5, 5),
            area=128.0,
            **{s.ISSUES: [s.ISSUE_EXPIRY_BEFORE_EFFECTIVE], s.COMMODITY: "Coal"},
        ),
        lic("no_area", expiry=D(2024, 12, 31), area=None, **{s.COMMODITY: "Coal"}),
    )


def test_expiry_schedule_by_year() -> None:
    out = an.expiry_schedule(schedule_frame(), as_of=D(2024, 1, 1))
    assert out.columns == list(an.EXPIRY_SCHEDULE_COLUMNS)
    assert out.rows() == [
        ("expired", None, 1, 1.0, 0),
        ("2024", D(2024, 1, 1), 4, 2.0 + 4.0 + 8.0, 1),  # today, leap, q2, no_area
        ("2025", D(2025, 1, 1), 1, 16.0, 0),
        ("no_date", None, 3, 32.0 + 64.0 + 128.0, 0),  # null, invalid, expiry < effective
    ]


def test_expiry_schedule_by_quarter_and_month() -> None:
    quarters = an.expiry_schedule(schedule_frame(), freq="quarter", as_of=D(2024, 1, 1))
    assert quarters.select(an.PERIOD, an.PERIOD_START, an.LICENSES).rows() == [
        ("expired", None, 1),
        ("2024-Q1", D(2024, 1, 1), 2),
        ("2024-Q2", D(2024, 4, 1), 1),
        ("2024-Q4", D(2024, 10, 1), 1),
        ("2025-Q1", D(2025, 1, 1), 1),
        ("no_date", None, 3),
    ]
    months = an.expiry_schedule(schedule_frame(), freq="month", as_of=D(2024, 2, 29))
    assert months.select(an.PERIOD, an.LICENSES, s.AREA_HA).rows() == [
        ("expired", 2, 3.0),  # 2023-12-31 and 2024-01-01 are before 2024-02-29
        ("2024-02", 1, 4.0),
        ("2024-04", 1, 8.0),
        ("2024-12", 1, 0.0),  # a null area adds nothing
        ("2025-03", 1, 16.0),
        ("no_date", 3, 224.0),
    ]


def test_expiry_schedule_by_group() -> None:
    out = an.expiry_schedule(schedule_frame(), as_of=D(2024, 1, 1), by=s.COMMODITY)
    assert out.columns == [s.COMMODITY, *an.EXPIRY_SCHEDULE_COLUMNS]
    assert out.select(s.COMMODITY, an.PERIOD, an.LICENSES).rows() == [
        ("Coal", "expired", 1),
        ("Coal", "2024", 3),
        ("Coal", "2025", 1),
        ("Coal", "no_date", 2),
        ("Gold", "2024", 1),  # a one-row group
        ("Gold", "no_date", 1),
    ]


def test_expiry_schedule_bad_arguments() -> None:
    with pytest.raises(ConfigurationError, match=r"freq='week'.*year, quarter, month"):
        an.expiry_schedule(schedule_frame(), freq="week")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="'nope' is not a column"):
        an.expiry_schedule(schedule_frame(), by="nope")
    with pytest.raises(ConfigurationError, match="already a key or output"):
        an.expiry_schedule(schedule_frame(), by=s.AREA_HA)
    with pytest.raises(ConfigurationError, match="more than once"):
        an.expiry_schedule(schedule_frame(), by=[s.COMMODITY, s.COMMODITY])
    with pytest.raises(SchemaError, match="issues"):
        an.expiry_schedule(schedule_frame().drop(s.ISSUES))


def test_expiry_schedule_empty_frame() -> None:
    out = an.expiry_schedule(s.empty_frame(), as_of=D(2024, 1, 1), by=s.PROVINCE)
    assert out.height == 0
    assert out.schema == pl.Schema({s.PROVINCE: pl.String(), **an.EXPIRY_SCHEDULE_COLUMNS})


# --------------------------------------------------------- area_by_province


def area_frame() -> pl.DataFrame:
    return frame(
        lic("1", area=10.0, **{s.PROVINCE: "Riau", s.COMMODITY: "Coal"}),
        lic("2", area=20.0, **{s.PROVINCE: "Riau", s.COMMODITY: "Coal"}),
        lic("3", area=60.0, **{s.PROVINCE: "Riau", s.COMMODITY: "Gold"}),
        lic("4", area=None, **{s.PROVINCE: "Riau", s.COMMODITY: "Gold"}),
        lic("5", area=90.0, **{s.PROVINCE: "Aceh", s.COMMODITY: "Coal"}),
        lic("6", area=20.0, **{s.PROVINCE: None, s.COMMODITY: "Coal"}),
    )


def test_area_by_province() -> None:
    out = an.area_by_province(area_frame())
    assert out.columns == list(an.AREA_BY_PROVINCE_COLUMNS)
    assert out.rows() == [
        # total area 200: Riau 90 over 4 licenses (3 with an area), Aceh 90, none 20
        ("Aceh", 1, 90.0, 90.0, 90.0, 0.45, 0),
        ("Riau", 4, 90.0, 30.0, 20.0, 0.45, 1),
        (None, 1, 20.0, 20.0, 20.0, 0.10, 0),
    ]


def test_area_by_province_by_commodity_shares_are_of_the_whole_frame() -> None:
    out = an.area_by_province(area_frame(), by=s.COMMODITY)
    assert out.columns == [s.PROVINCE, s.COMMODITY, *list(an.AREA_BY_PROVINCE_COLUMNS)[1:]]
    assert out.select(s.PROVINCE, s.COMMODITY, an.LICENSES, s.AREA_HA, an.AREA_SHARE).rows() == [
        ("Aceh", "Coal", 1, 90.0, 0.45),
        ("Riau", "Gold", 2, 60.0, 0.30),
        ("Riau", "Coal", 2, 30.0, 0.15),
        (None, "Coal", 1, 20.0, 0.10),
    ]


def test_area_by_province_errors_and_empty() -> None:
    with pytest.raises(ConfigurationError, match="already a key"):
        an.area_by_province(area_frame(), by=s.PROVINCE)
    with pytest.raises(SchemaError, match="province"):
        an.area_by_province(area_frame().drop(s.PROVINCE))
    out = an.area_by_province(s.empty_frame())
    assert out.height == 0
    assert out.schema == pl.Schema(an.AREA_BY_PROVINCE_COLUMNS)


def test_area_share_is_null_when_there_is_no_area() -> None:
    df = frame(lic("1", area=None, **{s.PROVINCE: "Riau"}))
    assert an.area_by_province(df).rows() == [("Riau", 1, 0.0, None, None, None, 1)]


# ---------------------------------------------------------- area_by_company


def company_frame() -> pl.DataFrame:
    def row(code: str, key: str | None, name: str | None, area: float, **extra: Any) -> dict:
        return lic(code, area=area, **{s.COMPANY_KEY: key, s.COMPANY_NAME: name, **extra})

    return frame(
        row("1", "pt a", "PT A", 20.0, province="Riau", commodity_type="Coal"),
        row("2", "pt a", "PT. A", 20.0, province="Aceh", commodity_type="Nickel"),
        row("3", "pt a", "PT. A", 10.0, province="Riau", commodity_type="Coal"),
        row("4", "pt b", "PT B", 30.0, province="Riau", commodity_type=None),
        row("5", "pt c", "Pt C", 15.0, province="Aceh", commodity_type="Gold"),
        row("6", "pt c", "PT C", 15.0, province=None, commodity_type="Gold"),
        row("7", "pt d", "PT D", 10.0, province="Riau", commodity_type="Tin"),
        row("8", None, None, 5.0, province="Riau", commodity_type="Tin"),
    )


def test_area_by_company_ranks_ties_with_the_min_method() -> None:
    out = an.area_by_company(company_frame())
    assert out.columns == list(an.AREA_BY_COMPANY_COLUMNS)
    # total 125: a 50, b 30, c 30 (tie), d 10, no key 5
    assert out.rows() == [
        ("pt a", "PT. A", 3, 50.0, 2, ["Coal", "Nickel"], 0.4, 1, 0),
        ("pt b", "PT B", 1, 30.0, 1, [], 0.24, 2, 0),
        ("pt c", "PT C", 2, 30.0, 1, ["Gold"], 0.24, 2, 0),  # name tie: "PT C" < "Pt C"
        ("pt d", "PT D", 1, 10.0, 1, ["Tin"], 0.08, 4, 0),
        (None, None, 1, 5.0, 1, ["Tin"], 0.04, 5, 0),
    ]


def test_area_by_company_top_keeps_ties_at_the_boundary() -> None:
    out = an.area_by_company(company_frame(), top=2)
    assert out[s.COMPANY_KEY].to_list() == ["pt a", "pt b", "pt c"]
    assert an.area_by_company(company_frame(), top=1)[s.COMPANY_KEY].to_list() == ["pt a"]


def test_area_by_company_within_groups() -> None:
    out = an.area_by_company(company_frame(), by=s.PROVINCE)
    assert out.columns[:2] == [s.COMPANY_KEY, s.PROVINCE]
    assert out.select(s.PROVINCE, s.COMPANY_KEY, s.AREA_HA, an.AREA_SHARE, an.RANK).rows() == [
        # Aceh 35: a 20, c 15
        ("Aceh", "pt a", 20.0, 20 / 35, 1),
        ("Aceh", "pt c", 15.0, 15 / 35, 2),
        # Riau 75: a 30, b 30, d 10, none 5
        ("Riau", "pt a", 30.0, 0.4, 1),
        ("Riau", "pt b", 30.0, 0.4, 1),
        ("Riau", "pt d", 10.0, 10 / 75, 3),
        ("Riau", None, 5.0, 5 / 75, 4),
        (None, "pt c", 15.0, 1.0, 1),  # a one-row group
    ]


def test_area_by_company_errors_and_empty() -> None:
    for top in (0, -3, 2.5):
        with pytest.raises(ConfigurationError, match="top"):
            an.area_by_company(company_frame(), top=top)  # type: ignore[arg-type]
    with pytest.raises(SchemaError, match="company_key"):
        an.area_by_company(company_frame().drop(s.COMPANY_KEY))
    out = an.area_by_company(s.empty_frame(), by=s.COMMODITY, top=3)
    assert out.height == 0
    assert out.schema == pl.Schema(
        {s.COMPANY_KEY: pl.String(), s.COMMODITY: pl.String()}
        | {k: v for k, v in an.AREA_BY_COMPANY_COLUMNS.items() if k != s.COMPANY_KEY}
    )


# ------------------------------------------------------------ concentration


def test_concentration_overall() -> None:
    out = an.concentration(company_frame())
    assert out.columns == list(an.CONCENTRATION_COLUMNS)
    # attributed 120: a 50, b 30, c 30, d 10 -> shares 5/12, 3/12, 3/12, 1/12
    ((companies, area, hhi, top1, top5, top10, unattributed, not_counted),) = out.rows()
    assert (companies, area, unattributed, not_counted) == (4, 120.0, 5.0, 0)
    assert hhi == pytest.approx(10_000 * (25 + 9 + 9 + 1) / 144)
    assert top1 == pytest.approx(50 / 120)
    assert (top5, top10) == (pytest.approx(1.0), pytest.approx(1.0))


def test_concentration_top_shares_with_many_companies() -> None:
    # twelve companies holding 1..12 ha: total 78
    df = frame(*(lic(str(i), area=float(i), **{s.COMPANY_KEY: f"c{i:02d}"}) for i in range(1, 13)))
    ((companies, area, hhi, top1, top5, top10, unattributed, _),) = an.concentration(df).rows()
    assert (companies, area, unattributed) == (12, 78.0, 0.0)
    assert hhi == pytest.approx(10_000 * 650 / 78**2)  # sum of squares 1..12 = 650
    assert top1 == pytest.approx(12 / 78)
    assert top5 == pytest.approx((12 + 11 + 10 + 9 + 8) / 78)
    assert top10 == pytest.approx(75 / 78)


def test_concentration_by_group() -> None:
    df = company_frame().vstack(
        frame(lic("9", area=7.0, **{s.COMPANY_KEY: None, s.PROVINCE: "Bali"}))
    )
    out = an.concentration(df, by=s.PROVINCE)
    rows = {r[s.PROVINCE]: r for r in out.iter_rows(named=True)}
    assert out[s.PROVINCE].to_list() == ["Aceh", "Bali", "Riau", None]
    assert rows["Aceh"][an.HHI] == pytest.approx(10_000 * (20**2 + 15**2) / 35**2)
    assert rows["Riau"][an.COMPANIES] == 3
    assert rows["Riau"][an.UNATTRIBUTED_AREA] == 5.0
    assert rows["Riau"][an.TOP_SHARES[1]] == pytest.approx(30 / 70)
    assert rows[None][an.HHI] == pytest.approx(10_000.0)  # one company: a monopoly
    assert rows[None][an.TOP_SHARES[1]] == pytest.approx(1.0)
    # only unattributed area: nothing to measure
    assert rows["Bali"][an.COMPANIES] == 0
    assert rows["Bali"][an.HHI] is None
    assert rows["Bali"][an.UNATTRIBUTED_AREA] == 7.0


def test_concentration_errors_and_empty() -> None:
    with pytest.raises(ConfigurationError, match="already a key"):
        an.concentration(company_frame(), by=s.COMPANY_KEY)
    out = an.concentration(s.empty_frame())
    assert out.height == 0
    assert out.schema == pl.Schema(an.CONCENTRATION_COLUMNS)


# -------------------------------------------------------- license_age_stats


def test_age_across_a_leap_day() -> None:
    df = frame(
        lic("leap", effective=D(2020, 2, 29), expiry=D(2030, 2, 28)),
        lic("short", effective=D(2023, 2, 28), expiry=D(2024, 2, 28)),
    )
    out = an.license_age_stats(df, as_of=D(2024, 2, 29), by=s.WIUP_CODE)
    rows = {r[s.WIUP_CODE]: r for r in out.iter_rows(named=True)}
    # 2020-02-29 -> 2024-02-29 is 1461 days: exactly four mean years
    assert rows["leap"][an.AGE_MEAN] == 4.0
    assert rows["leap"][an.TENURE_MEDIAN] == pytest.approx(years(3652))  # 2 leap days
    assert rows["leap"][an.REMAINING_MEDIAN] == pytest.approx(years(2191))
    # 2023-02-28 -> 2024-02-29 spans 2024-02-29 itself: 366 days
    assert rows["short"][an.AGE_MEAN] == pytest.approx(years(366))
    assert rows["short"][an.EXPIRED_SHARE] == 1.0
    assert rows["short"][an.REMAINING_MEDIAN] is None  # only expired licenses


def test_age_stats_quantiles_by_hand() -> None:
    as_of = D(2024, 1, 1)
    ages = [500, 100, 300, 200, 400]  # days since the effective date
    remaining = [-150, 250, -50, 150, 50]  # days to the expiry date
    df = frame(
        *(
            lic(
                str(age),
                effective=as_of - dt.timedelta(days=age),
                expiry=as_of + dt.timedelta(days=left),
            )
            for age, left in zip(ages, remaining, strict=True)
        )
    )
    ((row),) = an.license_age_stats(df, as_of=as_of).iter_rows(named=True)
    assert row[an.LICENSES] == 5
    assert row[an.AGE_MEAN] == pytest.approx(years(300))
    assert row[an.AGE_MEDIAN] == pytest.approx(years(300))
    # linear: p10 at position 0.4 between 100 and 200; p90 at 3.6 between 400 and 500
    assert row[an.AGE_P10] == pytest.approx(years(140))
    assert row[an.AGE_P90] == pytest.approx(years(460))
    assert (row[an.AGE_MIN], row[an.AGE_MAX]) == (years(100), years(500))
    # tenure = age + remaining: 350, 350, 250, 350, 450 -> median 350
    assert row[an.TENURE_MEDIAN] == pytest.approx(years(350))
    # -150 and -50 have expired; 250, 150, 50 are left -> median 150
    assert row[an.REMAINING_MEDIAN] == pytest.approx(years(150))
    assert row[an.EXPIRED_SHARE] == pytest.approx(2 / 5)
    assert row[an.MISSING_DATES] == 0


def test_age_stats_leave_out_null_and_flagged_dates() -> None:
    as_of = D(2024, 1, 1)
    df = frame(
        lic("ok", effective=D(2014, 1, 1), expiry=D(2034, 1, 1), **{s.COMMODITY: "Coal"}),
        lic("no_start", effective=None, expiry=D(2030, 1, 1), **{s.COMMODITY: "Coal"}),
        lic("no_end", effective=D(2010, 1, 1), expiry=None, **{s.COMMODITY: "Coal"}),
        lic(
            "invalid",
            effective=None,
            expiry=D(2030, 1, 1),
            **{s.COMMODITY: "Coal", s.ISSUES: [INVALID_EFFECTIVE]},
        ),
        lic(
            "backwards",
            effective=D(2020, 1, 1),
            expiry=D(2000, 1, 1),
            **{s.COMMODITY: "Coal", s.ISSUES: [s.ISSUE_EXPIRY_BEFORE_EFFECTIVE]},
        ),
        lic(
            "flag_only",
            effective=D(1990, 1, 1),
            expiry=D(2000, 1, 1),
            **{s.COMMODITY: "Gold", s.ISSUES: [INVALID_EXPIRY]},
        ),
    )
    out = an.license_age_stats(df, as_of=as_of, by=s.COMMODITY)
    assert out.columns == [s.COMMODITY, *an.AGE_STATS_COLUMNS]
    coal, gold = out.iter_rows(named=True)
    assert coal[s.COMMODITY] == "Coal"
    assert (coal[an.LICENSES], coal[an.MISSING_DATES]) == (5, 4)
    assert coal[an.AGE_MEAN] == pytest.approx(years(3652))  # 2014 -> 2024: three leap days
    assert coal[an.AGE_MIN] == coal[an.AGE_MAX] == coal[an.AGE_P10]  # one usable row
    assert coal[an.EXPIRED_SHARE] == 0.0
    # a group with no usable row: counted, no statistics
    assert (gold[an.LICENSES], gold[an.MISSING_DATES]) == (1, 1)
    assert gold[an.AGE_MEAN] is None
    assert gold[an.EXPIRED_SHARE] is None


def test_age_stats_as_of_from_fetched_at() -> None:
    df = frame(lic("a", effective=D(2023, 7, 1), expiry=D(2025, 7, 1), **{s.FETCHED_AT: FETCHED}))
    ((row),) = an.license_age_stats(df).iter_rows(named=True)
    assert row[an.AGE_MEAN] == pytest.approx(years(366))  # 2023-07-01 -> 2024-07-01


def test_age_stats_empty_and_errors() -> None:
    out = an.license_age_stats(s.empty_frame(), as_of=D(2024, 1, 1))
    assert out.height == 0
    assert out.schema == pl.Schema(an.AGE_STATS_COLUMNS)
    grouped = an.license_age_stats(s.empty_frame(), as_of=D(2024, 1, 1), by=[s.PROVINCE, s.CNC])
    assert grouped.columns == [s.PROVINCE, s.CNC, *an.AGE_STATS_COLUMNS]
    with pytest.raises(ConfigurationError, match=r"by=\[3\].*3 is not \(int\)"):
        an.license_age_stats(s.empty_frame(), by=[3])  # type: ignore[list-item]
    with pytest.raises(SchemaError, match="license_effective_date"):
        an.license_age_stats(s.empty_frame().drop(s.EFFECTIVE_DATE))


def test_functions_accept_a_frame_of_only_the_needed_columns() -> None:
    # polars infers Null / List(Null) from all-null columns: cast, not refused
    df = pl.DataFrame(
        {
            s.EFFECTIVE_DATE: [None, None],
            s.EXPIRY_DATE: [D(2025, 1, 1), None],
            s.ISSUES: [[], []],
        }
    )
    ((row),) = an.license_age_stats(df, as_of=D(2024, 1, 1)).iter_rows(named=True)
    assert (row[an.LICENSES], row[an.MISSING_DATES]) == (2, 2)


# ---------------------------------------------------------- quality_report


def test_quality_report_by_hand() -> None:
    unknown = s.field_issue(s.ISSUE_UNKNOWN_VALUE, s.COMMODITY)
    df = frame(
        lic(
            "1",
            **{
                s.COMMODITY: "Coal",
                s.PROVINCE: "Riau",
                s.GEOMETRY_SOURCE: s.GEOMETRY_FROM_API,
                s.ISSUES: [],
            },
        ),
        lic(
            "2",
            **{
                s.COMMODITY: "Unobtainium",
                s.PROVINCE: "Atlantis",
                s.GEOMETRY_SOURCE: s.GEOMETRY_FROM_REGENCY,
                s.ISSUES: [unknown, unknown, s.ISSUE_AREA_NOT_POSITIVE],
            },
        ),
        lic("3", **{s.COMMODITY: "Unobtainium", s.ISSUES: [unknown]}),
        lic("4", **{s.COMMODITY: None}),
    )
    out = an.quality_report(df)
    assert out.schema == pl.Schema(QUALITY_COLUMNS)
    nulls = out.filter(pl.col("section") == "nulls")
    assert nulls["item"].to_list() == list(s.COLUMNS)
    null_counts = dict(zip(nulls["item"], nulls["count"], strict=True))
    assert null_counts[s.WIUP_CODE] == 0
    assert null_counts[s.COMMODITY] == 1
    assert null_counts[s.PROVINCE] == 2
    assert null_counts[s.LICENSE_TYPE] == 4
    assert nulls.filter(pl.col("item") == s.PROVINCE)["share"].item() == 0.5
    rest = out.filter(pl.col("section") != "nulls")
    assert rest.rows() == [
        ("issues", unknown, None, 2, 0.5),  # record 2 lists it twice: counted once
        ("issues", s.ISSUE_AREA_NOT_POSITIVE, None, 1, 0.25),
        ("unknown_values", s.COMMODITY, "Unobtainium", 2, 0.5),
        ("unknown_values", s.PROVINCE, "Atlantis", 1, 0.25),
        ("placement", s.GEOMETRY_FROM_API, None, 1, 0.25),
        ("placement", s.GEOMETRY_FROM_REGENCY, None, 1, 0.25),
        ("placement", "not_placed", None, 2, 0.5),
    ]


def test_quality_report_empty() -> None:
    out = an.quality_report(s.empty_frame())
    assert out.height == 0
    assert out.schema == pl.Schema(QUALITY_COLUMNS)


# ------------------------------------------------------------- CLI tables


def test_summary_tables() -> None:
    df = company_frame().with_columns(
        pl.lit(FETCHED).alias(s.FETCHED_AT),
        pl.Series(
            s.EXPIRY_DATE,
            [D(2024, 6, 30), D(2024, 7, 1), D(2025, 7, 1), D(2025, 7, 2)] + [None] * 4,
            dtype=pl.Date,
        ),
    )
    tables = summary_tables(df, top=2)
    assert list(tables) == [
        "totals",
        "area_by_province",
        "top_companies",
        "concentration",
        "age_statistics",
        "quality",
    ]
    totals = tables["totals"].row(0, named=True)
    assert totals["as_of"] == D(2024, 7, 1)
    assert totals[an.LICENSES] == 8
    assert totals[an.COMPANIES] == 4
    assert totals[an.PROVINCE_COUNT] == 2
    assert totals[s.AREA_HA] == 125.0
    assert totals["expired"] == 1
    assert totals["expiring_within_365_days"] == 2  # 2024-07-01 and 2025-07-01
    assert totals["expiring_within_365_days_area_ha"] == 20.0 + 10.0
    assert totals["no_expiry_date"] == 4
    assert tables["top_companies"][s.COMPANY_KEY].to_list() == ["pt a", "pt b", "pt c"]
    text = render_tables(tables)
    assert "Top companies\n=============" in text
    assert "| licensed_area_ha " in text
    assert "| licensed_area_ha                 | 125.000 " in text  # totals, on its side
    assert "| fetched_at                       | 2024-07-01 03:00:00 UTC" in text


def test_render_and_csv_ready() -> None:
    assert render_table(pl.DataFrame({"a": [1]}).clear()).endswith("(no rows)")
    wide = pl.DataFrame({"a": [1.23456], "b": ["x"], "c": [["p", "q"]], "d": [None]})
    assert render_table(wide).splitlines()[0].startswith("| a ")  # not turned by default
    text = render_table(wide, title="T", side_on=True)
    assert text.splitlines()[:2] == ["T", "="]
    assert "| a     | 1.235 |" in text
    assert (
        render_table(pl.DataFrame({"n": [1234567], "m": [0.5], "x": [True], "y": [None]})).count(
            "1,234,567"
        )
        == 1
    )
    assert "| c     | p; q  |" in text
    assert csv_ready(wide)["c"].to_list() == ["p;q"]


# ------------------------------------------------------------ properties


@st.composite
def random_frames(draw: st.DrawFn) -> pl.DataFrame:
    n = draw(st.integers(min_value=0, max_value=40))
    keys = st.sampled_from(["a", "b", "c", "d", None])
    provinces = st.sampled_from(["Riau", "Aceh", "Bali", None])
    areas = st.one_of(st.none(), st.floats(min_value=0.01, max_value=1e6))
    dates = st.one_of(st.none(), st.dates(min_value=D(1980, 1, 1), max_value=D(2060, 12, 31)))
    return frame(
        *(
            lic(
                str(i),
                effective=draw(dates),
                expiry=draw(dates),
                area=draw(areas),
                **{s.COMPANY_KEY: draw(keys), s.PROVINCE: draw(provinces)},
            )
            for i in range(n)
        )
    )


@settings(max_examples=60, deadline=None)
@given(random_frames())
def test_counts_and_shares_add_up(df: pl.DataFrame) -> None:
    as_of = D(2024, 1, 1)
    total = df[s.AREA_HA].sum()
    by_province = an.area_by_province(df)
    companies = an.area_by_company(df)
    schedule = an.expiry_schedule(df, freq="quarter", as_of=as_of)
    ages = an.license_age_stats(df, as_of=as_of)
    for out in (by_province, companies, schedule):
        assert out[an.LICENSES].sum() == df.height
        assert out[s.AREA_HA].sum() == pytest.approx(total)
    if total > 0:
        assert by_province[an.AREA_SHARE].sum() == pytest.approx(1.0)
        assert companies[an.AREA_SHARE].sum() == pytest.approx(1.0)
    if df.height:
        assert ages[an.LICENSES].item() == df.height
        assert companies[an.RANK].min() == 1
    conc = an.concentration(df)
    if conc.height and conc[an.HHI].item() is not None:
        n = conc[an.COMPANIES].item()
        assert 10_000 / n - 1e-6 <= conc[an.HHI].item() <= 10_000 + 1e-6
        assert conc[an.TOP_SHARES[10]].item() == pytest.approx(1.0)
    assert not math.isnan(float(conc[an.HHI].fill_null(0.0).sum()))


def test_aggregates_accept_a_geodataframe() -> None:
    gdf = to_geodataframe(area_frame())
    assert an.area_by_province(gdf, by=s.COMMODITY).equals(
        an.area_by_province(area_frame(), by=s.COMMODITY)
    )
    with pytest.raises(SchemaError, match="province"):
        an.area_by_province(gdf.drop(columns=s.PROVINCE))
    with pytest.raises(ConfigurationError, match="'nope' is not a column"):
        an.area_by_province(gdf, by="nope")


def test_quality_report_lists_company_key_conflicts() -> None:
    records = registry([(0, 0, True), (0, 1, False), (1, 0, False)])
    records[1][s.COMPANY_SLUG] = "multi-bintang-2"
    report = an.quality_report(normalize_records(records))
    rows = report.filter(pl.col("section") == "company_keys")
    assert rows.select("item", "value", "count").rows() == [
        ("name_several_slugs", "multi-bintang -> mubi, multi-bintang-2", 2)
    ]
    clean = an.quality_report(normalize_records(registry([(0, 0, True), (0, 1, False)])))
    assert clean.filter(pl.col("section") == "company_keys").height == 0
