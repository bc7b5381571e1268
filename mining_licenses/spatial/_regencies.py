"""Which regencies are one island: where a license placed at its regency's point is on that island.

A license whose record names only its regency sits at the regency's gazetteer
point (``geometry_source == "regency"``), not where it is. Such a license is
counted on an island only when the whole regency is that island, so wherever
in the regency the license lies, it lies on it. The gazetteer has points, not
boundaries, so this cannot be computed; it is the list below, kept short and
conservative by one rule:

    a regency is listed when its land is a single island, the islets of its
    own coast aside (together a few per cent of its land at most), by the
    regency's published description; a regency with a second island of its
    own (Klungkung: Nusa Penida; Bangka Selatan: Lepar and Pongok; Sumbawa:
    Moyo; Nias Selatan: the Batu islands; Morotai: Rao) is not.

Regencies of the main islands (Sumatra, Java, Kalimantan, Sulawesi, New
Guinea) are left out: most have islands offshore, and a screen for small
islands learns nothing from placing a license on a main island. Each listed
regency's point is checked to lie on an island of the bundled layer by
``tests/test_spatial.py``.
"""

from __future__ import annotations

from typing import Final

#: Regency code -> the island its land is.
SINGLE_ISLAND_REGENCIES: Final[dict[str, str]] = {
    "11.01": "Simeulue",  # Kabupaten Simeulue
    "12.01": "Nias",  # Kabupaten Nias
    "12.24": "Nias",  # Kabupaten Nias Utara
    "12.25": "Nias",  # Kabupaten Nias Barat
    "12.78": "Nias",  # Kota Gunungsitoli
    "19.01": "Bangka",  # Kabupaten Bangka
    "19.03": "Bangka",  # Kabupaten Bangka Barat
    "19.04": "Bangka",  # Kabupaten Bangka Tengah
    "19.71": "Bangka",  # Kota Pangkal Pinang
    "19.02": "Belitung",  # Kabupaten Belitung
    "19.06": "Belitung",  # Kabupaten Belitung Timur
    "51.01": "Bali",  # Kabupaten Jembrana
    "51.02": "Bali",  # Kabupaten Tabanan
    "51.03": "Bali",  # Kabupaten Badung
    "51.04": "Bali",  # Kabupaten Gianyar
    "51.06": "Bali",  # Kabupaten Bangli
    "51.07": "Bali",  # Kabupaten Karang Asem
    "51.08": "Bali",  # Kabupaten Buleleng
    "51.71": "Bali",  # Kota Denpasar
    "52.01": "Lombok",  # Kabupaten Lombok Barat
    "52.02": "Lombok",  # Kabupaten Lombok Tengah
    "52.03": "Lombok",  # Kabupaten Lombok Timur
    "52.08": "Lombok",  # Kabupaten Lombok Utara
    "52.71": "Lombok",  # Kota Mataram
    "52.07": "Sumbawa",  # Kabupaten Sumbawa Barat
    "53.01": "Sumba",  # Kabupaten Sumba Barat
    "53.02": "Sumba",  # Kabupaten Sumba Timur
    "53.16": "Sumba",  # Kabupaten Sumba Tengah
    "53.17": "Sumba",  # Kabupaten Sumba Barat Daya
    "53.08": "Lembata",  # Kabupaten Lembata
    "65.71": "Tarakan",  # Kota Tarakan
    "74.12": "Wawonii",  # Kabupaten Konawe Kepulauan
    "81.04": "Buru",  # Kabupaten Buru
}
