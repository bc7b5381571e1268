"""One self-contained HTML report of the registry: numbers, charts, tables, provenance.

:func:`render_report` returns the page as a string and :func:`write_report`
writes it. Inside: ``_render`` (the two public functions), ``_sections`` (what
each section says), ``_html`` (tables, charts, formats) and ``_template`` (the
page around them).
"""

from mining_licenses.report._render import (
    SECTION_IDS,
    SYNTHETIC_BANNER_ID,
    render_report,
    write_report,
)

__all__ = ["SECTION_IDS", "SYNTHETIC_BANNER_ID", "render_report", "write_report"]
