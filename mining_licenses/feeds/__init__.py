"""Feeds of what changed: Atom 1.0 and JSON Feed 1.1, with a digest page per update.

:func:`write_feeds` publishes a store's ledger for feed readers, Slack or
Teams automation, e-mail or a newsroom's scraper: ``feed.xml`` (Atom,
RFC 4287), ``feed.json`` (JSON Feed 1.1) and ``digests/`` (one
self-contained HTML page per update, in the report's style). Inside:
``_entries`` (one entry per update, stable ids), ``_formats`` (the two
formats) and ``_publish`` (the files, published together or not at all).
"""

from mining_licenses.feeds._entries import Entry, digest_name, feed_id
from mining_licenses.feeds._publish import (
    ATOM_NAME,
    DEFAULT_TITLE,
    DIGESTS,
    JSON_NAME,
    Feeds,
    check_feed_dir,
    write_feeds,
)

__all__ = [
    "ATOM_NAME",
    "DEFAULT_TITLE",
    "DIGESTS",
    "JSON_NAME",
    "Entry",
    "Feeds",
    "check_feed_dir",
    "digest_name",
    "feed_id",
    "write_feeds",
]
