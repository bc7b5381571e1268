"""Shared test setup (tests and doctests): no network but loopback, no write outside temp dirs."""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

# Property tests draw the same examples on every run (a failure in CI is one anyone can
# reproduce); HYPOTHESIS_PROFILE=explore draws new ones each run, as `make fuzz` does.
settings.register_profile("ci", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _is_loopback(address: Any) -> bool:
    if isinstance(address, tuple) and address:
        host = address[0]
        if host in ("localhost",):
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False
    return isinstance(address, str | bytes)  # AF_UNIX paths (e.g. Jupyter kernels)


def _guarded(real: Any) -> Any:
    def connect(self: socket.socket, address: Any) -> Any:
        if not _is_loopback(address):
            msg = f"tests may only connect to loopback, not {address!r}"
            raise RuntimeError(msg)
        return real(self, address)

    return connect


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _guarded(_real_connect))
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded(_real_connect_ex))


@pytest.fixture(autouse=True)
def _warnings_anew() -> None:
    """Each test sees the package's once-per-process warnings (warn_once) afresh."""
    from mining_licenses._errors import forget_warnings

    forget_warnings()


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No real key, no real base URL, and a throw-away snapshot store per test."""
    monkeypatch.delenv("SECTORS_API_KEY", raising=False)
    monkeypatch.delenv("SECTORS_BASE_URL", raising=False)
    monkeypatch.setenv("MINING_LICENSES_DATA", str(tmp_path / "store"))


@pytest.fixture(scope="session", autouse=True)
def _doctest_names(doctest_namespace: dict[str, Any]) -> None:
    """Names every docstring example may use: ``pl`` and ``licenses``, the sample as polars."""
    import polars as pl

    from mining_licenses.store import bundled_sample_path, read_snapshot

    doctest_namespace["pl"] = pl
    doctest_namespace["licenses"] = read_snapshot(bundled_sample_path())


# --------------------------------------------------------------- nothing outside temp dirs
# The session runs with its own snapshot store, temporary folder and Jupyter runtime folder
# (set before any fixture, so module-scoped ones and subprocesses inherit them and never
# reach the user's data folder), and an audit hook records every write this process makes
# outside the temporary folders; a test that made one fails. At the end, no file may have
# appeared in or gone from the repository's tree. (The user's folders are not compared
# before and after: on a shared machine other processes write there too.)
_SESSION_ENV = ("MINING_LICENSES_DATA", "TMPDIR", "JUPYTER_RUNTIME_DIR")
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
# event -> positions of the paths it writes, and of its folder descriptors (relative paths)
_WRITE_EVENTS: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
    "os.mkdir": ((0,), (2,)),
    "os.rename": ((0, 1), (2, 3)),
    "os.replace": ((0, 1), (2, 3)),
    "os.remove": ((0,), (1,)),
    "os.rmdir": ((0,), (1,)),
    "os.link": ((0, 1), (2, 3)),
    "os.symlink": ((1,), (2,)),
    "os.truncate": ((0,), ()),
    "shutil.rmtree": ((0,), (2,)),
    "shutil.copyfile": ((1,), ()),
}


class _Guard:
    """What the session may write to, what it wrote elsewhere, and the state to compare."""

    def __init__(self, root: Path, allowed: list[Path]) -> None:
        self.root = root
        self.allowed = tuple(str(p.resolve()) for p in allowed)
        self.outside: list[tuple[str, str, str]] = []  # (test, event, path)
        self.test = "(outside any test)"
        self.on = False

    def allows(self, target: object) -> bool:
        if isinstance(target, int) or target is None:
            return True  # a file descriptor: opened (and checked) before
        try:
            path = os.path.realpath(os.fsdecode(target))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return True
        return (
            path.startswith(self.allowed)
            or "/__pycache__/" in path
            or path.startswith(("/dev/", "/proc/", "/sys/"))  # the kernel's, refused or inert
        )

    def hook(self, event: str, args: tuple[Any, ...]) -> None:
        if not self.on:
            return
        if event == "open":
            path, mode, flags = args
            writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & _WRITE_FLAGS
            )
            targets = [path] if writes else []
        else:
            paths, folders = _WRITE_EVENTS.get(event, ((), ()))
            if any(i < len(args) and args[i] not in (None, -100) for i in folders):
                return  # relative to an open folder: its own opening was checked
            targets = [args[i] for i in paths if i < len(args)]
        for target in targets:
            if not self.allows(target):
                self.outside.append((self.test, event, os.fsdecode(target)))


def _repo_state() -> set[str]:
    """Files added to or deleted from the repository's tree (edits while tests run are fine)."""
    import subprocess

    done = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=Path(__file__).parent,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = done.stdout.splitlines() if done.returncode == 0 else []
    return {line for line in lines if line[:2] == "??" or "D" in line[:2]}


@pytest.hookimpl(trylast=True)  # after pytest's own tmp_path set-up
def pytest_configure(config: pytest.Config) -> None:
    # xdist's workers inherit the controller's TMPDIR (its session folder): they make theirs
    # beside it, not inside, so socket paths (Chromium's, multiprocessing's) stay short
    parent = os.environ.setdefault("MINING_LICENSES_TESTS_TMP", tempfile.gettempdir())
    root = Path(tempfile.mkdtemp(prefix="ml-tests-", dir=parent))
    saved = {name: os.environ.get(name) for name in _SESSION_ENV}
    for name in _SESSION_ENV:
        (root / name.lower()).mkdir()
        os.environ[name] = str(root / name.lower())
    tempfile.tempdir = None  # tempfile reads TMPDIR again
    repo = Path(__file__).parent
    allowed = [
        root,
        config._tmp_path_factory.getbasetemp(),  # type: ignore[attr-defined]  # tmp_path
        *(repo / name for name in (".hypothesis", ".pytest_cache", "build")),
        # pytest's cache is first written whole to pytest-cache-files-XXXX, then renamed to
        # .pytest_cache (on a fresh clone, where .pytest_cache does not exist yet)
        repo / "pytest-cache-files-",
    ]
    guard = _Guard(root, allowed)
    sys.addaudithook(guard.hook)
    config.stash[_GUARD] = (guard, saved, _repo_state())
    guard.on = True


_GUARD = pytest.StashKey[tuple[_Guard, dict[str, str | None], set[str]]]()


_WROTE_BEFORE = pytest.StashKey[int]()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    guard = item.config.stash[_GUARD][0]
    guard.test = item.nodeid  # its fixtures' writes count as its own
    item.stash[_WROTE_BEFORE] = len(guard.outside)


@pytest.fixture(autouse=True)
def _writes_stay_inside(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a test that wrote (from this process) outside the temporary folders."""
    guard = request.config.stash[_GUARD][0]
    before = request.node.stash.get(_WROTE_BEFORE, len(guard.outside))
    yield
    guard.test = "(outside any test)"
    wrote = guard.outside[before:]
    if wrote:
        shown = "; ".join(f"{event} {path}" for _, event, path in wrote[:5])
        pytest.fail(f"the test wrote outside its temporary folders: {shown}")


def pytest_sessionfinish(session: pytest.Session) -> None:
    stash = session.config.stash.get(_GUARD, None)
    if stash is None:
        return
    guard, saved, repo_before = stash
    guard.on = False
    problems = [f"{test}: {event} {path}" for test, event, path in guard.outside]
    problems += [f"the repository changed: {line}" for line in _repo_state() - repo_before]
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    tempfile.tempdir = None
    shutil.rmtree(guard.root, ignore_errors=True)
    if problems:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        lines = ["", "Tests wrote outside their temporary folders:", *problems[:20]]
        if reporter is not None:
            reporter.write_line("\n".join(lines), red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
