"""The README's Python example, verbatim: a test type-checks it with ``mypy --strict``.

Keep it identical to the ```python block of README.md (tests/test_loader.py checks);
it is never run by the tests (it would write files in the working directory).
"""

# ruff: noqa: E501
# fmt: off
from mining_licenses import area_by_company, concentration, expiring_soon, export, load_licenses

gdf = load_licenses()                                   # GeoDataFrame, EPSG:4326, one row per license
coal = load_licenses(commodity_type="coal", province="Kalimantan Timur", as_="polars")
soon = expiring_soon(coal, within_days=180)             # as of the day the data was fetched
top = area_by_company(coal, top=10)                     # one row per company, however it is spelled
hhi = concentration(coal)                               # HHI and top-1/5/10 shares of area
mb = load_licenses(company="PT Multi Bintang", as_="polars")  # a slug, a key or a name, any spelling
gdf.to_file("licenses.gpkg")                            # geopandas' own tools take it as it is
export(gdf, "licenses.fgb")                             # .parquet .gpkg .fgb .geojson .csv, with provenance
# fmt: on
