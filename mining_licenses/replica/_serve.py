"""``mining-licenses replica``: the replica served until interrupted."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

import polars as pl

from mining_licenses.replica._endpoint import Replica
from mining_licenses.replica._http import Faults

logger = logging.getLogger(__name__)


def serve(
    records: Iterable[Mapping[str, Any]] | pl.DataFrame | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    api_key: str | None = None,
    faults: Faults | None = None,
    latency: float | None = None,
    unstable_ties: bool | None = None,
    as_of: dt.date | None = None,
    seed: int = 0,
    on_ready: Callable[[Replica], None] | None = None,
    stop: threading.Event | None = None,
    records_by_day: Mapping[dt.date, Iterable[Mapping[str, Any]] | pl.DataFrame] | None = None,
) -> None:
    """Serve the replica until interrupted (Ctrl-C) or ``stop`` is set.

    The entry point of ``mining-licenses replica``. With ``records=None`` it
    serves the bundled synthetic sample.

    Parameters
    ----------
    records
        API records or a canonical frame; ``None`` for the synthetic sample.
    host, port
        Where to listen (loopback only).
    api_key
        Require this key in ``Authorization``; ``None`` accepts anyone.
    faults
        Misbehaviour settings; ``latency`` and ``unstable_ties`` override theirs.
    as_of, seed
        As for :class:`Replica`.
    on_ready
        Called with the running replica (the CLI prints ``replica.url``).
    records_by_day
        Scripted states by day (see :class:`Replica`); ``records`` is then ignored.
    stop
        Return once this event is set (for embedding; Ctrl-C also stops).

    Examples
    --------
    >>> stop = threading.Event()
    >>> serve([], port=0, on_ready=lambda replica: stop.set(), stop=stop)
    """
    if records is None:
        from mining_licenses.sample import generate_records

        records = generate_records()
    chosen = faults or Faults()
    if latency is not None:
        chosen = replace(chosen, latency=latency)
    if unstable_ties is not None:
        chosen = replace(chosen, unstable_ties=unstable_ties)
    replica = Replica(
        records,
        api_key=api_key,
        faults=chosen,
        as_of=as_of,
        host=host,
        port=port,
        seed=seed,
        records_by_day=records_by_day,
    )
    with replica:
        if on_ready is not None:
            on_ready(replica)
        waiter = stop or threading.Event()
        try:
            while not waiter.wait(0.2):
                pass
        except KeyboardInterrupt:
            logger.info("replica stopped")
