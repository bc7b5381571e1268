"""The mining-licenses command, run through its installed entry point."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from pathlib import Path

import pytest

from mining_licenses._errors import SyntheticDataWarning
from mining_licenses.cli import build_parser, main
from mining_licenses.replica import Replica
from tests._entry import ENTRY_POINT, run
from tests._replica_fixtures import TODAY, make_records


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("mining-licenses ")


def test_summary_on_the_sample() -> None:
    result = run("summary", "--source", "sample", "--commodity-type", "coal")
    assert result.returncode == 0, result.stderr
    assert "SYNTHETIC" not in result.stderr  # said once, first on stdout
    assert result.stdout.count("SYNTHETIC DATA") == 1
    assert "licenses" in result.stdout
    assert "Coal" in result.stdout


def test_sample_fallback_says_synthetic_on_stdout_and_near_misses_on_stderr(
    tmp_path: Path,
) -> None:
    result = run("summary", "--company", "PT Multi Bintangg", store=tmp_path / "empty")
    assert result.returncode == 1, result.stderr  # an empty answer
    first = result.stdout.splitlines()[0]
    assert first == (
        "SYNTHETIC DATA (the bundled sample): not the real registry; do not cite these numbers."
    )
    assert "warning (NoMatchWarning): No license matches --company 'PT Multi Bintangg'; " in (
        result.stderr
    )
    assert "did you mean 'PT Multi Bintang' (multi-bintang)" in result.stderr


def test_bad_filter_value_is_a_one_line_error() -> None:
    result = run("summary", "--source", "sample", "--province", "Atlantis")
    assert result.returncode == 2
    assert result.stderr.startswith("error: Filter --province Atlantis is not a known value")
    assert "Kalimantan Timur" in result.stderr
    assert "Traceback" not in result.stderr


def test_expiring_writes_csv_and_json(tmp_path: Path) -> None:
    csv, js = tmp_path / "soon.csv", tmp_path / "soon.json"
    result = run(
        "expiring",
        "--source",
        "sample",
        "--within-days",
        "30",
        "--as-of",
        "2026-11-01",
        "--csv",
        str(csv),
        "--json",
        str(js),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("SYNTHETIC DATA (the bundled sample)")
    assert "licenses expiring within 30 days" in result.stdout
    for written in (csv, js):
        sidecar = json.loads(written.with_name(written.name + ".provenance.json").read_text())
        assert (sidecar["file"], sidecar["synthetic"], sidecar["source"]) == (
            written.name,
            True,
            "sample",
        )
    rows = csv.read_text().splitlines()
    assert rows[0].startswith("as_of,wiup_code,")
    assert {row.split(",")[0] for row in rows[1:]} == {"2026-11-01"}
    count = int(result.stdout.split(" licenses expiring")[0].split()[-1].replace(",", ""))
    assert len(rows) - 1 == count > 0
    assert js.stat().st_size > 0


def test_expiring_rejects_a_negative_window() -> None:
    result = run("expiring", "--source", "sample", "--within-days", "-3")
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert last == (
        "error: --within-days must be 0 or more, not -3. See: mining-licenses expiring --help"
    )
    assert result.stderr.startswith("usage: mining-licenses expiring ")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["expiring", "--as-of", "2026-13-01"], "--as-of 2026-13-01 is not a real date"),
        (["expiring", "--as-of", "13/01/2026"], "--as-of must be a date written YYYY-MM-DD"),
        (["summary", "--top", "0"], "--top must be 1 or more, not 0"),
        (["summary", "--top", "ten"], "--top must be a whole number, not 'ten'"),
        (["pull", "--max-in-flight", "100"], "--max-in-flight must be between 1 and 32"),
        (["pull", "--timeout", "inf"], "--timeout must be a finite number"),
        (
            ["summary", "--provnce", "Riau"],
            "does not take --provnce Riau (did you mean --province?)",
        ),
        (["sumary"], "command 'sumary' is not one of demo, summary,"),
        (["sumary"], "(did you mean summary?)"),
        (["summary", "--source", "smple"], "(did you mean sample?)"),
    ],
)
def test_argument_errors_name_the_option_as_typed(argv, said, capsys) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert said in err.strip().splitlines()[-1]
    command = argv[0] if argv[0] != "sumary" else ""
    assert err.startswith(f"usage: mining-licenses {command}".rstrip())
    assert "expiring_soon(" not in err  # never an internal function's name


def test_every_subcommand_describes_itself(capsys) -> None:
    parser = build_parser()
    for name in ("demo", "summary", "expiring", "report", "snapshots", "diff", "export",
                 "replica", "pull", "sample"):  # fmt: skip
        with pytest.raises(SystemExit):
            parser.parse_args([name, "--help"])
        lines = capsys.readouterr().out.splitlines()
        assert lines[0].startswith(f"usage: mining-licenses {name}")
        description = lines[lines.index("") + 1]
        assert description[0].isupper(), (name, description)
        assert description.endswith("."), (name, description)


def test_report_of_the_bundled_sample(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    result = run("report", "--snapshot", "sample", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert str(out.resolve()) in result.stdout
    assert out.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html>")


def test_pull_through_the_replica_writes_a_snapshot(tmp_path: Path) -> None:
    key = "cli-test-key-0c9e"
    with Replica(make_records(120, seed=3), api_key=key, as_of=TODAY) as replica:
        env = {**os.environ, "SECTORS_API_KEY": key, "MINING_LICENSES_DATA": str(tmp_path)}
        result = subprocess.run(
            [str(ENTRY_POINT), "pull", "--base-url", replica.url, "--commodity-type", "coal"],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
        expected = len(replica.matching_records(commodity_type="Coal"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("SYNTHETIC DATA (source replica): not the real registry")
    assert f"{expected:,} licenses (complete)" in result.stdout
    assert "snapshot: " in result.stdout
    assert key not in result.stdout + result.stderr


def test_snapshots_diff_and_export(tmp_path: Path) -> None:
    import polars as pl

    from mining_licenses.loader import sample_frame
    from mining_licenses.store import write_snapshot

    store = tmp_path / "store"
    with pytest.warns(SyntheticDataWarning):
        older = sample_frame()
    write_snapshot(older, store=store, meta={"source": "sample", "complete": True})
    newer = older.slice(1).with_columns(
        pl.when(pl.int_range(pl.len()) == 0)
        .then(pl.lit("non-CNC"))
        .otherwise(pl.col("cnc"))
        .alias("cnc"),
        pl.lit(dt.datetime(2026, 12, 1, tzinfo=dt.UTC)).alias("fetched_at"),
    )
    write_snapshot(newer, store=store, meta={"source": "sample", "complete": True})

    listed = run("snapshots", "--store", str(store))
    assert listed.returncode == 0, listed.stderr
    assert "2 snapshots in" in listed.stdout
    assert "licenses_20261201T000000Z.parquet" in listed.stdout

    diff = run("diff", "--store", str(store), "--csv", str(tmp_path / "changes.csv"))
    assert diff.returncode == 0, diff.stderr
    assert "| removed   | 1     |" in diff.stdout
    changes = (tmp_path / "changes.csv").read_text().splitlines()
    assert len(changes) == 1 + (older["cnc"][1] != "non-CNC")
    # the names every command takes: 'sample' (the bundled one) and 'latest', shown as files
    named = run("diff", "sample", "latest", "--store", str(store))
    assert named.returncode == 0, named.stderr
    assert (
        "licenses_20261101T060000Z.parquet (fetched 2026-11-01 06:00 UTC) -> "
        "licenses_20261201T000000Z.parquet (fetched 2026-12-01 00:00 UTC)"
    ) in named.stdout
    assert "| removed   | 1     |" in named.stdout

    gpkg = tmp_path / "coal.gpkg"
    exported = run(
        "export",
        str(gpkg),
        "--snapshot",
        "latest",
        "--store",
        str(store),
        "--commodity-type",
        "coal",
    )
    assert exported.returncode == 0, exported.stderr
    coal = newer.filter(pl.col("commodity_type") == "Coal").height
    assert f"wrote {coal:,} licenses" in exported.stdout
    again = run("export", str(gpkg), "--snapshot", "latest", "--store", str(store))
    assert again.returncode == 2
    assert "--overwrite" in again.stderr
