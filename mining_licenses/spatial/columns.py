"""Output column names and values of the spatial screens (public: import them, do not retype).

The licenses' own columns keep their :mod:`mining_licenses.schema` names; these
are the columns the screens add. Every column that comes from the circle
footprint starts with ``approx_``: the API gives a license's point, not its
polygon, so a circle of the licensed area around the point is an
approximation of where the license lies, and the name says so wherever the
value goes (frames, CSV, GeoParquet, the terminal).
"""

from __future__ import annotations

from typing import Final

# ------------------------------------------------------------- small_islands
#: Number of the island in the islands layer (the bundled one: 1 = largest).
ISLAND_ID: Final = "island_id"
#: The whole island's area in km2 on an equal-area projection.
ISLAND_KM2: Final = "island_km2"
#: A label for the island from the gazetteer, not an official name (see ``small_islands``).
ISLAND_LABEL: Final = "island_label"
#: True when the island is at most ``max_km2``; null when the island is not known.
SMALL_ISLAND: Final = "small_island"
#: How the license was matched to an island: one of :data:`MATCHES`.
ISLAND_MATCH: Final = "island_match"
#: Metres from the license's point to the island (0 on it); null when not measured.
COAST_DISTANCE_M: Final = "coast_distance_m"

#: The API's point lies on the island.
ON_ISLAND: Final = "on_island"
#: The API's point lies at sea within ``snap_m`` of the island: snapped to it.
SNAPPED: Final = "snapped"
#: The API's point lies at sea, farther than ``snap_m`` from any island in the layer.
AT_SEA: Final = "at_sea"
#: Placed at its regency's point, and the regency's land is that one island.
REGENCY_ISLAND: Final = "regency_island"
#: Placed at its regency's point; the regency spans several islands or is not listed.
REGENCY_UNKNOWN: Final = "regency_unknown"
#: The license has no point.
NO_POINT: Final = "no_point"
MATCHES: Final = (ON_ISLAND, SNAPPED, AT_SEA, REGENCY_ISLAND, REGENCY_UNKNOWN, NO_POINT)
#: The matches that put a license on an island.
ON_AN_ISLAND: Final = (ON_ISLAND, SNAPPED, REGENCY_ISLAND)

# The summary by island.
LICENSES: Final = "licenses"
AREA_HA: Final = "licensed_area_ha"
COMPANIES: Final = "companies"
COMMODITIES: Final = "commodities"
SNAPPED_LICENSES: Final = "snapped_licenses"
REGENCY_LICENSES: Final = "regency_placed_licenses"

# ------------------------------------------------------------------- overlap
#: Row number (0-based) of the feature in the layer as read.
FEATURE_INDEX: Final = "feature_index"
#: ``point`` or ``approx_circle``.
FOOTPRINT: Final = "footprint"
POINT: Final = "point"
APPROX_CIRCLE: Final = "approx_circle"
FOOTPRINTS: Final = (POINT, APPROX_CIRCLE)
#: Radius (metres) of the circle (a geodesic 64-gon) of the licensed area around the point.
APPROX_CIRCLE_RADIUS_M: Final = "approx_circle_radius_m"
#: Share (0-1) of the license's circle inside this feature.
APPROX_CIRCLE_SHARE: Final = "approx_circle_share_in_feature"
#: Hectares of the license's circle inside this feature.
APPROX_CIRCLE_HA: Final = "approx_circle_ha_in_feature"
#: Share (0-1) of the license's circle inside any feature (overlaps counted once).
APPROX_CIRCLE_SHARE_ANY: Final = "approx_circle_share_in_any_feature"
#: Features a license's footprint falls in (point) or touches (circle).
FEATURES: Final = "features"
#: Per feature: licenses whose footprint falls in or touches it.
FEATURE_LICENSES: Final = "licenses"
#: Per feature, point footprint: the licensed area of the licenses whose point is inside.
FEATURE_AREA_HA: Final = "licensed_area_ha"
#: Per feature, circle footprint: hectares of the licenses' circles inside it.
FEATURE_APPROX_HA: Final = "approx_circle_ha_inside"
