"""load_licenses(): offline paths, filters with the API's semantics, bad input."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from mining_licenses import schema as s
from mining_licenses._errors import ConfigurationError, SyntheticDataWarning
from mining_licenses.loader import load_licenses
from mining_licenses.sample import SAMPLE_REFERENCE_DATE, SAMPLE_SIZE


@pytest.fixture(scope="module")
def sample() -> pl.DataFrame:
    with pytest.warns(SyntheticDataWarning):
        frame = load_licenses(source="sample", as_="polars")
    assert isinstance(frame, pl.DataFrame)
    return frame


def test_auto_without_key_or_snapshot_gives_the_sample_as_geodataframe() -> None:
    with pytest.warns(SyntheticDataWarning, match="SYNTHETIC"):
        gdf = load_licenses()
    assert isinstance(gdf, gpd.GeoDataFrame)
    assert len(gdf) == SAMPLE_SIZE
    assert gdf.crs.to_epsg() == 4326
    placed = gdf[s.GEOMETRY_SOURCE].notna()
    assert gdf.geometry[placed].notna().all()
    assert gdf.geometry[~placed].isna().all()


def test_polars_output_is_canonical_and_deterministic(sample: pl.DataFrame) -> None:
    assert sample.schema == s.POLARS_SCHEMA
    assert sample.height == SAMPLE_SIZE
    with pytest.warns(SyntheticDataWarning):
        again = load_licenses(source="sample", as_="polars")
    assert isinstance(again, pl.DataFrame)
    assert_frame_equal(sample, again)


def test_sample_as_of_is_its_reference_date(sample: pl.DataFrame) -> None:
    assert {t.date() for t in sample[s.FETCHED_AT].unique()} == {SAMPLE_REFERENCE_DATE}


def test_text_filters_ignore_case(sample: pl.DataFrame) -> None:
    with pytest.warns(SyntheticDataWarning):
        coal = load_licenses(
            source="sample", as_="polars", commodity_type="cOaL", license_type="iup"
        )
    assert isinstance(coal, pl.DataFrame)
    expected = [
        r
        for r in sample.iter_rows(named=True)
        if r[s.COMMODITY] == "Coal" and r[s.LICENSE_TYPE] == "IUP"
    ]
    assert coal.height == len(expected) > 0
    assert set(coal[s.COMMODITY]) == {"Coal"}


def test_province_filter_is_exact_after_alias(sample: pl.DataFrame) -> None:
    with pytest.warns(SyntheticDataWarning):
        babel = load_licenses(source="sample", as_="polars", province="Bangka Belitung")
    assert isinstance(babel, pl.DataFrame)
    expected = sum(p == "Kepulauan Bangka Belitung" for p in sample[s.PROVINCE])
    assert babel.height == expected > 0


def test_expiring_soon_is_inclusive_365_days_from_the_snapshot_date(
    sample: pl.DataFrame,
) -> None:
    with pytest.warns(SyntheticDataWarning):
        soon = load_licenses(source="sample", as_="polars", expiring_soon=True)
    assert isinstance(soon, pl.DataFrame)
    end = SAMPLE_REFERENCE_DATE + dt.timedelta(days=365)
    expected = [
        d for d in sample[s.EXPIRY_DATE] if d is not None and SAMPLE_REFERENCE_DATE <= d <= end
    ]
    assert soon.height == len(expected) > 0
    with pytest.warns(SyntheticDataWarning):
        everything = load_licenses(source="sample", as_="polars", expiring_soon=False)
    assert isinstance(everything, pl.DataFrame)
    assert everything.height == sample.height


def test_unknown_filter_lists_the_allowed_ones() -> None:
    with pytest.raises(ConfigurationError, match="commodity_type") as info:
        load_licenses(source="sample", commodity="coal")
    assert "Unknown filter(s) commodity" in str(info.value)


def test_bad_filter_value_lists_the_allowed_values() -> None:
    with pytest.raises(ConfigurationError, match="Nickel"):
        load_licenses(source="sample", commodity_type="unobtainium")
    with pytest.raises(ConfigurationError, match="boolean"):
        load_licenses(source="sample", expiring_soon="maybe")


def test_bad_source_and_output_kind() -> None:
    with pytest.raises(ConfigurationError, match="'sample'"):
        load_licenses(source="web")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="'polars'"):
        load_licenses(source="sample", as_="pandas")  # type: ignore[arg-type]
