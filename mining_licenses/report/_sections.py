"""What each section of the report says: one builder per section, data in, a Section out.

Each takes the canonical frame (and the as-of day where it matters) and
returns a :class:`~mining_licenses.report._parts.Section`; the template draws
it and the table of contents is made from the sections' ids and titles.
Everything shown comes from :mod:`mining_licenses.analytics`. The provenance
section, which also handles the snapshot metadata, is in ``_provenance``.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import polars as pl

from mining_licenses import _terms, plots
from mining_licenses import analytics as an
from mining_licenses import schema as s
from mining_licenses.analytics import _inputs as inp
from mining_licenses.analytics import columns as q
from mining_licenses.companies import display_name_expr
from mining_licenses.report import _format as fmt
from mining_licenses.report import _parts as p
from mining_licenses.report._parts import Column

_TOP_COMPANIES: Final = 15
#: File names of the tables embedded whole as CSV.
EXPIRING_CSV: Final = "expiring.csv"
COMPANIES_CSV: Final = "companies.csv"
PROVINCES_CSV: Final = "provinces.csv"


def _expiring_soon(frame: pl.DataFrame, day: dt.date) -> pl.DataFrame:
    soon = an.expiring_soon(frame, within_days=s.EXPIRING_SOON_DAYS, as_of=day)
    assert isinstance(soon, pl.DataFrame)
    return soon


def _area(frame: pl.DataFrame) -> float:
    return inp.area_sum(frame)  # counted areas only: never NaN or infinite


def headline(frame: pl.DataFrame, day: dt.date) -> p.Section:
    """Build the headline cards: licenses, area, companies, expired, expiring soon, placed."""
    total = frame.height
    area = _area(frame)
    soon = _expiring_soon(frame, day)
    schedule = an.expiry_schedule(frame, as_of=day)
    expired = int(schedule.filter(pl.col(an.PERIOD) == an.EXPIRED_BUCKET)[an.LICENSES].sum())
    conc = an.concentration(frame)
    companies = int(conc[an.COMPANIES].item()) if conc.height else 0
    hhi = conc[an.HHI].item() if conc.height else None
    top10 = conc[an.TOP_SHARES[10]].item() if conc.height else None
    placement = _placement(frame)
    at_api = placement.get(s.GEOMETRY_FROM_API, 0)
    at_regency = placement.get(s.GEOMETRY_FROM_REGENCY, 0)
    of_total = (lambda n: n / total) if total else (lambda _n: 0.0)
    cards = (
        p.Card("Licenses", fmt.count(total), f"as of {day.isoformat()}"),
        p.Card("Licensed area (thousand ha)", fmt.ha(area / 1000), f"{fmt.ha(area)} ha"),
        p.Card(
            "Companies",
            fmt.count(companies),
            f"HHI {fmt.ha(hhi)} · top 10 hold {fmt.share(top10)}" if hhi is not None else "",
        ),
        p.Card(
            "Expired",
            fmt.count(expired),
            f"{fmt.share(of_total(expired))} of licenses",
            alert=expired > 0,
        ),
        p.Card(
            f"Expiring within {s.EXPIRING_SOON_DAYS} days",
            fmt.count(soon.height),
            f"{fmt.ha(_area(soon) / 1000)} thousand ha",
        ),
        p.Card(
            "Placed on the map",
            fmt.share(of_total(at_api + at_regency)),
            f"{fmt.count(at_api)} at the API's point, {fmt.count(at_regency)} at a regency point",
        ),
    )
    lead = (
        f"The registry as of {day.isoformat()}: {fmt.count(total)} licenses covering "
        f"{fmt.ha(area)} ha (1 thousand ha = 10 km²)."
    )
    return p.Section("headline", "Headline numbers", lead, (p.Cards(cards), *_not_counted(frame)))


def _not_counted(frame: pl.DataFrame) -> tuple[p.Note, ...]:
    """Say how many licenses have an area or a date that no number here counts (if any)."""
    area = frame.select((~inp.area_counted()).sum()).item()
    dates = frame.select((inp.dated() & ~inp.usable_dates()).sum()).item()
    said = []
    if area:
        said.append(
            f"{fmt.count(area)} licenses have no usable area (missing, not a number, zero or "
            f"negative, or over {fmt.ha(s.MAX_AREA_HA)} ha): they count as licenses but add "
            "no area to any total, share or chart"
        )
    if dates:
        first, last = s.DATE_WINDOW
        said.append(
            f"{fmt.count(dates)} licenses carry a date outside {first.isoformat()} to "
            f"{last.isoformat()} (a placeholder such as 9999-12-31): they are shown as "
            "out of range and left out of the expiry periods and the ages"
        )
    if not said:
        return ()
    text = "; ".join(said)
    return (p.Note(f"{text[0].upper()}{text[1:]}. Data quality lists them."),)


def _placement(frame: pl.DataFrame) -> dict[str, int]:
    report = an.quality_report(frame).filter(pl.col(q.SECTION) == q.SECTION_PLACEMENT)
    return dict(zip(report[q.ITEM].to_list(), report[q.COUNT].to_list(), strict=True))


def map_(frame: pl.DataFrame, day: dt.date) -> p.Section:
    """Build the map of licenses by commodity."""
    chart = p.chart(
        lambda narrow: plots.plot_map(frame, as_of=day, narrow=narrow),
        "Map of Indonesia with license points coloured by commodity and sized by area",
        "Filled circles: the API gave the license's point. Hollow diamonds: the record named "
        "only its regency, so the license sits at the regency's gazetteer point, which is "
        "approximate and shared by every license there; a number beside a point says how "
        "many licenses sit on it. Land: Natural Earth (public domain).",
        enlarge=True,
    )
    return p.Section("map", "Where the licenses are", "Licenses by commodity and area.", (chart,))


def expiry(frame: pl.DataFrame, day: dt.date) -> p.Section:
    """Build the expiry schedule chart."""
    chart = p.chart(
        lambda narrow: plots.plot_expiry_schedule(frame, as_of=day, narrow=narrow),
        "Stacked bar chart of licenses by year of expiry, coloured by commodity",
        f"The hatched first bar holds licenses already expired on {day.isoformat()}; "
        "the hatched bars at the end, licenses whose expiry date is out of range "
        "(before 1950 or after 2100, a placeholder) or missing.",
    )
    lead = "When licenses run out, year by year."
    return p.Section("expiry", "Expiry schedule", lead, (chart,))


def expiring(frame: pl.DataFrame, day: dt.date) -> p.Section:
    """List every license expiring within 365 days, soonest first; embed them all as CSV."""
    soon = _expiring_soon(frame, day)
    until = day + dt.timedelta(days=s.EXPIRING_SOON_DAYS)
    lead = (
        f"{_terms.count_licenses(soon.height)} ({fmt.ha(_area(soon))} ha) expire "
        f"between {day.isoformat()} and {until.isoformat()} inclusive, soonest first. "
        "The CSV file holds every column of these records."
    )
    columns = [
        Column(s.EXPIRY_DATE, "Expires", css="nowrap"),
        Column(an.DAYS_TO_EXPIRY, "Days left", fmt.count, numeric=True),
        Column(s.COMPANY_NAME, "Company"),
        Column(s.COMMODITY, "Commodity"),
        Column(s.LICENSE_TYPE, "Type"),
        Column(s.ACTIVITY, "Activity"),
        Column(s.PROVINCE, "Province"),
        Column(s.AREA_HA, "Area (ha)", fmt.ha1, numeric=True),
        Column(s.WIUP_CODE, "WIUP code", css="code"),
        Column(s.LICENSE_NUMBER, "License number", css="ident"),
    ]
    table = p.table(
        soon,
        columns,
        scroll=soon.height > 15,
        swatch=s.COMMODITY,
        download=p.csv_download(soon, EXPIRING_CSV),
    )
    title = f"Expiring within {s.EXPIRING_SOON_DAYS} days"
    return p.Section("expiring", title, lead, (table,))


def provinces(frame: pl.DataFrame, day: dt.date) -> p.Section:
    """Show licensed area by province: a chart and the whole table (also as CSV)."""
    chart = p.chart(
        lambda narrow: plots.plot_area_by_province(frame, as_of=day, narrow=narrow),
        "Horizontal bar chart of licensed area per province in thousand hectares, "
        "stacked by commodity",
        "Bars are stacked by commodity; labels give thousand ha and the share of the "
        "licensed area in this report.",
    )
    columns = [
        Column(s.PROVINCE, "Province"),
        Column(an.LICENSES, "Licenses", fmt.count, numeric=True),
        Column(s.AREA_HA, "Area (ha)", fmt.ha, numeric=True),
        Column(an.AREA_SHARE, "Share", fmt.share, numeric=True),
        Column(an.MEAN_AREA, "Mean (ha)", fmt.ha1, numeric=True),
        Column(an.MEDIAN_AREA, "Median (ha)", fmt.ha1, numeric=True),
    ]
    by_province = an.area_by_province(frame)
    download = p.csv_download(by_province, PROVINCES_CSV)
    table = p.table(by_province, columns, scroll=True, download=download)
    lead = "Where the licensed area lies, largest first."
    return p.Section("provinces", "Area by province", lead, (chart, table))


def companies(frame: pl.DataFrame, day: dt.date) -> p.Section:
    """Show top companies, concentration overall and per commodity; all companies as CSV."""
    chart = p.chart(
        lambda narrow: plots.plot_top_companies(
            frame, top=_TOP_COMPANIES, as_of=day, narrow=narrow
        ),
        f"Horizontal bar chart of the {_TOP_COMPANIES} companies with the most licensed area",
        "Companies are grouped by company_key (the API's slug, else a normalised name) and "
        "named by their most frequent spelling; the number after each name is its licenses.",
    )
    share_cols = [
        Column(an.TOP_SHARES[n], f"Top {n} share", fmt.share, numeric=True) for n in (1, 5, 10)
    ]
    conc_cols = [
        Column(an.COMPANIES, "Companies", fmt.count, numeric=True),
        Column(s.AREA_HA, "Attributed area (ha)", fmt.ha, numeric=True),
        Column(an.HHI, "HHI (0–10,000)", fmt.ha, numeric=True),
        *share_cols,
        Column(an.UNATTRIBUTED_AREA, "No company (ha)", fmt.ha, numeric=True),
    ]
    overall = p.table(an.concentration(frame), conc_cols, caption="All licenses")
    by_commodity = an.concentration(frame, by=s.COMMODITY).sort(s.AREA_HA, descending=True)
    per_commodity = p.table(
        by_commodity,
        [Column(s.COMMODITY, "Commodity"), *conc_cols],
        caption="Within each commodity, largest area first",
        scroll=True,
        swatch=s.COMMODITY,
    )
    top_cols = [
        Column(an.RANK, "Rank", fmt.count, numeric=True),
        Column(s.COMPANY_NAME, "Company"),
        Column(an.LICENSES, "Licenses", fmt.count, numeric=True),
        Column(s.AREA_HA, "Area (ha)", fmt.ha, numeric=True),
        Column(an.AREA_SHARE, "Share", fmt.share, numeric=True),
        Column(an.PROVINCE_COUNT, "Provinces", fmt.count, numeric=True),
        Column(an.COMMODITY_LIST, "Commodities"),
    ]
    every = an.area_by_company(frame)
    top = p.table(
        every.filter(pl.col(an.RANK) <= _TOP_COMPANIES).with_columns(
            display_name_expr(pl.col(s.COMPANY_NAME))
        ),
        top_cols,
        caption=f"Top {_TOP_COMPANIES} companies by licensed area",
        download=p.csv_download(every, COMPANIES_CSV),
    )
    lead = (
        "How concentrated licensed area is among holders. HHI is the sum of squared "
        "percentage shares: under 1,500 is unconcentrated, over 2,500 highly concentrated "
        "(US merger guidelines)."
    )
    parts = (chart, overall, top, per_commodity)
    return p.Section("companies", "Top companies and concentration", lead, parts)


def age(frame: pl.DataFrame, day: dt.date) -> p.Section:
    """Show license age: a histogram and statistics overall and per license type."""
    chart = p.chart(
        lambda narrow: plots.plot_license_age(frame, as_of=day, narrow=narrow),
        "Histogram of license age in years, stacked by license type",
        "Age is the time from the effective date to the as-of date; one-year bins.",
    )
    overall = an.license_age_stats(frame, as_of=day).select(
        pl.lit("All licenses").alias(s.LICENSE_TYPE), pl.all()
    )
    by_type = an.license_age_stats(frame, by=s.LICENSE_TYPE, as_of=day)
    stats = pl.concat([overall, by_type.cast(overall.schema)], how="vertical")
    in_years = [
        (an.AGE_MEDIAN, "Median age"),
        (an.AGE_MEAN, "Mean age"),
        (an.AGE_P10, "10th pct"),
        (an.AGE_P90, "90th pct"),
        (an.AGE_MAX, "Oldest"),
        (an.TENURE_MEDIAN, "Median tenure"),
        (an.REMAINING_MEDIAN, "Median left"),
    ]
    columns = [
        Column(s.LICENSE_TYPE, "License type"),
        Column(an.LICENSES, "Licenses", fmt.count, numeric=True),
        *(Column(name, header, fmt.years, numeric=True) for name, header in in_years),
        Column(an.EXPIRED_SHARE, "Expired", fmt.share, numeric=True),
        Column(an.MISSING_DATES, "No usable dates", fmt.count, numeric=True),
        Column(an.DATES_OUT_OF_RANGE, "Dates out of range", fmt.count, numeric=True),
    ]
    caption = "Years; remaining time is over licenses not yet expired"
    table = p.table(stats, columns, caption=caption)
    lead = (
        f"Ages as of {day.isoformat()}. Tenure is the licensed term (effective to expiry). "
        "Licenses with a missing or flagged date are left out and counted."
    )
    return p.Section("age", "License age", lead, (chart, table))


def quality(frame: pl.DataFrame) -> p.Section:
    """Show issue codes, values outside the known sets, missing values and map placement."""
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
        Column(q.COUNT, "Records", fmt.count, numeric=True),
        Column(q.SHARE, "Share", fmt.share, numeric=True),
    ]
    flagged = frame.filter(pl.col(s.ISSUES).list.len() > 0).height
    lead = (
        f"{fmt.count(flagged)} of {fmt.count(frame.height)} records carry at least one issue "
        "code. Records are never dropped: values outside the known sets are kept verbatim "
        "and flagged."
    )
    codes = p.table(
        issues,
        [Column(q.ITEM, "Issue", css="code"), Column("meaning", "Meaning", css="prose"), *counted],
        caption="Issue codes",
    )
    grid = p.Grid(
        (  # the tall one first: the two short ones fill the column beside it
            p.table(
                nulls,
                [Column(q.ITEM, "Column", css="code"), *counted],
                caption="Missing values (columns with none are left out)",
            ),
            p.table(
                unknown,
                [Column(q.ITEM, "Column", css="code"), Column(q.VALUE, "Value"), *counted],
                caption="Values outside the known sets",
            ),
            p.table(
                placement,
                [Column(q.ITEM, "Placed at", css="code"), *counted],
                caption="Where each license sits on the map",
            ),
        ),
        flow=True,
    )
    return p.Section("quality", "Data quality", lead, (codes, grid))
