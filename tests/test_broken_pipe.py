"""A reader that closes the pipe early (``mining-licenses summary | head -1``) ends it quietly.

Why (issue 16, loose end): ``summary | head -1`` printed a ``BrokenPipeError``
traceback and exited 1. Tested through the installed entry point, as a shell
runs it: the command's stdout is a pipe whose reader is already gone (so the
first write fails, whatever the output's size), or a real ``head -1``.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from mining_licenses.cli import _pipes
from tests.test_cli import ENTRY_POINT

QUIET_FAILURES = ("Traceback", "BrokenPipeError", "Exception ignored", "Errno 32")


def _environment(store: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "SECTORS_API_KEY"}
    env["MINING_LICENSES_DATA"] = str(store)
    return env


BROKEN = _pipes.EXIT_BROKEN_PIPE


@pytest.mark.parametrize(
    ("args", "codes"),
    [
        (("summary",), {BROKEN}),
        (("expiring", "--source", "sample"), {BROKEN}),
        (("sample", "-n", "50", "--json", "-"), {BROKEN}),  # written raw, not through the wrapper
        (("snapshots",), {BROKEN}),
        (("--version",), {0, BROKEN}),  # argparse's own print ignores a write that fails
    ],
    ids=lambda a: a[0] if isinstance(a, tuple) else "",
)
def test_a_closed_reader_ends_the_command_quietly(
    args: tuple[str, ...], codes: set[int], tmp_path: Path
) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line
    try:
        done = subprocess.run(
            [str(ENTRY_POINT), *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            env=_environment(tmp_path),
            timeout=240,
            check=False,
        )
    finally:
        os.close(write_end)
    assert done.returncode in codes, done.stderr[-2000:]
    assert not [word for word in QUIET_FAILURES if word in done.stderr], done.stderr[-2000:]


def test_head_one_through_a_shell(tmp_path: Path) -> None:
    command = f"'{ENTRY_POINT}' sample -n 2000 --json - | head -1"  # ~1 MB: more than a pipe holds
    done = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command],
        capture_output=True,
        text=True,
        env=_environment(tmp_path),
        timeout=240,
        check=False,
    )
    assert done.stdout.count("\n") == 1
    assert done.returncode == _pipes.EXIT_BROKEN_PIPE, done.stderr[-2000:]
    assert not [word for word in QUIET_FAILURES if word in done.stderr], done.stderr[-2000:]


def test_another_broken_pipe_is_not_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_pipes, "reader_gone", lambda: False)  # stdout is fine
    with pytest.raises(BrokenPipeError), _pipes.stdout_reader_kept():
        raise BrokenPipeError(32, "a pipe the command opened itself")
