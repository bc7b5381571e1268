"""A full sweep through the replica: a plain sequential loop vs SectorsClient.

The replica serves the ~4,200-record synthetic sample with a fixed latency per
request (50 ms by default) from its own process, so the server and the client
do not share an interpreter lock. The baseline is what a notebook would write:
one ``httpx.Client``, one page after another. The client runs at 4, 8 and 16
requests in flight, journal on (as users run it). For each side: wall time,
the ideal ``ceil(pages / in_flight) x latency`` and the ratio to it (target:
within 1.3x), the speed-up over the sequential loop, requests and credits,
and peak memory (each side in its own subprocess, so the figures are clean).

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

from benchmarks._measure import fmt_mib, measure
from mining_licenses.client import SectorsClient

ENDPOINT = "/v2/mining/licenses/"
IN_FLIGHT = (4, 8, 16)
REPEAT = 3
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


def sequential(url: str) -> int:
    records: list[dict[str, Any]] = []
    offset: int | None = 0
    with httpx.Client(timeout=30) as http:
        while offset is not None:
            response = http.get(url + ENDPOINT, params={"limit": 30, "offset": offset})
            response.raise_for_status()
            body = response.json()
            records += body["results"]
            offset = body["pagination"]["next_offset"]
    return len(records)


def client(url: str, in_flight: int) -> int:
    with (
        tempfile.TemporaryDirectory() as journal,
        SectorsClient(
            base_url=url, max_in_flight=in_flight, journal_dir=journal, progress=False
        ) as api,
    ):
        result = api.fetch_all()
        assert result.complete, result
        return len(result.records)


def _one_side(side: str, url: str, repeat: int) -> dict[str, Any]:
    def run() -> int:
        return sequential(url) if side == "sequential" else client(url, int(side))

    best, peak, rows = math.inf, 0.0, 0
    for _ in range(repeat):
        rows, seconds, mib = measure(run)
        best = min(best, seconds)
        peak = max(peak, mib or 0.0)
    return {"side": side, "records": rows, "seconds": best, "peak_mib": peak or None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per request")
    parser.add_argument("--records", type=int, default=4200)
    parser.add_argument("--repeat", type=int, default=REPEAT, help="best of this many")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--side", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        print(json.dumps(_one_side(args.side, args.url, args.repeat)))
        return

    root = str(Path(__file__).resolve().parent.parent)
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(args.latency), str(args.records)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=root,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        rows = []
        for side in ("sequential", *map(str, IN_FLIGHT)):
            command = [sys.executable, __file__, "--side", side, "--url", url]
            out = subprocess.run(
                [*command, "--repeat", str(args.repeat)],
                check=True, capture_output=True, text=True, cwd=root,
            ).stdout  # fmt: skip
            rows.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        server.terminate()
        server.wait(timeout=10)

    pages = math.ceil(rows[0]["records"] / 30)
    sequential_seconds = rows[0]["seconds"]
    print(
        f"full sweep: {rows[0]['records']:,} records, {pages} pages of 30, "
        f"{args.latency * 1000:.0f} ms per request (best of {args.repeat})"
    )
    header = (
        f"{'side':<16}{'seconds':>9}{'ideal':>8}{'ratio':>7}{'speed-up':>10}{'peak memory':>14}"
    )
    print(header)
    print("-" * len(header))
    ok = True
    for row in rows:
        in_flight = 1 if row["side"] == "sequential" else int(row["side"])
        row["in_flight"] = in_flight
        row["pages"] = pages
        row["ideal_seconds"] = math.ceil(pages / in_flight) * args.latency
        row["ratio_to_ideal"] = row["seconds"] / row["ideal_seconds"]
        row["speedup_vs_sequential"] = sequential_seconds / row["seconds"]
        label = "sequential" if in_flight == 1 else f"client x{in_flight}"
        if in_flight > 1:
            ok &= row["ratio_to_ideal"] <= TARGET_RATIO
        print(
            f"{label:<16}{row['seconds']:>9.2f}{row['ideal_seconds']:>8.2f}"
            f"{row['ratio_to_ideal']:>7.2f}{row['speedup_vs_sequential']:>9.1f}x"
            f"{fmt_mib(row['peak_mib']):>14}"
        )
    print(f"target: client within {TARGET_RATIO}x of ideal: {'met' if ok else 'NOT met'}")
    if args.json:
        figures = {"latency": args.latency, "repeat": args.repeat, "rows": rows}
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
