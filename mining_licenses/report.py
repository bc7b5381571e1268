"""One self-contained HTML report of the registry: numbers, charts, tables, provenance.

:func:`render_report` returns the page as a string and :func:`write_report`
writes it to a file. The page needs nothing but itself to be read: charts are
PNG images embedded as ``data:`` URIs, the CSS is inline, and nothing links
to or loads from the network. Everything shown comes from
:mod:`mining_licenses.analytics`; every text from the data or the metadata is
HTML-escaped.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import html
import io
import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import polars as pl

from mining_licenses import _inputs as inp
from mining_licenses import _quality as q
from mining_licenses import _report_template as tpl
from mining_licenses import analytics as an
from mining_licenses import gazetteer, plots
from mining_licenses import schema as s
from mining_licenses._errors import ConfigurationError, MissingDependencyError

if TYPE_CHECKING:
    import geopandas as gpd
    from matplotlib.figure import Figure

    from mining_licenses.store import SnapshotMeta

__all__ = ["SECTION_IDS", "SYNTHETIC_BANNER_ID", "render_report", "write_report"]

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

_TOP_COMPANIES: Final = 15
_DPI: Final = 100
_NA: Final = "—"
# Metadata keys never shown, whatever a caller passes: credentials do not belong in a report.
_SECRET: Final = re.compile(
    r"(?i)(^key$|api.?key|token|secret|passw|authori[sz]ation|credential|cookie)"
)
#: Labels of the snapshot metadata keys the package writes, in display order.
_META_LABELS: Final = {
    "source": "Source",
    "synthetic": "Synthetic data",
    "base_url": "API base URL",
    "filters": "Filters",
    "fetched_at": "Fetched at (UTC)",
    "total_count": "Licenses the API reported",
    "records": "Records received",
    "pages": "Pages fetched",
    "credits_spent": "Credits spent",
    "credits": "Credits spent",
    "complete": "Sweep verified complete",
    "package_version": "Package version",
    "schema_version": "Schema version",
}


# ------------------------------------------------------------------ formatting


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _count(value: Any) -> str:
    return f"{value:,}"


def _ha(value: Any) -> str:
    return f"{value:,.0f}"


def _ha1(value: Any) -> str:
    return f"{value:,.1f}"


def _share(value: Any) -> str:
    if 0 < value < 0.0005:  # one record in thousands is not "0.0%"
        return "<0.1%"
    return f"{value:.1%}"


def _years(value: Any) -> str:
    return f"{value:.1f}"


def _plain(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(map(str, value))
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


@dataclass(frozen=True)
class _Col:
    """One column of an HTML table: the frame column, its header, how to show a value."""

    name: str
    header: str
    fmt: Callable[[Any], str] = _plain
    numeric: bool = False
    css: str = ""


def _table(
    frame: pl.DataFrame,
    columns: Sequence[_Col],
    *,
    caption: str = "",
    scroll: bool = False,
    swatch: str | None = None,
) -> str:
    """Render ``frame`` as an HTML table; numbers right-aligned, nulls as a dash."""
    if frame.is_empty():
        return f'<p class="lead">{_esc(caption)}: none.</p>' if caption else "<p>None.</p>"
    head = "".join(
        f'<th scope="col"{" class=num" if c.numeric else ""}>{_esc(c.header)}</th>' for c in columns
    )
    rows = []
    for row in frame.select([c.name for c in columns]).iter_rows():  # a few hundred rows at most
        cells = []
        for col, value in zip(columns, row, strict=True):
            classes = " ".join(x for x in ("num" if col.numeric else "", col.css) if x)
            missing = value is None or (isinstance(value, float) and math.isnan(value))
            if missing:
                cells.append(f'<td class="na {classes}">{_NA}</td>')
                continue
            text = _esc(col.fmt(value))
            if col.name == swatch:
                colour = plots.commodity_color(str(value))
                text = f'<span class="swatch" style="background:{colour}"></span>{text}'
            cells.append(f'<td class="{classes}">{text}</td>' if classes else f"<td>{text}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    table = (
        f"<table>{f'<caption>{_esc(caption)}</caption>' if caption else ''}"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )
    return f'<div class="scroll">{table}</div>' if scroll else table


def _figure(draw: Callable[[], Figure], alt: str, caption: str) -> str:
    """Draw a chart and embed it as a base64 PNG, or say why it is missing."""
    try:
        fig = draw()
    except MissingDependencyError as err:
        return f'<p class="lead">Chart not drawn: {_esc(err)}</p>'
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=_DPI, metadata={"Software": None})
    width, height = (round(v * _DPI) for v in fig.get_size_inches())
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" width="{width}" height="{height}" '
        f'alt="{_esc(alt)}"><figcaption>{_esc(caption)}</figcaption></figure>'
    )


def _section(section_id: str, title: str, lead: str, *parts: str) -> str:
    return (
        f'<section id="{section_id}"><h2>{_esc(title)}</h2>'
        f'<p class="lead">{_esc(lead)}</p>{"".join(parts)}</section>'
    )


def _card(label: str, value: str, detail: str = "", *, alert: bool = False) -> str:
    return (
        f'<div class="card{" alert" if alert else ""}"><div class="value">{_esc(value)}</div>'
        f'<div class="label">{_esc(label)}</div>'
        f"{f'<div class=detail>{_esc(detail)}</div>' if detail else ''}</div>"
    )


# -------------------------------------------------------------------- sections


def _headline(frame: pl.DataFrame, day: dt.date) -> str:
    total = frame.height
    area = float(frame[s.AREA_HA].sum() or 0.0)
    soon = an.expiring_soon(frame, within_days=s.EXPIRING_SOON_DAYS, as_of=day)
    assert isinstance(soon, pl.DataFrame)
    schedule = an.expiry_schedule(frame, as_of=day)
    expired = int(schedule.filter(pl.col(an.PERIOD) == an.EXPIRED_BUCKET)[an.LICENSES].sum())
    conc = an.concentration(frame)
    companies = int(conc[an.COMPANIES].item()) if conc.height else 0
    hhi = conc[an.HHI].item() if conc.height else None
    top10 = conc[an.TOP_SHARES[10]].item() if conc.height else None
    placement = _placement(frame)
    placed = placement.get(s.GEOMETRY_FROM_API, 0) + placement.get(s.GEOMETRY_FROM_REGENCY, 0)
    of_total = (lambda n: n / total) if total else (lambda _n: 0.0)
    cards = [
        _card("Licenses", _count(total), f"as of {day.isoformat()}"),
        _card("Licensed area (thousand ha)", _ha(area / 1000), f"{_ha(area)} ha"),
        _card(
            "Companies",
            _count(companies),
            f"HHI {_ha(hhi)} · top 10 hold {_share(top10)}" if hhi is not None else "",
        ),
        _card(
            "Expired",
            _count(expired),
            f"{_share(of_total(expired))} of licenses",
            alert=expired > 0,
        ),
        _card(
            f"Expiring within {s.EXPIRING_SOON_DAYS} days",
            _count(soon.height),
            f"{_ha(float(soon[s.AREA_HA].sum() or 0.0) / 1000)} thousand ha",
        ),
        _card(
            "Placed on the map",
            _share(of_total(placed)),
            f"{_count(placement.get(s.GEOMETRY_FROM_API, 0))} at the API's point, "
            f"{_count(placement.get(s.GEOMETRY_FROM_REGENCY, 0))} at a regency point",
        ),
    ]
    lead = (
        f"The registry as of {day.isoformat()}: {_count(total)} licenses covering "
        f"{_ha(area)} ha (1 thousand ha = 10 km²)."
    )
    return _section(
        "headline", "Headline numbers", lead, f'<div class="cards">{"".join(cards)}</div>'
    )


def _placement(frame: pl.DataFrame) -> dict[str, int]:
    report = an.quality_report(frame).filter(pl.col(q.SECTION) == q.SECTION_PLACEMENT)
    return dict(zip(report[q.ITEM].to_list(), report[q.COUNT].to_list(), strict=True))


def _expiring(frame: pl.DataFrame, day: dt.date) -> str:
    soon = an.expiring_soon(frame, within_days=s.EXPIRING_SOON_DAYS, as_of=day)
    assert isinstance(soon, pl.DataFrame)
    until = day + dt.timedelta(days=s.EXPIRING_SOON_DAYS)
    lead = (
        f"{_count(soon.height)} licenses ({_ha(float(soon[s.AREA_HA].sum() or 0.0))} ha) expire "
        f"between {day.isoformat()} and {until.isoformat()} inclusive, soonest first."
    )
    columns = [
        _Col(s.EXPIRY_DATE, "Expires", css="nowrap"),
        _Col(an.DAYS_TO_EXPIRY, "Days left", _count, numeric=True),
        _Col(s.COMPANY_NAME, "Company"),
        _Col(s.COMMODITY, "Commodity"),
        _Col(s.LICENSE_TYPE, "Type"),
        _Col(s.ACTIVITY, "Activity"),
        _Col(s.PROVINCE, "Province"),
        _Col(s.AREA_HA, "Area (ha)", _ha1, numeric=True),
        _Col(s.WIUP_CODE, "WIUP code", css="code"),
        _Col(s.LICENSE_NUMBER, "License number"),
    ]
    table = _table(soon, columns, scroll=soon.height > 15, swatch=s.COMMODITY)
    return _section("expiring", f"Expiring within {s.EXPIRING_SOON_DAYS} days", lead, table)


def _provinces(frame: pl.DataFrame) -> str:
    chart = _figure(
        lambda: plots.plot_area_by_province(frame),
        "Horizontal bar chart of licensed area per province in thousand hectares, "
        "stacked by commodity",
        "Bars are stacked by commodity; labels give thousand ha and the share of all area.",
    )
    columns = [
        _Col(s.PROVINCE, "Province"),
        _Col(an.LICENSES, "Licenses", _count, numeric=True),
        _Col(s.AREA_HA, "Area (ha)", _ha, numeric=True),
        _Col(an.AREA_SHARE, "Share", _share, numeric=True),
        _Col(an.MEAN_AREA, "Mean (ha)", _ha1, numeric=True),
        _Col(an.MEDIAN_AREA, "Median (ha)", _ha1, numeric=True),
    ]
    table = _table(an.area_by_province(frame), columns, scroll=True)
    lead = "Where the licensed area lies, largest first."
    return _section("provinces", "Area by province", lead, chart, table)


def _companies(frame: pl.DataFrame) -> str:
    chart = _figure(
        lambda: plots.plot_top_companies(frame, top=_TOP_COMPANIES),
        f"Horizontal bar chart of the {_TOP_COMPANIES} companies with the most licensed area",
        "Companies are grouped by company_key (the API's slug, else a normalised name); "
        "the number after each name is its licenses.",
    )
    share_cols = [
        _Col(an.TOP_SHARES[n], f"Top {n} share", _share, numeric=True) for n in (1, 5, 10)
    ]
    conc_cols = [
        _Col(an.COMPANIES, "Companies", _count, numeric=True),
        _Col(s.AREA_HA, "Attributed area (ha)", _ha, numeric=True),
        _Col(an.HHI, "HHI (0–10,000)", _ha, numeric=True),
        *share_cols,
        _Col(an.UNATTRIBUTED_AREA, "No company (ha)", _ha, numeric=True),
    ]
    overall = _table(an.concentration(frame), conc_cols, caption="All licenses")
    by_commodity = an.concentration(frame, by=s.COMMODITY).sort(s.AREA_HA, descending=True)
    per_commodity = _table(
        by_commodity,
        [_Col(s.COMMODITY, "Commodity"), *conc_cols],
        caption="Within each commodity, largest area first",
        scroll=True,
        swatch=s.COMMODITY,
    )
    top_cols = [
        _Col(an.RANK, "Rank", _count, numeric=True),
        _Col(s.COMPANY_NAME, "Company"),
        _Col(an.LICENSES, "Licenses", _count, numeric=True),
        _Col(s.AREA_HA, "Area (ha)", _ha, numeric=True),
        _Col(an.AREA_SHARE, "Share", _share, numeric=True),
        _Col(an.PROVINCE_COUNT, "Provinces", _count, numeric=True),
        _Col(an.COMMODITY_LIST, "Commodities"),
    ]
    top = _table(
        an.area_by_company(frame, top=_TOP_COMPANIES),
        top_cols,
        caption=f"Top {_TOP_COMPANIES} companies by licensed area",
    )
    lead = (
        "How concentrated licensed area is among holders. HHI is the sum of squared "
        "percentage shares: under 1,500 is unconcentrated, over 2,500 highly concentrated "
        "(US merger guidelines)."
    )
    return _section(
        "companies", "Top companies and concentration", lead, chart, overall, top, per_commodity
    )


def _age(frame: pl.DataFrame, day: dt.date) -> str:
    chart = _figure(
        lambda: plots.plot_license_age(frame, as_of=day),
        "Histogram of license age in years, stacked by license type",
        "Age is the time from the effective date to the as-of date; one-year bins.",
    )
    overall = an.license_age_stats(frame, as_of=day).select(
        pl.lit("All licenses").alias(s.LICENSE_TYPE), pl.all()
    )
    by_type = an.license_age_stats(frame, by=s.LICENSE_TYPE, as_of=day)
    stats = pl.concat([overall, by_type.cast(overall.schema)], how="vertical")
    columns = [
        _Col(s.LICENSE_TYPE, "License type"),
        _Col(an.LICENSES, "Licenses", _count, numeric=True),
        _Col(an.AGE_MEDIAN, "Median age", _years, numeric=True),
        _Col(an.AGE_MEAN, "Mean age", _years, numeric=True),
        _Col(an.AGE_P10, "10th pct", _years, numeric=True),
        _Col(an.AGE_P90, "90th pct", _years, numeric=True),
        _Col(an.AGE_MAX, "Oldest", _years, numeric=True),
        _Col(an.TENURE_MEDIAN, "Median tenure", _years, numeric=True),
        _Col(an.REMAINING_MEDIAN, "Median left", _years, numeric=True),
        _Col(an.EXPIRED_SHARE, "Expired", _share, numeric=True),
        _Col(an.MISSING_DATES, "No usable dates", _count, numeric=True),
    ]
    table = _table(stats, columns, caption="Years; remaining time is over licenses not yet expired")
    lead = (
        f"Ages as of {day.isoformat()}. Tenure is the licensed term (effective to expiry). "
        "Licenses with a missing or flagged date are left out and counted."
    )
    return _section("age", "License age", lead, chart, table)


def _quality(frame: pl.DataFrame) -> str:
    report = an.quality_report(frame)
    section = pl.col(q.SECTION)
    nulls = report.filter((section == q.SECTION_NULLS) & (pl.col(q.COUNT) > 0))
    issues = report.filter(section == q.SECTION_ISSUES).with_columns(
        pl.col(q.ITEM)
        .str.replace(r":.*$", ":<field>")
        .replace_strict(dict(s.ISSUE_CODES), default=None)
        .alias("meaning")
    )
    unknown = report.filter(section == q.SECTION_UNKNOWN)
    placement = report.filter(section == q.SECTION_PLACEMENT)
    counted = [
        _Col(q.COUNT, "Records", _count, numeric=True),
        _Col(q.SHARE, "Share", _share, numeric=True),
    ]
    flagged = frame.filter(pl.col(s.ISSUES).list.len() > 0).height
    lead = (
        f"{_count(flagged)} of {_count(frame.height)} records carry at least one issue code. "
        "Records are never dropped: values outside the known sets are kept verbatim and flagged."
    )
    parts = [
        _table(
            issues,
            [_Col(q.ITEM, "Issue", css="code"), _Col("meaning", "Meaning"), *counted],
            caption="Issue codes",
        ),
        _table(
            unknown,
            [_Col(q.ITEM, "Column", css="code"), _Col(q.VALUE, "Value"), *counted],
            caption="Values outside the known sets",
        ),
        _table(
            nulls,
            [_Col(q.ITEM, "Column", css="code"), *counted],
            caption="Missing values (columns with none are left out)",
        ),
        _table(
            placement,
            [_Col(q.ITEM, "Placed at", css="code"), *counted],
            caption="Where each license sits on the map",
        ),
    ]
    grid = f'<div class="grid2">{"".join(parts[1:])}</div>'
    return _section("quality", "Data quality", lead, parts[0], grid)


def _meta_value(value: Any) -> str:
    if value is None:
        return _NA
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return f"{value:,}"
    if isinstance(value, dt.date):
        return _plain(value)
    if isinstance(value, Mapping):
        shown = {k: v for k, v in value.items() if not _SECRET.search(str(k))}
        return ", ".join(f"{k}={v}" for k, v in shown.items()) or "none"
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value)) or "none"
    return str(value)


def _provenance(frame: pl.DataFrame, meta: Mapping[str, Any] | None, *, synthetic: bool) -> str:
    from mining_licenses import __version__

    given = {k: v for k, v in (meta or {}).items() if not _SECRET.search(str(k))}
    ordered = [k for k in _META_LABELS if k in given] + [k for k in given if k not in _META_LABELS]
    rows = [
        (_META_LABELS.get(k, k.replace("_", " ").capitalize()), _meta_value(given[k]))
        for k in ordered
    ]
    fetched = frame[s.FETCHED_AT].drop_nulls()
    derived = [
        ("Records in this report", _count(frame.height)),
        ("Data fetched", _span(fetched.min(), fetched.max()) if fetched.len() else _NA),
        ("Report made with", f"mining-licenses {__version__} (schema {s.SCHEMA_VERSION})"),
    ]
    if meta is None:
        derived.insert(0, ("Source", "bundled synthetic sample" if synthetic else "not recorded"))

    def dl(items: list[tuple[str, str]]) -> str:
        body = "".join(f"<dt>{_esc(k)}</dt><dd>{_esc(v)}</dd>" for k, v in items)
        return f'<dl class="meta">{body}</dl>'

    parts = [
        "<h3>Snapshot metadata</h3>",
        dl(rows) if rows else '<p class="lead">No snapshot metadata was given.</p>',
        "<h3>From the data</h3>",
        dl(derived),
        "<h3>Gazetteer</h3>",
        f'<p class="lead">{_esc(gazetteer.ATTRIBUTION)}</p>',
    ]
    lead = "Where these numbers come from. Credentials are never shown."
    return _section("provenance", "Provenance", lead, *parts)


def _span(first: object, last: object) -> str:
    return _plain(first) if first == last else f"{_plain(first)} to {_plain(last)}"


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
        f"{_esc(sample.SYNTHETIC_NOTE)} Every company, license and number below is made up; "
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
    >>> import warnings
    >>> from mining_licenses.loader import load_licenses
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     frame = load_licenses(source="sample", as_="polars", province="Riau")
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
    map_chart = _figure(
        lambda: plots.plot_map(data),
        "Map of Indonesia with license points coloured by commodity and sized by area",
        "Filled circles: the API gave the license's point. Hollow diamonds: the record named "
        "only its regency, so the license sits at the regency's gazetteer point, which is "
        "approximate and shared by every license there. No coastline is bundled.",
    )
    expiry_chart = _figure(
        lambda: plots.plot_expiry_schedule(data, as_of=day),
        "Stacked bar chart of licenses by year of expiry, coloured by commodity",
        f"The hatched first bar holds licenses already expired on {day.isoformat()}; "
        "the hatched last bar, licenses with no usable expiry date.",
    )
    sections = [
        _headline(data, day),
        _section("map", "Where the licenses are", "Licenses by commodity and area.", map_chart),
        _section("expiry", "Expiry schedule", "When licenses run out, year by year.", expiry_chart),
        _expiring(data, day),
        _provinces(data),
        _companies(data),
        _age(data, day),
        _quality(data),
        _provenance(data, provenance, synthetic=synthetic),
    ]
    titles = re.findall(r'<section id="([^"]+)"><h2>([^<]+)</h2>', "".join(sections))
    toc = "".join(f'<a href="#{sid}">{title}</a>' for sid, title in titles)
    from mining_licenses import __version__

    subtitle = (
        f"Indonesia's mining-license registry (Sectors Financial API) · as of "
        f"{day.isoformat()} · {data.height:,} licenses"
    )
    return tpl.PAGE.substitute(
        version=_esc(__version__),
        title="Mining licenses report" + (" (synthetic sample)" if synthetic else ""),
        css=tpl.CSS,
        subtitle=_esc(subtitle),
        banner=_banner() if synthetic else "",
        toc=toc,
        sections="\n".join(sections),
        footer=_esc(
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
    >>> import tempfile, warnings
    >>> from mining_licenses.loader import load_licenses
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     frame = load_licenses(source="sample", as_="polars", province="Bali")
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
