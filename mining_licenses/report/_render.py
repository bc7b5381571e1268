"""One self-contained HTML report of the registry: numbers, charts, tables, provenance.

:func:`render_report` returns the page as a string and :func:`write_report`
writes it to a file. The page needs nothing but itself to be read: charts are
PNG images embedded as ``data:`` URIs, the CSS is inline, and nothing links
to or loads from the network. Everything shown comes from
:mod:`mining_licenses.analytics`; every text from the data or the metadata is
HTML-escaped.

The sections are built in ``_report_sections`` from the HTML blocks of
``_report_html``; the page around them is ``_report_template``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import polars as pl

from mining_licenses import plots
from mining_licenses import schema as s
from mining_licenses._errors import ConfigurationError
from mining_licenses.analytics import _inputs as inp
from mining_licenses.report import _html as h
from mining_licenses.report import _sections as sec
from mining_licenses.report import _template as tpl

if TYPE_CHECKING:
    import geopandas as gpd

    from mining_licenses.store import SnapshotMeta

#: ``id`` of each section of the report, in page order (the table of contents links them).
SECTION_IDS: Final = (
    "headline",
    "map",
    "expiry",
    "expiring",
    "provinces",
    "companies",
    "age",
    "quality",
    "provenance",
)
#: ``id`` of the banner shown when the data is synthetic.
SYNTHETIC_BANNER_ID: Final = "synthetic-banner"


def _meta_dict(meta: object) -> Mapping[str, Any] | None:
    """Return metadata as a mapping: a snapshot's :class:`SnapshotMeta` or a dict as given."""
    if meta is None or isinstance(meta, Mapping):
        return meta
    if dataclasses.is_dataclass(meta) and not isinstance(meta, type):
        return dataclasses.asdict(meta)
    msg = f"meta must be a SnapshotMeta, a mapping or None, not {type(meta).__name__}."
    raise ConfigurationError(msg)


def _is_synthetic(frame: pl.DataFrame, meta: Mapping[str, Any] | None) -> bool:
    """Say whether the data is synthetic: meta decides when it says; else the sample's stamp."""
    if meta is not None and "synthetic" in meta:
        return bool(meta["synthetic"])
    if meta is not None and meta.get("source") == "sample":
        return True
    from mining_licenses import sample

    fetched = frame[s.FETCHED_AT].drop_nulls()
    return bool(fetched.len()) and fetched.max() == sample.SAMPLE_FETCHED_AT


def _banner() -> str:
    from mining_licenses import sample

    return (
        f'<div class="banner" id="{SYNTHETIC_BANNER_ID}" role="alert">'
        "<strong>SYNTHETIC DATA: not the real registry</strong>"
        f"{h.esc(sample.SYNTHETIC_NOTE)} Every company, license and number below is made up; "
        "do not cite them. Set SECTORS_API_KEY and pull the registry for real figures.</div>"
    )


# ------------------------------------------------------------------- public API


def render_report(
    frame: pl.DataFrame | gpd.GeoDataFrame,
    *,
    meta: SnapshotMeta | Mapping[str, Any] | None = None,
    as_of: dt.date | str | None = None,
) -> str:
    """Return the HTML report of a registry frame as one self-contained page.

    Sections (see :data:`SECTION_IDS`): headline numbers, the map, the expiry
    schedule, the licenses expiring within 365 days, area by province, top
    companies and concentration, license age, data quality, and provenance.
    Charts need the ``viz`` extra; without it the page says so where each
    chart would be.

    Parameters
    ----------
    frame
        A canonical frame (``load_licenses``, ``read_snapshot``) or its GeoDataFrame.
    meta
        The snapshot's provenance: a :class:`~mining_licenses.store.SnapshotMeta`
        (``read_snapshot_meta(path)``) or a dict (source, base_url, fetched_at,
        total_count, records, pages, credits_spent, complete, synthetic,
        package_version, ...).
        Every key given is shown, except any that looks like a credential.
        A banner marks the data synthetic when ``meta["synthetic"]`` is true,
        or, without that key, when the frame is the bundled sample.
    as_of
        The reference day; by default the date of the frame's latest ``fetched_at``.

    Returns
    -------
    str
        The HTML document.

    Examples
    --------
    >>> frame = licenses.filter(pl.col("province") == "Riau")
    >>> page = render_report(frame)
    >>> page.startswith("<!DOCTYPE html>"), 'id="synthetic-banner"' in page
    (True, True)
    """
    function = "render_report"
    provenance = _meta_dict(meta)
    data, _ = inp.to_polars_frame(frame, function=function)
    data = inp.require_columns(data, s.COLUMNS, function=function)
    day = inp.resolve_as_of(data, as_of, function=function)
    synthetic = _is_synthetic(data, provenance)
    map_chart = h.figure(
        lambda: plots.plot_map(data),
        "Map of Indonesia with license points coloured by commodity and sized by area",
        "Filled circles: the API gave the license's point. Hollow diamonds: the record named "
        "only its regency, so the license sits at the regency's gazetteer point, which is "
        "approximate and shared by every license there. No coastline is bundled.",
    )
    expiry_chart = h.figure(
        lambda: plots.plot_expiry_schedule(data, as_of=day),
        "Stacked bar chart of licenses by year of expiry, coloured by commodity",
        f"The hatched first bar holds licenses already expired on {day.isoformat()}; "
        "the hatched last bar, licenses with no usable expiry date.",
    )
    sections = [
        sec.headline(data, day),
        h.section("map", "Where the licenses are", "Licenses by commodity and area.", map_chart),
        h.section(
            "expiry", "Expiry schedule", "When licenses run out, year by year.", expiry_chart
        ),
        sec.expiring(data, day),
        sec.provinces(data),
        sec.companies(data),
        sec.age(data, day),
        sec.quality(data),
        sec.provenance(data, provenance, synthetic=synthetic),
    ]
    titles = re.findall(r'<section id="([^"]+)"><h2>([^<]+)</h2>', "".join(sections))
    toc = "".join(f'<a href="#{sid}">{title}</a>' for sid, title in titles)
    from mining_licenses._version import __version__

    subtitle = (
        f"Indonesia's mining-license registry (Sectors Financial API) · as of "
        f"{day.isoformat()} · {data.height:,} licenses"
    )
    return tpl.PAGE.substitute(
        version=h.esc(__version__),
        title="Mining licenses report" + (" (synthetic sample)" if synthetic else ""),
        css=tpl.CSS,
        subtitle=h.esc(subtitle),
        banner=_banner() if synthetic else "",
        toc=toc,
        sections="\n".join(sections),
        footer=h.esc(
            f"Made by mining-licenses {__version__}. Areas in hectares (ha); "
            "1 thousand ha = 10 km². Dates are calendar dates; as-of dates are UTC."
        ),
    )


def write_report(
    frame: pl.DataFrame | gpd.GeoDataFrame,
    path: str | os.PathLike[str],
    *,
    meta: SnapshotMeta | Mapping[str, Any] | None = None,
    as_of: dt.date | str | None = None,
) -> Path:
    """Write the HTML report of :func:`render_report` to ``path`` and return the path.

    Parent folders are created. The file is UTF-8 and opens offline in any browser.

    Parameters
    ----------
    frame
        A canonical frame or its GeoDataFrame.
    path
        Where to write the ``.html`` file (replaced if it exists).
    meta
        The snapshot's metadata; see :func:`render_report`.
    as_of
        The reference day; by default the date of the frame's latest ``fetched_at``.

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> import tempfile
    >>> frame = licenses.filter(pl.col("province") == "Bali")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     out = write_report(frame, f"{folder}/report.html")
    ...     out.name, out.stat().st_size > 10_000
    ('report.html', True)
    """
    target = Path(path)
    page = render_report(frame, meta=meta, as_of=as_of)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(page, encoding="utf-8")
    return target
