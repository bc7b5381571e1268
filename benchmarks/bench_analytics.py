"""Benchmark mining_licenses.analytics against idiomatic pandas/geopandas code.

Run: ``.venv/bin/python benchmarks/bench_analytics.py [--rows N] [--repeat R] [--json OUT]``

Each analytics function runs on the same synthetic canonical frame (1M rows by
default, built vectorised and deterministically) as polars and as pandas; the
pandas side is the group-by code an analyst would write for the same answer,
vectorised where pandas allows (issue lists are exploded, not looped over).
Conversions between the two are done once, outside the timings. Reported per
function: best wall time of ``--repeat`` runs, the ratio pandas / polars
(target: 5x or more), and the peak memory each side adds during one call,
measured in a fresh interpreter per function and side (resident high-water
mark, see ``_measure.py``; "nan" where the platform cannot reset it). Both
sides run alternately, so a machine shared with other work slows both alike.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import psutil

from mining_licenses import analytics as an
from mining_licenses import schema as s
from mining_licenses.geo import to_geodataframe

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import measure

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
    # GeoDataFrame from to_geodataframe: pyarrow-backed date32 columns
    expiry = gdf[s.EXPIRY_DATE]
    end = AS_OF + dt.timedelta(days=s.EXPIRING_SOON_DAYS)
    out = gdf.loc[(expiry >= AS_OF) & (expiry <= end)].copy()
    out[an.DAYS_TO_EXPIRY] = (
        pd.to_datetime(out[s.EXPIRY_DATE].astype("datetime64[ms]")) - pd.Timestamp(AS_OF)
    ).dt.days
    return out.sort_values([s.EXPIRY_DATE, s.WIUP_CODE], kind="stable")


def pd_expiry_schedule(df: pd.DataFrame) -> pd.DataFrame:
    as_of = pd.Timestamp(AS_OF)
    expiry = df[s.EXPIRY_DATE]
    usable = expiry.notna() & ~_pd_flagged(df, EXPIRY_FLAGS)
    order = np.where(~usable, 2, np.where(expiry < as_of, 0, 1))
    period = expiry.dt.to_period("Q")
    label = np.select(
        [order == 0, order == 2], [an.EXPIRED_BUCKET, an.NO_DATE_BUCKET], period.astype(str)
    )
    start = period.dt.start_time.where(order == 1)
    keys = pd.DataFrame({"order": order, an.PERIOD: label, an.PERIOD_START: start})
    out = (
        df[[s.AREA_HA]]
        .join(keys)
        .groupby(["order", an.PERIOD, an.PERIOD_START], dropna=False, sort=False)
        .agg(licenses=(s.AREA_HA, "size"), licensed_area_ha=(s.AREA_HA, "sum"))
        .reset_index()
        .sort_values(["order", an.PERIOD_START])
    )
    return out.drop(columns="order")


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
    per_company = df.groupby([s.PROVINCE, s.COMPANY_KEY], sort=False)[s.AREA_HA].sum().reset_index()
    per_company = per_company.sort_values(s.AREA_HA, ascending=False)
    grouped = per_company.groupby(s.PROVINCE, sort=True)[s.AREA_HA]
    total = grouped.sum()
    per_company["share"] = per_company[s.AREA_HA] / per_company[s.PROVINCE].map(total)
    shares = per_company.groupby(s.PROVINCE, sort=True)["share"]
    out = pd.DataFrame(
        {
            an.COMPANIES: grouped.size(),
            s.AREA_HA: total,
            an.HHI: shares.apply(lambda x: ((100 * x) ** 2).sum()),
            **{
                col: shares.apply(lambda x, k=k: x.head(k).sum())
                for k, col in an.TOP_SHARES.items()
            },
        }
    )
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


def best_times(
    ours: Callable[[], Any], theirs: Callable[[], Any], repeat: int
) -> tuple[float, float]:
    """Best wall times of both sides, run alternately so both see the same load."""
    ours()  # warm up: imports, caches, thread pools
    theirs()
    best_ours = best_theirs = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        ours()
        best_ours = min(best_ours, time.perf_counter() - started)
        started = time.perf_counter()
        theirs()
        best_theirs = min(best_theirs, time.perf_counter() - started)
    return best_ours, best_theirs


def child_peak(data_path: Path, case: int, side: int) -> float:
    """Peak memory of one run, measured in a fresh interpreter (bytes)."""
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        str(data_path),
        str(case),
        str(side),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def run_child(data_path: Path, case: int, side: int) -> int:
    """In the child: load the data, prepare its form, run once warm on a slice, then measure."""
    data = Data(pl.read_parquet(data_path))
    function = CASES[case][1 + side]
    function(Data(data.frame.head(1000)))  # imports and thread pools, outside the measure
    if side == 1 or "GeoDataFrame" in CASES[case][0]:
        _ = data.pandas if "GeoDataFrame" not in CASES[case][0] else data.geo
    _, _, peak_mib = measure(lambda: function(data))
    print(math.nan if peak_mib is None else peak_mib * MIB)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the results here as JSON")
    parser.add_argument("--no-geo", action="store_true", help="skip the GeoDataFrame case")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory runs")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        path, case, side = args.child
        return run_child(Path(path), int(case), int(side))

    started = time.perf_counter()
    data = Data(synthetic_frame(args.rows))
    _ = data.pandas
    print(
        f"{args.rows:,} synthetic rows built in {time.perf_counter() - started:.1f} s "
        f"(polars {pl.__version__}, pandas {pd.__version__}, {platform.machine()}, "
        f"{psutil.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}); "
        f"best of {args.repeat}"
    )
    cases = [c for c in CASES if not (args.no_geo and "GeoDataFrame" in c[0])]

    results = []
    header = (
        f"{'function':<32} {'polars s':>9} {'pandas s':>9} {'ratio':>7} "
        f"{'polars MiB':>11} {'pandas MiB':>11}"
    )
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as tmp:
        data_path = Path(tmp) / "frame.parquet"
        if not args.no_memory:
            data.frame.write_parquet(data_path)
        for number, (name, ours, theirs) in enumerate(cases):
            ours_time, theirs_time = best_times(
                lambda ours=ours: ours(data), lambda theirs=theirs: theirs(data), args.repeat
            )
            peaks = (
                (math.nan, math.nan)
                if args.no_memory
                else (child_peak(data_path, number, 0), child_peak(data_path, number, 1))
            )
            ratio = theirs_time / ours_time
            results.append(
                {
                    "function": name,
                    "polars_seconds": ours_time,
                    "pandas_seconds": theirs_time,
                    "ratio": ratio,
                    "polars_peak_mib": peaks[0] / MIB,
                    "pandas_peak_mib": peaks[1] / MIB,
                }
            )
            print(
                f"{name:<32} {ours_time:>9.3f} {theirs_time:>9.3f} {ratio:>6.1f}x "
                f"{peaks[0] / MIB:>11.1f} {peaks[1] / MIB:>11.1f}"
            )
    print(
        "ratio = pandas / polars (best wall times, run alternately); MiB = peak resident "
        "memory added by one call in a fresh process"
    )
    if args.json:
        payload = {
            "rows": args.rows,
            "repeat": args.repeat,
            "polars": pl.__version__,
            "pandas": pd.__version__,
            "cpus": psutil.cpu_count(),
            "load_average": os.getloadavg()[0],
            "results": results,
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
