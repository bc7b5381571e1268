"""A full sweep through the replica: a plain sequential loop vs SectorsClient.

The replica serves the ~4,200-record synthetic sample with a fixed latency per
request (50 ms by default) from its own process, so the server and the client
do not share an interpreter lock. The baseline is what a notebook would write:
one ``httpx.Client``, one page after another. The client runs at 4, 8 and 16
requests in flight, journal on (as users run it). For each side: wall time,
the ideal ``ceil(pages / in_flight) x latency`` and the ratio to it (target:
within 1.3x), the speed-up over the sequential loop and peak memory. Both
sides' records are checked equal before timing; timing and memory follow
``_measure.py`` (alternating runs, min and median, memory per side in a
fresh process).

Run: ``python benchmarks/bench_client.py [--latency 0.05] [--json OUT]``
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# imported up front: the figures measure the sweep, not the imports
import httpx

from benchmarks._measure import MIN_REPEAT, alternate, case, child_json, measure, write_results
from mining_licenses.client import SectorsClient

ENDPOINT = "/v2/mining/licenses/"
IN_FLIGHT = (4, 8, 16)
SEQUENTIAL = "sequential"
TARGET_RATIO = 1.3

SERVER = textwrap.dedent(
    """
    import sys
    from mining_licenses.replica import serve
    from mining_licenses.sample import generate_records

    records = generate_records(int(sys.argv[2]))
    serve(records, port=0, latency=float(sys.argv[1]),
          on_ready=lambda replica: print(replica.url, flush=True))
    """
)


def sequential(url: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    offset: int | None = 0
    with httpx.Client(timeout=30) as http:
        while offset is not None:
            response = http.get(url + ENDPOINT, params={"limit": 30, "offset": offset})
            response.raise_for_status()
            body = response.json()
            records += body["results"]
            offset = body["pagination"]["next_offset"]
    return records


def client(url: str, in_flight: int) -> list[dict[str, Any]]:
    with (
        tempfile.TemporaryDirectory() as journal,
        SectorsClient(
            base_url=url, max_in_flight=in_flight, journal_dir=journal, progress=False
        ) as api,
    ):
        result = api.fetch_all()
        assert result.complete, result
        return list(result.records)


def run(side: str, url: str) -> list[dict[str, Any]]:
    return (
        sequential(url)
        if side == SEQUENTIAL
        else client(url, int(side.rsplit("x", maxsplit=1)[-1]))
    )


def _canonical(records: list[dict[str, Any]]) -> list[str]:
    return sorted(json.dumps(r, sort_keys=True, default=str) for r in records)


def _child(side: str, url: str) -> None:
    """In a fresh interpreter: one warm-up sweep, then one measured sweep."""
    run(side, url)
    records, seconds, peak = measure(lambda: run(side, url))
    print(json.dumps({"peak_mib": peak, "seconds": seconds, "records": len(records)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per request")
    parser.add_argument("--records", type=int, default=4200)
    parser.add_argument("--repeat", type=int, default=MIN_REPEAT)
    parser.add_argument("--quick", action="store_true", help="1,200 records")
    parser.add_argument("--no-memory", action="store_true", help="skip the per-side processes")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    records = 1200 if args.quick else args.records
    root = str(Path(__file__).resolve().parent.parent)
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(args.latency), str(records)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=root,
    )
    sides = [SEQUENTIAL, *(f"client x{n}" for n in IN_FLIGHT)]
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        expected = _canonical(sequential(url))
        for side in sides[1:]:
            assert _canonical(client(url, int(side.split("x")[-1]))) == expected, side
        times = alternate({side: lambda x=side: run(x, url) for side in sides}, repeat=args.repeat)
        peaks: dict[str, float | None] = dict.fromkeys(sides, math.nan)
        if not args.no_memory:
            for side in sides:
                peaks[side] = child_json([__file__, "--child", side, url])["peak_mib"]
    finally:
        server.terminate()
        server.wait(timeout=10)
    pages = math.ceil(records / 30)
    rows = []
    for side in sides[1:]:
        in_flight = int(side.split("x")[-1])
        ideal = math.ceil(pages / in_flight) * args.latency
        to_ideal = min(times[side]) / ideal
        note = (
            f"{to_ideal:.2f}x the ideal {ideal:.2f} s (target at most {TARGET_RATIO}x: "
            f"{'met' if to_ideal <= TARGET_RATIO else 'missed'})"
        )
        rows.append(
            case(f"{side} vs sequential", ours=side, baseline=SEQUENTIAL, times=times,
                 peaks=peaks, note=note)
        )  # fmt: skip
    size = f"{records:,} records, {pages} pages of 30, {args.latency * 1000:.0f} ms per request"
    write_results(args.json, "client", size, rows)


if __name__ == "__main__":
    main()
