"""Small deterministic API records for the client and replica tests.

The records look like the live API's (string ``wiup_code`` with leading
zeros, ``CnC``/``CNC``/``non-CNC``/null, point/text/null locations, integer
and float areas, a rare slug) and share expiry dates on purpose, so that the
default ``order_by`` has many ties.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from mining_licenses import schema as s

PROVINCES = (
    "Kalimantan Timur",
    "Kalimantan Selatan",
    "Sulawesi Tengah",
    "Maluku Utara",
    "Jawa Barat",
    "Sumatera Selatan",
    "Kepulauan Bangka Belitung",
    "Papua Barat Daya",
)
CITIES = {
    "Kalimantan Timur": ("Paser", "Kabupaten Kutai Kartanegara"),
    "Kalimantan Selatan": ("Kabupaten Tabalong", "Kabupaten Balangan"),
    "Sulawesi Tengah": ("Kabupaten Morowali", "Kabupaten Banggai"),
    "Maluku Utara": ("Kabupaten Halmahera Tengah", "Kabupaten Halmahera Timur"),
    "Jawa Barat": ("Kota Tasikmalaya", "Kabupaten Bogor"),
    "Sumatera Selatan": ("Kabupaten Muara Enim", "Kabupaten Lahat"),
    "Kepulauan Bangka Belitung": ("Kabupaten Bangka", "Kabupaten Belitung"),
    "Papua Barat Daya": ("Kabupaten Sorong", "Kabupaten Raja Ampat"),
}
CNC_SPELLINGS = ("CNC", "CnC", "non-CNC", None)
TODAY = dt.date(2026, 8, 15)


def make_records(n: int, *, seed: int = 0, dates: int = 25) -> list[dict[str, Any]]:
    """Return ``n`` API records; expiry dates drawn from ``dates`` values (ties)."""
    rng = random.Random(seed)
    expiries = [TODAY + dt.timedelta(days=rng.randint(-900, 1500)) for _ in range(dates)]
    records = []
    for i in range(n):
        province = PROVINCES[rng.randrange(len(PROVINCES))]
        city = CITIES[province][rng.randrange(2)]
        expiry = expiries[rng.randrange(dates)]
        effective = expiry - dt.timedelta(days=365 * rng.randint(2, 20))
        area: float | int = (
            round(rng.uniform(5, 25_000), 2) if i % 5 else rng.randint(10, 30_000) * 7 + i
        )
        kind = i % 3
        if kind == 0:
            location: object = {
                "type": "Point",
                "coordinates": [round(rng.uniform(105, 135), 4), round(rng.uniform(-8, 2), 4)],
            }
        elif kind == 1:
            location = city
        else:
            location = None
        company = f"PT Tambang {chr(65 + i % 26)}{i % 17}"
        records.append(
            {
                s.WIUP_CODE: f"{(i * 7919 + 13) % 10**16:016d}",
                s.LICENSE_NUMBER: f"540/{i:04d}/IUP-OP/{2000 + i % 25}",
                s.LICENSE_TYPE: s.LICENSE_TYPES[i % len(s.LICENSE_TYPES)],
                s.PROVINCE: province,
                s.CITY: city,
                s.EFFECTIVE_DATE: effective.isoformat(),
                s.EXPIRY_DATE: expiry.isoformat(),
                s.ACTIVITY: s.ACTIVITIES[i % 2],
                s.AREA_HA: area,
                s.LOCATION: location,
                s.COMMODITY: s.COMMODITIES[rng.randrange(len(s.COMMODITIES))],
                s.COMPANY_NAME: company,
                s.CNC: CNC_SPELLINGS[i % 4],
                s.GENERATION: "GEN I" if i % 11 == 0 else None,
                s.COMPANY_SLUG: "jasa-tambang-nusantara" if i % 23 == 0 else None,
            }
        )
    return records
