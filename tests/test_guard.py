"""Tests touch nothing outside their temporary folders; housekeeping never deletes young work.

Why (issue 16, "Housekeeping that deletes"): ``prune_journals`` removed any
journal folder without ``sweep.json`` whatever its age (a concurrent sweep
that had not kept its first page lost its folder), its doctest ran on the
real path ``/nonexistent``, and ``tests/test_parity.py`` created
``~/.local/share/mining-licenses/journal`` although the conftest promised no
user state is touched. The session guard in ``conftest.py`` now fails any
test that writes outside its temporary folders.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mining_licenses import _config
from mining_licenses.client._journal import LOG_NAME, prune_journals

REPO = Path(__file__).resolve().parents[1]


def test_prune_journals_leaves_young_folders_and_removes_old_ones(tmp_path: Path) -> None:
    young = tmp_path / "a1"  # a sweep starting in another process: no sweep.json yet
    young.mkdir()
    starting = tmp_path / "b2"  # one that has begun to write its log
    starting.mkdir()
    (starting / LOG_NAME).write_bytes(b"")
    old = tmp_path / "c3"
    old.mkdir()
    (old / LOG_NAME).write_bytes(b"PAGE 0 2 00000000\n{}\n")
    long_ago = time.time() - 3 * 86_400
    for path in (old / LOG_NAME, old):
        os.utime(path, (long_ago, long_ago))
    (tmp_path / "notes.txt").write_text("not a journal")
    assert prune_journals(tmp_path, max_age=86_400) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a1", "b2", "notes.txt"]


@pytest.fixture(scope="module")
def module_store() -> Path:
    """The default store as a module-scoped fixture sees it (before any per-test setting)."""
    return _config.store_dir()


def test_a_module_fixture_never_sees_the_real_user_store(module_store: Path) -> None:
    home = Path.home().resolve()
    assert home not in module_store.resolve().parents, module_store
    assert "ml-tests-" in str(module_store)


PROBE = """
import os
from pathlib import Path

def test_writes_where_it_should_not():
    (Path(os.environ["PROBE_DIR"]) / "stray.txt").write_text("x")

def test_writes_in_its_temporary_folder(tmp_path):
    (tmp_path / "fine.txt").write_text("x")
"""


def test_the_guard_fails_a_test_that_writes_outside(tmp_path: Path) -> None:
    probe = tmp_path / "suite" / "test_probe.py"
    probe.parent.mkdir()
    probe.write_text(PROBE)
    outside = tmp_path / "outside"
    outside.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "conftest", "-p", "no:cacheprovider",
         "--rootdir", str(probe.parent), str(probe)],
        cwd=REPO,
        env={**os.environ, "PROBE_DIR": str(outside)},
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "2 passed, 1 error" in done.stdout, done.stdout  # the stray write: an error
    assert "wrote outside its temporary folders" in done.stdout
    assert str(outside / "stray.txt") in done.stdout
