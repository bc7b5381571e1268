"""Normalising API records: normalize_records vs a plain pandas/shapely baseline.

The baseline is what a notebook would write: ``pd.json_normalize`` over the
records, dates and areas parsed with pandas, and one ``shapely.Point`` built
per record in a Python loop. It does less than normalize_records (no
spellings, no gazetteer placement, no quality checks), so the comparison
favours it.

Run: ``python benchmarks/bench_normalize.py [--records N] [--json OUT]``
(each side runs in its own subprocess so the peak-memory figures are clean).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._measure import fmt_mib, measure
from mining_licenses.sample import generate_records


def baseline(records: list[dict[str, Any]]) -> Any:
    import geopandas as gpd
    import pandas as pd
    from shapely.geometry import Point

    df = pd.json_normalize(records)
    for column in ("license_effective_date", "license_expiry_date"):
        df[column] = pd.to_datetime(df[column], errors="coerce")
    df["licensed_area_ha"] = pd.to_numeric(df["licensed_area_ha"], errors="coerce")
    geometry = [
        Point(c[0], c[1]) if isinstance(c, list) and len(c) >= 2 else None
        for c in df.get("location.coordinates", pd.Series([None] * len(df)))
    ]
    return gpd.GeoDataFrame(df, geometry=geometry, crs="EPSG:4326")


def ours(records: list[dict[str, Any]]) -> Any:
    from mining_licenses.normalize import normalize_records

    return normalize_records(records)


def _one_side(side: str, n: int) -> dict[str, Any]:
    records = generate_records(n)
    fn = {"baseline": baseline, "normalize_records": ours}[side]
    result, seconds, peak = measure(lambda: fn(records))
    return {"side": side, "records": n, "rows": len(result), "seconds": seconds, "peak_mib": peak}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--side", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        print(json.dumps(_one_side(args.side, args.records)))
        return
    rows = []
    for side in ("baseline", "normalize_records"):
        out = subprocess.run(
            [sys.executable, __file__, "--side", side, "--records", str(args.records)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        rows.append(json.loads(out.strip().splitlines()[-1]))
    base, mine = rows
    print(f"normalising {args.records:,} synthetic records")
    print(f"{'side':<20}{'seconds':>10}{'peak memory':>16}")
    for row in rows:
        print(f"{row['side']:<20}{row['seconds']:>10.2f}{fmt_mib(row['peak_mib']):>16}")
    speedup = base["seconds"] / mine["seconds"]
    print(f"speed-up: {speedup:.1f}x (target >= 5x); under 10 s: {mine['seconds'] < 10}")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "speedup": speedup}, indent=2))


if __name__ == "__main__":
    main()
