"""Dated, legible answers from the command line, run through its installed entry point.

One rule for the data every command reads (``--snapshot``, ``--source``,
``--store``, ``MINING_LICENSES_DATA``), the ``as of`` line every answer starts
with, empty answers that say why (exit 1), messages in the command line's own
terms, and the hints for what people type.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import warnings
from pathlib import Path

import polars as pl
import pytest

from mining_licenses import loader, schema
from mining_licenses._errors import SyntheticDataWarning
from mining_licenses.cli import main
from mining_licenses.cli._args import _DAYS, DATA_RULE, EXIT_CODES
from mining_licenses.loader import sample_frame
from mining_licenses.replica import Replica
from mining_licenses.store import write_snapshot
from tests._replica_fixtures import TODAY, make_records
from tests.test_cli import run

SAMPLE_LINE = "as of 2026-11-01 (fetched 2026-11-01 06:00 UTC, source: sample SYNTHETIC)"
DEMO_FETCHED = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)
#: Python spoken on the command line: ``name=...``, ``name=True``, ``call()``, module paths.
PYTHON_TERMS = re.compile(r"\b[a-z_]+=(\.\.\.|True|False)|\b[a-z_]+\(\)|mining_licenses\.\w")


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding what the demo leaves: one synthetic (replica) snapshot, not the sample's."""
    store = tmp_path_factory.mktemp("demo") / "store"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntheticDataWarning)
        frame = sample_frame().head(600)
    frame = frame.with_columns(pl.lit(DEMO_FETCHED).alias(schema.FETCHED_AT))
    meta = {"source": "replica", "synthetic": True, "complete": True, "total_count": 600}
    write_snapshot(frame, store=store, meta=meta)
    return store


DEMO_NAME = "licenses_20261201T093000Z.parquet"
DEMO_LINE = (
    f"as of 2026-12-01 (fetched 2026-12-01 09:30 UTC, source: snapshot {DEMO_NAME} SYNTHETIC)"
)
#: Every command that answers from the registry, with what it needs beside the data options.
READERS = {
    "summary": ["summary", "--top", "3"],
    "expiring": ["expiring", "--within-days", "400"],
    "report": ["report", "--out", "{tmp}/r.html", "--province", "Banten"],  # small: quick
    "export": ["export", "{tmp}/x.gpkg"],
    "screen small-islands": ["screen", "small-islands", "--limit", "3"],
}


def _argv(command: str, tmp_path: Path) -> list[str]:
    return [a.replace("{tmp}", str(tmp_path)) for a in READERS[command]]


def _header(stdout: str) -> tuple[str, str]:
    """The label and the as-of line an answer starts with."""
    first, second = stdout.splitlines()[:2]
    return first, second


# ------------------------------------------------- one rule, for every command
HOWS = ("environment", "--store", "--snapshot latest")


@pytest.mark.parametrize(
    ("command", "how"),
    # every way for every command; the report (the slowest) one way, the others show the rule
    [(c, h) for c in READERS for h in HOWS if c != "report" or h == "--store"],
)
def test_every_command_reads_the_store_it_is_pointed_at(
    command: str, how: str, demo_store: Path, tmp_path: Path
) -> None:
    argv = _argv(command, tmp_path)
    if how == "environment":
        result = run(*argv, store=demo_store)
    elif how == "--store":
        result = run(*argv, "--store", str(demo_store), store=tmp_path / "elsewhere")
    else:
        result = run(*argv, "--snapshot", "latest", "--store", str(demo_store))
    assert result.returncode == 0, result.stderr
    label, as_of = _header(result.stdout)
    assert label.startswith("SYNTHETIC DATA (source replica)")
    assert as_of == DEMO_LINE
    assert "SYNTHETIC" not in result.stderr  # one synthetic warning a command: stdout's


@pytest.mark.parametrize("command", list(READERS))
def test_every_command_takes_the_bundled_sample_by_name(command: str, tmp_path: Path) -> None:
    result = run(*_argv(command, tmp_path), "--snapshot", "sample")
    assert result.returncode == 0, result.stderr
    assert _header(result.stdout) == (
        "SYNTHETIC DATA (the bundled sample): not the real registry; do not cite these numbers.",
        SAMPLE_LINE,
    )
    assert "SyntheticDataWarning" not in result.stderr


def test_a_real_snapshot_wins_over_a_synthetic_one_and_the_rule_is_the_librarys(
    demo_store: Path, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntheticDataWarning)
        frame = sample_frame().head(50)
        for path in demo_store.iterdir():
            (store / path.name).parent.mkdir(parents=True, exist_ok=True)
            (store / path.name).write_bytes(path.read_bytes())
        fetched = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=1)
        real = frame.with_columns(pl.lit(fetched).alias(schema.FETCHED_AT))
        name = write_snapshot(real, store=store, meta={"source": "api", "complete": True}).name
    result = run("summary", store=store)
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert first.startswith(f"as of {fetched.date()} (fetched ")
    assert first.endswith(f"source: snapshot {name})")  # real: no synthetic label
    loaded = loader.load_data(store=store)
    assert (loaded.origin, loaded.path and loaded.path.name) == ("snapshot", name)


def test_the_rule_is_stated_in_help_and_docs(capsys: pytest.CaptureFixture[str]) -> None:
    assert dt.timedelta(days=_DAYS) == loader.DEFAULT_MAX_AGE
    with pytest.raises(SystemExit):
        main(["--help"])
    top = " ".join(capsys.readouterr().out.split())
    for command in READERS:
        with pytest.raises(SystemExit):
            main([*command.split(), "--help"])
        text = " ".join(capsys.readouterr().out.split())
        for option in ("--snapshot FILE", "--source", "--store DIR", "--as-of DATE"):
            assert option in text, (command, option)
        assert " ".join(DATA_RULE.split()) in text
        assert " ".join(EXIT_CODES.split()) in text
    assert " ".join(DATA_RULE.split()) in top
    docs = " ".join((Path(__file__).parents[1] / "docs" / "cli.md").read_text().split())
    assert "--snapshot" in docs
    assert "Exit codes" in docs
    assert "as of 2026-11-01 (fetched 2026-11-01 06:00 UTC, source: sample SYNTHETIC)" in docs


def test_snapshot_and_source_together_are_refused(tmp_path: Path) -> None:
    result = run("summary", "--snapshot", "sample", "--source", "api")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: --snapshot sample and --source api both name the data; give one of them."
    )


# ------------------------------------------------------------ dated answers
def test_expiring_says_as_of_in_its_header_and_files(tmp_path: Path) -> None:
    csv, js = tmp_path / "soon.csv", tmp_path / "soon.json"
    result = run(
        "expiring", "--source", "sample", "--within-days", "90",
        "--csv", str(csv), "--json", str(js),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1] == SAMPLE_LINE
    assert lines[2].startswith("note: the data was fetched ")  # the sample is old by now
    assert "days are counted from 2026-11-01, not today" in lines[2]
    title = next(line for line in lines if "licenses expiring within 90 days" in line)
    assert "as of 2026-11-01, by 2027-01-30" in title
    rows = pl.read_csv(csv, try_parse_dates=True)
    assert rows.columns[0] == "as_of"
    assert rows["as_of"].unique().to_list() == [dt.date(2026, 11, 1)]
    assert {row["as_of"] for row in json.loads(js.read_text())} == {"2026-11-01"}
    for written in (csv, js):
        sidecar = written.with_name(written.name + ".provenance.json")
        assert json.loads(sidecar.read_text())["as_of"] == "2026-11-01"
        assert f"wrote {written} and its provenance {sidecar}" in result.stdout


def test_a_given_day_is_said_and_no_age_note_is_printed() -> None:
    result = run("expiring", "--source", "sample", "--as-of", "2026-12-03", "--within-days", "30")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1] == (
        "as of 2026-12-03 (--as-of; fetched 2026-11-01 06:00 UTC, source: sample SYNTHETIC)"
    )
    assert not any(line.startswith("note:") for line in lines)


@pytest.mark.parametrize(
    ("argv", "why"),
    [
        (
            ["summary", "--province", "Bali", "--commodity-type", "nickel"],
            "Empty answer: No license matches --province Bali --commodity-type Nickel in "
            "sample SYNTHETIC (4,200 licenses as of 2026-11-01): --province Bali alone "
            "matches 18; --commodity-type Nickel alone matches 677; none matches both.",
        ),
        (
            ["expiring", "--within-days", "0", "--as-of", "2026-11-03", "--province", "Bali"],
            "Empty answer: no license expires between 2026-11-03 and 2026-11-03 (inclusive) "
            "of the 18 licenses in sample SYNTHETIC (4,200 licenses as of 2026-11-03).",
        ),
        (
            ["export", "{tmp}/none.gpkg", "--province", "Jakarta"],
            "Empty answer: No license matches --province 'DKI Jakarta' in sample SYNTHETIC "
            "(4,200 licenses as of 2026-11-01): --province 'DKI Jakarta' alone matches 0. "
            "Nothing written.",
        ),
    ],
)
def test_an_empty_answer_says_so_and_why_with_exit_1(
    argv: list[str], why: str, tmp_path: Path
) -> None:
    result = run(*[a.replace("{tmp}", str(tmp_path)) for a in argv], "--source", "sample")
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines()[-1] == why
    assert "| as_of" not in result.stdout  # no empty summary printed
    assert not list(tmp_path.iterdir())  # nothing written
    assert "did you mean 'DI Yogyakarta'" not in result.stderr


# ------------------------------------------------------------ CLI terms
def test_messages_name_options_not_python_arguments(tmp_path: Path) -> None:
    said = []
    missing = run("summary", "--snapshot", str(tmp_path / "gone.parquet"))
    assert missing.returncode == 2
    assert "List the store with mining-licenses snapshots" in missing.stderr
    said.append(missing.stderr)
    no_key = run("pull", "--store", str(tmp_path / "never"))
    assert no_key.returncode == 2
    assert "Set the SECTORS_API_KEY environment variable" in no_key.stderr
    assert not (tmp_path / "never").exists()  # nothing made without a key
    said.append(no_key.stderr)
    (tmp_path / "x.gpkg").write_bytes(b"")
    exists = run("export", str(tmp_path / "x.gpkg"), "--source", "sample")
    assert "pass --overwrite to replace it" in exists.stderr
    said += [exists.stderr, run("summary", "--source", "sample").stderr]
    key = "cli-terms-key-77"
    with Replica(make_records(120, seed=3), api_key=key, as_of=TODAY) as replica:
        budget = subprocess.run(
            [str(Path(run.__globals__["ENTRY_POINT"])), "pull", "--base-url", replica.url,
             "--budget", "1", "--no-progress", "--store", str(tmp_path / "s")],
            capture_output=True, text=True, timeout=120, check=False,
            env={**run.__globals__["os"].environ, "SECTORS_API_KEY": key},
        )  # fmt: skip
    assert budget.returncode == 2
    assert "Raise --budget N, or narrow the filters." in budget.stderr
    said.append(budget.stderr)
    for text in said:
        assert not PYTHON_TERMS.search(text), text


# --------------------------------------------------- what people type
@pytest.mark.parametrize(
    ("abbreviation", "province"),
    [("Kaltim", "Kalimantan Timur"), ("sulteng", "Sulawesi Tengah"), ("Malut", "Maluku Utara")],
)
def test_province_abbreviations_are_the_provinces(abbreviation: str, province: str) -> None:
    result = run("summary", "--source", "sample", "--province", abbreviation, "--top", "1")
    assert result.returncode == 0, result.stderr
    table = result.stdout.split("Area by province")[1].split("Top companies")[0]
    assert f"| {province} " in table
    assert table.count("\n|") == 3  # the header, its rule and the one province


def test_every_common_abbreviation_is_in_the_alias_table() -> None:
    common = {
        "Kaltim": "Kalimantan Timur", "Kalsel": "Kalimantan Selatan",
        "Kalbar": "Kalimantan Barat", "Kalteng": "Kalimantan Tengah",
        "Kaltara": "Kalimantan Utara", "Sulsel": "Sulawesi Selatan",
        "Sulteng": "Sulawesi Tengah", "Sultra": "Sulawesi Tenggara", "Sulut": "Sulawesi Utara",
        "Sulbar": "Sulawesi Barat", "Sumsel": "Sumatera Selatan", "Sumut": "Sumatera Utara",
        "Sumbar": "Sumatera Barat", "Jabar": "Jawa Barat", "Jateng": "Jawa Tengah",
        "Jatim": "Jawa Timur", "NTB": "Nusa Tenggara Barat", "NTT": "Nusa Tenggara Timur",
        "DIY": "DI Yogyakarta", "DKI": "DKI Jakarta", "Jakarta": "DKI Jakarta",
        "Babel": "Kepulauan Bangka Belitung", "Malut": "Maluku Utara", "Kepri": "Kepulauan Riau",
    }  # fmt: skip
    for short, province in common.items():
        assert schema.canonical_value(schema.PROVINCE, short) == province, short
        assert schema.canonical_value(schema.PROVINCE, short.upper()) == province, short


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["expiring", "--as-of", "2026-02-30"], "--as-of 2026-02-30 is not a real date: "
         "February 2026 has 28 days"),
        (["report", "--as-of", "2025-04-31"], "--as-of 2025-04-31 is not a real date: "
         "April 2025 has 30 days"),
        (["summary", "--limit", "5"], "does not take --limit 5 (this command takes --top)"),
        (["expiring", "--top", "5"], "does not take --top 5 (this command takes --limit)"),
        (["export", "--format", "gpkg", "x"], "(the output file's extension picks the format: "
         ".parquet .gpkg .fgb .geojson .csv)"),
        (["pull", "--api-key", "k"], "(the key is read from SECTORS_API_KEY, never from an "
         "option)"),
        (["summary", "--province", "Kaltimm"], "(did you mean 'Kalimantan Timur'"),
    ],
)  # fmt: skip
def test_hints_for_what_people_type(
    argv: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        code = main([*argv, "--source", "sample"] if argv[0] == "summary" else argv)
    except SystemExit as stopped:
        code = int(stopped.code or 0)
    assert code == 2
    assert said in capsys.readouterr().err.strip().splitlines()[-1]


def test_help_reads_forwards_and_names_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["pull", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "turn off" not in text
    assert "--no-resume buy every page again, ignoring the pages an interrupted pull" in text
    assert "--no-progress no progress bar" in text
    from mining_licenses.cli import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    for name, command in commands.items():
        for action in command._actions:
            if action.option_strings and action.dest not in ("help", "parser"):
                assert action.help, (name, action.option_strings)
