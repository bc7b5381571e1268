"""The report's two public functions: gather the sections, hand them to the template, write.

:func:`render_report` builds the sections as data (``_sections``,
``_provenance``) and renders ``templates/report.html.j2`` with jinja2, which
escapes every value it is given (``autoescape=True``) and fails on any name
the template uses but was not handed (``StrictUndefined``). The table of
contents is drawn from the same list of sections as the page.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import polars as pl

from mining_licenses import _validate as v
from mining_licenses import schema as s
from mining_licenses._atomic import check_writable, write_atomic
from mining_licenses.analytics import _inputs as inp
from mining_licenses.report import _changes
from mining_licenses.report import _islands as isl
from mining_licenses.report import _provenance as prov
from mining_licenses.report import _sections as sec
from mining_licenses.report._changes import CHANGES_SECTION_ID

if TYPE_CHECKING:
    import geopandas as gpd
    import jinja2

    from mining_licenses.report._parts import Section
    from mining_licenses.store import SnapshotMeta

#: ``id`` of each section of the report, in page order (the table of contents links them).
SECTION_IDS: Final = (
    "headline",
    "map",
    "small-islands",
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
_PAGE: Final = "report.html.j2"


@functools.cache
def _environment() -> jinja2.Environment:
    """Return the template environment: templates of this package, every value escaped."""
    import jinja2  # a dependency of the package; imported when a report is made

    return jinja2.Environment(
        loader=jinja2.PackageLoader("mining_licenses.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _sections(
    data: pl.DataFrame,
    day: dt.date,
    meta: Mapping[str, Any] | None,
    *,
    synthetic: bool,
    changes: pl.DataFrame | None = None,
) -> list[Section]:
    from mining_licenses._version import __version__

    sections = [
        sec.headline(data, day),
        *([_changes.section(changes)] if changes is not None and changes.height else []),
        sec.map_(data, day),
        isl.section(data, day),
        sec.expiry(data, day),
        sec.expiring(data, day),
        sec.provinces(data, day),
        sec.companies(data, day),
        sec.age(data, day),
        sec.quality(data),
        prov.section(data, meta, synthetic=synthetic, version=__version__),
    ]
    assert tuple(x.id for x in sections if x.id != CHANGES_SECTION_ID) == SECTION_IDS
    return sections


# ------------------------------------------------------------------- public API


def render_report(
    frame: pl.DataFrame | gpd.GeoDataFrame,
    *,
    meta: SnapshotMeta | Mapping[str, Any] | None = None,
    as_of: dt.date | str | None = None,
    changes: pl.DataFrame | None = None,
) -> str:
    """Return the HTML report of a registry frame as one self-contained page.

    Sections (see :data:`SECTION_IDS`): headline numbers, the map, small
    islands (licenses on islands of at most 2,000 km2, an inset map per
    island: :func:`~mining_licenses.small_islands`), the expiry schedule,
    the licenses expiring within 365 days, area by province, top companies
    and concentration, license age, data quality, and provenance.
    The page reads on a phone as on a desktop, and prints every row of every
    table. The whole tables of expiring licenses, of provinces and of all
    companies are embedded as CSV files the reader can download. Needs the
    ``viz`` extra (jinja2, matplotlib); without matplotlib the page says so
    where each chart would be.

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
    changes
        The store's events (``read_ledger(store)``): with any, a "What changed"
        section follows the headline (the latest update in detail, the
        recent ones counted).

    Returns
    -------
    str
        The HTML document.

    Raises
    ------
    MissingDependencyError
        If jinja2 is not installed.

    Examples
    --------
    >>> frame = licenses.filter(pl.col("province") == "Riau")
    >>> page = render_report(frame)
    >>> page.startswith("<!DOCTYPE html>"), 'id="synthetic-banner"' in page
    (True, True)
    """
    function = "render_report"
    if changes is not None:
        changes = _changes.checked_events(changes, name="changes", function=function)
    environment = _environment()
    provenance = prov.meta_dict(meta)
    data, _ = inp.to_polars_frame(frame, function=function)
    data = inp.require_columns(data, s.COLUMNS, function=function)
    day = inp.resolve_as_of(data, as_of, function=function)
    synthetic = prov.is_synthetic(data, provenance)
    from mining_licenses import sample
    from mining_licenses._version import __version__

    return environment.get_template(_PAGE).render(
        version=__version__,
        title="Mining licenses report" + (" (synthetic sample)" if synthetic else ""),
        subtitle=(
            f"Indonesia's mining-license registry (Sectors Financial API) · as of "
            f"{day.isoformat()} · {data.height:,} licenses"
        ),
        banner_id=SYNTHETIC_BANNER_ID,
        synthetic_note=sample.SYNTHETIC_NOTE if synthetic else "",
        sections=_sections(data, day, provenance, synthetic=synthetic, changes=changes),
        footer=(
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
    changes: pl.DataFrame | None = None,
    overwrite: bool = False,
) -> Path:
    """Write the HTML report of :func:`render_report` to ``path`` and return the path.

    Parent folders are created. The file is UTF-8 and opens offline in any
    browser. It appears whole or not at all: it is written under a temporary
    name and linked into place (``_atomic.write_atomic``).

    Parameters
    ----------
    frame
        A canonical frame or its GeoDataFrame.
    path
        Where to write the ``.html`` file.
    meta
        The snapshot's metadata; see :func:`render_report`.
    as_of
        The reference day; by default the date of the frame's latest ``fetched_at``.
    changes
        The store's events, for the "What changed" section (see :func:`render_report`).
    overwrite
        Replace an existing file (without it, an existing file is an
        :class:`~mining_licenses.OutputExistsError`, found before the report is made).

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    OutputExistsError
        If ``path`` exists and ``overwrite`` is False.
    OutputError
        If the file cannot be written there (a folder, a read-only or full disk...).

    Examples
    --------
    >>> import tempfile
    >>> frame = licenses.filter(pl.col("province") == "Bali")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     out = write_report(frame, f"{folder}/report.html")
    ...     out.name, out.stat().st_size > 10_000
    ('report.html', True)
    """
    target = v.path(path, name="path", function="write_report")
    overwrite = v.flag(overwrite, name="overwrite", function="write_report")
    target = check_writable(target, overwrite=overwrite)  # before the work
    page = render_report(frame, meta=meta, as_of=as_of, changes=changes)
    return write_atomic(target, page.encode("utf-8"), overwrite=overwrite)
