"""Benchmark mining_licenses.analytics against idiomatic pandas/geopandas code.

Run: ``.venv/bin/python benchmarks/bench_analytics.py [--rows N] [--repeat R] [--json OUT]``

Each analytics function runs on the same synthetic canonical frame (1M rows by
default, built vectorised and deterministically) as polars and as pandas; the
pandas side is the group-by code an analyst would write for the same answer,
vectorised where pandas allows (issue lists are exploded, not looped over;
``expiry_schedule`` groups on the quarter and labels the groups afterwards;
``concentration`` keeps the null-province group, as ours does). Both answers
are checked equal (sorted by their keys, floats to 1e-9) before timing.
Conversions between the two are done once, outside the timings. Timing and
memory follow ``_measure.py``: warm-up, at least five alternating runs (min
and median), peak memory per side in a fresh interpreter. Target: 5x.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
from polars.testing import assert_frame_equal

from mining_licenses import analytics as an
from mining_licenses import schema as s
from mining_licenses.geo import to_geodataframe

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._measure import MIN_REPEAT, alternate, case, child_json, measure, write_results

AS_OF = dt.date(2026, 8, 1)
FETCHED_AT = dt.datetime(2026, 8, 1, 6, 0, tzinfo=dt.UTC)
INVALID_EFFECTIVE = s.field_issue(s.ISSUE_INVALID_DATE, s.EFFECTIVE_DATE)
INVALID_EXPIRY = s.field_issue(s.ISSUE_INVALID_DATE, s.EXPIRY_DATE)
EXPIRY_FLAGS = [INVALID_EXPIRY, s.ISSUE_EXPIRY_BEFORE_EFFECTIVE]
DATE_FLAGS = [INVALID_EFFECTIVE, *EXPIRY_FLAGS]
MIB = 1024 * 1024


# --------------------------------------------------------------- synthetic data


def synthetic_frame(rows: int, *, seed: int = 20260801) -> pl.DataFrame:
    """A canonical frame of ``rows`` licenses: skewed company sizes, some gaps and flags."""
    rng = np.random.default_rng(seed)

    def pick(values: tuple[str, ...], null_share: float = 0.0) -> pl.Series:
        codes = rng.integers(0, len(values), rows)
        out = pl.Series(values).gather(codes)
        return out.scatter(np.flatnonzero(rng.random(rows) < null_share), None)

    companies = max(rows // 50, 10)
    # Pareto-sized holders: a few large groups, a long tail of small ones.
    company = np.minimum(rng.pareto(1.2, rows) * companies / 20, companies - 1).astype(np.int64)
    company_id = pl.Series(company).cast(pl.String).str.zfill(5)
    spelling = rng.integers(0, 3, rows)
    company_name = (
        pl.when(pl.col("__spelling") == 0)
        .then(pl.lit("PT. Tambang ") + company_id)
        .otherwise(pl.lit("PT Tambang ") + company_id)
    )
    effective_days = rng.integers(
        (dt.date(1990, 1, 1) - dt.date(1970, 1, 1)).days,
        (dt.date(2026, 7, 1) - dt.date(1970, 1, 1)).days,
        rows,
    )
    tenure_days = rng.integers(365, 30 * 365, rows)
    backwards = rng.random(rows) < 0.002
    expiry_days = np.where(
        backwards, effective_days - tenure_days // 10, effective_days + tenure_days
    )
    no_effective = rng.random(rows) < 0.01
    invalid_expiry = rng.random(rows) < 0.003
    placed = rng.random(rows)
    lon = rng.uniform(95.0, 141.0, rows)
    lat = rng.uniform(-11.0, 6.0, rows)
    area = np.round(rng.lognormal(6.0, 1.6, rows), 2)
    unknown_commodity = rng.random(rows) < 0.001

    base = pl.DataFrame(
        {
            s.WIUP_CODE: pl.Series(rng.integers(0, 10**15, rows)).cast(pl.String).str.zfill(16),
            s.LICENSE_NUMBER: pl.Series(np.arange(rows)).cast(pl.String),
            s.LICENSE_TYPE: pick(s.LICENSE_TYPES),
            "__company": company_id,
            s.COMMODITY: pick(s.COMMODITIES, 0.002),
            s.ACTIVITY: pick(s.ACTIVITIES, 0.01),
            s.PROVINCE: pick(s.PROVINCES, 0.01),
            s.CITY: pick(("Kota Samarinda", "Kabupaten Paser", "Tabalong", "Kutai Kartanegara")),
            s.EFFECTIVE_DATE: pl.Series(effective_days).cast(pl.Int32).cast(pl.Date),
            s.EXPIRY_DATE: pl.Series(expiry_days).cast(pl.Int32).cast(pl.Date),
            s.AREA_HA: area,
            s.CNC: pick(s.CNC_STATES, 0.2),
            "__no_effective": no_effective,
            "__invalid_expiry": invalid_expiry,
            "__backwards": backwards,
            "__placed": placed,
            "__unknown_commodity": unknown_commodity,
            "__lon": lon,
            "__lat": lat,
            "__spelling": spelling,
            "__slug": rng.random(rows) < 0.02,
            "__area_missing": rng.random(rows) < 0.005,
        }
    )
    flag = pl.col
    frame = base.with_columns(
        company_name.alias(s.COMPANY_NAME),
        pl.when(flag("__slug")).then(pl.lit("tambang-") + flag("__company")).alias(s.COMPANY_SLUG),
        (pl.lit("pt tambang ") + flag("__company")).alias(s.COMPANY_KEY),
        pl.when(flag("__unknown_commodity"))
        .then(pl.lit("Unobtainium"))
        .otherwise(flag(s.COMMODITY))
        .alias(s.COMMODITY),
        pl.when(~flag("__no_effective")).then(flag(s.EFFECTIVE_DATE)).alias(s.EFFECTIVE_DATE),
        pl.when(~flag("__invalid_expiry")).then(flag(s.EXPIRY_DATE)).alias(s.EXPIRY_DATE),
        pl.when(~flag("__area_missing")).then(flag(s.AREA_HA)).alias(s.AREA_HA),
        pl.lit(None, pl.String).alias(s.GENERATION),
        pl.when(flag("__placed") >= 0.3).then(flag(s.CITY)).alias(s.LOCATION_TEXT),
        pl.when(flag("__placed") < 0.3).then(flag("__lon")).alias(s.LONGITUDE),
        pl.when(flag("__placed") < 0.3).then(flag("__lat")).alias(s.LATITUDE),
        pl.when(flag("__placed") < 0.3)
        .then(pl.lit(s.GEOMETRY_FROM_API))
        .when(flag("__placed") < 0.9)
        .then(pl.lit(s.GEOMETRY_FROM_REGENCY))
        .alias(s.GEOMETRY_SOURCE),
        pl.concat_list(
            pl.when(flag("__no_effective")).then(
                pl.lit(s.field_issue(s.ISSUE_MISSING, s.EFFECTIVE_DATE))
            ),
            pl.when(flag("__invalid_expiry")).then(pl.lit(INVALID_EXPIRY)),
            pl.when(flag("__backwards")).then(pl.lit(s.ISSUE_EXPIRY_BEFORE_EFFECTIVE)),
            pl.when(flag("__unknown_commodity")).then(
                pl.lit(s.field_issue(s.ISSUE_UNKNOWN_VALUE, s.COMMODITY))
            ),
            pl.when(flag("__placed") >= 0.9).then(pl.lit(s.ISSUE_LOCATION_UNRESOLVED)),
        )
        .list.drop_nulls()
        .alias(s.ISSUES),
        pl.lit(FETCHED_AT).alias(s.FETCHED_AT),
    )
    return frame.select(pl.col(name).cast(dtype) for name, dtype in s.COLUMNS.items())


# ----------------------------------------------------------- pandas baselines


def _pd_flagged(df: pd.DataFrame, codes: list[str]) -> pd.Series:
    """Rows whose issue list holds any of ``codes``: explode, test, fold back."""
    exploded = df[s.ISSUES].explode()
    return exploded.isin(codes).groupby(level=0).any().reindex(df.index, fill_value=False)


def pd_expiring_soon(df: pd.DataFrame) -> pd.DataFrame:
    as_of = pd.Timestamp(AS_OF)
    end = as_of + pd.Timedelta(days=s.EXPIRING_SOON_DAYS)
    expiry = df[s.EXPIRY_DATE]
    out = df.loc[(expiry >= as_of) & (expiry <= end)].copy()
    out[an.DAYS_TO_EXPIRY] = (out[s.EXPIRY_DATE] - as_of).dt.days
    return out.sort_values([s.EXPIRY_DATE, s.WIUP_CODE], kind="stable")


def gpd_expiring_soon(gdf: Any) -> Any:
    # GeoDataFrame from to_geodataframe: dates as datetime64[ms] (what GDAL writes as dates)
    expiry = gdf[s.EXPIRY_DATE]
    start = pd.Timestamp(AS_OF)
    end = start + pd.Timedelta(days=s.EXPIRING_SOON_DAYS)
    out = gdf.loc[(expiry >= start) & (expiry <= end)].copy()
    out[an.DAYS_TO_EXPIRY] = (out[s.EXPIRY_DATE] - start).dt.days
    return out.sort_values([s.EXPIRY_DATE, s.WIUP_CODE], kind="stable")


def pd_expiry_schedule(df: pd.DataFrame) -> pd.DataFrame:
    """Group on (bucket, quarter) first, then label the few groups."""
    as_of = pd.Timestamp(AS_OF)
    expiry = df[s.EXPIRY_DATE]
    usable = expiry.notna() & ~_pd_flagged(df, EXPIRY_FLAGS)
    order = np.where(~usable, 2, np.where(expiry < as_of, 0, 1))
    quarter = expiry.dt.to_period("Q").where(order == 1)
    out = (
        df[[s.AREA_HA]]
        .assign(order=order, quarter=quarter)
        .groupby(["order", "quarter"], dropna=False, sort=True)
        .agg(licenses=(s.AREA_HA, "size"), licensed_area_ha=(s.AREA_HA, "sum"))
        .reset_index()
    )
    label = out["quarter"].astype(str).str.replace("Q", "-Q", regex=False)
    out[an.PERIOD] = np.select(
        [out["order"] == 0, out["order"] == 2], [an.EXPIRED_BUCKET, an.NO_DATE_BUCKET], label
    )
    out[an.PERIOD_START] = out["quarter"].dt.start_time
    return out[[an.PERIOD, an.PERIOD_START, an.LICENSES, s.AREA_HA]]


def pd_area_by_province(df: pd.DataFrame) -> pd.DataFrame:
    out = (
        df.groupby([s.PROVINCE, s.COMMODITY], dropna=False, sort=False)[s.AREA_HA]
        .agg(licenses="size", licensed_area_ha="sum", mean_area_ha="mean", median_area_ha="median")
        .reset_index()
    )
    out[an.AREA_SHARE] = out[s.AREA_HA] / out[s.AREA_HA].sum()
    return out.sort_values([s.AREA_HA, s.PROVINCE, s.COMMODITY], ascending=[False, True, True])


def pd_area_by_company(df: pd.DataFrame) -> pd.DataFrame:
    key = s.COMPANY_KEY
    names = (
        df.groupby([key, s.COMPANY_NAME], dropna=False, sort=False)
        .size()
        .rename("n")
        .reset_index()
        .sort_values(["n", s.COMPANY_NAME], ascending=[False, True])
        .drop_duplicates(key)
        .set_index(key)[s.COMPANY_NAME]
    )
    commodities = (
        df[[key, s.COMMODITY]]
        .dropna()
        .drop_duplicates()
        .sort_values(s.COMMODITY)
        .groupby(key, sort=False)[s.COMMODITY]
        .agg(list)
    )
    out = df.groupby(key, dropna=False, sort=False).agg(
        licenses=(s.AREA_HA, "size"),
        licensed_area_ha=(s.AREA_HA, "sum"),
        provinces=(s.PROVINCE, "nunique"),
    )
    out = out.join(names).join(commodities.rename(an.COMMODITY_LIST))
    out[an.AREA_SHARE] = out[s.AREA_HA] / out[s.AREA_HA].sum()
    out[an.RANK] = out[s.AREA_HA].rank(method="min", ascending=False).astype("int64")
    return out.reset_index().sort_values([an.RANK, key])


def pd_concentration(df: pd.DataFrame) -> pd.DataFrame:
    """Area per (province, company), then per province; null provinces are a group too."""
    per_company = (
        df.groupby([s.PROVINCE, s.COMPANY_KEY], dropna=False, sort=False)[s.AREA_HA]
        .sum()
        .reset_index()
    )
    known = per_company[per_company[s.COMPANY_KEY].notna()].sort_values(
        s.AREA_HA, ascending=False, kind="stable"
    )
    grouped = known.groupby(s.PROVINCE, dropna=False, sort=True)[s.AREA_HA]
    total = grouped.sum()
    out = pd.DataFrame({an.COMPANIES: grouped.size(), s.AREA_HA: total})
    out[an.HHI] = (known[s.AREA_HA] ** 2).groupby(known[s.PROVINCE], dropna=False).sum()
    out[an.HHI] = out[an.HHI] * 10_000 / total**2
    for k, col in an.TOP_SHARES.items():
        out[col] = grouped.head(k).groupby(known[s.PROVINCE], dropna=False).sum() / total
    unattributed = per_company[per_company[s.COMPANY_KEY].isna()]
    out[an.UNATTRIBUTED_AREA] = unattributed.groupby(s.PROVINCE, dropna=False)[s.AREA_HA].sum()
    out[an.UNATTRIBUTED_AREA] = out[an.UNATTRIBUTED_AREA].fillna(0.0)
    return out.reset_index()


def pd_license_age_stats(df: pd.DataFrame) -> pd.DataFrame:
    as_of = pd.Timestamp(AS_OF)
    effective, expiry = df[s.EFFECTIVE_DATE], df[s.EXPIRY_DATE]
    usable = effective.notna() & expiry.notna() & ~_pd_flagged(df, DATE_FLAGS)
    work = pd.DataFrame(
        {
            s.COMMODITY: df[s.COMMODITY],
            "age": (as_of - effective).dt.days / 365.25,
            "tenure": (expiry - effective).dt.days / 365.25,
            "remaining": (expiry - as_of).dt.days / 365.25,
            "expired": expiry < as_of,
            "usable": usable,
        }
    )
    counts = work.groupby(s.COMMODITY, dropna=False).agg(
        licenses=("usable", "size"), usable=("usable", "sum")
    )
    used = work[usable]
    stats = used.groupby(s.COMMODITY, dropna=False).agg(
        age_years_mean=("age", "mean"),
        age_years_median=("age", "median"),
        age_years_p10=("age", lambda x: x.quantile(0.1)),
        age_years_p90=("age", lambda x: x.quantile(0.9)),
        age_years_min=("age", "min"),
        age_years_max=("age", "max"),
        tenure_years_median=("tenure", "median"),
        expired_share=("expired", "mean"),
    )
    remaining = used[~used["expired"]].groupby(s.COMMODITY, dropna=False)["remaining"].median()
    out = counts.join(stats).join(remaining.rename(an.REMAINING_MEDIAN))
    out[an.MISSING_DATES] = out[an.LICENSES] - out.pop("usable")
    return out.reset_index()


def pd_quality_report(df: pd.DataFrame) -> pd.DataFrame:
    rows = len(df)
    nulls = df.drop(columns=s.ISSUES).isna().sum()
    nulls[s.ISSUES] = df[s.ISSUES].isna().sum()
    parts = [nulls.rename("count").rename_axis("item").reset_index().assign(section="nulls")]
    codes = df[s.ISSUES].explode().dropna().reset_index().drop_duplicates()[s.ISSUES].value_counts()
    parts.append(codes.rename("count").rename_axis("item").reset_index().assign(section="issues"))
    for column in s.CATEGORICAL_COLUMNS:
        known = set(s.ALIASES[column].values())
        values = df[column].dropna()
        counts = values[~values.isin(known)].value_counts()
        parts.append(
            counts.rename("count")
            .rename_axis("value")
            .reset_index()
            .assign(section="unknown_values", item=column)
        )
    placement = df[s.GEOMETRY_SOURCE].fillna("not_placed").value_counts()
    parts.append(
        placement.rename("count").rename_axis("item").reset_index().assign(section="placement")
    )
    out = pd.concat(parts, ignore_index=True)
    out["share"] = out["count"] / rows
    return out


# ---------------------------------------------------------------- measuring


class Data:
    """The benchmark frame in each form, built on first use."""

    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame = frame
        self._pandas: pd.DataFrame | None = None
        self._geo: Any = None

    @property
    def pandas(self) -> pd.DataFrame:
        if self._pandas is None:
            pdf = self.frame.to_pandas()
            for column in (s.EFFECTIVE_DATE, s.EXPIRY_DATE):
                pdf[column] = pd.to_datetime(pdf[column])
            self._pandas = pdf
        return self._pandas

    @property
    def geo(self) -> Any:
        if self._geo is None:
            self._geo = to_geodataframe(self.frame)
        return self._geo


Case = tuple[str, Callable[[Data], Any], Callable[[Data], Any]]

CASES: list[Case] = [
    (
        "expiring_soon",
        lambda d: an.expiring_soon(d.frame, as_of=AS_OF),
        lambda d: pd_expiring_soon(d.pandas),
    ),
    (
        "expiry_schedule(quarter)",
        lambda d: an.expiry_schedule(d.frame, freq="quarter", as_of=AS_OF),
        lambda d: pd_expiry_schedule(d.pandas),
    ),
    (
        "area_by_province(by=commodity)",
        lambda d: an.area_by_province(d.frame, by=s.COMMODITY),
        lambda d: pd_area_by_province(d.pandas),
    ),
    (
        "area_by_company",
        lambda d: an.area_by_company(d.frame),
        lambda d: pd_area_by_company(d.pandas),
    ),
    (
        "concentration(by=province)",
        lambda d: an.concentration(d.frame, by=s.PROVINCE),
        lambda d: pd_concentration(d.pandas),
    ),
    (
        "license_age_stats(by=commodity)",
        lambda d: an.license_age_stats(d.frame, by=s.COMMODITY, as_of=AS_OF),
        lambda d: pd_license_age_stats(d.pandas),
    ),
    (
        "quality_report",
        lambda d: an.quality_report(d.frame),
        lambda d: pd_quality_report(d.pandas),
    ),
    (
        "expiring_soon(GeoDataFrame)",
        lambda d: an.expiring_soon(d.geo, as_of=AS_OF),
        lambda d: gpd_expiring_soon(d.geo),
    ),
]


# ------------------------------------------------------------------ equality
_KEYS: dict[str, list[str]] = {
    "expiring_soon": [s.WIUP_CODE, s.EXPIRY_DATE, an.DAYS_TO_EXPIRY],
    "expiry_schedule(quarter)": [an.PERIOD],
    "area_by_province(by=commodity)": [s.PROVINCE, s.COMMODITY],
    "area_by_company": [s.COMPANY_KEY],
    "concentration(by=province)": [s.PROVINCE],
    "license_age_stats(by=commodity)": [s.COMMODITY],
    "quality_report": ["section", "item", "value"],
}
# Columns only ours gives (what the baseline a user writes does not count), left out of the check.
_OURS_ONLY: set[str] = {an.AREA_NOT_COUNTED, an.DATES_OUT_OF_RANGE}


def _as_polars(result: Any) -> pl.DataFrame:
    if isinstance(result, pl.DataFrame):
        return result
    frame = pd.DataFrame(result).drop(columns="geometry", errors="ignore")
    for column in frame.columns:  # lists and arrays in object columns as Python lists
        values = frame[column]
        if values.dtype == object and any(isinstance(v, list | np.ndarray) for v in values):
            frame[column] = [list(v) if isinstance(v, list | np.ndarray) else None for v in values]
    return pl.from_pandas(frame)


def check_equal(name: str, ours: Any, theirs: Any) -> None:
    """Assert both sides' answers agree: same rows (sorted by key), same values."""
    mine, other = _as_polars(ours), _as_polars(theirs)
    base = name.removesuffix("(GeoDataFrame)")
    keys = _KEYS[base]
    columns = keys if base == "expiring_soon" else [c for c in mine.columns if c not in _OURS_ONLY]
    other = other.select(columns).cast(mine.select(columns).schema, strict=False)
    if base == "quality_report":
        other = other.with_columns(pl.col("value").fill_null(""))
        mine = mine.with_columns(pl.col("value").fill_null(""))
    # a company without a commodity: [] in ours, missing (NaN) after pandas' join
    lists = [c for c in columns if isinstance(mine.schema[c], pl.List)]
    other = other.with_columns(pl.col(c).fill_null(pl.lit([], mine.schema[c])) for c in lists)
    mine, other = (f.select(columns).sort(keys, nulls_last=True) for f in (mine, other))
    assert_frame_equal(mine, other, check_exact=False, rel_tol=1e-9, abs_tol=1e-6)


def run_child(data_path: Path, number: int, side: int) -> None:
    """In a fresh interpreter: load the data in the side's form, warm up, measure one call."""
    data = Data(pl.read_parquet(data_path))
    name, *functions = CASES[number]
    function = functions[side]
    function(Data(data.frame.head(1000)))  # imports and thread pools, outside the measure
    if "GeoDataFrame" in name:
        _ = data.geo
    elif side == 1:
        _ = data.pandas
    _, seconds, peak = measure(lambda: function(data))
    print(json.dumps({"peak_mib": peak, "seconds": seconds}))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=MIN_REPEAT)
    parser.add_argument("--quick", action="store_true", help="100,000 rows")
    parser.add_argument("--json", type=Path, help="also write the results here as JSON")
    parser.add_argument("--no-geo", action="store_true", help="skip the GeoDataFrame case")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory runs")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        path, number, side = args.child
        run_child(Path(path), int(number), int(side))
        return 0
    rows = 100_000 if args.quick else args.rows
    data = Data(synthetic_frame(rows))
    _ = data.pandas, data.geo
    cases = [c for c in CASES if not (args.no_geo and "GeoDataFrame" in c[0])]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        data_path = Path(tmp) / "frame.parquet"
        data.frame.write_parquet(data_path)
        for name, ours, theirs in cases:
            check_equal(name, ours(data), theirs(data))
            times = alternate(
                {"polars": lambda o=ours: o(data), "pandas": lambda t=theirs: t(data)},
                repeat=args.repeat,
            )
            peaks: dict[str, float | None] = {"polars": math.nan, "pandas": math.nan}
            if not args.no_memory:
                number = CASES.index((name, ours, theirs))
                for side, key in ((0, "polars"), (1, "pandas")):
                    command = [__file__, "--child", str(data_path), str(number), str(side)]
                    peaks[key] = child_json(command)["peak_mib"]
            row = case(name, ours="polars", baseline="pandas", times=times, peaks=peaks, target=5.0)
            results.append(row)
            print(f"  {name}: done", flush=True)
    size = f"{rows:,} synthetic canonical rows; baseline pandas {pd.__version__}"
    write_results(args.json, "analytics", size, results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
