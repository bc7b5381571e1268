"""normalize_pages: page bytes straight to the canonical frame, equal to the dict path."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from mining_licenses import normalize_pages, sample
from mining_licenses import schema as s
from mining_licenses._errors import ConfigurationError, SchemaError
from mining_licenses.normalize import normalize_records
from mining_licenses.replica._http import page_body
from tests.test_normalize import SEED_RECORD, _json_value, _messy_record, record

FETCHED = dt.datetime(2026, 8, 15, 6, 30, tzinfo=dt.UTC)
PAGE = 30


def pages_of(records: list[Any], *, size: int = PAGE, **dumps: Any) -> list[bytes]:
    """The API's page bodies for ``records``, ``size`` to a page."""
    encoded = [json.dumps(r, **dumps).encode() for r in records]
    return [
        page_body(encoded[at : at + size], len(records), size, at)
        for at in range(0, len(records), size)
    ]


def dict_path(bodies: list[bytes], select: list[tuple[int, int]] | None = None) -> pl.DataFrame:
    """What the client does today: json.loads every page, normalise the records."""
    pages = [json.loads(b)["results"] for b in bodies]
    if select is None:
        records = [r for page in pages for r in page]
    else:
        records = [pages[b][r] for b, r in select]
    return normalize_records(records, fetched_at=FETCHED)


def assert_same(bodies: list[bytes], select: list[tuple[int, int]] | None = None) -> pl.DataFrame:
    frame = normalize_pages(bodies, select=select, fetched_at=FETCHED)
    expected = dict_path(bodies, select)
    assert frame.equals(expected), (frame, expected)
    return frame


# ------------------------------------------------------------------ the sample
@pytest.fixture(scope="module")
def sample_pages() -> list[bytes]:
    return pages_of(sample.generate_records())


def test_sample_pages_equal_the_dict_path(
    sample_pages: list[bytes], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="mining_licenses.normalize"):
        frame = assert_same(sample_pages)
    assert frame.height == sample.SAMPLE_SIZE
    assert frame.schema == s.POLARS_SCHEMA
    # every page of the sample is read by the JSON reader, none by json.loads
    assert not [r for r in caplog.records if "dict path" in r.getMessage()]


def test_select_keeps_the_chosen_records_in_their_order(sample_pages: list[bytes]) -> None:
    chosen = [(3, 29), (0, 0), (3, 29), (139, 29), (70, 5)]
    frame = assert_same(sample_pages, chosen)
    records = sample.generate_records()
    assert frame[s.WIUP_CODE].to_list() == [records[b * PAGE + r][s.WIUP_CODE] for b, r in chosen]
    assert normalize_pages(sample_pages, select=[]).height == 0


@pytest.mark.parametrize("bad", [(140, 0), (-1, 0), (0, 30), (2, -1)])
def test_select_outside_the_pages_is_refused(
    sample_pages: list[bytes], bad: tuple[int, int]
) -> None:
    with pytest.raises(ConfigurationError, match=r"select\[1\]"):
        normalize_pages(sample_pages[:140], select=[(0, 0), bad])


def test_spaced_pages_are_read_by_the_json_reader(caplog: pytest.LogCaptureFixture) -> None:
    records = sample.generate_records(300)
    spaced = [
        json.dumps({"results": records[at : at + PAGE], "pagination": {"offset": at}}).encode()
        for at in range(0, len(records), PAGE)
    ]
    with caplog.at_level(logging.DEBUG, logger="mining_licenses.normalize"):
        assert_same(spaced)
    assert not [r for r in caplog.records if "dict path" in r.getMessage()]


def test_a_value_reads_the_same_whatever_the_batch() -> None:
    # a nested value sends the dict path field by field; the other values must not change
    odd = record(wiup_code=1e16, license_number=116.0, company_name={"odd": [1, 2.5]})
    alone = normalize_records([record(wiup_code=1e16, license_number=116.0)], fetched_at=FETCHED)
    batch = normalize_records(
        [record(wiup_code=1e16, license_number=116.0), odd], fetched_at=FETCHED
    )
    assert batch.drop(s.ISSUES).row(0) == alone.drop(s.ISSUES).row(0)  # but the duplicate
    assert batch[s.WIUP_CODE].to_list() == ["10000000000000000"] * 2
    assert batch[s.LICENSE_NUMBER].to_list() == ["116"] * 2
    assert batch[s.COMPANY_NAME][1] == '{"odd": [1, 2.5]}'


def test_envelopes_and_spacing_the_reader_takes_differently() -> None:
    records = [record(), record(wiup_code="3411003442014023", location="Paser")]
    compact = pages_of(records, separators=(",", ":"))
    spaced = [json.dumps({"results": records, "pagination": {"total_count": 2}}).encode()]
    first_pagination = [json.dumps({"pagination": {}, "results": records}).encode()]
    pretty = [json.dumps({"results": records}, indent=2).encode()]
    non_ascii = pages_of([record(company_name="PT Bône Ñusantara", city="Kab. Bône")])
    unescaped = pages_of([record(company_name="PT Bône")], ensure_ascii=False)
    for bodies in (compact, spaced, first_pagination, pretty, non_ascii, unescaped):
        assert_same(bodies)
    empty = [page_body([], 0, PAGE, 0), *compact]
    assert_same(empty, [(1, 1), (1, 0)])


# ------------------------------------------------------------------ messy pages
MESSY_RECORDS: list[Any] = [
    SEED_RECORD,
    None,
    ["a"],
    7,
    record(licensed_area_ha="17.5"),
    record(licensed_area_ha=0),
    record(licensed_area_ha=True),
    record(licensed_area_ha=[1, 2], company_name={"odd": 1}),
    record(licensed_area_ha=1e16, wiup_code=3411003442014022),
    record(wiup_code=2**70, license_number=-0.0, cnc=1e-7),
    record(location={"type": "Point", "coordinates": [151.2093, -33.8688]}),
    record(location={"type": "Point", "coordinates": [-1.456, 116.123]}),
    record(location={"type": "Point", "coordinates": [116, -1]}),
    record(location={"type": "Point", "coordinates": [116.0, -1.0]}),
    record(location={"coordinates": [116.5, -1.5], "type": "Point"}),
    record(location={"type": "Point", "coordinates": ["x", 1]}),
    record(location={"type": "Point"}),
    record(location=[116.5, -1.5]),
    record(location=5.5),
    record(location=True),
    record(location="{not json"),
    record(location="[Paser]"),
    record(location="2024 blok"),
    record(location="true"),
    record(location={"type": "Point", "coordinates": [116.5, -1.5], "name": "Bône"}),
    record(location={"type": "Point", "coordinates": [116.5, -1.5], "note": 'say "hi"\n'}),
    record(company_name="PT \ud83d\ude00 Emoji"),
    record(company_name="[PT] Tambang", generation="{GEN I}"),
    record(company_name=" \t padded \u2028", city="  "),
    record(license_effective_date="2025-02-30", commodity_type="Zircon"),
    record(brand_new_field={"location": "{x", "nested": [1, {"a": 2}]}),
    {},
]


@pytest.mark.parametrize("size", [1, 4, 30])
def test_messy_records_equal_the_dict_path(size: int) -> None:
    assert_same(pages_of(MESSY_RECORDS, size=size))


def test_odd_pages_take_the_dict_path_alone() -> None:
    good = pages_of([record(), record(wiup_code="3411003442014023")])
    odd = [
        b'{"results": [{"wiup_code": "1", "wiup_code": "2"}], "pagination": {}}',
        b'{"results": [{"locatio\\u006e": "{x"}], "pagination": {}}',
        b'{"results": [{"licensed_area_ha": NaN}], "pagination": {}}',
        b'{"results": [null, {"cnc": "CnC"}], "pagination": {}}',
        b'{"results": [{"cnc": "CnC"}], "pagination": {"note": "],\\"pagination\\":{}"}}',
        b'\xef\xbb\xbf{"results": [{"cnc": "CnC"}]}',
    ]
    for body in odd[1:]:
        assert_same([*good, body, *good])
    # text polars cannot hold (a lone surrogate): both paths repair it and flag the record
    lone = b'{"results": [{"company_name": "a\\ud800b"}], "pagination": {}}'
    assert_same([*good, *good, lone])
    frame = normalize_pages([lone], fetched_at=FETCHED)
    assert frame[s.COMPANY_NAME].to_list() == ["a\ufffdb"]
    assert "invalid_text:company_name" in frame[s.ISSUES][0]
    # a repeated key: json.loads keeps the last value, the JSON reader the first
    frame = normalize_pages([odd[0]], fetched_at=FETCHED)
    assert frame[s.WIUP_CODE].to_list() in (["1"], ["2"])


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (b'{"results": [1, 2', "Page 1 is not JSON"),
        (b'{"pagination": {}}', "Page 1 has no 'results' list"),
        (b'[{"wiup_code": "1"}]', "Page 1 has no 'results' list"),
        (b'\xff{"results": []}', "Page 1 is not JSON"),
    ],
)
def test_bodies_that_are_not_pages_raise(body: bytes, match: str) -> None:
    with pytest.raises(SchemaError, match=match):
        normalize_pages([page_body([], 0, PAGE, 0), body])


def test_strict_raises_as_the_dict_path() -> None:
    bodies = pages_of(
        [SEED_RECORD, record(license_expiry_date="2025-02-30"), record(wiup_code=None)], size=2
    )
    with pytest.raises(SchemaError) as ours:
        normalize_pages(bodies, strict=True, fetched_at=FETCHED)
    with pytest.raises(SchemaError) as theirs:
        normalize_records(
            [r for b in bodies for r in json.loads(b)["results"]], strict=True, fetched_at=FETCHED
        )
    assert str(ours.value) == str(theirs.value)
    assert ours.value.problems == theirs.value.problems


def test_no_pages_give_the_empty_frame() -> None:
    assert_frame_equal(normalize_pages([], fetched_at=FETCHED), s.empty_frame())
    assert normalize_pages([page_body([], 0, PAGE, 0)]).schema == s.POLARS_SCHEMA


# --------------------------------------------------------------- property tests
_page = st.lists(_messy_record | _json_value, max_size=6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pages=st.lists(_page, min_size=1, max_size=4),
    separators=st.sampled_from([(", ", ": "), (",", ":")]),
    ensure_ascii=st.booleans(),
)
# an integer between 2**63 and 2**64 once made the dict path raise polars' ComputeError
@example(pages=[[{"wiup_code": 2**63}]], separators=(", ", ": "), ensure_ascii=False)
def test_generated_pages_equal_the_dict_path(
    pages: list[list[Any]], separators: tuple[str, str], ensure_ascii: bool
) -> None:
    bodies = []
    for i, results in enumerate(pages):
        envelope = {"results": results, "pagination": {"offset": i * PAGE}}
        text = json.dumps(envelope, separators=separators, ensure_ascii=ensure_ascii)
        bodies.append(text.encode("utf-8", "surrogatepass"))
    try:
        expected = dict_path(bodies)
    except ValueError:  # json.loads refuses the text (a lone surrogate): so must we
        with pytest.raises(SchemaError):
            normalize_pages(bodies, fetched_at=FETCHED)
        return
    assert normalize_pages(bodies, fetched_at=FETCHED).equals(expected)
