"""The two feed formats: Atom 1.0 (RFC 4287) and JSON Feed 1.1, from the same entries.

Atom is written with the standard library's ElementTree, which escapes every
text and attribute; the entry's HTML content goes in as text (``type="html"``),
escaped once more, as RFC 4287 asks.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any, Final
from xml.etree import ElementTree as ET

from mining_licenses.feeds._entries import Entry, as_json, rfc3339

ATOM_NS: Final = "http://www.w3.org/2005/Atom"
JSON_FEED_VERSION: Final = "https://jsonfeed.org/version/1.1"
AUTHOR: Final = "mining-licenses"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    node = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
    if text is not None:
        node.text = text
    return node


def atom(
    items: Sequence[Entry],
    *,
    feed: str,
    title: str,
    subtitle: str,
    self_url: str,
    home_url: str,
    updated: dt.datetime,
    version: str,
) -> bytes:
    """Return the Atom document (UTF-8 bytes with an XML declaration).

    ``updated`` is the feed's time when it has no entry (the newest entry's
    otherwise).
    """
    ET.register_namespace("", ATOM_NS)
    root = ET.Element(f"{{{ATOM_NS}}}feed")
    _sub(root, "id", feed)
    _sub(root, "title", title)
    _sub(root, "subtitle", subtitle)
    newest = max([e.updated for e in items], default=updated)
    _sub(root, "updated", rfc3339(newest))
    author = _sub(root, "author")
    _sub(author, "name", AUTHOR)
    _sub(root, "generator", "mining-licenses", version=version)
    _sub(root, "link", rel="self", type="application/atom+xml", href=self_url)
    _sub(root, "link", rel="alternate", type="text/html", href=home_url)
    for item in items:
        entry = _sub(root, "entry")
        _sub(entry, "id", item.id)
        _sub(entry, "title", item.title)
        _sub(entry, "updated", rfc3339(item.updated))
        _sub(entry, "published", rfc3339(item.published))
        _sub(entry, "link", rel="alternate", type="text/html", href=item.url)
        _sub(entry, "summary", item.summary, type="text")
        _sub(entry, "content", item.content_html, type="html")
        for tag in item.tags:
            _sub(entry, "category", term=tag, label=tag.replace("_", " "))
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return body + b"\n"


def json_feed(
    items: Sequence[Entry],
    *,
    title: str,
    description: str,
    feed_url: str,
    home_url: str,
) -> bytes:
    """Return the JSON Feed 1.1 document (UTF-8 bytes)."""
    document: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": title,
        "home_page_url": home_url,
        "feed_url": feed_url,
        "description": description,
        "authors": [{"name": AUTHOR}],
        "language": "en",
        "items": [as_json(item) for item in items],
    }
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
