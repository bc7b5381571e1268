"""Every read the package makes: the system's refusal is the package's error, said one way.

Why (issue 16, loose end): reading a snapshot, the ledger, a layer, a journal
or a file the user gave (a watchlist, a replica script) that is a folder,
vanished, or cannot be followed gave raw ``IsADirectoryError``, polars'
``ComputeError`` or a different message at each site. Now each goes through
``_oserrors.read_error`` / ``unreadable``: the package's error, saying what
could not be read, which file, and what to do. The tests run as root, so
"no permission" is made by other means (a symlink loop, a file where a
folder is expected, and a refusal injected at the Python or polars level).
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pyarrow as pa
import pytest

from mining_licenses._errors import ConfigurationError, MiningLicensesError, SnapshotError
from mining_licenses._oserrors import read_error
from mining_licenses.changes import Watchlist
from mining_licenses.changes._ledger import ledger_path, read_ledger
from mining_licenses.cli import main
from mining_licenses.client._journal import Journal
from mining_licenses.replica import read_script
from mining_licenses.spatial import read_layer
from mining_licenses.store import read_snapshot, read_snapshot_meta

IDENTITY = {"base_url": "http://127.0.0.1:1", "filters": {}}


def _journal(root: Path) -> Journal:
    return Journal(root / "journal", IDENTITY, max_age=3600)


#: reader -> (where its file is under a folder, how it reads it, the error, absent is normal)
READERS: dict[str, tuple[Callable[[Path], Path], Callable[[Path], object], type, bool]] = {
    "snapshot": (lambda d: d / "licenses_x.parquet", read_snapshot, SnapshotError, False),
    "snapshot meta": (lambda d: d / "licenses_x.parquet", read_snapshot_meta, SnapshotError, False),
    "ledger": (ledger_path, lambda p: read_ledger(p.parent), SnapshotError, True),
    "watchlist": (lambda d: d / "watch.toml", Watchlist.read, ConfigurationError, False),
    "layer": (lambda d: d / "areas.gpkg", read_layer, ConfigurationError, False),
    "replica script": (
        lambda d: d / "script.json",
        lambda p: read_script(p, []),
        ConfigurationError,
        False,
    ),
    "journal": (
        lambda d: _journal(d).path / "sweep.json",
        lambda p: _journal(p.parents[2]).load(),
        ConfigurationError,
        True,
    ),
}


def _folder(path: Path) -> None:
    path.mkdir(parents=True)


def _loop(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(path.name)  # ELOOP, as root too


def _vanished(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)


FAILURES: dict[str, Callable[[Path], None]] = {
    "a folder": _folder,
    "a symlink loop": _loop,
    "vanished": _vanished,
}


def _assert_said(err: BaseException, path: Path, kind: type) -> None:
    assert isinstance(err, kind), repr(err)
    assert isinstance(err, MiningLicensesError)
    text = str(err)
    assert text.startswith("Cannot read "), text
    assert str(path) in text, text
    assert "\n" not in text
    said, _, advice = text.partition(f"{path}: ")[2].partition(". ")
    assert said, text  # what the system said
    assert len(advice) > 20, text  # and what to do


@pytest.mark.parametrize("failure", list(FAILURES))
@pytest.mark.parametrize("reader", list(READERS))
def test_a_file_the_system_will_not_read_is_the_packages_error(
    reader: str, failure: str, tmp_path: Path
) -> None:
    where, read, kind, absent_is_normal = READERS[reader]
    path = where(tmp_path / "root")
    FAILURES[failure](path)
    if failure == "vanished" and absent_is_normal:
        read(path)  # no ledger / no journal yet: nothing to read, no error
        return
    with pytest.raises(MiningLicensesError) as caught:
        read(path)
    _assert_said(caught.value, path, kind)


@pytest.mark.parametrize("reader", ["watchlist", "replica script", "journal"])
def test_a_refused_read_is_said_with_what_to_do(
    reader: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    where, read, kind, _ = READERS[reader]
    path = where(tmp_path / "root")
    path.parent.mkdir(parents=True)
    path.write_text("{}")
    opened = Path.open

    def refuse(self: Path, *args: object, **kwargs: object) -> object:
        if self == path:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        return opened(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "open", refuse)  # tests run as root: chmod 000 reads anyway
    with pytest.raises(MiningLicensesError) as caught:
        read(path)
    _assert_said(caught.value, path, kind)
    assert "permission" in str(caught.value).lower()


def test_a_snapshot_polars_cannot_open_is_said_not_called_damaged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mining_licenses.store import bundled_sample_path

    copy = tmp_path / "licenses_20261101T060000Z.parquet"
    copy.write_bytes(bundled_sample_path().read_bytes())

    def refused(*_: object, **__: object) -> pl.DataFrame:
        msg = "failed to open file: Permission denied (os error 13)"
        raise pl.exceptions.ComputeError(msg)

    monkeypatch.setattr(pl, "read_parquet", refused)
    with pytest.raises(SnapshotError) as caught:
        read_snapshot(copy)
    _assert_said(caught.value, copy, SnapshotError)
    assert "damaged" not in str(caught.value)


@pytest.mark.parametrize("code", [errno.ENOENT, errno.EISDIR, errno.EACCES, errno.EIO, errno.ELOOP])
@pytest.mark.parametrize(
    "carrier",
    [
        lambda code: OSError(code, os.strerror(code)),
        lambda code: pl.exceptions.ComputeError(f"underlying IO error: x (os error {code})"),
        lambda code: pa.ArrowIOError(f"Failed to open local file. [Errno {code}] x"),
    ],
    ids=["OSError", "polars", "pyarrow"],
)
def test_read_error_finds_the_system_in_any_readers_error(
    code: int, carrier: Callable[[int], BaseException]
) -> None:
    path = Path("store/licenses_x.parquet")
    found = read_error(carrier(code), path, what="the snapshot", error=SnapshotError)
    assert found is not None
    _assert_said(found, path, SnapshotError)
    assert os.strerror(code) in str(found)


@pytest.mark.parametrize(
    "damage",
    [
        ValueError("not JSON"),
        pl.exceptions.ComputeError("parquet: File out of specification: invalid footer"),
        pa.ArrowInvalid("Parquet magic bytes not found"),
        SnapshotError("already the package's"),
    ],
)
def test_read_error_leaves_damage_to_the_caller(damage: BaseException) -> None:
    assert read_error(damage, Path("x"), what="the snapshot", error=SnapshotError) is None


def test_the_command_line_says_it_on_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "licenses_20261101T060000Z.parquet"
    folder.mkdir()
    assert main(["summary", "--snapshot", str(folder)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: Cannot read the snapshot")
    assert "folder" in err
    assert "\n" not in err
