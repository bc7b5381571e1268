"""Write the README's benchmark tables from ``benchmarks/results/*.json``.

``make bench`` runs the benchmarks (each writes its figures as JSON, see
``benchmarks/_measure.py``) and then this script, which replaces the part of
``README.md`` between ``<!-- bench:start -->`` and ``<!-- bench:end -->`` with
one table per benchmark and the machine the figures were measured on. The
figures are never typed by hand.

Usage::

    python scripts/bench_table.py [--results DIR] [--readme README.md] [--check]

``--check`` exits 1 if the README does not hold the tables the results give.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
#: Order of the tables; benchmarks not listed follow by name.
ORDER = (
    "coldstart",
    "normalize",
    "history",
    "events",
    "analytics",
    "store",
    "client",
    "sweep",
    "spatial",
)


def _seconds(value: float) -> str:
    return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"


def _mib(value: float | None) -> str:
    if value is None or math.isnan(value):  # not measured
        return "n/a"
    return f"{value:,.0f}"


def _row(case: dict[str, Any]) -> str:
    ours, base, speed = case["ours_seconds"], case["baseline_seconds"], case["speedup"]
    target = case.get("target_speedup")
    if target is None:
        goal = ""
    else:
        goal = f"≥ {target:.2f}x " + ("met" if case.get("met") else "**missed**")
    cells = [
        case["case"],
        f"{_seconds(ours['min'])} / {_seconds(ours['median'])}",
        f"{_seconds(base['min'])} / {_seconds(base['median'])}",
        f"{speed['min']:.2f}x / {speed['median']:.2f}x",
        goal,
        f"{_mib(case.get('ours_peak_mib'))} / {_mib(case.get('baseline_peak_mib'))}",
    ]
    if case.get("note"):
        cells[0] += f" ({case['note']})"
    return "| " + " | ".join(cells) + " |"


def _machine(results: list[dict[str, Any]]) -> str:
    machine = results[0]["machine"]
    libraries = ", ".join(f"{k} {v}" for k, v in sorted(machine["libraries"].items()))
    loads = ", ".join(f"{r['bench']} {r['machine']['load_average']}" for r in results)
    return (
        f"Measured by `make bench` on {machine['cpu']}, {machine['cores']} cores, "
        f"{machine['ram_gib']} GiB RAM, {machine['os']}; Python {machine['python']}, "
        f"{libraries}. Load average when each benchmark started (the machine is shared): "
        f"{loads}."
    )


def render(results: list[dict[str, Any]]) -> str:
    """Return the Markdown between the markers: the machine, then one table per benchmark."""
    if not results:
        return "No benchmark results yet: run `make bench`."
    runs = min(c["ours_seconds"]["runs"] for r in results for c in r["cases"])
    lines = [
        _machine(results),
        "",
        f"Times are wall-clock minimum / median of at least {runs} runs per side, the "
        "two sides alternating after a warm-up, their outputs checked equal first. "
        "Speed-up is the baseline's time over ours (above 1: ours is faster; the "
        "target is the smallest speed-up that meets the goal, 0.67x meaning "
        '"within 1.5x of the baseline"). Peak memory is what one call adds to its '
        "process, each side measured in a fresh interpreter.",
    ]
    for result in results:
        lines += [
            "",
            f"**{result['bench']}** ({result['size']})",
            "",
            "| case | ours (min / median) | baseline (min / median) | speed-up (min / median) "
            "| target | peak MiB (ours / baseline) |",
            "| --- | --- | --- | --- | --- | --- |",
            *(_row(case) for case in result["cases"]),
            *_credits(result.get("credits")),
        ]
    return "\n".join(lines)


def _credits(credits: dict[str, Any] | None) -> list[str]:
    """Return the rows of the credits a full sweep cost against the minimum (bench_sweep)."""
    if not credits:
        return []
    target = credits["target"]
    rows = [
        f"| {name} | {', '.join(map(str, figures['credits']))} | "
        + " / ".join(f"{figures['ratio'][k]:.3f}x" for k in ("min", "median", "max"))
        + f" | at most {target:g}x {'met' if figures['ratio']['max'] <= target else '**missed**'} |"
        for name, figures in credits.items()
        if isinstance(figures, dict)
    ]
    return [
        "",
        f"Credits of a full sweep (every record, verified complete) against the minimum "
        f"ceil(total / 30) = {credits['minimum']}, with 429s and 500s, one run per seed:",
        "",
        "| server | credits | ratio (min / median / max) | target |",
        "| --- | --- | --- | --- |",
        *rows,
    ]


def load(folder: Path) -> list[dict[str, Any]]:
    """Return the results files of ``folder``, in the README's order."""
    results = [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]
    results = [r for r in results if "cases" in r]  # skip files of an older layout

    def rank(result: dict[str, Any]) -> tuple[int, str]:
        name = result["bench"]
        return (ORDER.index(name) if name in ORDER else len(ORDER), name)

    return sorted(results, key=rank)


def rewrite(readme: str, table: str) -> str:
    """Return ``readme`` with the text between the markers replaced by ``table``."""
    if START not in readme or END not in readme:
        msg = f"README has no {START} ... {END} section to fill"
        raise SystemExit(msg)
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{table}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    """Fill (or with ``--check``, verify) the README's benchmark section."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md")
    parser.add_argument("--check", action="store_true", help="only check the README is current")
    args = parser.parse_args(argv)
    text = args.readme.read_text(encoding="utf-8")
    updated = rewrite(text, render(load(args.results)))
    if args.check:
        if updated != text:
            print(
                f"{args.readme} is not up to date with {args.results}: run scripts/bench_table.py"
            )
            return 1
        return 0
    args.readme.write_text(updated, encoding="utf-8")
    print(f"wrote the benchmark tables into {args.readme}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
