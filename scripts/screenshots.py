"""Regenerate the README screenshots in docs/img from the sample: the report and the map.

``report.png`` is the report at a desktop width (1280 px), ``report-390.png``
the same page on a phone (390 px, its first screens: the phone's drawings of
the charts), ``map.png`` is saved straight from
:func:`mining_licenses.plots.plot_map` and ``map-province.png`` is the map of
one province (Kalimantan Timur: zoomed to its licenses, the stacked ones
numbered). The report is written to
a temporary file and photographed with headless Chromium (Debian:
``apt-get install chromium``; another binary can be named with ``--chromium``
or the ``CHROMIUM`` environment variable). PNGs are reduced to an adaptive
256-colour palette so they stay small in git.

Chromium is driven over the DevTools protocol on a pipe
(``--remote-debugging-pipe``): no port, no extra Python package, and the
viewport is exact, which ``--window-size`` is not below 500 px. The tests of
the report use :class:`Browser` from here to measure the page.

Usage: ``python scripts/screenshots.py [--out docs/img] [--chromium PATH]``
"""

from __future__ import annotations

import argparse
import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import polars as pl

from mining_licenses import plots
from mining_licenses._errors import SyntheticDataWarning
from mining_licenses.loader import load_licenses
from mining_licenses.report import write_report

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Offline, quiet, throw-away: no sync, no updates, no background requests.
CHROMIUM_FLAGS = (
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
)


@dataclass(frozen=True)
class Viewport:
    """A screen: CSS pixels wide and high; ``mobile`` honours the page's viewport meta tag."""

    width: int
    height: int
    mobile: bool = False


PHONE = Viewport(390, 844, mobile=True)
DESKTOP = Viewport(1280, 900)
REPORT_HEIGHT = {DESKTOP: 2300, PHONE: 2400}  # banner, headline numbers, the map, the expiry chart
#: The province of the province map.
PROVINCE = "Kalimantan Timur"


def chromium_path(explicit: str | None = None) -> str | None:
    """Return the Chromium binary to use (``explicit``, ``$CHROMIUM``, then PATH), or None."""
    for candidate in (explicit, os.environ.get("CHROMIUM"), *CHROMIUM_NAMES):
        if candidate and (path := shutil.which(candidate)):
            return path
    return None


class Browser:
    """Headless Chromium driven over the DevTools protocol, as a context manager.

    Messages are JSON, each ended by a NUL byte, written to the browser's fd 3
    and read from its fd 4. Every wait has a deadline, so a stuck browser
    fails the caller instead of hanging it.
    """

    def __init__(self, binary: str, *, timeout: float = 60.0) -> None:
        self.binary = binary
        self.timeout = timeout
        self._next_id = 0
        self._buffer = bytearray()
        self._events: list[dict[str, Any]] = []

    def __enter__(self) -> Self:
        self._profile = tempfile.TemporaryDirectory(prefix="chromium-profile-")
        to_browser, self._writer = os.pipe()
        self._reader, from_browser = os.pipe()

        def pipes_to_fd3_fd4() -> None:  # in the child, before exec
            high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (to_browser, from_browser)]
            os.dup2(high[0], 3)
            os.dup2(high[1], 4)

        command = [
            self.binary,
            *CHROMIUM_FLAGS,
            "--remote-debugging-pipe",
            f"--user-data-dir={self._profile.name}",
            "about:blank",
        ]
        self._process = subprocess.Popen(  # noqa: S603
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=False,  # fds 3 and 4 must reach Chromium; ours are close-on-exec
            preexec_fn=pipes_to_fd3_fd4,  # noqa: PLW1509
        )
        os.close(to_browser)
        os.close(from_browser)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        try:
            self.call("Browser.close")
            self._process.wait(timeout=10)
        except (OSError, TimeoutError, subprocess.TimeoutExpired, RuntimeError):
            self._process.kill()
            self._process.wait()
        finally:
            os.close(self._writer)
            os.close(self._reader)
            self._profile.cleanup()

    def call(self, method: str, params: dict[str, Any] | None = None, **target: str) -> Any:
        """Send one command (to a page when ``sessionId=`` is given) and return its result."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}, **target}
        os.write(self._writer, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._receive()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    msg = f"{method}: {reply['error']}"
                    raise RuntimeError(msg)
                return reply.get("result", {})
            self._events.append(reply)

    def _wait_for(self, event: str, session: str) -> None:
        def matches(message: dict[str, Any]) -> bool:
            return message.get("method") == event and message.get("sessionId") == session

        if any(matches(m) for m in self._events):
            self._events = [m for m in self._events if not matches(m)]
            return
        while not matches(message := self._receive()):
            self._events.append(message)

    def _receive(self) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while (end := self._buffer.find(b"\0")) < 0:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._reader], [], [], left)[0]:
                msg = f"Chromium did not answer within {self.timeout:.0f} s"
                raise TimeoutError(msg)
            chunk = os.read(self._reader, 1 << 20)
            if not chunk:
                msg = "Chromium closed the DevTools pipe (did it start?)"
                raise RuntimeError(msg)
            self._buffer += chunk
        message: dict[str, Any] = json.loads(self._buffer[:end])
        del self._buffer[: end + 1]
        return message

    def open(self, page: Path, viewport: Viewport, *, media: str = "screen") -> Tab:
        """Load a local file in a new tab of the given size and wait until it has loaded."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        attached = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})
        tab = Tab(self, attached["sessionId"], viewport)
        tab.call("Page.enable")
        tab.call(
            "Emulation.setDeviceMetricsOverride",
            {
                "width": viewport.width,
                "height": viewport.height,
                "deviceScaleFactor": 1,
                "mobile": viewport.mobile,
            },
        )
        tab.call("Emulation.setEmulatedMedia", {"media": media})
        navigated = tab.call("Page.navigate", {"url": page.resolve().as_uri()})
        if navigated.get("errorText"):
            msg = f"Chromium could not open {page}: {navigated['errorText']}"
            raise RuntimeError(msg)
        self._wait_for("Page.loadEventFired", tab.session)
        return tab


@dataclass(frozen=True)
class Tab:
    """One loaded page of a :class:`Browser`."""

    browser: Browser
    session: str
    viewport: Viewport

    def call(self, method: str, params: dict[str, Any] | None = None) -> Any:
        """Send a command to this page and return its result."""
        return self.browser.call(method, params, sessionId=self.session)

    def evaluate(self, expression: str) -> Any:
        """Evaluate a JavaScript expression in the page and return its value (as JSON)."""
        params = {"expression": expression, "returnByValue": True, "awaitPromise": True}
        result = self.call("Runtime.evaluate", params)
        if "exceptionDetails" in result:
            msg = f"{expression!r} failed: {result['exceptionDetails']}"
            raise RuntimeError(msg)
        return result["result"].get("value")

    def screenshot(self, height: int | None = None) -> bytes:
        """Return a PNG of the page's top ``height`` CSS pixels (default: the whole page)."""
        if height is None:
            height = int(self.evaluate("document.documentElement.scrollHeight"))
        clip = {"x": 0, "y": 0, "width": self.viewport.width, "height": height, "scale": 1}
        params = {"format": "png", "captureBeyondViewport": True, "clip": clip}
        return base64.b64decode(self.call("Page.captureScreenshot", params)["data"])


def shrink(png: Path) -> None:
    """Re-encode a PNG with a 256-colour octree palette (keeps the chart colours exact enough)."""
    from PIL import Image

    with Image.open(png) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE)
    small.save(png, optimize=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Write report.png, report-390.png, map.png and map-province.png; print where they went."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/img"), help="output folder")
    parser.add_argument("--chromium", help="Chromium binary (default: found on PATH)")
    args = parser.parse_args(argv)
    browser = chromium_path(args.chromium)
    if browser is None:
        sys.exit("screenshots: no Chromium found; install it (apt-get install chromium)")
    args.out.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntheticDataWarning)  # the banner says it on the page
        frame = load_licenses(source="sample", as_="polars")
    assert isinstance(frame, pl.DataFrame)

    shots = {DESKTOP: args.out / "report.png", PHONE: args.out / f"report-{PHONE.width}.png"}
    with (
        tempfile.TemporaryDirectory(prefix="mining-licenses-report-") as folder,
        Browser(browser) as chromium,
    ):
        page = write_report(frame, Path(folder) / "report.html")
        for viewport, png in shots.items():
            png.write_bytes(chromium.open(page, viewport).screenshot(REPORT_HEIGHT[viewport]))
    map_png = args.out / "map.png"
    plots.plot_map(frame).savefig(map_png, dpi=110, metadata={"Software": None})
    province_png = args.out / "map-province.png"
    province = frame.filter(pl.col("province") == PROVINCE)
    plots.plot_map(province).savefig(province_png, dpi=90, metadata={"Software": None})
    for png in (*shots.values(), map_png, province_png):
        shrink(png)
        print(f"wrote {png} ({png.stat().st_size / 1024:,.0f} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
