"""Invariant 6: answers stay finite.

A few poisoned values (NaN, infinities, JSON's ``1e400``, zero and negative
areas, absurd areas, placeholder dates such as 9999-12-31 and 1900-01-01) are
put into the sample frame at generated rows; every analytic must still give
only finite numbers, count the licenses it left out, and add up to every
license given. The named tests are issue 16's "Values that poison answers";
each fails on the code before this change.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import warnings
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mining_licenses import analytics as an
from mining_licenses import normalize_pages, normalize_records
from mining_licenses import schema as s
from mining_licenses._plausible import counted_area, in_window
from mining_licenses.cli._tables import summary_tables
from mining_licenses.store import bundled_sample_path, read_snapshot

AS_OF = dt.date(2026, 11, 1)
FIRST, LAST = s.DATE_WINDOW

BAD_AREAS = (math.nan, math.inf, -math.inf, 0.0, -12.5, 5e6, 1e300, -1e308)
BAD_DATES = (dt.date(9999, 12, 31), dt.date(1900, 1, 1), dt.date(1, 1, 1), dt.date(2200, 1, 1))


@pytest.fixture(scope="module")
def sample() -> pl.DataFrame:
    return read_snapshot(bundled_sample_path()).head(300)


def _poison(frame: pl.DataFrame, column: str, rows: list[int], values: list[Any]) -> pl.DataFrame:
    series = frame[column].to_list()
    for row, value in zip(rows, values, strict=False):
        series[row] = value
    return frame.with_columns(pl.Series(column, series, dtype=frame.schema[column]))


poison = st.fixed_dictionaries(
    {
        s.AREA_HA: st.lists(st.tuples(st.integers(0, 299), st.sampled_from(BAD_AREAS)), max_size=5),
        s.EXPIRY_DATE: st.lists(
            st.tuples(st.integers(0, 299), st.sampled_from(BAD_DATES)), max_size=3
        ),
        s.EFFECTIVE_DATE: st.lists(
            st.tuples(st.integers(0, 299), st.sampled_from(BAD_DATES)), max_size=3
        ),
    }
)


def _finite(frame: pl.DataFrame, what: str) -> None:
    """Every float of ``frame`` is finite or null: no NaN, no infinity."""
    for name, dtype in frame.schema.items():
        if dtype.is_float():
            values = frame[name].drop_nulls()
            bad = values.filter(~values.is_finite())
            assert bad.is_empty(), f"{what}.{name} holds {bad.to_list()[:3]}"


def _counted(frame: pl.DataFrame) -> tuple[int, float]:
    """The licenses whose area is counted, and their area, computed here from scratch."""
    areas = [
        a
        for a in frame[s.AREA_HA].to_list()
        if a is not None and math.isfinite(a) and 0 < a <= s.MAX_AREA_HA
    ]
    return len(areas), math.fsum(areas)


@settings(max_examples=15, deadline=None, database=None)
@given(spoiled=poison)
def test_poisoned_values_leave_every_answer_finite_and_every_total_reconciled(
    sample: pl.DataFrame, spoiled: dict[str, list[tuple[int, Any]]]
) -> None:
    frame = sample
    for column, hits in spoiled.items():
        frame = _poison(frame, column, [r for r, _ in hits], [v for _, v in hits])
    rows = frame.height
    counted, area = _counted(frame)

    provinces = an.area_by_province(frame)
    companies = an.area_by_company(frame)
    overall = an.concentration(frame)
    by_commodity = an.concentration(frame, by=s.COMMODITY)
    schedule = an.expiry_schedule(frame, as_of=AS_OF)
    monthly = an.expiry_schedule(frame, freq="month", as_of=AS_OF, by=s.COMMODITY)
    ages = an.license_age_stats(frame, as_of=AS_OF)
    by_type = an.license_age_stats(frame, as_of=AS_OF, by=s.LICENSE_TYPE)
    soon = an.expiring_soon(frame, within_days=(dt.date(9999, 12, 31) - AS_OF).days, as_of=AS_OF)
    quality = an.quality_report(frame)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tables = summary_tables(frame, as_of=AS_OF)
    answers = {
        "area_by_province": provinces,
        "area_by_company": companies,
        "concentration": overall,
        "concentration_by": by_commodity,
        "expiry_schedule": schedule,
        "expiry_schedule_monthly": monthly,
        "license_age_stats": ages,
        "license_age_stats_by": by_type,
        "quality_report": quality,
        **{f"summary.{k}": v for k, v in tables.items()},
    }
    for what, answer in answers.items():
        _finite(answer, what)

    # counted + left out = every license, and the area is the counted area
    for what, answer in {"province": provinces, "company": companies}.items():
        assert answer[an.LICENSES].sum() == rows, what
        assert rows - answer[an.AREA_NOT_COUNTED].sum() == counted, what
        assert answer[s.AREA_HA].sum() == pytest.approx(area), what
        if area > 0:
            assert answer[an.AREA_SHARE].sum() == pytest.approx(1.0), what
    (row,) = overall.iter_rows(named=True)
    assert row[an.AREA_NOT_COUNTED] == rows - counted
    assert row[s.AREA_HA] + row[an.UNATTRIBUTED_AREA] == pytest.approx(area)
    assert 0 <= row[an.HHI] <= 10_000
    assert all(0 <= row[c] <= 1 + 1e-9 for c in an.TOP_SHARES.values())
    assert by_commodity[an.AREA_NOT_COUNTED].sum() == rows - counted

    # the schedule: every license in one bucket, periods only inside the window
    assert schedule[an.LICENSES].sum() == rows
    assert schedule[s.AREA_HA].sum() == pytest.approx(area)
    out = frame.filter(
        pl.col(s.EXPIRY_DATE).is_not_null() & ~in_window(pl.col(s.EXPIRY_DATE))
    ).height
    outside = schedule.filter(pl.col(an.PERIOD) == an.OUT_OF_RANGE_BUCKET)[an.LICENSES].sum()
    assert outside <= out  # a flagged (no_date) expiry is not also out of range
    starts = schedule[an.PERIOD_START].drop_nulls()
    assert starts.is_empty() or (starts.min() >= FIRST and starts.max() <= LAST)  # type: ignore[operator]
    assert monthly.height <= 14 * 12 * (LAST.year - AS_OF.year + 1) + 3 * 14

    # ages: used + missing + out of range = every license; ages bounded by the window
    (age,) = ages.iter_rows(named=True)
    assert age[an.LICENSES] == rows
    assert age[an.DATES_OUT_OF_RANGE] >= 0
    span = (LAST - FIRST).days / 365.25
    for name in (an.AGE_MIN, an.AGE_MAX, an.TENURE_MEDIAN, an.REMAINING_MEDIAN):
        assert age[name] is None or abs(age[name]) <= span, name

    # expiring_soon: a placeholder is not an expiry, however wide the window
    assert soon[s.EXPIRY_DATE].max() <= LAST  # type: ignore[operator]
    assert tables["totals"][s.AREA_HA].item() == pytest.approx(area)


# --------------------------------------------------- the issue's named cases


def test_one_nan_or_infinite_area_leaves_shares_hhi_and_province_totals_finite(
    sample: pl.DataFrame,
) -> None:
    """Issue 16: one NaN or Infinity area made every share, the HHI and the top shares NaN."""
    frame = _poison(sample, s.AREA_HA, [0, 1, 2], [math.nan, math.inf, 1e300])
    counted, area = _counted(frame)
    overall = an.concentration(frame).row(0, named=True)
    assert math.isfinite(overall[an.HHI])
    assert all(math.isfinite(overall[c]) for c in an.TOP_SHARES.values())
    assert overall[an.AREA_NOT_COUNTED] == frame.height - counted >= 3
    provinces = an.area_by_province(frame)
    _finite(provinces, "area_by_province")
    assert provinces[s.AREA_HA].sum() == pytest.approx(area)
    assert provinces[an.AREA_SHARE].sum() == pytest.approx(1.0)
    _finite(an.area_by_company(frame), "area_by_company")


def test_json_nan_and_1e400_areas_are_flagged_kept_and_not_counted() -> None:
    """The API's own spellings of the poison: a JSON ``NaN`` and ``1e400`` (infinity)."""
    body = (
        b'{"results": ['
        b'{"wiup_code": "1111111111111111", "licensed_area_ha": NaN, "province": "Riau"},'
        b'{"wiup_code": "2222222222222222", "licensed_area_ha": 1e400, "province": "Riau"},'
        b'{"wiup_code": "3333333333333333", "licensed_area_ha": 2500000, "province": "Riau"},'
        b'{"wiup_code": "4444444444444444", "licensed_area_ha": 10.5, "province": "Riau",'
        b' "license_expiry_date": "9999-12-31", "license_effective_date": "1900-01-01"}'
        b'], "pagination": {"total_count": 4}}'
    )
    records = json.loads(body)["results"]
    for frame in (normalize_pages([body]), normalize_records(records)):
        assert frame.height == 4  # nothing dropped
        issues = frame[s.ISSUES].to_list()
        assert "not_a_number:licensed_area_ha" in issues[0]
        assert "not_a_number:licensed_area_ha" in issues[1]
        assert s.ISSUE_AREA_OUT_OF_RANGE in issues[2]
        assert "date_out_of_range:license_expiry_date" in issues[3]
        assert "date_out_of_range:license_effective_date" in issues[3]
        assert frame[s.EXPIRY_DATE][3] == dt.date(9999, 12, 31)  # kept as it came
        (row,) = an.area_by_province(frame).iter_rows(named=True)
        assert (row[an.LICENSES], row[s.AREA_HA], row[an.AREA_NOT_COUNTED]) == (4, 10.5, 3)
        assert row[an.AREA_SHARE] == 1.0
        codes = an.quality_report(frame).filter(pl.col("section") == "issues")["item"]
        assert s.ISSUE_AREA_OUT_OF_RANGE in codes.to_list()


def test_a_9999_12_31_expiry_keeps_the_expiry_chart_to_the_window(sample: pl.DataFrame) -> None:
    """Issue 16: one 9999-12-31 expiry made ``report`` draw ~8,000 yearly bars (55 s, 900 MiB).

    Work size, not time: the bars the schedule chart is built from, and drawn.
    """
    from mining_licenses.plots import plot_expiry_schedule
    from mining_licenses.plots._expiry import _schedule_slots

    frame = _poison(sample, s.EXPIRY_DATE, [0, 1], [dt.date(9999, 12, 31), dt.date(1900, 1, 1)])
    schedule = an.expiry_schedule(frame, as_of=AS_OF, by=s.COMMODITY)
    slots, _ = _schedule_slots(schedule, "year", an.LICENSES, 1.0)
    most = LAST.year - AS_OF.year + 1 + 3  # the years left in the window, and three buckets
    assert len(slots) <= most, len(slots)
    assert an.OUT_OF_RANGE_BUCKET in slots
    assert slots[-2:] == [an.OUT_OF_RANGE_BUCKET, an.NO_DATE_BUCKET] or slots[-1] == (
        an.OUT_OF_RANGE_BUCKET
    )
    fig = plot_expiry_schedule(frame, as_of=AS_OF)
    axis = fig.axes[0]
    assert len(axis.get_xticks()) <= most
    assert len(axis.patches) <= most * len(s.COMMODITIES)
    assert "out of range" in [t.get_text() for t in axis.get_xticklabels()]


def test_the_report_of_a_9999_12_31_expiry_draws_a_bounded_schedule(
    sample: pl.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The report path of the same regression: the chart it embeds has a bounded bar count."""
    from mining_licenses.plots import _expiry
    from mining_licenses.report import render_report

    seen: list[int] = []
    real = _expiry._schedule_slots

    def counted_slots(*args: Any, **kwargs: Any) -> Any:
        slots, wide = real(*args, **kwargs)
        seen.append(len(slots))
        assert len(slots) <= 200, f"{len(slots)} bars"  # fail before drawing thousands
        return slots, wide

    monkeypatch.setattr(_expiry, "_schedule_slots", counted_slots)
    frame = _poison(sample.head(30), s.EXPIRY_DATE, [0], [dt.date(9999, 12, 31)])
    frame = _poison(frame, s.AREA_HA, [1, 2], [math.nan, math.inf])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        page = render_report(frame, as_of=AS_OF)
    assert seen
    assert max(seen) <= LAST.year - AS_OF.year + 4
    assert "NaN" not in page.replace("base64,", "\n").split("\n", 1)[0]  # before any image
    assert "have no usable area" in page
    assert "carry a date outside 1950-01-01 to 2100-12-31" in page


def test_plausibility_rules() -> None:
    areas = pl.DataFrame({"a": [1.0, s.MAX_AREA_HA, s.MAX_AREA_HA * 1.01, 0.0, None]})
    assert areas.select(counted_area(pl.col("a")))["a"].to_list() == [
        True,
        True,
        False,
        False,
        False,
    ]
    dates = pl.DataFrame({"d": [FIRST, LAST, FIRST - dt.timedelta(days=1), None]})
    assert dates.select(in_window(pl.col("d")))["d"].to_list() == [True, True, False, False]
    assert an.area_by_province(s.empty_frame()).schema[an.AREA_NOT_COUNTED] == pl.Int64
