"""The demo pipeline: the bundled sample served by the replica, pulled for real.

Nothing is short-cut: a replica of the endpoint serves the synthetic sample's
raw records on 127.0.0.1, the real client sweeps every page (concurrently,
with its progress bar, journal and completeness check), the records are
normalised, written as a GeoParquet snapshot, summarised and reported. The
replica runs in a thread of this process and is stopped before returning, so
no process or port is left behind.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from mining_licenses._oserrors import translated
from mining_licenses.loader import Pull, pull
from mining_licenses.replica import Faults, Replica
from mining_licenses.report import write_report
from mining_licenses.sample import generate_records
from mining_licenses.store import read_snapshot_meta

#: Latency the demo's replica adds to each request, to look like a real API.
DEMO_LATENCY_S = 0.02


@dataclass(frozen=True)
class DemoResult:
    """What the demo made and where it went."""

    pulled: Pull
    report: Path
    replica_url: str
    requests_served: int
    seconds: float


def run_demo(out: Path, *, latency: float = DEMO_LATENCY_S, progress: bool = True) -> DemoResult:
    """Serve the sample through the replica, pull it, snapshot it and report on it.

    Parameters
    ----------
    out
        Folder for the demo's snapshot store (``out/store``) and report
        (``out/report.html``); created if needed.
    latency
        Seconds the replica waits before each answer.
    progress
        Show the client's progress bar.

    Examples
    --------
    The whole demo takes a few seconds; ``tests/test_demo.py`` runs it (once)
    through the ``mining-licenses demo`` command.

    >>> import tempfile
    >>> result = run_demo(Path(tempfile.mkdtemp()), progress=False)  # doctest: +SKIP
    >>> result.pulled.sweep.complete, result.pulled.frame.height  # doctest: +SKIP
    (True, 4200)
    """
    started = time.perf_counter()
    with translated(out / "report.html"):  # a file where the folder should be, no permission...
        out.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(16)  # a throw-away key for the local replica, never a real one
    with Replica(generate_records(), api_key=key, faults=Faults(latency=latency)) as replica:
        url = replica.url
        pulled = pull(
            api_key=key,
            base_url=url,
            store=out / "store",
            progress=progress,
            synthetic=True,
        )
        served = replica.requests_served
    meta = read_snapshot_meta(pulled.snapshot) if pulled.snapshot else None
    report = write_report(pulled.frame, out / "report.html", meta=meta, overwrite=True)
    return DemoResult(
        pulled=pulled,
        report=report,
        replica_url=url,
        requests_served=served,
        seconds=time.perf_counter() - started,
    )
