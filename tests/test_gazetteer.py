"""Tests of the bundled gazetteer and of locate()."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mining_licenses import gazetteer, schema

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO / "scripts" / "gazetteer-source"  # the reference data, kept in the repository
BUNDLED = REPO / "mining_licenses" / "data" / "gazetteer"


def _names(texts: list[str | None], provinces: list[str | None] | None = None) -> list[str | None]:
    prov = None if provinces is None else pl.Series(provinces, dtype=pl.String)
    return gazetteer.locate(pl.Series(texts, dtype=pl.String), prov)[
        gazetteer.REGENCY_NAME
    ].to_list()


def _in_bounds(frame: pl.DataFrame) -> pl.Series:
    lon_min, lat_min, lon_max, lat_max = schema.INDONESIA_BOUNDS
    return frame.select(
        pl.col(schema.LONGITUDE).is_between(lon_min, lon_max)
        & pl.col(schema.LATITUDE).is_between(lat_min, lat_max)
    ).to_series()


# ------------------------------------------------------------------- tables


def test_provinces_are_the_38_of_the_schema_in_order():
    frame = gazetteer.provinces()
    assert frame.columns == [schema.PROVINCE, gazetteer.CODE, schema.LATITUDE, schema.LONGITUDE]
    assert tuple(frame[schema.PROVINCE]) == schema.PROVINCES
    assert frame[gazetteer.CODE].n_unique() == 38
    assert frame.null_count().sum_horizontal().item() == 0


def test_every_point_is_inside_indonesia():
    assert _in_bounds(gazetteer.provinces()).all()
    regencies = gazetteer.regencies()
    assert regencies.height == 514
    assert _in_bounds(regencies).all()


def test_source_sign_errors_are_corrected():
    provinces = gazetteer.provinces()
    lat = dict(zip(provinces[schema.PROVINCE], provinces[schema.LATITUDE], strict=True))
    assert lat["DKI Jakarta"] == pytest.approx(-6.1745)
    assert lat["DI Yogyakarta"] == pytest.approx(-7.7956)
    regencies = gazetteer.regencies()
    reg = {
        row[gazetteer.NAME]: (row[schema.LATITUDE], row[schema.LONGITUDE])
        for row in regencies.iter_rows(named=True)
    }
    assert reg["Kabupaten Kepulauan Mentawai"] == pytest.approx((-1.98917, 99.51889))
    assert reg["Kota Binjai"][1] < 99  # was 108.23, in the sea near Natuna
    assert reg["Kabupaten Empat Lawang"][0] < 0  # was in Sumatera Utara


def _distance(suffix: str) -> pl.Expr:
    return (
        (pl.col(schema.LATITUDE) - pl.col(f"{schema.LATITUDE}{suffix}")) ** 2
        + (pl.col(schema.LONGITUDE) - pl.col(f"{schema.LONGITUDE}{suffix}")) ** 2
    ).sqrt()


def test_each_regency_lies_among_its_province():
    # The build's rule: no regency sits much nearer another province's points
    # than its own (this caught Binjai, Empat Lawang and Mentawai in the source).
    reg = gazetteer.regencies().with_row_index("i")
    pairs = reg.join(reg, how="cross", suffix="_o").filter(pl.col("i") != pl.col("i_o"))
    same = pl.col(schema.PROVINCE) == pl.col(f"{schema.PROVINCE}_o")
    nearest = pairs.group_by("i").agg(
        _distance("_o").filter(same).min().alias("same"),
        _distance("_o").filter(~same).min().alias("other"),
    )
    bad = nearest.filter((pl.col("same") > 1) & (pl.col("same") > 4 * pl.col("other")))
    assert bad.height == 0


def test_each_province_point_is_nearest_one_of_its_regencies():
    prov = gazetteer.provinces()
    reg = gazetteer.regencies()
    nearest = (
        prov.join(reg, how="cross", suffix="_r")
        .with_columns(_distance("_r").alias("d"))
        .sort(schema.PROVINCE, "d")
        .group_by(schema.PROVINCE, maintain_order=True)
        .first()
    )
    assert nearest.height == 38
    assert nearest[schema.PROVINCE].equals(nearest[f"{schema.PROVINCE}_r"], check_names=False)


def test_regency_columns_and_names():
    frame = gazetteer.regencies()
    assert frame.columns == [
        gazetteer.CODE,
        schema.PROVINCE,
        gazetteer.NAME,
        gazetteer.KIND,
        gazetteer.BARE_NAME,
        schema.LATITUDE,
        schema.LONGITUDE,
    ]
    assert frame[gazetteer.CODE].is_unique().all()
    assert set(frame[gazetteer.KIND]) == {gazetteer.KABUPATEN, gazetteer.KOTA}
    assert set(frame[schema.PROVINCE]) == set(schema.PROVINCES)
    assert (frame[gazetteer.KIND] + " " + frame[gazetteer.BARE_NAME]).equals(
        frame[gazetteer.NAME], check_names=False
    )
    names = set(frame[gazetteer.NAME])
    for name in (
        "Kabupaten Paser",
        "Kota Tasikmalaya",
        "Kabupaten Fak-Fak",
        "Kabupaten Pangkajene Dan Kepulauan",
        "Kabupaten Kepulauan Seribu",
        "Kota Pare-Pare",
    ):
        assert name in names


def test_papua_split():
    frame = gazetteer.regencies()
    province = dict(zip(frame[gazetteer.NAME], frame[schema.PROVINCE], strict=True))
    assert province["Kabupaten Merauke"] == "Papua Selatan"
    assert province["Kota Sorong"] == "Papua Barat Daya"
    assert province["Kabupaten Mimika"] == "Papua Tengah"
    assert province["Kabupaten Jayawijaya"] == "Papua Pegunungan"
    assert province["Kota Jayapura"] == "Papua"
    assert province["Kabupaten Manokwari"] == "Papua Barat"
    counts = dict(frame.group_by(schema.PROVINCE).len().iter_rows())
    assert counts["Papua Selatan"] == 4
    assert counts["Papua Barat Daya"] == 6


def test_new_papua_provinces_sit_at_the_mean_of_their_regencies():
    means = (
        gazetteer.regencies()
        .group_by(schema.PROVINCE)
        .agg(pl.col(schema.LATITUDE).mean(), pl.col(schema.LONGITUDE).mean())
    )
    joined = gazetteer.provinces().join(means, on=schema.PROVINCE, suffix="_mean")
    for name in ("Papua Selatan", "Papua Tengah", "Papua Pegunungan", "Papua Barat Daya"):
        row = joined.filter(pl.col(schema.PROVINCE) == name).row(0, named=True)
        assert row[schema.LATITUDE] == pytest.approx(row[f"{schema.LATITUDE}_mean"], abs=1e-5)
        assert row[schema.LONGITUDE] == pytest.approx(row[f"{schema.LONGITUDE}_mean"], abs=1e-5)


def test_tables_are_copies():
    frame = gazetteer.provinces()
    frame.drop_in_place(schema.PROVINCE)
    assert schema.PROVINCE in gazetteer.provinces().columns


def test_attribution_credits_the_source():
    assert "Kemendagri" in gazetteer.ATTRIBUTION
    assert "D1msky/nusantara-shipping" in gazetteer.ATTRIBUTION
    assert "MIT" in gazetteer.ATTRIBUTION
    readme = (BUNDLED / "README.md").read_text(encoding="utf-8")
    assert gazetteer.ATTRIBUTION in readme
    assert "Last updated: 2026-02-23" in readme


# ------------------------------------------------------------------- locate


def test_locate_single_names_in_every_spelling():
    texts = [
        "Kota Tasikmalaya",
        "Paser",
        "KABUPATEN TABALONG",
        "Kab. Tanah Bumbu",
        "kab tanah bumbu",
        "  kabupaten   paser ",
        "Fakfak",
        "Fak-Fak",
        "Kota Pare Pare",
        "Kabupaten Pangkajene dan Kepulauan",
        "Kab. Kep. Selayar",
        "Kota Administrasi Jakarta Selatan",
        "Kotabaru",
        "Kota Baru",  # a Kabupaten whose name starts with Kota
    ]
    assert _names(texts) == [
        "Kota Tasikmalaya",
        "Kabupaten Paser",
        "Kabupaten Tabalong",
        "Kabupaten Tanah Bumbu",
        "Kabupaten Tanah Bumbu",
        "Kabupaten Paser",
        "Kabupaten Fak-Fak",
        "Kabupaten Fak-Fak",
        "Kota Pare-Pare",
        "Kabupaten Pangkajene Dan Kepulauan",
        "Kabupaten Kepulauan Selayar",
        "Kota Jakarta Selatan",
        "Kabupaten Kota Baru",
        "Kabupaten Kota Baru",
    ]


def test_locate_returns_code_and_point():
    frame = gazetteer.locate(pl.Series(["Paser"]))
    assert frame.columns == [
        gazetteer.REGENCY_CODE,
        gazetteer.REGENCY_NAME,
        schema.LONGITUDE,
        schema.LATITUDE,
    ]
    row = frame.row(0, named=True)
    assert row[gazetteer.REGENCY_CODE] == "64.01"
    assert row[schema.LONGITUDE] == pytest.approx(116.23535)
    assert row[schema.LATITUDE] == pytest.approx(-1.43517)
    assert frame.schema == pl.Schema(
        {
            gazetteer.REGENCY_CODE: pl.String(),
            gazetteer.REGENCY_NAME: pl.String(),
            schema.LONGITUDE: pl.Float64(),
            schema.LATITUDE: pl.Float64(),
        }
    )


def test_locate_several_names_first_that_resolves_wins():
    texts = [
        "Kabupaten Tabalong, Kabupaten Balangan",
        "Kabupaten Balangan, Kabupaten Tabalong",
        "Atlantis, Kabupaten Balangan",
        "Atlantis; Kabupaten Maros",
        "Maros dan Gowa",
        "Maros & Gowa",
        "Atlantis/Gowa",
        "Pangkajene Dan Kepulauan, Maros",
        "Atlantis, Lemuria",
    ]
    assert _names(texts) == [
        "Kabupaten Tabalong",
        "Kabupaten Balangan",
        "Kabupaten Balangan",
        "Kabupaten Maros",
        "Kabupaten Maros",
        "Kabupaten Maros",
        "Kabupaten Gowa",
        "Kabupaten Pangkajene Dan Kepulauan",
        None,
    ]


def test_locate_prefix_must_match_kind():
    assert _names(["Kota Sorong", "Kabupaten Sorong", "Kab Sorong", "Sorong"]) == [
        "Kota Sorong",
        "Kabupaten Sorong",
        "Kabupaten Sorong",
        "Kabupaten Sorong",
    ]
    # No Kota Paser exists: a wrong prefix does not fall back to the Kabupaten.
    assert _names(["Kota Paser", "Kota Sorong Selatan"]) == [None, None]


def test_locate_bare_kota_and_kabupaten_namesakes_prefer_kabupaten():
    assert _names(["Tasikmalaya", "Bandung", "Banjar"]) == [
        "Kabupaten Tasikmalaya",
        "Kabupaten Bandung",
        "Kabupaten Banjar",  # Kalimantan Selatan; Kota Banjar is in Jawa Barat
    ]


def test_locate_province_disambiguates():
    texts = ["Banjar", "Banjar", "Banjar", "Sorong", "Banjar"]
    provinces = ["Jawa Barat", "Kalimantan Selatan", None, "Papua Barat Daya", "Bali"]
    assert _names(texts, provinces) == [
        "Kota Banjar",
        "Kabupaten Banjar",
        "Kabupaten Banjar",
        "Kabupaten Sorong",  # both kinds in that province: the Kabupaten
        "Kabupaten Banjar",  # no Banjar in Bali: the province cannot help
    ]
    # Province aliases are accepted.
    assert _names(["Banjar"], ["jawa barat"]) == ["Kota Banjar"]


def test_locate_same_name_in_two_provinces(monkeypatch):
    # The 2020 list has no same-kind namesakes in two provinces; add one.
    real = gazetteer._match_table()
    twin = real.filter(pl.col(gazetteer.CODE) == "64.01").with_columns(
        pl.lit("99.01").alias(gazetteer.CODE), pl.lit("Bali").alias(schema.PROVINCE)
    )
    monkeypatch.setattr(gazetteer, "_match_table", lambda: pl.concat([real, twin]))
    texts = ["Paser", "Kabupaten Paser", "Paser", "Paser", "Paser, Gowa"]
    provinces = [None, None, "Bali", "Kalimantan Timur", None]
    found = gazetteer.locate(pl.Series(texts), pl.Series(provinces, dtype=pl.String))
    # Ambiguous without a province: unresolved rather than guessed, and the
    # next name of a list is tried instead.
    assert found[gazetteer.REGENCY_CODE].to_list() == [None, None, "99.01", "64.01", "73.06"]


def test_locate_unknown_null_and_empty():
    assert _names([None, "", "   ", "Atlantis", "Kabupaten", "Kota", ",,,"]) == [None] * 7


def test_locate_preserves_length_and_order_with_duplicates():
    texts = ["Paser", None, "Kota Sorong", "Paser", "Atlantis", "Sorong", "Paser"]
    frame = gazetteer.locate(pl.Series(texts))
    assert frame.height == len(texts)
    assert frame[gazetteer.REGENCY_NAME].to_list() == [
        "Kabupaten Paser",
        None,
        "Kota Sorong",
        "Kabupaten Paser",
        None,
        "Kabupaten Sorong",
        "Kabupaten Paser",
    ]


def test_locate_empty_series():
    frame = gazetteer.locate(pl.Series([], dtype=pl.String))
    assert frame.height == 0
    assert frame.columns[:2] == [gazetteer.REGENCY_CODE, gazetteer.REGENCY_NAME]


def test_locate_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="provinces has 1"):
        gazetteer.locate(pl.Series(["Paser", "Gowa"]), pl.Series(["Bali"]))


def test_every_regency_name_resolves_to_itself():
    reg = gazetteer.regencies()
    found = gazetteer.locate(reg[gazetteer.NAME], reg[schema.PROVINCE])
    assert found[gazetteer.REGENCY_CODE].equals(reg[gazetteer.CODE], check_names=False)
    upper = gazetteer.locate(reg[gazetteer.NAME].str.to_uppercase())
    assert upper[gazetteer.REGENCY_CODE].equals(reg[gazetteer.CODE], check_names=False)
    # Bare names with their province: unique except Kota/Kabupaten pairs.
    bare = gazetteer.locate(reg[gazetteer.BARE_NAME], reg[schema.PROVINCE])
    both_kinds = pl.col(gazetteer.KIND).n_unique().over(gazetteer.BARE_NAME) > 1
    expect = reg.filter(~both_kinds | (pl.col(gazetteer.KIND) == gazetteer.KABUPATEN))
    got = reg.with_columns(bare[gazetteer.REGENCY_CODE].alias("got")).filter(
        ~both_kinds | (pl.col(gazetteer.KIND) == gazetteer.KABUPATEN)
    )
    assert got["got"].equals(expect[gazetteer.CODE], check_names=False)


def test_aliases_do_not_shadow_names():
    keys = (
        gazetteer.regencies()[gazetteer.BARE_NAME]
        .str.to_lowercase()
        .str.replace_all(r"[^a-z0-9]", "")
    )
    assert not set(keys) & set(gazetteer._ALIASES)
    assert _names(["Pasangkayu", "Toba", "Pangkep"]) == [
        "Kabupaten Mamuju Utara",
        "Kabupaten Toba Samosir",
        "Kabupaten Pangkajene Dan Kepulauan",
    ]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=40)), max_size=25))
def test_locate_never_changes_length_or_order(texts):
    # Each row resolves exactly as it does alone: order and length kept.
    frame = gazetteer.locate(pl.Series(texts, dtype=pl.String))
    assert frame.height == len(texts)
    alone = [_names([t])[0] for t in texts]
    assert frame[gazetteer.REGENCY_NAME].to_list() == alone


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.sampled_from(["Paser", "Kota Sorong", "Sorong", "Banjar", "Atlantis", "x, Gowa", ""]),
        max_size=30,
    )
)
def test_locate_reversed_input_gives_reversed_output(texts):
    forward = _names(texts)
    backward = _names(texts[::-1])
    assert forward == backward[::-1]


def test_province_points():
    frame = gazetteer.province_points(pl.Series(["Jakarta", None, "Atlantis", "Kalimantan Timur"]))
    assert frame[schema.PROVINCE].to_list() == ["DKI Jakarta", None, None, "Kalimantan Timur"]
    assert frame[schema.LATITUDE][0] == pytest.approx(-6.1745)
    assert frame[schema.LATITUDE].null_count() == 2


# ------------------------------------------------------------ build script


def _build_script() -> ModuleType:
    path = REPO / "scripts" / "build_gazetteer.py"
    spec = importlib.util.spec_from_file_location("build_gazetteer", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up by name
    spec.loader.exec_module(module)
    return module


def test_bundled_files_equal_a_fresh_build():
    files = _build_script().build(SOURCE)
    assert sorted(files) == ["README.md", "provinces.csv", "regencies.csv"]
    for name, text in files.items():
        assert (BUNDLED / name).read_bytes() == text.encode("utf-8"), name


def test_build_is_deterministic_and_lists_every_correction():
    module = _build_script()
    first, second = module.build(SOURCE), module.build(SOURCE)
    assert first == second
    for correction in module.CORRECTIONS:
        assert f"{correction.code} {correction.name}" in first["README.md"]


def test_title_name():
    title = _build_script().title_name
    assert title("KABUPATEN FAK-FAK") == "Kabupaten Fak-Fak"
    assert title("KABUPATEN PANGKAJENE DAN KEPULAUAN") == "Kabupaten Pangkajene Dan Kepulauan"
    assert title("KOTA TOLI-TOLI  II") == "Kota Toli-Toli II"
