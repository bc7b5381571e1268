"""One output path: every file is whole or absent, never over a file unasked, OS errors explained.

Why (issue 16): "CLI outputs are neither atomic nor protected" (``expiring
--csv FILE`` overwrote silently, left a truncated file on a full disk, a
folder as target gave a traceback and a stray sidecar, a failed ``export()``
could leave an orphaned sidecar) and "Disk full, read-only folders, a folder
where a file is expected" (raw ``OSError``/``PermissionError``/
``IsADirectoryError``/pyogrio tracebacks). The system's refusals are real
here where the machine allows: a file-size limit (``RLIMIT_FSIZE``), a
folder without write permission for a process without ``CAP_DAC_OVERRIDE``,
a small tmpfs and a read-only bind mount in a private mount namespace.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import resource
import shutil
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest

from mining_licenses._atomic import check_writable, write_atomic, write_together
from mining_licenses._errors import OutputError, OutputExistsError
from mining_licenses._oserrors import output_error
from mining_licenses.store import bundled_sample_path, export, read_snapshot, sidecar_path

ENTRY_POINT = Path(sys.executable).with_name("mining-licenses")
TRACEBACK = "Traceback (most recent call last)"


def cli(
    *args: str, preexec: Callable[[], None] | None = None, prefix: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """Run the installed command (with ``preexec`` run in the child first)."""
    return subprocess.run(
        [*prefix, str(ENTRY_POINT), *args],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
        preexec_fn=preexec,
    )


def one_line_error(result: subprocess.CompletedProcess[str], *said: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert TRACEBACK not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    for words in said:
        assert words in errors[0], errors[0]


# ---------------------------------------------------------------- the writer
def test_an_existing_file_is_refused_unless_overwriting(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    write_atomic(target, b"one")
    with pytest.raises(OutputExistsError, match=r"pass overwrite=True to replace it"):
        write_atomic(target, b"two")
    assert target.read_bytes() == b"one"
    write_atomic(target, b"two", overwrite=True)
    assert target.read_bytes() == b"two"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_a_file_and_its_sidecar_are_published_together_or_not_at_all(tmp_path: Path) -> None:
    data, side = tmp_path / "soon.csv", tmp_path / "soon.csv.provenance.json"
    side.write_text("orphan")
    with pytest.raises(OutputExistsError):
        write_together([(data, b"x"), (side, b"{}")])
    assert not data.exists()
    assert side.read_text() == "orphan"

    def broken(path: Path) -> None:
        path.write_text("half a file")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    side.unlink()
    with pytest.raises(OutputError, match="full"):
        write_together([(data, b"x"), (side, broken)])
    assert sorted(tmp_path.iterdir()) == []  # no file, no sidecar, no temporary

    write_together([(data, b"old"), (side, b"old")])
    real_publish = __import__("mining_licenses._atomic", fromlist=["_publish"])._publish
    calls = []

    def fail_second(temp: Path, target: Path, *, overwrite: bool) -> bool:
        calls.append(target)
        if len(calls) == 2:
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        return bool(real_publish(temp, target, overwrite=overwrite))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("mining_licenses._atomic._publish", fail_second)
        with pytest.raises(OutputError, match="Input/output error"):
            write_together([(data, b"new"), (side, b"new")], overwrite=True)
    # the first was published, then taken back: the pair is the old one, whole
    assert (data.read_bytes(), side.read_bytes()) == (b"old", b"old")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["soon.csv", side.name]


@pytest.mark.parametrize(
    ("code", "advice"),
    [
        (errno.ENOSPC, "is full"),
        (errno.EFBIG, "larger than this system"),
        (errno.EACCES, "You may not write"),
        (errno.EROFS, "read-only file system"),
        (errno.EISDIR, "is a folder"),
        (errno.ENAMETOOLONG, "too long"),
        (errno.ENOTDIR, "not a folder"),
    ],
)
def test_each_os_error_is_one_package_error_naming_the_path(code: int, advice: str) -> None:
    target = Path("out") / "soon.csv"
    polars_error = type("ComputeError", (Exception,), {"__module__": "polars.exceptions"})
    for raised in (
        OSError(code, os.strerror(code)),
        polars_error(f"write failed: {os.strerror(code)} (os error {code})"),  # Rust's words
    ):
        mapped = output_error(raised, target)
        assert isinstance(mapped, OutputError)
        assert isinstance(mapped, OSError)
        assert mapped.errno == code
        assert mapped.filename == str(target)
        assert str(target) in str(mapped)
        assert advice in str(mapped)


def test_a_folder_where_a_file_is_expected(tmp_path: Path) -> None:
    folder = tmp_path / "out.csv"
    folder.mkdir()
    with pytest.raises(OutputError, match="is a folder"):
        write_atomic(folder, b"x", overwrite=True)
    with pytest.raises(OutputError, match="is a folder"):
        export(read_snapshot(bundled_sample_path()).head(3), folder)
    assert list(folder.iterdir()) == []
    assert not sidecar_path(folder).exists()


def test_names_too_long_and_files_in_place_of_folders(tmp_path: Path) -> None:
    long = tmp_path / ("x" * 300 + ".csv")
    with pytest.raises(OutputError, match="too long") as caught:
        check_writable(long)
    assert caught.value.errno == errno.ENAMETOOLONG
    assert len(str(caught.value)) < 600  # the name is shown cut, not whole
    (tmp_path / "afile").write_text("")
    with pytest.raises(OutputError, match="not a folder"):
        write_atomic(tmp_path / "afile" / "x.csv", b"x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


def test_a_failed_export_leaves_no_sidecar(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    frame = read_snapshot(bundled_sample_path()).head(5)

    def full_disk(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("mining_licenses._csv.write_csv", full_disk)
    with pytest.raises(OutputError, match="full"):
        export(frame, tmp_path / "x.csv")
    assert list(tmp_path.iterdir()) == []  # neither the file nor an orphaned sidecar


# ---------------------------------------------------------------- through the CLI
def in_process(capsys: pytest.CaptureFixture[str], *argv: str) -> subprocess.CompletedProcess[str]:
    """Run the command's ``main`` in this process (what the entry point calls)."""
    from mining_licenses.cli import main

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code = main(list(argv))
    said = capsys.readouterr()
    return subprocess.CompletedProcess(argv, code, said.out, said.err)


def test_expiring_refuses_to_overwrite_and_a_folder_target(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "soon.csv"
    first = in_process(capsys, "expiring", "--source", "sample", "--csv", str(out))
    assert first.returncode == 0, first.stderr
    before = out.read_bytes()
    again = in_process(capsys, "expiring", "--source", "sample", "--within-days", "30",
                       "--csv", str(out))  # fmt: skip
    one_line_error(again, str(out), "--overwrite")
    assert out.read_bytes() == before
    replaced = in_process(capsys, "expiring", "--source", "sample", "--within-days", "30",
                          "--csv", str(out), "--overwrite")  # fmt: skip
    assert replaced.returncode == 0, replaced.stderr
    assert out.read_bytes() != before

    folder = tmp_path / "folder.csv"
    folder.mkdir()
    for option in ("--csv", "--json"):
        result = in_process(capsys, "expiring", "--source", "sample", option, str(folder))
        one_line_error(result, str(folder), "is a folder")
    assert list(folder.iterdir()) == []
    assert not sidecar_path(folder).exists()
    report = in_process(capsys, "report", "--snapshot", "sample", "--out", str(folder))
    one_line_error(report, "is a folder")
    through_the_entry_point = cli("expiring", "--source", "sample", "--csv", str(folder))
    one_line_error(through_the_entry_point, "is a folder")


def _file_size_limit() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))  # Python ignores SIGXFSZ


@pytest.mark.parametrize(
    "argv",
    [
        ("expiring", "--source", "sample", "--csv", "{out}/soon.csv"),
        ("export", "{out}/x.gpkg", "--source", "sample"),
        ("export", "{out}/x.parquet", "--source", "sample"),
    ],
    ids=["csv", "gpkg", "parquet"],
)
def test_a_file_size_limit_is_one_line_and_leaves_nothing(
    tmp_path: Path, argv: tuple[str, ...]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    result = cli(*(a.format(out=out) for a in argv), preexec=_file_size_limit)
    one_line_error(result, "File too large", "Nothing was written")
    assert list(out.iterdir()) == []


def _without_dac_override() -> None:
    """Drop root's power to write anywhere from the command about to run (Linux)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        libc.prctl(24, capability, 0, 0, 0)  # PR_CAPBSET_DROP: gone after exec


def test_a_folder_without_write_permission(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    preexec = _without_dac_override if os.geteuid() == 0 else None
    try:
        for argv in (
            ("expiring", "--source", "sample", "--csv", f"{locked}/soon.csv"),
            ("export", f"{locked}/x.geojson", "--source", "sample"),
            ("sample", "--json", f"{locked}/s.json", "-n", "3"),
        ):
            one_line_error(cli(*argv, preexec=preexec), "Permission denied", str(locked))
    finally:
        locked.chmod(0o755)
    assert list(locked.iterdir()) == []


def _namespace_mount(
    tmp_path: Path, options: str, target: Path | None = None
) -> tuple[str, ...] | None:
    """Return a command prefix running in a private mount namespace with ``target`` mounted.

    ``target`` defaults to ``tmp_path/m``; None when this machine allows no such namespace.
    """
    unshare = shutil.which("unshare")
    if unshare is None or sys.platform != "linux":
        return None
    if target is None:
        target = tmp_path / "m"
        target.mkdir()
    probe = subprocess.run(
        [unshare, "-m", "sh", "-c", f"mount {options} {target} && true"],
        capture_output=True,
        check=False,
    )
    if probe.returncode:
        return None
    return (unshare, "-m", "sh", "-c", f'mount {options} {target} && exec "$@"', "sh")


def test_a_full_disk(tmp_path: Path) -> None:
    prefix = _namespace_mount(tmp_path, "-t tmpfs -o size=64k tmpfs")
    if prefix is None:
        pytest.skip("no private mount namespace here (needs root and unshare)")
    result = cli("export", f"{tmp_path}/m/x.csv", "--source", "sample", prefix=prefix)
    one_line_error(result, "No space left on device", "free some space")


def test_a_read_only_folder(tmp_path: Path) -> None:
    (tmp_path / "ro").mkdir()
    prefix = _namespace_mount(tmp_path, f"--bind -o ro {tmp_path}/ro")
    if prefix is None:
        pytest.skip("no private mount namespace here (needs root and unshare)")
    result = cli("expiring", "--source", "sample", "--json", f"{tmp_path}/m/s.json", prefix=prefix)
    one_line_error(result, "Read-only file system", "write somewhere else")
    assert list((tmp_path / "ro").iterdir()) == []


def test_sample_json_refuses_to_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "records.json"
    assert in_process(capsys, "sample", "--json", str(out), "-n", "2").returncode == 0
    one_line_error(in_process(capsys, "sample", "--json", str(out), "-n", "3"), "--overwrite")
    assert len(json.loads(out.read_text())) == 2
    replaced = in_process(capsys, "sample", "--json", str(out), "-n", "3", "--overwrite")
    assert replaced.returncode == 0
    assert len(json.loads(out.read_text())) == 3
    assert sidecar_path(out).exists()


def test_a_read_only_journal_folder_is_found_before_a_credit_is_spent(tmp_path: Path) -> None:
    from mining_licenses.replica import Replica
    from tests._replica_fixtures import make_records

    store = tmp_path / "store"
    (store / "journal").mkdir(parents=True)
    journal = store / "journal"
    prefix = _namespace_mount(tmp_path, f"--bind -o ro {journal}", target=journal)
    if prefix is None:
        pytest.skip("no private mount namespace here (needs root and unshare)")
    key = "sk-test-0123456789abcdef"
    with Replica(make_records(30, seed=1), api_key=key) as replica:
        env = {**os.environ, "MINING_LICENSES_DATA": str(store), "SECTORS_API_KEY": key}
        done = subprocess.run(
            [*prefix, str(ENTRY_POINT), "pull", "--base-url", replica.url, "--no-progress"],
            capture_output=True, text=True, timeout=240, check=False, env=env,
        )  # fmt: skip
        assert replica.requests_served == 0
    one_line_error(done, "journal folder", "not writable", "no credit was spent")
