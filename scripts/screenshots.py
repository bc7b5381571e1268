"""Regenerate the README screenshots, docs/img/report.png and docs/img/map.png, from the sample.

The report is rendered to a temporary HTML file and photographed with headless
Chromium (Debian: ``apt-get install chromium``; another binary can be named
with ``--chromium`` or the ``CHROMIUM`` environment variable). The map is
saved straight from :func:`mining_licenses.plots.plot_map`. Both PNGs are
reduced to an adaptive 256-colour palette so they stay small in git.

Usage: ``python scripts/screenshots.py [--out docs/img] [--chromium PATH]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from mining_licenses import plots
from mining_licenses._errors import SyntheticDataWarning
from mining_licenses.loader import load_licenses
from mining_licenses.report import write_report

REPORT_WINDOW = (1280, 2300)  # the banner, headline numbers, the map and the expiry chart
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium(explicit: str | None) -> str:
    """Return the Chromium binary to use, or exit with a message saying how to get one."""
    for candidate in (explicit, os.environ.get("CHROMIUM"), *CHROMIUM_NAMES):
        if candidate and (path := shutil.which(candidate)):
            return path
    sys.exit(
        "screenshots: no Chromium found; install it (apt-get install chromium) or pass --chromium"
    )


def screenshot(browser: str, page: Path, out: Path, size: tuple[int, int]) -> None:
    """Photograph a local HTML file with headless Chromium, offline, in a throw-away profile."""
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        command = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            f"--user-data-dir={profile}",
            f"--screenshot={out}",
            f"--window-size={size[0]},{size[1]}",
            page.resolve().as_uri(),
        ]
        subprocess.run(command, check=True, capture_output=True, timeout=180)  # noqa: S603


def shrink(png: Path) -> None:
    """Re-encode a PNG with a 256-colour octree palette (keeps the chart colours exact enough)."""
    from PIL import Image

    with Image.open(png) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE)
    small.save(png, optimize=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Write report.png and map.png; print where they went."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/img"), help="output folder")
    parser.add_argument("--chromium", help="Chromium binary (default: found on PATH)")
    args = parser.parse_args(argv)
    browser = find_chromium(args.chromium)
    args.out.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntheticDataWarning)  # the banner says it on the page
        frame = load_licenses(source="sample", as_="polars")
    assert isinstance(frame, pl.DataFrame)

    report_png, map_png = args.out / "report.png", args.out / "map.png"
    with tempfile.TemporaryDirectory(prefix="mining-licenses-report-") as folder:
        page = write_report(frame, Path(folder) / "report.html")
        screenshot(browser, page, report_png, REPORT_WINDOW)
    plots.plot_map(frame).savefig(map_png, dpi=110, metadata={"Software": None})
    for png in (report_png, map_png):
        shrink(png)
        print(f"wrote {png} ({png.stat().st_size / 1024:,.0f} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
