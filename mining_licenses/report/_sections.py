"""Builders of the report's sections: one function per section that has tables.

Each takes the canonical frame (and the as-of day where it matters) and returns
the section's HTML; :func:`mining_licenses.report.render_report` puts them in
page order between the two chart-only sections (map and expiry schedule) it
builds itself. Everything shown comes from :mod:`mining_licenses.analytics`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Final

import polars as pl

from mining_licenses import _config, gazetteer, plots
from mining_licenses import analytics as an
from mining_licenses import schema as s
from mining_licenses.analytics import _quality as q
from mining_licenses.report import _html as h

_TOP_COMPANIES: Final = 15
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


def headline(frame: pl.DataFrame, day: dt.date) -> str:
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
        h.card("Licenses", h.count(total), f"as of {day.isoformat()}"),
        h.card("Licensed area (thousand ha)", h.ha(area / 1000), f"{h.ha(area)} ha"),
        h.card(
            "Companies",
            h.count(companies),
            f"HHI {h.ha(hhi)} · top 10 hold {h.share(top10)}" if hhi is not None else "",
        ),
        h.card(
            "Expired",
            h.count(expired),
            f"{h.share(of_total(expired))} of licenses",
            alert=expired > 0,
        ),
        h.card(
            f"Expiring within {s.EXPIRING_SOON_DAYS} days",
            h.count(soon.height),
            f"{h.ha(float(soon[s.AREA_HA].sum() or 0.0) / 1000)} thousand ha",
        ),
        h.card(
            "Placed on the map",
            h.share(of_total(placed)),
            f"{h.count(placement.get(s.GEOMETRY_FROM_API, 0))} at the API's point, "
            f"{h.count(placement.get(s.GEOMETRY_FROM_REGENCY, 0))} at a regency point",
        ),
    ]
    lead = (
        f"The registry as of {day.isoformat()}: {h.count(total)} licenses covering "
        f"{h.ha(area)} ha (1 thousand ha = 10 km²)."
    )
    return h.section(
        "headline", "Headline numbers", lead, f'<div class="cards">{"".join(cards)}</div>'
    )


def _placement(frame: pl.DataFrame) -> dict[str, int]:
    report = an.quality_report(frame).filter(pl.col(q.SECTION) == q.SECTION_PLACEMENT)
    return dict(zip(report[q.ITEM].to_list(), report[q.COUNT].to_list(), strict=True))


def expiring(frame: pl.DataFrame, day: dt.date) -> str:
    soon = an.expiring_soon(frame, within_days=s.EXPIRING_SOON_DAYS, as_of=day)
    assert isinstance(soon, pl.DataFrame)
    until = day + dt.timedelta(days=s.EXPIRING_SOON_DAYS)
    lead = (
        f"{h.count(soon.height)} licenses ({h.ha(float(soon[s.AREA_HA].sum() or 0.0))} ha) expire "
        f"between {day.isoformat()} and {until.isoformat()} inclusive, soonest first."
    )
    columns = [
        h.Col(s.EXPIRY_DATE, "Expires", css="nowrap"),
        h.Col(an.DAYS_TO_EXPIRY, "Days left", h.count, numeric=True),
        h.Col(s.COMPANY_NAME, "Company"),
        h.Col(s.COMMODITY, "Commodity"),
        h.Col(s.LICENSE_TYPE, "Type"),
        h.Col(s.ACTIVITY, "Activity"),
        h.Col(s.PROVINCE, "Province"),
        h.Col(s.AREA_HA, "Area (ha)", h.ha1, numeric=True),
        h.Col(s.WIUP_CODE, "WIUP code", css="code"),
        h.Col(s.LICENSE_NUMBER, "License number"),
    ]
    table = h.table(soon, columns, scroll=soon.height > 15, swatch=s.COMMODITY)
    return h.section("expiring", f"Expiring within {s.EXPIRING_SOON_DAYS} days", lead, table)


def provinces(frame: pl.DataFrame) -> str:
    chart = h.figure(
        lambda: plots.plot_area_by_province(frame),
        "Horizontal bar chart of licensed area per province in thousand hectares, "
        "stacked by commodity",
        "Bars are stacked by commodity; labels give thousand ha and the share of all area.",
    )
    columns = [
        h.Col(s.PROVINCE, "Province"),
        h.Col(an.LICENSES, "Licenses", h.count, numeric=True),
        h.Col(s.AREA_HA, "Area (ha)", h.ha, numeric=True),
        h.Col(an.AREA_SHARE, "Share", h.share, numeric=True),
        h.Col(an.MEAN_AREA, "Mean (ha)", h.ha1, numeric=True),
        h.Col(an.MEDIAN_AREA, "Median (ha)", h.ha1, numeric=True),
    ]
    table = h.table(an.area_by_province(frame), columns, scroll=True)
    lead = "Where the licensed area lies, largest first."
    return h.section("provinces", "Area by province", lead, chart, table)


def companies(frame: pl.DataFrame) -> str:
    chart = h.figure(
        lambda: plots.plot_top_companies(frame, top=_TOP_COMPANIES),
        f"Horizontal bar chart of the {_TOP_COMPANIES} companies with the most licensed area",
        "Companies are grouped by company_key (the API's slug, else a normalised name); "
        "the number after each name is its licenses.",
    )
    share_cols = [
        h.Col(an.TOP_SHARES[n], f"Top {n} share", h.share, numeric=True) for n in (1, 5, 10)
    ]
    conc_cols = [
        h.Col(an.COMPANIES, "Companies", h.count, numeric=True),
        h.Col(s.AREA_HA, "Attributed area (ha)", h.ha, numeric=True),
        h.Col(an.HHI, "HHI (0–10,000)", h.ha, numeric=True),
        *share_cols,
        h.Col(an.UNATTRIBUTED_AREA, "No company (ha)", h.ha, numeric=True),
    ]
    overall = h.table(an.concentration(frame), conc_cols, caption="All licenses")
    by_commodity = an.concentration(frame, by=s.COMMODITY).sort(s.AREA_HA, descending=True)
    per_commodity = h.table(
        by_commodity,
        [h.Col(s.COMMODITY, "Commodity"), *conc_cols],
        caption="Within each commodity, largest area first",
        scroll=True,
        swatch=s.COMMODITY,
    )
    top_cols = [
        h.Col(an.RANK, "Rank", h.count, numeric=True),
        h.Col(s.COMPANY_NAME, "Company"),
        h.Col(an.LICENSES, "Licenses", h.count, numeric=True),
        h.Col(s.AREA_HA, "Area (ha)", h.ha, numeric=True),
        h.Col(an.AREA_SHARE, "Share", h.share, numeric=True),
        h.Col(an.PROVINCE_COUNT, "Provinces", h.count, numeric=True),
        h.Col(an.COMMODITY_LIST, "Commodities"),
    ]
    top = h.table(
        an.area_by_company(frame, top=_TOP_COMPANIES),
        top_cols,
        caption=f"Top {_TOP_COMPANIES} companies by licensed area",
    )
    lead = (
        "How concentrated licensed area is among holders. HHI is the sum of squared "
        "percentage shares: under 1,500 is unconcentrated, over 2,500 highly concentrated "
        "(US merger guidelines)."
    )
    return h.section(
        "companies", "Top companies and concentration", lead, chart, overall, top, per_commodity
    )


def age(frame: pl.DataFrame, day: dt.date) -> str:
    chart = h.figure(
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
        h.Col(s.LICENSE_TYPE, "License type"),
        h.Col(an.LICENSES, "Licenses", h.count, numeric=True),
        h.Col(an.AGE_MEDIAN, "Median age", h.years, numeric=True),
        h.Col(an.AGE_MEAN, "Mean age", h.years, numeric=True),
        h.Col(an.AGE_P10, "10th pct", h.years, numeric=True),
        h.Col(an.AGE_P90, "90th pct", h.years, numeric=True),
        h.Col(an.AGE_MAX, "Oldest", h.years, numeric=True),
        h.Col(an.TENURE_MEDIAN, "Median tenure", h.years, numeric=True),
        h.Col(an.REMAINING_MEDIAN, "Median left", h.years, numeric=True),
        h.Col(an.EXPIRED_SHARE, "Expired", h.share, numeric=True),
        h.Col(an.MISSING_DATES, "No usable dates", h.count, numeric=True),
    ]
    table = h.table(
        stats, columns, caption="Years; remaining time is over licenses not yet expired"
    )
    lead = (
        f"Ages as of {day.isoformat()}. Tenure is the licensed term (effective to expiry). "
        "Licenses with a missing or flagged date are left out and counted."
    )
    return h.section("age", "License age", lead, chart, table)


def quality(frame: pl.DataFrame) -> str:
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
        h.Col(q.COUNT, "Records", h.count, numeric=True),
        h.Col(q.SHARE, "Share", h.share, numeric=True),
    ]
    flagged = frame.filter(pl.col(s.ISSUES).list.len() > 0).height
    lead = (
        f"{h.count(flagged)} of {h.count(frame.height)} records carry at least one issue code. "
        "Records are never dropped: values outside the known sets are kept verbatim and flagged."
    )
    parts = [
        h.table(
            issues,
            [h.Col(q.ITEM, "Issue", css="code"), h.Col("meaning", "Meaning"), *counted],
            caption="Issue codes",
        ),
        h.table(
            unknown,
            [h.Col(q.ITEM, "Column", css="code"), h.Col(q.VALUE, "Value"), *counted],
            caption="Values outside the known sets",
        ),
        h.table(
            nulls,
            [h.Col(q.ITEM, "Column", css="code"), *counted],
            caption="Missing values (columns with none are left out)",
        ),
        h.table(
            placement,
            [h.Col(q.ITEM, "Placed at", css="code"), *counted],
            caption="Where each license sits on the map",
        ),
    ]
    grid = f'<div class="grid2">{"".join(parts[1:])}</div>'
    return h.section("quality", "Data quality", lead, parts[0], grid)


def _meta_value(value: Any) -> str:
    if value is None:
        return h.NA
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return f"{value:,}"
    if isinstance(value, dt.date):
        return h.plain(value)
    if isinstance(value, Mapping):
        shown = {k: v for k, v in value.items() if not _config.is_secret_name(k)}
        return ", ".join(f"{k}={v}" for k, v in shown.items()) or "none"
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value)) or "none"
    return str(value)


def provenance(frame: pl.DataFrame, meta: Mapping[str, Any] | None, *, synthetic: bool) -> str:
    from mining_licenses._version import __version__

    given = {k: v for k, v in (meta or {}).items() if not _config.is_secret_name(k)}
    ordered = [k for k in _META_LABELS if k in given] + [k for k in given if k not in _META_LABELS]
    rows = [
        (_META_LABELS.get(k, k.replace("_", " ").capitalize()), _meta_value(given[k]))
        for k in ordered
    ]
    fetched = frame[s.FETCHED_AT].drop_nulls()
    derived = [
        ("Records in this report", h.count(frame.height)),
        ("Data fetched", _span(fetched.min(), fetched.max()) if fetched.len() else h.NA),
        ("Report made with", f"mining-licenses {__version__} (schema {s.SCHEMA_VERSION})"),
    ]
    if meta is None:
        derived.insert(0, ("Source", "bundled synthetic sample" if synthetic else "not recorded"))

    def dl(items: list[tuple[str, str]]) -> str:
        body = "".join(f"<dt>{h.esc(k)}</dt><dd>{h.esc(v)}</dd>" for k, v in items)
        return f'<dl class="meta">{body}</dl>'

    parts = [
        "<h3>Snapshot metadata</h3>",
        dl(rows) if rows else '<p class="lead">No snapshot metadata was given.</p>',
        "<h3>From the data</h3>",
        dl(derived),
        "<h3>Gazetteer</h3>",
        f'<p class="lead">{h.esc(gazetteer.ATTRIBUTION)}</p>',
    ]
    lead = "Where these numbers come from. Credentials are never shown."
    return h.section("provenance", "Provenance", lead, *parts)


def _span(first: object, last: object) -> str:
    return h.plain(first) if first == last else f"{h.plain(first)} to {h.plain(last)}"
