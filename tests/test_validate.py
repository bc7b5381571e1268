"""Invariant 7: every public function and command checks its arguments.

The generative tests call every public function of ``mining_licenses.__all__``
(found by introspecting the package, so a new one is covered without being
named here) with one argument replaced by a generated wrong-typed or
out-of-range value, and feed every subcommand nonsense through ``main``, the
console script's entry point: whatever happens, the only errors are the
package's own (:class:`MiningLicensesError`; :class:`ParameterTypeError` is
also a ``TypeError``), and the command line exits 2 with one short message
and no traceback. The named tests are the cases issue 16 reported; each fails
on the code before this change.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import inspect
import io
import os
import subprocess
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mining_licenses
from mining_licenses import MiningLicensesError, schema
from mining_licenses._errors import MAX_ECHOED, ConfigurationError, ParameterTypeError
from mining_licenses._validate import MAX_SAMPLE_SIZE
from mining_licenses.cli import build_parser, main
from mining_licenses.cli._terminal import MAX_ERROR_CHARS
from mining_licenses.client import PullOptions
from mining_licenses.replica import Replica
from mining_licenses.store import SnapshotMeta, bundled_sample_path, read_snapshot
from tests._replica_fixtures import TODAY, make_records

ENTRY_POINT = Path(sys.executable).with_name("mining-licenses")
HUGE = "x" * 100_000  # a 100 KB argument

# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def small() -> pl.DataFrame:
    return read_snapshot(bundled_sample_path()).head(40)


@pytest.fixture(scope="module")
def replica() -> Iterator[Replica]:
    with Replica(make_records(12, seed=5), as_of=TODAY) as server:
        yield server


@pytest.fixture
def workdir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, replica: Replica, small: pl.DataFrame
) -> Path:
    """A throw-away current folder (relative paths land here), a store holding one snapshot,
    and the replica as the default base URL, so no generated value reaches the internet."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SECTORS_BASE_URL", replica.url)
    mining_licenses.write_snapshot(small, meta={"source": "replica", "complete": True})
    return tmp_path


# ----------------------------------------------- the public API, generated


def _public_callables() -> dict[str, Callable[..., Any]]:
    """Every function in ``__all__``, and the classes users construct themselves."""
    found: dict[str, Callable[..., Any]] = {}
    for name in mining_licenses.__all__:
        value = getattr(mining_licenses, name)
        if inspect.isfunction(value) or name in CONSTRUCTED:
            found[name] = value
    return found


#: Result types the package makes and users only read: not constructed by hand.
NOT_CONSTRUCTED = {"IslandScreen", "Overlap", "Pull", "SnapshotDiff", "SweepResult", "UpdateResult"}
#: The classes users construct themselves.
CONSTRUCTED = ("RefreshSchedule", "SectorsClient", "SnapshotMeta", "Watchlist")


def _baseline(name: str, frame: pl.DataFrame, folder: Path) -> dict[str, Any]:
    """Arguments with which each public function succeeds quickly and offline."""
    snapshot = str(bundled_sample_path())
    frames = {"df": frame}
    table: dict[str, dict[str, Any]] = {
        "area_by_company": frames,
        "area_by_province": frames,
        "concentration": frames,
        "expiring_soon": frames,
        "expiry_schedule": frames,
        "license_age_stats": frames,
        "quality_report": frames,
        "bundled_sample_path": {},
        "accept_snapshot": {"snapshot": snapshot},
        "diff_snapshots": {"a": frame, "b": frame},
        "export": {"data": frame, "path": str(folder / "out.csv"), "overwrite": True},
        "fetch_licenses": {"write": False, "progress": False, "resume": False},
        "pull": {"write": False, "progress": False, "resume": False},
        "find_snapshot": {},
        "history": {},
        "list_snapshots": {},
        "load_licenses": {"source": "sample", "as_": "polars"},
        "normalize_pages": {"bodies": [b'{"results": [], "pagination": {"total_count": 0}}']},
        "normalize_records": {"records": [{"wiup_code": "1234567890123456"}]},
        "prune": {"keep": 5},
        "read_snapshot": {"path": snapshot},
        "read_snapshot_meta": {"path": snapshot},
        "render_report": {"frame": frame, "as_of": "2026-11-01"},
        "write_report": {"frame": frame, "path": str(folder / "r.html"), "as_of": "2026-11-01"},
        "to_geodataframe": {"frame": frame},
        "to_polars": {"gdf": "GDF"},  # filled in below: a GeoDataFrame of the frame
        "write_snapshot": {"data": frame, "meta": {"source": "replica"}},
        "SectorsClient": {"api_key": "test-key", "progress": False},
        "SnapshotMeta": {"source": "replica"},
        # changes (issue 17)
        "check_due": {},
        "events": {},
        "events_between": {"a": frame, "b": frame},
        "read_ledger": {},
        "rebuild_ledger": {},
        "update_ledger": {},
        "render_digest": {"events": "EVENTS"},  # filled in below: no change between two frames
        "write_feeds": {"store": None, "feed_dir": str(folder / "feeds")},
        "update": {"progress": False, "resume": False},
        "RefreshSchedule": {"day": 1},
        "Watchlist": {"watches": ()},
        # spatial (issue 19)
        "islands_layer": {},
        "small_islands": {"licenses": frame},
        "overlap": {"licenses": frame, "layer": "LAYER"},  # filled in below: one square
    }
    if name not in table:
        pytest.fail(f"{name} is public: give it baseline arguments in _baseline()")
    arguments = dict(table[name])
    if arguments.get("gdf") == "GDF":
        arguments["gdf"] = mining_licenses.to_geodataframe(frame)
    if arguments.get("events") == "EVENTS":
        arguments["events"] = mining_licenses.events_between(frame, frame)
    if arguments.get("layer") == "LAYER":
        import geopandas as gpd
        import shapely

        square = shapely.box(100.0, -5.0, 120.0, 5.0)
        arguments["layer"] = gpd.GeoDataFrame({"name": ["square"]}, geometry=[square], crs=4326)
    return arguments


def _parameters(function: Callable[..., Any]) -> list[str]:
    """The names a caller may pass, with ``**`` standing for any extra keyword."""
    names = []
    for parameter in inspect.signature(function).parameters.values():
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            names.append("**")
        elif parameter.kind is not inspect.Parameter.VAR_POSITIONAL:
            names.append(parameter.name)
    return names


_SAFE_TEXT = st.text(
    st.characters(blacklist_characters="/\\.~", blacklist_categories=("Cs",)), max_size=20
)
#: Values no parameter of the package takes, or takes only within a range.
WRONG = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([0, -1, 10**9, 2**63, 10**400 // 10**390]),
    st.floats(allow_nan=True, allow_infinity=True),
    _SAFE_TEXT,
    st.sampled_from(["", " ", "\x00", "\x1b[2J\x07", "\u202e", HUGE, "2026-02-30", "latest"]),
    st.binary(max_size=8),
    st.lists(st.one_of(st.integers(), _SAFE_TEXT), max_size=3),
    st.dictionaries(_SAFE_TEXT, st.integers(), max_size=2),
    st.builds(object),
    st.dates(),
    st.datetimes(),
    st.timedeltas(),
    st.just(pl.DataFrame({"a": [1]})),
    st.just(Path("missing-folder") / "licenses.parquet"),  # relative: inside the test folder
)
#: Extra keyword names: the filters, the pull's options, and names that are neither.
EXTRA_NAMES = st.sampled_from(
    [*schema.FILTERS, "budget", "max_in_flight", "progress", "timeout", "no_such_option", HUGE]
)

PUBLIC = _public_callables()
#: Functions that render or pull do real work when a value happens to be valid: fewer examples.
SLOW = {
    "render_report",
    "write_report",
    "pull",
    "fetch_licenses",
    "load_licenses",
    "export",
    "update",
    "small_islands",
    "islands_layer",
    "overlap",
}


def test_every_public_name_is_covered() -> None:
    classes = {n for n in mining_licenses.__all__ if inspect.isclass(getattr(mining_licenses, n))}
    constructed = classes - NOT_CONSTRUCTED
    exceptions = {n for n in classes if issubclass(getattr(mining_licenses, n), BaseException)}
    assert constructed - exceptions == set(CONSTRUCTED), "a new public class: list it"
    assert len(PUBLIC) >= 42  # 38 functions and 4 classes when this was written


def _call(function: Callable[..., Any], arguments: dict[str, Any]) -> None:
    """Call and consume the result (a lazy frame is collected; a client closed)."""
    result = function(**arguments)
    if isinstance(result, pl.LazyFrame):
        result.collect()
    close = getattr(result, "close", None)
    if callable(close) and not isinstance(result, pl.DataFrame | pl.LazyFrame):
        close()


_SETTINGS = settings(
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _bad_argument_test(names: list[str], examples: int) -> Callable[..., None]:
    """The generative test over ``names``, ``examples`` calls each."""

    @pytest.mark.parametrize("name", names)
    @settings(_SETTINGS, max_examples=examples)
    @given(data=st.data())
    def test(name: str, data: st.DataObject, workdir: Path, small: pl.DataFrame) -> None:
        _try_bad_argument(name, data, workdir, small)

    return test


test_public_functions_raise_only_package_errors_for_bad_arguments = _bad_argument_test(
    sorted(set(PUBLIC) - SLOW), 25
)
test_slow_public_functions_raise_only_package_errors_for_bad_arguments = _bad_argument_test(
    sorted(SLOW), 6
)


def _try_bad_argument(name: str, data: st.DataObject, folder: Path, small: pl.DataFrame) -> None:
    """Call ``name`` with its baseline arguments, one of them replaced by a generated value."""
    function = PUBLIC[name]
    arguments = _baseline(name, small, folder)
    parameters = _parameters(function)
    if not parameters:
        _call(function, arguments)
        return
    parameter = data.draw(st.sampled_from(parameters), label="parameter")
    if parameter == "**":
        parameter = data.draw(EXTRA_NAMES, label="keyword")
    value = data.draw(WRONG, label="value")
    arguments[parameter] = value
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        message = ""
        try:
            _call(function, arguments)
        except MiningLicensesError as err:
            message = str(err) or "(empty)"
        # anything else (TypeError, AttributeError, polars, pyarrow, OSError) fails the test
    assert "x" * (MAX_ECHOED + 1) not in message  # no value is echoed whole


# ------------------------------------------------- the named cases


def test_bad_arguments_get_the_package_errors_that_say_what_to_do(
    workdir: Path, small: pl.DataFrame
) -> None:
    """Issue 16, "Bad arguments": each of these raised a raw Python or polars error."""
    cases: list[tuple[Callable[[], object], type[Exception], str]] = [
        (lambda: mining_licenses.export(small, 123), ParameterTypeError, r"export\(path=123\)"),
        (
            lambda: mining_licenses.diff_snapshots(None, None),  # type: ignore[arg-type]
            ParameterTypeError,
            r"diff_snapshots\(a=None\).*DataFrame",
        ),
        (
            lambda: mining_licenses.area_by_province(small, by=123),  # type: ignore[arg-type]
            ParameterTypeError,
            r"area_by_province\(by=123\): by must be a column name",
        ),
        (
            lambda: mining_licenses.area_by_province(pl.DataFrame({"x": [1]})),
            mining_licenses.SchemaError,
            "needs column",
        ),
        (
            lambda: mining_licenses.load_licenses(api_key=123, source="api"),  # type: ignore[arg-type]
            ParameterTypeError,
            "api_key must be a str",
        ),
        (
            lambda: mining_licenses.load_licenses(max_age="7 days"),  # type: ignore[arg-type]
            ParameterTypeError,
            "max_age must be a datetime.timedelta or a number of seconds",
        ),
        (
            lambda: mining_licenses.expiring_soon(small, within_days="30"),  # type: ignore[arg-type]
            ParameterTypeError,
            "within_days must be a whole number",
        ),
        (
            lambda: mining_licenses.area_by_company(small, top=2.5),  # type: ignore[arg-type]
            ParameterTypeError,
            "top must be a whole number",
        ),
        (
            lambda: mining_licenses.license_age_stats(small, as_of=20260101),  # type: ignore[arg-type]
            ParameterTypeError,
            "as_of must be a date",
        ),
        (
            lambda: mining_licenses.SectorsClient(api_key=b"key"),  # type: ignore[arg-type]
            ParameterTypeError,
            "api_key must be a str",
        ),
        (
            lambda: mining_licenses.read_snapshot(columns="wiup_code" * 200),
            ConfigurationError,
            "at most 1,000",
        ),
        (
            lambda: mining_licenses.prune(keep="2"),  # type: ignore[arg-type]
            ParameterTypeError,
            "keep must be a whole number",
        ),
        (
            lambda: mining_licenses.find_snapshot(filters=["coal"]),  # type: ignore[arg-type]
            ParameterTypeError,
            "filters must be a dict",
        ),
        (
            lambda: mining_licenses.load_licenses(source="sample", province=HUGE),
            ConfigurationError,
            "100,000 characters long; at most 200",
        ),
        (  # found by the generated arguments: a frame where a flag belongs
            lambda: mining_licenses.find_snapshot(accept_shrink=small),  # type: ignore[arg-type]
            ParameterTypeError,
            r"find_snapshot\(accept_shrink=<DataFrame of shape \(40, 21\)>\): accept_shrink must",
        ),
        (  # a flag is True or False, never a truthy "yes", and checked before the work
            lambda: mining_licenses.write_snapshot(
                small,
                store=workdir / "flags",
                accept_shrink="yes",  # type: ignore[arg-type]
            ),
            ParameterTypeError,
            r"write_snapshot\(accept_shrink='yes'\)",
        ),
        (
            lambda: mining_licenses.read_snapshot(workdir / "none", verify="no"),  # type: ignore[arg-type]
            ParameterTypeError,
            r"read_snapshot\(verify='no'\)",
        ),
        (  # a store is a folder: the message and its example say so
            lambda: mining_licenses.events(123),  # type: ignore[arg-type]
            ParameterTypeError,
            r"store must be a folder path .*'data/store'",
        ),
    ]
    for call, kind, pattern in cases:
        with pytest.raises(kind, match=pattern) as caught:
            call()
        assert len(str(caught.value)) < 600, str(caught.value)[:300]
    assert issubclass(ParameterTypeError, TypeError)  # code catching TypeError keeps working
    assert issubclass(ParameterTypeError, ConfigurationError)


def test_the_api_key_is_never_echoed_when_its_type_is_wrong() -> None:
    secret = ["sk-live-0123456789abcdef"]
    with pytest.raises(ParameterTypeError) as caught:
        mining_licenses.SectorsClient(api_key=secret)  # type: ignore[arg-type]
    assert "sk-live" not in str(caught.value)


def test_sample_size_and_seed_are_bounded() -> None:
    from mining_licenses.sample import generate_records

    with pytest.raises(ConfigurationError, match="between 0 and 1,000,000"):
        generate_records(100_000_000)
    with pytest.raises(ConfigurationError, match="seed must be 0 or more"):
        generate_records(3, seed=-1)
    assert MAX_SAMPLE_SIZE == 1_000_000


def test_find_snapshot_takes_an_unbounded_max_age(workdir: Path) -> None:
    assert mining_licenses.find_snapshot(max_age=dt.timedelta.max, include_synthetic=True)


# ---------------------------------------------------------- the command line


def _main(argv: list[str]) -> tuple[int, str, str]:
    """Run ``main`` in this process; return the exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 1
    return code, out.getvalue(), err.getvalue()


def _subcommands() -> dict[str, tuple[list[str], str]]:
    """Each subcommand, its option strings and its usage, read from the parser itself."""
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command")
    assert isinstance(commands.choices, dict)
    return {
        name: (
            [o for a in sub._actions for o in a.option_strings if o not in ("-h", "--help")],
            sub.format_usage(),
        )
        for name, sub in commands.choices.items()
    }


SUBCOMMANDS = _subcommands()
_JUNK = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12),
    st.sampled_from(["-1", "1e400", "nan", "9" * 5000, HUGE, "\x1b[31m", "2026-02-30", "--"]),
)
# an argument argparse is sure to refuse: no handler runs, nothing is read or written
_FATAL = st.one_of(
    st.builds(lambda t: f"--zz{t}", st.text("abcxyz", max_size=6)),
    st.sampled_from(["--zz", f"--zz{HUGE}", "--zz=\x1b[2J"]),
)


@pytest.mark.parametrize("command", sorted(SUBCOMMANDS))
@settings(max_examples=12, deadline=None, database=None)
@given(data=st.data())
def test_every_subcommand_refuses_nonsense_with_exit_2_and_a_short_message(
    command: str, data: st.DataObject
) -> None:
    options, usage = SUBCOMMANDS[command]
    junk: list[str] = []
    for _ in range(data.draw(st.integers(0, 4), label="tokens")):
        if options and data.draw(st.booleans()):
            junk += [data.draw(st.sampled_from(options)), data.draw(_JUNK)]
        else:
            junk.append(data.draw(_JUNK))
    junk = [t for t in junk if t not in ("-h", "--help", "--version")]
    position = data.draw(st.integers(0, len(junk)), label="where")
    argv = [command, *junk[:position], data.draw(_FATAL), *junk[position:]]
    code, out, err = _main(argv)
    assert code == 2, (argv[:6], err[-300:])
    assert "Traceback" not in err
    assert err.rstrip().splitlines()[-1].startswith("error: "), err[-300:]
    assert len(err) <= len(usage) + MAX_ERROR_CHARS + 200, len(err)
    assert "\x1b" not in err
    assert "\x1b" not in out


def _run(*args: str, store: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SECTORS_API_KEY"}
    if store is not None:
        env["MINING_LICENSES_DATA"] = str(store)
    return subprocess.run(
        [str(ENTRY_POINT), *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["sample", "-n", "100000000", "--json", "-"],  # tried to allocate 7 GiB
        ["summary", "--top", HUGE],  # echoed whole by argparse
        ["summary", "--source", "sample", "--province", HUGE],  # echoed whole by the filter
        ["report", "--snapshot", HUGE],  # a 100 KB file name echoed in the error
        ["export", "--zz" + HUGE, "out.csv"],
    ],
    ids=["sample-n", "top", "province", "snapshot", "option"],
)
def test_the_entry_point_bounds_what_it_echoes_and_allocates(
    argv: list[str], tmp_path: Path
) -> None:
    result = _run(*argv, store=tmp_path)
    assert result.returncode == 2, result.stderr[-500:]
    assert "Traceback" not in result.stderr
    assert len(result.stderr) < 2 * MAX_ERROR_CHARS, len(result.stderr)
    assert "x" * (MAX_ECHOED + 1) not in result.stderr
    assert result.stdout.count("\n") <= 2  # at most the synthetic-data line
    if argv[0] == "sample":
        assert "-n must be between 0 and 1,000,000" in result.stderr


def test_options_object_and_keywords_are_checked_before_anything_is_sent(workdir: Path) -> None:
    with pytest.raises(ParameterTypeError, match="options must be a PullOptions"):
        mining_licenses.pull(options={"budget": 3}, progress=False)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="budget"):
        mining_licenses.fetch_licenses(options=PullOptions(progress=False), budget=-1)
    with pytest.raises(ParameterTypeError, match="write must be True or False"):
        mining_licenses.pull(write="no", progress=False)  # type: ignore[arg-type]
    assert SnapshotMeta(source="replica").source == "replica"
    with pytest.raises(ParameterTypeError, match="records must be a whole number"):
        SnapshotMeta(records="12")  # type: ignore[arg-type]
