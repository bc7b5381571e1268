"""The README's Python example, verbatim, for ``mypy --strict`` (see tests/test_loader.py).

Keep the body of :func:`readme_example` identical to the ```python block of
README.md, indented once; a test checks both. It is a function so that
importing this module (pytest's doctest collection does) runs nothing: the
example writes files.
"""

# ruff: noqa: E501, F841


def readme_example() -> None:
    """Run the README's example (never called by the tests)."""
    # fmt: off
    from mining_licenses import area_by_company, concentration, expiring_soon, export, load_licenses

    gdf = load_licenses()                                   # GeoDataFrame, EPSG:4326, one row per license
    coal = load_licenses(commodity_type="coal", province="Kaltim", as_="polars")  # Kalimantan Timur
    soon = expiring_soon(coal, within_days=180)             # as of the day the data was fetched
    top = area_by_company(coal, top=10)                     # one row per company, however it is spelled
    hhi = concentration(coal)                               # HHI and top-1/5/10 shares of area
    mb = load_licenses(company="PT Multi Bintang", as_="polars")  # a slug, a key or a name, any spelling
    export(gdf, "licenses.gpkg")                            # for QGIS, with provenance (gdf.to_file keeps none)
    export(coal, "coal.csv")                                # .parquet .gpkg .fgb .geojson .csv; filters, totals kept
    # fmt: on
