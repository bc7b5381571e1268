"""One self-contained HTML report of the registry: numbers, charts, tables, provenance.

:func:`render_report` returns the page as a string and :func:`write_report`
writes it. Inside: ``_render`` (the two public functions and the jinja2
environment), ``_sections`` (what each section says), ``_changes`` (what changed: counts,
tables per event type, the map; the "What changed" section), ``_digest``
(the page of one update, linked from the feeds), ``_provenance`` (the
snapshot metadata, without credentials), ``_parts`` (the cards, charts and
tables a section is made of, as data), ``_format`` (how numbers read) and
``templates/`` (the markup and CSS; jinja2 escapes every value).
"""

from mining_licenses.report._changes import CHANGES_SECTION_ID
from mining_licenses.report._digest import render_digest, write_digest
from mining_licenses.report._render import (
    SECTION_IDS,
    SYNTHETIC_BANNER_ID,
    render_report,
    write_report,
)

__all__ = [
    "CHANGES_SECTION_ID",
    "SECTION_IDS",
    "SYNTHETIC_BANNER_ID",
    "render_digest",
    "render_report",
    "write_digest",
    "write_report",
]
