"""History at scale: the store's catalogue and history against DuckDB over the same files.

The store holds ``--days`` daily snapshots (1,000 by default: about 5M rows)
of the sample registry with a few licenses added, removed and changed each
day (``_history_store.py``; built once into the temporary folder and reused).
Each operation runs as a user would call it, against the SQL a DuckDB user
would write over ``read_parquet('store/*.parquet')`` for the same answer,
with DuckDB's Parquet metadata cache on (ours keeps footers per process too):

* ``list_snapshots``: the provenance block of every footer
  (``parquet_kv_metadata``), parsed, oldest first;
* ``load_licenses(source="snapshot")``: the newest snapshot, whole;
* ``history(wiup_code=...)``: one license's rows across every snapshot;
* ``history(since=...)``: every row of the last 30 days;
* ``changes(since=...)``: what changed in the last 30 days, each snapshot
  against the one before (SQL: a full outer join per consecutive pair and
  one branch per field);
* ``diff_snapshots``: the oldest against the newest snapshot.

Both sides' answers are checked equal (sorted, same types) before timing.
Target: every operation within 1.5x of DuckDB (speed-up >= 0.67), memory
bounded (peak per side measured in a fresh process).

Run: ``python benchmarks/bench_history.py [--days N] [--repeat R] [--json OUT]``
"""

from __future__ import annotations

import argparse
import math
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import duckdb
import polars as pl

from benchmarks._history_store import cached_store, store_parser
from benchmarks._measure import alternate, case, child_json, measure, write_results
from mining_licenses import load_licenses
from mining_licenses import schema as s
from mining_licenses.store import changes, diff_snapshots, history, list_snapshots
from mining_licenses.store._diff import DIFF_FIELDS

TARGET = 1 / 1.5
RECENT_DAYS = 30
COLUMNS = list(s.COLUMNS)
SELECT = ", ".join(COLUMNS)
# the license key of diff_snapshots: wiup_code, or "|license_number" without one
KEY_SQL = "coalesce(wiup_code, '|' || coalesce(license_number, ''))"


class Store:
    """The benchmark store and the parameters of each query."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.glob = f"{folder}/*.parquet"
        listing = list_snapshots(folder)
        self.paths = listing["path"].to_list()
        times = listing[s.FETCHED_AT]
        self.since = times[-RECENT_DAYS]
        self.before_since = times[-RECENT_DAYS - 1]
        newest = pl.read_parquet(self.paths[-1], columns=[s.WIUP_CODE])
        self.code = newest[s.WIUP_CODE][len(newest) // 3]  # a license of the middle years
        self.con = duckdb.connect()
        self.con.execute("SET parquet_metadata_cache = true")

    def sql(self, query: str, params: list[Any] | None = None) -> pl.DataFrame:
        return pl.from_arrow(self.con.sql(query, params=params).to_arrow_table())  # type: ignore[return-value]


# ------------------------------------------------------------------ DuckDB side
def duck_list(st: Store) -> pl.DataFrame:
    return st.sql(
        f"""
        SELECT file_name AS path,
               CAST(json_extract_string(meta, '$.fetched_at') AS TIMESTAMPTZ) AS fetched_at,
               json_extract_string(meta, '$.source') AS source,
               CAST(json_extract(meta, '$.records') AS BIGINT) AS records,
               CAST(json_extract(meta, '$.complete') AS BOOLEAN) AS complete
        FROM (SELECT file_name, decode(value) AS meta
              FROM parquet_kv_metadata('{st.glob}') WHERE decode(key) = 'mining_licenses')
        ORDER BY fetched_at
        """
    )


def duck_newest(st: Store) -> pl.DataFrame:
    newest = st.con.sql(f"SELECT max(file) FROM glob('{st.glob}')").fetchall()[0][0]
    return st.sql(f"SELECT {SELECT} FROM read_parquet('{newest}')")


def duck_trajectory(st: Store) -> pl.DataFrame:
    return st.sql(
        f"SELECT {SELECT}, parse_filename(filename) AS snapshot "
        f"FROM read_parquet('{st.glob}', filename = true) WHERE wiup_code = $1",
        [st.code],
    )


def duck_recent(st: Store) -> pl.DataFrame:
    return st.sql(
        f"SELECT {SELECT}, parse_filename(filename) AS snapshot "
        f"FROM read_parquet('{st.glob}', filename = true) WHERE fetched_at >= $1",
        [st.since],
    )


def _diff_sql(old: str, new: str, key_from: str) -> str:
    """SQL of added/removed/changed rows between relations ``old`` and ``new``."""
    edits = " UNION ALL ".join(
        f"SELECT snap_at, 'changed' AS change, key, n_{s.WIUP_CODE} AS wiup_code, "
        f"n_{s.LICENSE_NUMBER} AS license_number, '{f}' AS field, "
        f"CAST(o_{f} AS VARCHAR) AS old, CAST(n_{f} AS VARCHAR) AS new "
        f"FROM j WHERE o_key IS NOT NULL AND n_key IS NOT NULL AND o_{f} IS DISTINCT FROM n_{f}"
        for f in DIFF_FIELDS
    )
    cols = ", ".join(f"o.{f} AS o_{f}, n.{f} AS n_{f}" for f in DIFF_FIELDS)
    return (
        f"""
        WITH j AS (
            SELECT coalesce(n.snap_at, o.snap_at) AS snap_at, o.key AS o_key, n.key AS n_key,
                   coalesce(n.key, o.key) AS key, {cols}
            FROM {old} o FULL OUTER JOIN {new} n ON o.snap_at = n.snap_at AND o.key = n.key
        )
        SELECT snap_at, 'added' AS change, key, n_wiup_code AS wiup_code,
               n_license_number AS license_number, NULL AS field, NULL AS old, NULL AS new
        FROM j WHERE o_key IS NULL
        UNION ALL
        SELECT snap_at, 'removed', key, o_wiup_code, o_license_number, NULL, NULL, NULL
        FROM j WHERE n_key IS NULL
        UNION ALL {edits}
    """
        + key_from
    )


def duck_changes(st: Store) -> pl.DataFrame:
    rows = f"""
        s AS (SELECT {KEY_SQL} AS key, *
              FROM read_parquet('{st.glob}') WHERE fetched_at >= $1),
        times AS (SELECT fetched_at AS snap_at, lag(fetched_at) OVER (ORDER BY fetched_at) AS prev
                  FROM (SELECT DISTINCT fetched_at FROM s)),
        olds AS (SELECT times.snap_at, s.* FROM s JOIN times ON s.fetched_at = times.prev),
        news AS (SELECT times.snap_at, s.* FROM s JOIN times ON s.fetched_at = times.snap_at
                 WHERE times.prev IS NOT NULL)
    """
    query = _diff_sql("olds", "news", "")
    query = query.replace("WITH j AS (", f"WITH {rows}, j AS (", 1)
    return st.sql(query, [st.before_since])


def duck_diff(st: Store) -> pl.DataFrame:
    first, last = st.paths[0], st.paths[-1]
    rows = f"""
        olds AS (SELECT 1 AS snap_at, {KEY_SQL} AS key, * FROM read_parquet('{first}')),
        news AS (SELECT 1 AS snap_at, {KEY_SQL} AS key, * FROM read_parquet('{last}'))
    """
    query = _diff_sql("olds", "news", "").replace("WITH j AS (", f"WITH {rows}, j AS (", 1)
    return st.sql(query)


# -------------------------------------------------------------------- our side
def ours_newest(st: Store) -> pl.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the store is synthetic: a warning per call
        return load_licenses(source="snapshot", store=st.folder, as_="polars")  # type: ignore[return-value]


def ours_diff(st: Store) -> pl.DataFrame:
    diff = diff_snapshots(st.paths[0], st.paths[-1])
    added = diff.added.select(pl.lit("added").alias("change"), "key")
    removed = diff.removed.select(pl.lit("removed").alias("change"), "key")
    edits = diff.changed.select(pl.lit("changed").alias("change"), "key", "field", "old", "new")
    return pl.concat([added, removed, edits], how="diagonal")


CASES: dict[str, tuple[Callable[[Store], Any], Callable[[Store], Any]]] = {
    "list_snapshots": (lambda st: list_snapshots(st.folder), duck_list),
    "load_licenses(source='snapshot')": (ours_newest, duck_newest),
    "history(wiup_code=...)": (
        lambda st: history(st.folder, wiup_code=st.code).collect(),
        duck_trajectory,
    ),
    "history(since=30 days ago)": (
        lambda st: history(st.folder, since=st.since).collect(),
        duck_recent,
    ),
    "changes(since=30 days ago)": (lambda st: changes(st.folder, since=st.since), duck_changes),
    "diff_snapshots(oldest, newest)": (ours_diff, duck_diff),
}


# ------------------------------------------------------------------ equality
def _sorted(frame: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    return frame.select(columns).sort(columns, nulls_last=True)


def check_equal(name: str, ours: Any, theirs: pl.DataFrame) -> None:
    """Assert both sides answered alike (order and dtypes normalised)."""
    if name == "list_snapshots":
        cols = ["path", s.FETCHED_AT, "source", "records", "complete"]
        theirs = theirs.with_columns(pl.col(s.FETCHED_AT).dt.convert_time_zone("UTC"))
        assert ours.select(cols).equals(theirs.select(cols).cast(ours.select(cols).schema))
        return
    if name.startswith(("load_licenses", "history")):
        cols = [*COLUMNS, "snapshot"] if "snapshot" in ours.columns else COLUMNS
        theirs = theirs.cast({c: ours.schema[c] for c in cols})
        keys = [s.FETCHED_AT, s.WIUP_CODE, s.LICENSE_NUMBER]
        assert ours.sort(keys, nulls_last=True).equals(
            theirs.select(cols).sort(keys, nulls_last=True)
        )
        return
    cols = ["change", "key", "field", "old", "new"]
    if name.startswith("changes"):
        cols = [s.FETCHED_AT, *cols]
        theirs = theirs.rename({"snap_at": s.FETCHED_AT})
    theirs = theirs.cast({c: ours.schema[c] for c in cols}, strict=False)
    assert _sorted(ours, cols).equals(_sorted(theirs, cols)), name


# ------------------------------------------------------------------- running
def run_child(days: int, name: str, side: int) -> None:
    """In a fresh interpreter: one warm-up call, then one measured call; print the peak."""
    st = Store(cached_store(days))
    fn = CASES[name][side]
    fn(st)
    _, seconds, peak = measure(lambda: fn(st))
    print(f'{{"peak_mib": {"null" if peak is None else peak}, "seconds": {seconds}}}')


def cold_listing(days: int, repeat: int) -> dict[str, Any]:
    """``list_snapshots`` as the first call of a process (no footer cached), alternating."""
    times: dict[str, list[float]] = {"ours": [], "duckdb": []}
    peaks: dict[str, float | None] = {}
    for _ in range(repeat):
        for side, key in ((0, "ours"), (1, "duckdb")):
            out = child_json([__file__, "--cold", str(days), str(side)])
            times[key].append(out["seconds"])
            peaks[key] = max(peaks.get(key) or 0.0, out["peak_mib"] or 0.0)
    return case(
        "list_snapshots, first call of a process",
        ours="ours",
        baseline="duckdb",
        times=times,
        peaks=peaks,
        target=TARGET,
        note="no footer cached on either side",
    )


def run_cold(days: int, side: int) -> None:
    folder = cached_store(days)
    if side == 0:
        _, seconds, peak = measure(lambda: list_snapshots(folder))
    else:
        st_con = duckdb.connect()
        glob = f"{folder}/*.parquet"
        query = (
            f"SELECT file_name, decode(value) FROM parquet_kv_metadata('{glob}') "
            "WHERE decode(key) = 'mining_licenses'"
        )
        _, seconds, peak = measure(lambda: st_con.sql(query).to_arrow_table())
    print(f'{{"peak_mib": {"null" if peak is None else peak}, "seconds": {seconds}}}')


def main() -> None:
    parser = store_parser(__doc__, child_nargs=3)
    parser.add_argument("--cold", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(int(args.child[0]), args.child[1], int(args.child[2]))
        return
    if args.cold:
        run_cold(int(args.cold[0]), int(args.cold[1]))
        return
    days = 100 if args.quick else args.days
    print(f"store of {days} daily snapshots (built on first use) ...", flush=True)
    st = Store(cached_store(days))
    rows = sum(list_snapshots(st.folder)["records"].to_list())
    results = []
    for name, (ours, theirs) in CASES.items():
        check_equal(name, ours(st), theirs(st))
        times = alternate(
            {"ours": lambda o=ours: o(st), "duckdb": lambda t=theirs: t(st)}, repeat=args.repeat
        )
        peaks: dict[str, float | None] = {"ours": math.nan, "duckdb": math.nan}
        if not args.no_memory:
            for side, key in ((0, "ours"), (1, "duckdb")):
                peaks[key] = child_json([__file__, "--child", str(days), name, str(side)])[
                    "peak_mib"
                ]
        results.append(
            case(name, ours="ours", baseline="duckdb", times=times, peaks=peaks, target=TARGET)
        )
        print(f"  {name}: done", flush=True)
    if not args.no_memory:
        results.append(cold_listing(days, args.repeat))
    size = f"{days:,} daily snapshots, {rows:,} rows; baseline DuckDB {duckdb.__version__}"
    write_results(args.json, "history", size, results)


if __name__ == "__main__":
    main()
