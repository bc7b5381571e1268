"""Company names and keys: the folding rules, keys learned from the data, conflicts."""

from __future__ import annotations

import random
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mining_licenses import schema as s
from mining_licenses.analytics import area_by_company, concentration
from mining_licenses.companies import (
    NAME_SEVERAL_SLUGS,
    SLUG_SEVERAL_NAMES,
    company_conflicts,
    company_table,
    name_key,
    resolve_company,
    suggest_companies,
    with_company_keys,
)
from mining_licenses.normalize import normalize_records

# ------------------------------------------------------------- folding rules
FOLDING_RULES = [
    # (rule, spelling, name key)
    ("case", "pt MULTI bintang", "multi-bintang"),
    ("whitespace", "  PT   Multi \t Bintang  ", "multi-bintang"),
    ("punctuation as a word break", "PT.Multi-Bintang", "multi-bintang"),
    ("ampersand", "PT Multi & Bintang", "multi-and-bintang"),
    ("PT", "PT Multi Bintang", "multi-bintang"),
    ("PT.", "PT. Multi Bintang", "multi-bintang"),
    ("P.T.", "P.T. Multi Bintang", "multi-bintang"),
    ("P. T.", "P. T. Multi Bintang", "multi-bintang"),
    ("legal form last", "Multi Bintang, PT", "multi-bintang"),
    ("Perseroan Terbatas", "Perseroan Terbatas Multi Bintang", "multi-bintang"),
    ("Tbk", "PT Multi Bintang Tbk", "multi-bintang"),
    ("Tbk.", "PT Multi Bintang Tbk.", "multi-bintang"),
    ("TBK", "PT. MULTI BINTANG, TBK", "multi-bintang"),
    ("(Persero)", "PT Multi Bintang (Persero)", "multi-bintang"),
    ("(Persero) Tbk", "PT Multi Bintang (Persero) Tbk", "multi-bintang"),
    ("CV", "CV Multi Bintang", "multi-bintang"),
    ("CV.", "CV. Multi Bintang", "multi-bintang"),
    ("C.V.", "C.V. Multi Bintang", "multi-bintang"),
    ("Koperasi", "Koperasi Multi Bintang", "multi-bintang"),
    ("KUD", "KUD Multi Bintang", "multi-bintang"),
    ("K.U.D.", "K.U.D. Multi Bintang", "multi-bintang"),
    ("Koperasi Unit Desa", "Koperasi Unit Desa Multi Bintang", "multi-bintang"),
    ("letters inside words stay", "PT Ptolemy Cvetko Tbkx", "ptolemy-cvetko-tbkx"),
    ("digits stay", "PT Tambang 99", "tambang-99"),
    ("only a legal form", "P.T.", None),
]


@pytest.mark.parametrize(
    ("rule", "spelling", "key"), FOLDING_RULES, ids=[r[0] for r in FOLDING_RULES]
)
def test_each_folding_rule(rule: str, spelling: str, key: str | None) -> None:
    del rule
    assert name_key(spelling) == key


# ------------------------------------------------- a held-out test registry
BASES = [
    "Multi Bintang", "Bara Sumber Makmur", "Nikel Timur Raya", "Emas Gunung Jaya",
    "Timah Bangka Sejahtera", "Batu Alam Lestari", "Pasir Laut Indah", "Tembaga Papua Abadi",
    "Bauksit Kalbar Mandiri", "Granit Nusa Perkasa", "Mineral Sulawesi Utama",
    "Karya Tambang Bersama",
]  # fmt: skip
SPELLINGS = {
    "pt": [
        "PT {b}", "PT. {b}", "P.T. {b}", "Pt {l}", "{b}, PT", "PT {b} Tbk", "PT. {B} TBK.",
        "PT {b} (Persero)", "  PT  {b} ", "{b}", "PERSEROAN TERBATAS {B}",
    ],
    "cv": ["CV {b}", "CV. {b}", "C.V. {b}", "{b}, CV", "Cv {l}"],
    "koperasi": ["Koperasi {b}", "KUD {b}", "K.U.D. {b}", "Koperasi Unit Desa {b}", "kud {l}"],
}  # fmt: skip
FORMS = ("pt", "cv", "koperasi")


def _api_slug(company: int) -> str:
    """A slug rule unlike the name key: ticker-like, legal form kept, or an id."""
    words = BASES[company].lower().split()
    return (
        "".join(w[:2] for w in words),
        "-".join(words) + "-tbk",
        f"co_{company:05d}",
    )[company % 3]


def registry(
    picks: list[tuple[int, int, bool]], *, slugged: frozenset[int] | None = None
) -> list[dict[str, Any]]:
    """API records, one per (company, spelling, with slug); only ``slugged`` companies get one."""
    records = []
    for i, (company, spelling, with_slug) in enumerate(picks):
        variants = SPELLINGS[FORMS[company % 3]]
        base = BASES[company]
        name = variants[spelling % len(variants)].format(b=base, B=base.upper(), l=base.lower())
        carries = with_slug and (slugged is None or company in slugged)
        records.append(
            {
                s.WIUP_CODE: f"{i:016d}",
                s.LICENSE_NUMBER: f"503/{i}/IUP",
                s.LICENSE_TYPE: "IUP",
                s.PROVINCE: "Kalimantan Timur",
                s.CITY: "Paser",
                s.EFFECTIVE_DATE: "2015-10-02",
                s.EXPIRY_DATE: "2030-10-02",
                s.ACTIVITY: "Eksplorasi",
                s.AREA_HA: 100 + company,
                s.LOCATION: None,
                s.COMMODITY: "Coal",
                s.COMPANY_NAME: name,
                s.CNC: "CNC",
                s.GENERATION: None,
                s.COMPANY_SLUG: _api_slug(company) if carries else None,
            }
        )
    return records


def held_out() -> tuple[list[dict[str, Any]], int]:
    """Every company in many spellings; two thirds of them carry a slug on some records."""
    rng = random.Random(11)
    picks = [
        (company, spelling, rng.random() < 0.3)
        for company in range(len(BASES))
        for spelling in range(12)
    ]
    slugged = frozenset(c for c in range(len(BASES)) if c % 3 != 1)
    return registry(picks, slugged=slugged), len(BASES)


def test_held_out_registry_has_one_key_per_company() -> None:
    records, companies = held_out()
    frame = normalize_records(records)
    assert frame[s.COMPANY_SLUG].is_not_null().sum() > 0
    table = area_by_company(frame)
    assert table.height == companies
    assert table[s.COMPANY_KEY].null_count() == 0
    # the slug is the key wherever the company ever carried one
    slugs = {_api_slug(c) for c in range(len(BASES)) if c % 3 != 1}
    assert slugs <= set(table[s.COMPANY_KEY])
    per_company = dict(table.select(s.COMPANY_KEY, "licenses").iter_rows())
    assert set(per_company.values()) == {12}
    assert company_conflicts(frame).height == 0
    assert concentration(frame)["companies"].item() == companies


def test_displayed_name_is_the_most_frequent_spelling() -> None:
    picks = [(0, 0, False)] * 3 + [(0, 1, True), (0, 3, False)]
    table = area_by_company(normalize_records(registry(picks)))
    assert table.select(s.COMPANY_KEY, s.COMPANY_NAME, "licenses").rows() == [
        (_api_slug(0), "PT Multi Bintang", 5)
    ]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, len(BASES) - 1), st.integers(0, 10), st.booleans()),
        min_size=1,
        max_size=40,
    )
)
def test_any_mix_of_spellings_and_slugs_gives_one_row_per_company(
    picks: list[tuple[int, int, bool]],
) -> None:
    table = area_by_company(normalize_records(registry(picks)))
    assert table.height == len({company for company, _, _ in picks})


def test_a_name_seen_with_two_slugs_is_reported_and_never_merged() -> None:
    records = registry([(0, 0, True), (0, 1, False), (1, 0, True)])
    records[1][s.COMPANY_SLUG] = "multi-bintang-2"  # the same name key, another slug
    records.append({**records[0], s.WIUP_CODE: "9" * 16, s.COMPANY_SLUG: None})
    frame = normalize_records(records)
    assert frame[s.COMPANY_KEY].to_list() == [
        _api_slug(0),
        "multi-bintang-2",
        _api_slug(1),
        "multi-bintang",  # no slug of its own, and its name's slug is ambiguous
    ]
    conflicts = company_conflicts(frame)
    assert conflicts.select("conflict", "value", "seen_with", "licenses").rows() == [
        (NAME_SEVERAL_SLUGS, "multi-bintang", sorted([_api_slug(0), "multi-bintang-2"]), 3)
    ]


def test_a_slug_seen_with_two_names_joins_them_and_is_reported() -> None:
    records = registry([(0, 0, True), (1, 0, False), (1, 1, False)])
    records[1][s.COMPANY_SLUG] = _api_slug(0)  # the API says company 1 is company 0 (renamed)
    frame = normalize_records(records)
    assert set(frame[s.COMPANY_KEY]) == {_api_slug(0)}
    conflicts = company_conflicts(frame)
    assert conflicts.select("conflict", "value", "seen_with").rows() == [
        (SLUG_SEVERAL_NAMES, _api_slug(0), ["bara-sumber-makmur", "multi-bintang"])
    ]


def test_rekeying_an_old_frame_gives_the_normalised_keys() -> None:
    frame = normalize_records(registry([(0, 0, True), (0, 4, False), (2, 2, False)]))
    old = frame.with_columns(pl.lit("stale").alias(s.COMPANY_KEY))
    assert with_company_keys(old)[s.COMPANY_KEY].to_list() == frame[s.COMPANY_KEY].to_list()


def test_resolve_and_suggest() -> None:
    frame = normalize_records(registry([(0, 0, True), (0, 3, False), (1, 0, False)]))
    slug = _api_slug(0)
    for spelling in (
        "PT Multi Bintang",
        "Multi Bintang",
        "p.t. MULTI bintang tbk",
        slug,
        slug.upper(),
    ):
        assert resolve_company(frame, spelling) == [slug], spelling
    assert resolve_company(frame, "Unknown Company") == []
    assert suggest_companies(frame, "Multi Bintag") == [f"'PT Multi Bintang' ({slug})"]
    table = company_table(frame)
    assert table.filter(pl.col(s.COMPANY_KEY) == slug)["spellings"].item().to_list() == [
        "PT Multi Bintang",
        "Pt multi bintang",
    ]
