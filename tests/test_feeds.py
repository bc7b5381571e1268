"""The feeds: Atom 1.0 read by a feed parser and held to RFC 4287, JSON Feed 1.1 to its schema."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import jsonschema
import polars as pl
import pytest
from lxml import etree

from mining_licenses.changes import Watchlist, read_ledger, update_ledger
from mining_licenses.feeds import write_feeds
from mining_licenses.normalize import normalize_records
from mining_licenses.store import write_snapshot
from tests import _scripted as sc

ATOM = "{http://www.w3.org/2005/Atom}"
SCHEMA = json.loads((Path(__file__).parent / "data" / "jsonfeed-1.1.schema.json").read_text())
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
HOSTILE = '<script>alert("x")</script> & Sons "PT"'


def atom_problems(data: bytes) -> list[str]:
    """What the document breaks of RFC 4287's rules for atom:feed and atom:entry (4.1.1-4.2)."""
    root = etree.fromstring(data)
    problems = []
    if root.tag != f"{ATOM}feed":
        return [f"the root is {root.tag}, not atom:feed"]

    def once(node: etree._Element, name: str, where: str) -> None:
        found = node.findall(f"{ATOM}{name}")
        if len(found) != 1:
            problems.append(f"{where} has {len(found)} atom:{name}, not exactly one")

    def dates(node: etree._Element, where: str) -> None:
        for name in ("updated", "published"):
            problems.extend(
                f"{where} atom:{name} {date.text!r} is not RFC 3339"
                for date in node.findall(f"{ATOM}{name}")
                if not RFC3339.match(date.text or "")
            )

    def links(node: etree._Element, where: str) -> list[etree._Element]:
        found = node.findall(f"{ATOM}link")
        alternates = [
            (x.get("type"), x.get("hreflang"))
            for x in found
            if x.get("rel", "alternate") == "alternate"
        ]
        if len(alternates) != len(set(alternates)):
            problems.append(f"{where}: two alternate links of one type and hreflang")
        problems.extend(
            f"{where}: a link without an absolute href"
            for link in found
            if not urlsplit(link.get("href", "")).scheme
        )
        return found

    for name in ("id", "title", "updated"):
        once(root, name, "the feed")
    dates(root, "the feed")
    if not any(x.get("rel") == "self" for x in links(root, "the feed")):
        problems.append("the feed has no self link (SHOULD)")
    entries = root.findall(f"{ATOM}entry")
    feed_author = root.find(f"{ATOM}author/{ATOM}name") is not None
    ids = []
    for number, entry in enumerate(entries, 1):
        where = f"entry {number}"
        for name in ("id", "title", "updated"):
            once(entry, name, where)
        dates(entry, where)
        found = links(entry, where)
        content = entry.find(f"{ATOM}content")
        if content is None and not any(x.get("rel", "alternate") == "alternate" for x in found):
            problems.append(f"{where} has neither content nor an alternate link")
        if content is not None and content.get("type") not in (None, "text", "html", "xhtml"):
            problems.append(f"{where}: content type {content.get('type')}")
        if not feed_author and entry.find(f"{ATOM}author") is None:
            problems.append(f"{where} has no author and the feed none either")
        ids.append(entry.findtext(f"{ATOM}id"))
        if not urlsplit(ids[-1] or "").scheme:
            problems.append(f"{where}: id {ids[-1]!r} is not an IRI")
    if len(ids) != len(set(ids)):
        problems.append("two entries share an id")
    return problems


def check_json_feed(data: bytes) -> dict[str, object]:
    document = json.loads(data)
    jsonschema.validate(document, SCHEMA)
    for item in document["items"]:
        for name in ("date_published", "date_modified"):
            assert RFC3339.match(item[name]), item[name]
        assert urlsplit(item["url"]).scheme in ("file", "http", "https")
    return document


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("feeds")
    store = root / "store"
    days = sc.days()
    for later in days[1:]:  # the new holder of record 7 names itself hostilely
        next(r for r in later if r["wiup_code"] == sc.code(7))["company_name"] = HOSTILE
    for when, records in zip(sc.DAYS, days, strict=True):
        write_snapshot(
            normalize_records(records, fetched_at=when),
            store=store,
            meta={**sc.META, "fetched_at": when},
        )
    update_ledger(store)
    out = root / "feeds"
    write_feeds(store, out, feed_url="https://example.org/mining/")
    return store, out


def test_the_atom_feed_is_atom_1_0_to_a_feed_parser_and_to_rfc_4287(
    published: tuple[Path, Path],
) -> None:
    _, out = published
    data = (out / "feed.xml").read_bytes()
    parsed = feedparser.parse(data)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert len(parsed.entries) == 2  # one entry per update with events
    assert parsed.feed.links[0].href == "https://example.org/mining/feed.xml"
    first = parsed.entries[0]
    assert first.link.startswith("https://example.org/mining/digests/digest_2027")
    assert first.title.startswith("[synthetic data] 1 event ")
    assert atom_problems(data) == []


def test_rfc_4287_checker_catches_what_it_claims_to() -> None:
    bad = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><updated>yesterday</updated>'
        b"<entry><id>x</id><title>a</title><updated>2026-01-01T00:00:00Z</updated></entry></feed>"
    )
    problems = atom_problems(bad)
    assert "the feed has 0 atom:id, not exactly one" in problems
    assert any("not RFC 3339" in p for p in problems)
    assert any("neither content nor" in p for p in problems)
    assert any("no author" in p for p in problems)


def test_the_json_feed_is_json_feed_1_1(published: tuple[Path, Path]) -> None:
    _, out = published
    document = check_json_feed((out / "feed.json").read_bytes())
    assert document["feed_url"] == "https://example.org/mining/feed.json"
    items = document["items"]
    assert [i["tags"] for i in items][1][:2] == ["new", "vanished_expired"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**document, "version": "https://jsonfeed.org/version/1"}, SCHEMA)


def test_entry_ids_are_stable_when_the_feed_is_written_again_and_grows(
    published: tuple[Path, Path], tmp_path: Path
) -> None:
    import shutil

    store, out = tmp_path / "store", tmp_path / "feeds"  # a copy: the module's stays as it is
    shutil.copytree(published[0], store)
    shutil.copytree(published[1], out)
    before = [e.id for e in feedparser.parse((out / "feed.xml").read_bytes()).entries]
    again = write_feeds(store, out, feed_url="https://example.org/mining/")
    assert again.digests == ()  # digests already there are kept, not redrawn (moved or not)
    assert [e.id for e in again.entries] == before
    assert (out / "feed.xml").read_bytes() == (out / "feed.xml").read_bytes()
    later = sc.days()[2][:-2]
    when = sc.DAYS[2] + dt.timedelta(days=31)
    write_snapshot(
        normalize_records(later, fetched_at=when), store=store, meta={**sc.META, "fetched_at": when}
    )
    update_ledger(store)
    grown = write_feeds(store, out, feed_url="https://example.org/mining/")
    assert [e.id for e in grown.entries][1:] == before
    assert len(grown.digests) == 1


def test_every_value_is_escaped_in_the_feeds_and_the_digest(published: tuple[Path, Path]) -> None:
    _, out = published
    pages = sorted((out / "digests").glob("*.html"))
    page = next(p.read_text() for p in pages if "2026" in p.name and "1201" in p.name)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Sons" in page
    assert 'id="synthetic-banner"' in page
    assert not re.search(r'(src|href)="https?://', page)  # self-contained: nothing fetched
    xml = (out / "feed.xml").read_text()
    assert "<script>" not in xml
    contents = [e.content[0].value for e in feedparser.parse(xml.encode()).entries]
    assert any("&lt;script&gt;" in c for c in contents)  # HTML content: the value stays text
    document = json.loads((out / "feed.json").read_text())
    assert all("<script>" not in item["content_html"] for item in document["items"])


def test_a_watchlist_keeps_only_updates_with_watched_events(
    published: tuple[Path, Path], tmp_path: Path
) -> None:
    store, _ = published
    watch = Watchlist.from_toml('[[watch]]\nname = "reappearing"\nevents = ["reappeared"]')
    done = write_feeds(store, tmp_path, watchlist=watch)
    assert len(done.entries) == 1
    assert done.entries[0].tags == ("reappeared",)
    assert atom_problems((tmp_path / "feed.xml").read_bytes()) == []
    ledger = read_ledger(store)
    assert ledger.filter(pl.col("event") == "reappeared").height == 1


def test_the_report_has_a_what_changed_section_when_the_store_has_history(
    published: tuple[Path, Path],
) -> None:
    from mining_licenses.report import CHANGES_SECTION_ID, render_report
    from mining_licenses.store import read_snapshot

    store, _ = published
    frame = read_snapshot("latest", store=store)
    page = render_report(frame, changes=read_ledger(store), meta={"synthetic": True})
    assert f'id="{CHANGES_SECTION_ID}"' in page
    assert "What changed" in page
    assert "reappeared" in page
    assert "<script>alert" not in page
    assert f'id="{CHANGES_SECTION_ID}"' not in render_report(frame, meta={"synthetic": True})
