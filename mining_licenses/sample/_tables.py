"""Reference tables of the synthetic sample: the mix it draws from.

Which commodity is mined in which province and how often, license types by
commodity family, median areas, the words of company names, and the parts of
license numbers and ``wiup_code`` values. Data only; the draws are in
``_sample_fields`` and the records are put together by
:func:`mining_licenses.sample.generate_records`. Changing any value here
changes the bundled sample.
"""

from __future__ import annotations

from typing import Final

# Commodity mix, led by coal (shares of all licenses).
COMMODITY_SHARES: Final = {
    "Coal": 0.38, "Nickel": 0.16, "Tin": 0.11, "Gold": 0.085, "Sand, Stone, Gravel": 0.06,
    "Limestone": 0.04, "Bauxite": 0.035, "Iron": 0.025, "Copper": 0.02, "Granite": 0.02,
    "Sand": 0.02, "Non-Metallic Mineral": 0.02, "Clay": 0.015, "Others": 0.015,
}  # fmt: skip
_ROCKS: Final = {
    "Jawa Barat": 12, "Jawa Tengah": 12, "Jawa Timur": 12, "Sulawesi Selatan": 7,
    "Sumatera Utara": 6, "Banten": 5, "Lampung": 5, "Nusa Tenggara Timur": 5,
    "Nusa Tenggara Barat": 5, "Sumatera Barat": 5, "Kalimantan Timur": 5,
    "Kepulauan Riau": 5, "Riau": 4, "DI Yogyakarta": 3, "Bali": 3, "Aceh": 3,
    "Sulawesi Utara": 3,
}  # fmt: skip
# Where each commodity is mined (relative weights).
PROVINCE_WEIGHTS: Final = {
    "Coal": {
        "Kalimantan Timur": 30, "Kalimantan Selatan": 22, "Kalimantan Tengah": 12,
        "Sumatera Selatan": 12, "Jambi": 7, "Kalimantan Utara": 4, "Bengkulu": 3,
        "Riau": 2, "Sumatera Barat": 2, "Kalimantan Barat": 2, "Aceh": 2,
        "Papua Barat": 1, "Sulawesi Selatan": 1,
    },
    "Nickel": {
        "Sulawesi Tenggara": 40, "Sulawesi Tengah": 30, "Maluku Utara": 20,
        "Sulawesi Selatan": 5, "Papua Barat Daya": 3, "Maluku": 2,
    },
    "Tin": {"Kepulauan Bangka Belitung": 85, "Kepulauan Riau": 10, "Riau": 5},
    "Gold": {
        "Sulawesi Utara": 15, "Nusa Tenggara Barat": 10, "Jawa Timur": 8, "Sumatera Utara": 8,
        "Gorontalo": 8, "Kalimantan Tengah": 8, "Maluku Utara": 7, "Papua Tengah": 6,
        "Kalimantan Barat": 6, "Aceh": 5, "Papua": 4, "Jambi": 4, "Sumatera Barat": 4,
        "Jawa Barat": 4, "Bengkulu": 3,
    },
    "Copper": {
        "Papua Tengah": 35, "Nusa Tenggara Barat": 35, "Jawa Timur": 10,
        "Sulawesi Tengah": 10, "Gorontalo": 10,
    },
    "Bauxite": {"Kalimantan Barat": 70, "Kepulauan Riau": 25, "Kepulauan Bangka Belitung": 5},
    "Iron": {
        "Kalimantan Selatan": 25, "Lampung": 15, "Sumatera Barat": 15, "Jawa Barat": 15,
        "Jawa Tengah": 10, "Aceh": 10, "Sulawesi Selatan": 10,
    },
    "Granite": {
        "Kepulauan Riau": 50, "Kepulauan Bangka Belitung": 20, "Kalimantan Barat": 15,
        "Sulawesi Tengah": 15,
    },
    "Sand, Stone, Gravel": _ROCKS, "Limestone": _ROCKS, "Sand": _ROCKS,
    "Non-Metallic Mineral": _ROCKS, "Clay": _ROCKS, "Others": _ROCKS,
}  # fmt: skip
METALS: Final = ("Nickel", "Tin", "Gold", "Bauxite", "Iron", "Copper")
# Median licensed area (ha) of an IUP by commodity; areas are log-normal around it.
MEDIAN_AREA: Final = {"Coal": 2000.0, "Nickel": 1500.0, "Tin": 300.0, "Gold": 1000.0,
                      "Bauxite": 2500.0, "Iron": 600.0, "Copper": 3000.0}  # fmt: skip
ROCK_MEDIAN_AREA: Final = 25.0
# wiup_code commodity digits (the first two of the 16).
WIUP_COMMODITY: Final = {c: f"{11 + 6 * i:02d}" for i, c in enumerate(COMMODITY_SHARES)}

WORDS: Final = (
    "Alam", "Anugerah", "Bara", "Barito", "Batu", "Berau", "Borneo", "Bumi", "Cahaya",
    "Delta", "Energi", "Gemilang", "Indah", "Jasa", "Jaya", "Karya", "Kencana", "Khatulistiwa",
    "Lestari", "Mahakam", "Makmur", "Mandiri", "Mega", "Mineral", "Mitra", "Multi", "Nusa",
    "Nusantara", "Perkasa", "Permata", "Persada", "Prima", "Putra", "Raya", "Sakti", "Samudra",
    "Sejahtera", "Sentosa", "Sinar", "Sukses", "Sumber", "Tambang", "Tunggal", "Utama",
    "Wahana", "Abadi", "Agung", "Artha", "Bintang", "Citra",
)  # fmt: skip
# License types by commodity family (coal, metals, rocks) with their shares.
LICENSE_TYPES: Final = (
    (("IUP", "PKP2B", "IUPK"), (0.89, 0.07, 0.04)),
    (("IUP", "IUPK", "KK", "IPR"), (0.85, 0.06, 0.04, 0.05)),
    (("IUP", "SIPB", "IPR"), (0.55, 0.30, 0.15)),
)
ROMAN_MONTHS: Final = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
AGENCIES: Final = ("BPPMD-PTSP", "DPMPTSP", "DISTAMBEN", "DPMPTSP-PROV", "BKPM", "DESDM")
