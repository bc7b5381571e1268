"""Shared test setup (tests and doctests): no network but loopback, no user state touched."""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path
from typing import Any

import pytest

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
