"""What a user feels of a sweep: client CPU per page, time against the ideal, credits.

Three measurements over the ~4,200-record synthetic sample (140 pages of 30):

1. **Client CPU per page** at zero latency, the replica in its own process:
   ``SectorsClient.fetch_all`` (default options, journal on) against a plain
   loop (one ``httpx.Client``, ``json.loads`` of each page, one page after
   another). CPU is ``time.process_time()`` of this process (``getrusage``
   user + system) over one whole sweep, divided by the pages each side
   requested. Target: at most 2 ms a page, within 1.3x of the plain loop.
2. **Sweep time** at 4, 8 and 16 in flight with 50 ms of latency (the replica
   in its own process) against the ideal ``latency * (1 + ceil((pages - 1) /
   in_flight))`` for the 140 pages of the data, the first page counted; also
   the first sweep of a fresh process (imports done before the clock starts,
   the client and its connections made after), and a plain threaded httpx
   loop at 16 in flight: the floor the replica itself allows. Target: within
   1.2x at 16.
3. **Credits** of a default sweep against ``ceil(total / 30)``, with 429s and
   500s, under stable and unstable tie order (5 seeds each; every record
   checked). Target: at most 1.3x.

Sides alternate run by run after a warm-up, each at least 5 times; both sides
must collect the same records before anything is timed. Min and median are
reported; timings on a shared 2-core machine are noisy, so read the medians
with that in mind.

Run: ``python benchmarks/bench_sweep.py [--repeat 5] [--json OUT]``
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# imported up front: the figures measure sweeps, not imports
import httpx

from mining_licenses._wire import license_key
from mining_licenses.client import SectorsClient
from mining_licenses.replica import Faults, Replica
from mining_licenses.sample import generate_records

ROOT = Path(__file__).resolve().parent.parent
ENDPOINT = "/v2/mining/licenses/"
PAGE = 30
IN_FLIGHT = (4, 8, 16)
LATENCY = 0.05
CPU_TARGET_MS, CPU_TARGET_RATIO = 2.0, 1.3
TIME_TARGET = 1.2
CREDIT_TARGET = 1.3
SEEDS = 5

SERVER = textwrap.dedent(
    """
    import sys
    from mining_licenses.replica import serve
    from mining_licenses.sample import generate_records

    serve(generate_records(), port=0, latency=float(sys.argv[1]),
          on_ready=lambda replica: print(replica.url, flush=True))
    """
)

#: The first sweep of a fresh process: everything imported, then the clock starts.
FRESH = textwrap.dedent(
    """
    import json, sys, tempfile, time
    import httpx, tenacity, tqdm.std
    from mining_licenses.client import SectorsClient
    from mining_licenses.client import _client, _http, _journal, _records, _repair, _transport

    url, in_flight = sys.argv[1], int(sys.argv[2])
    with tempfile.TemporaryDirectory() as journal:
        start = time.perf_counter()
        with SectorsClient(base_url=url, max_in_flight=in_flight, journal_dir=journal,
                           progress=False) as client:
            result = client.fetch_all()
        seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "complete": result.complete,
                      "records": len(result.records), "requests": result.requests}))
    """
)


@contextmanager
def replica_process(latency: float) -> Iterator[str]:
    """Serve the sample from another process; yield its URL."""
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(latency)], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    try:
        assert server.stdout is not None
        yield server.stdout.readline().strip()
    finally:
        server.terminate()
        server.wait(timeout=10)


def plain_loop(url: str) -> tuple[set[str], int]:
    """One ``httpx.Client``, one page after another, ``json.loads`` of each."""
    keys: set[str] = set()
    offset, pages, total = 0, 0, 1
    with httpx.Client(timeout=30) as http:
        while offset < total:
            response = http.get(url + ENDPOINT, params={"limit": PAGE, "offset": offset})
            body = json.loads(response.content)
            keys.update(map(license_key, body["results"]))
            total = body["pagination"]["total_count"]
            offset += PAGE
            pages += 1
    return keys, pages


def plain_threads(url: str, in_flight: int) -> tuple[set[str], int]:
    """The first page, then the rest on ``in_flight`` threads sharing one ``httpx.Client``."""
    limits = httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)
    with httpx.Client(timeout=30, limits=limits) as http:

        def page(offset: int) -> dict[str, Any]:
            response = http.get(url + ENDPOINT, params={"limit": PAGE, "offset": offset})
            return dict(json.loads(response.content))

        first = page(0)
        total = first["pagination"]["total_count"]
        with ThreadPoolExecutor(in_flight) as pool:
            rest = list(pool.map(page, range(PAGE, total, PAGE)))
    keys = {license_key(r) for body in [first, *rest] for r in body["results"]}
    return keys, 1 + len(rest)


def client_sweep(url: str, in_flight: int | None = None) -> tuple[set[str], int]:
    """``SectorsClient.fetch_all`` with its defaults (journal on, in a temporary folder)."""
    options: dict[str, Any] = {} if in_flight is None else {"max_in_flight": in_flight}
    with (
        tempfile.TemporaryDirectory() as journal,
        SectorsClient(base_url=url, journal_dir=journal, progress=False, **options) as client,
    ):
        result = client.fetch_all()
    assert result.complete, result
    return {license_key(r) for r in result.records}, result.requests


def stats(values: list[float]) -> dict[str, float]:
    return {"min": min(values), "median": statistics.median(values)}


def alternate(
    sides: dict[str, Callable[[], tuple[set[str], int]]],
    repeat: int,
    clock: Callable[[], float],
) -> dict[str, dict[str, Any]]:
    """Warm up and check every side collects the same records, then time them in turn."""
    expected: set[str] | None = None
    for name, side in sides.items():
        keys, _ = side()
        if expected is None:
            expected = keys
        assert keys == expected, f"{name} collected other records than {next(iter(sides))}"
    runs: dict[str, list[tuple[float, int]]] = {name: [] for name in sides}
    for _ in range(repeat):
        for name, side in sides.items():
            start = clock()
            _, pages = side()
            runs[name].append((clock() - start, pages))
    return {
        name: {"runs": [s for s, _ in got], "pages": got[-1][1], **stats([s for s, _ in got])}
        for name, got in runs.items()
    }


def cpu_per_page(repeat: int) -> dict[str, Any]:
    with replica_process(0.0) as url:
        sides = {"plain loop": lambda: plain_loop(url), "client": lambda: client_sweep(url)}
        got = alternate(sides, repeat, time.process_time)
    out: dict[str, Any] = {}
    for name, row in got.items():
        per_page = [s / row["pages"] * 1000 for s in row["runs"]]
        out[name] = {"pages": row["pages"], "cpu_ms_per_page": stats(per_page)}
    plain, client = out["plain loop"]["cpu_ms_per_page"], out["client"]["cpu_ms_per_page"]
    out["ratio"] = {k: client[k] / plain[k] for k in ("min", "median")}
    out["met"] = client["median"] <= CPU_TARGET_MS and out["ratio"]["median"] <= CPU_TARGET_RATIO
    print(f"\n1. client CPU per page, zero latency (best / median of {repeat})")
    for name in ("plain loop", "client"):
        figures = out[name]["cpu_ms_per_page"]
        print(
            f"   {name:<12}{figures['min']:>6.2f} /{figures['median']:>5.2f} ms "
            f"({out[name]['pages']} pages)"
        )
    print(
        f"   ratio       {out['ratio']['min']:>5.2f}x /{out['ratio']['median']:>5.2f}x   "
        f"target <= {CPU_TARGET_MS:g} ms and <= {CPU_TARGET_RATIO}x: "
        f"{'met' if out['met'] else 'NOT met'}"
    )
    return out


def fresh_sweep(url: str, in_flight: int) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", FRESH, url, str(in_flight)],
        check=True, capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["complete"], figures
    return figures


def sweep_time(repeat: int, latency: float) -> dict[str, Any]:
    pages = math.ceil(len(generate_records()) / PAGE)

    def ideal(in_flight: int) -> float:
        return latency * (1 + math.ceil((pages - 1) / in_flight))

    with replica_process(latency) as url:
        sides: dict[str, Callable[[], tuple[set[str], int]]] = {
            f"client x{n}": (lambda n=n: client_sweep(url, n)) for n in IN_FLIGHT
        }
        sides["plain threads x16"] = lambda: plain_threads(url, 16)
        got = alternate(sides, repeat, time.perf_counter)
        fresh = [fresh_sweep(url, 16) for _ in range(repeat)]
    rows: dict[str, Any] = {}
    for name, row in got.items():
        in_flight = int(name.rsplit("x", 1)[1])
        rows[name] = {
            "in_flight": in_flight,
            "requests": row["pages"],
            "seconds": {"min": row["min"], "median": row["median"]},
            "ideal_seconds": ideal(in_flight),
            "ratio": {k: row[k] / ideal(in_flight) for k in ("min", "median")},
        }
    seconds = [f["seconds"] for f in fresh]
    rows["client x16, fresh process"] = {
        "in_flight": 16,
        "requests": fresh[-1]["requests"],
        "seconds": stats(seconds),
        "ideal_seconds": ideal(16),
        "ratio": {k: v / ideal(16) for k, v in stats(seconds).items()},
    }
    met = all(
        rows[name]["ratio"]["median"] <= TIME_TARGET
        for name in ("client x16", "client x16, fresh process")
    )
    print(
        f"\n2. sweep time, {latency * 1000:.0f} ms latency, {pages} pages "
        f"(best / median of {repeat}; ideal counts the first page)"
    )
    for name, row in rows.items():
        print(
            f"   {name:<27}{row['seconds']['min']:>6.3f} /{row['seconds']['median']:>6.3f} s  "
            f"ideal {row['ideal_seconds']:.2f} s  ratio {row['ratio']['min']:.2f}x / "
            f"{row['ratio']['median']:.2f}x  ({row['requests']} requests)"
        )
    print(f"   target at 16 in flight <= {TIME_TARGET}x: {'met' if met else 'NOT met'}")
    return {"latency": latency, "pages": pages, "rows": rows, "met": met}


def credits(seeds: int) -> dict[str, Any]:
    records = generate_records()
    minimum = math.ceil(len(records) / PAGE)
    out: dict[str, Any] = {"minimum": minimum}
    for label, unstable in (("stable ties", False), ("unstable ties", True)):
        spent = []
        for seed in range(seeds):
            faults = Faults(unstable_ties=unstable, rate_limit_every=7, server_error_every=11)
            with (
                Replica(records, faults=faults, seed=seed) as replica,
                SectorsClient(
                    base_url=replica.url, journal_dir=None, resume=False, progress=False,
                    backoff=0.01, backoff_max=0.05,
                ) as client,
            ):  # fmt: skip
                result = client.fetch_all()
                truth = {license_key(r) for r in replica.matching_records()}
                assert result.complete, result
                assert {license_key(r) for r in result.records} == truth
                assert result.credits_spent == replica.billed
            spent.append(result.credits_spent)
        ratios = [c / minimum for c in spent]
        out[label] = {
            "credits": spent,
            "ratio": {"min": min(ratios), "median": statistics.median(ratios), "max": max(ratios)},
        }
    out["met"] = all(
        out[k]["ratio"]["max"] <= CREDIT_TARGET for k in ("stable ties", "unstable ties")
    )
    print(
        f"\n3. credits of a full sweep vs ceil(total / 30) = {minimum}, with 429s and 500s "
        f"({seeds} seeds)"
    )
    for label in ("stable ties", "unstable ties"):
        row = out[label]
        print(
            f"   {label:<15} credits {row['credits']}  ratio min {row['ratio']['min']:.3f}x, "
            f"median {row['ratio']['median']:.3f}x, max {row['ratio']['max']:.3f}x"
        )
    print(f"   target <= {CREDIT_TARGET}x: {'met' if out['met'] else 'NOT met'}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per side (min 5)")
    parser.add_argument("--latency", type=float, default=LATENCY, help="seconds per request")
    parser.add_argument("--only", choices=("cpu", "time", "credits"), help="one measurement")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    repeat = max(args.repeat, 5)
    figures: dict[str, Any] = {"repeat": repeat}
    if args.only in (None, "cpu"):
        figures["cpu"] = cpu_per_page(repeat)
    if args.only in (None, "time"):
        figures["time"] = sweep_time(repeat, args.latency)
    if args.only in (None, "credits"):
        figures["credits"] = credits(SEEDS)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
