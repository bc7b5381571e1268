"""A scripted registry over three months: every event type, and the noise that must raise none.

Each day is a list of API records (as the live API sends them), normalised
with the package's own path and written as a snapshot fetched that day, as a
pull of that day would. Spellings, slugs and duplicates are chosen unlike the
package's own conventions.
"""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

from mining_licenses import schema as s
from mining_licenses.normalize import normalize_records
from mining_licenses.store import write_snapshot
from tests._replica_fixtures import make_records

DAYS = (
    dt.datetime(2026, 11, 1, 6, tzinfo=dt.UTC),
    dt.datetime(2026, 12, 1, 6, tzinfo=dt.UTC),
    dt.datetime(2027, 1, 1, 6, tzinfo=dt.UTC),
)
META = {"source": "replica", "synthetic": True, "complete": True}


def _base() -> list[dict[str, Any]]:
    records = make_records(30, seed=3)
    for i, r in enumerate(records):
        r[s.EXPIRY_DATE] = "2090-06-30"  # nothing crosses its expiry unless scripted
        r[s.COMPANY_SLUG] = None
        r[s.COMPANY_NAME] = f"PT Tambang Nomor {i}"
        r[s.WIUP_CODE] = f"{7100000000000000 + i}"
        r[s.LICENSE_TYPE] = "IUP"
        r[s.ACTIVITY] = "Eksplorasi"
        r[s.COMMODITY] = "Coal"
        r[s.CNC] = "CNC"
        r[s.AREA_HA] = 1000 + i
    records[1][s.EXPIRY_DATE] = "2001-01-31"  # long expired, still listed
    records[2][s.EXPIRY_DATE] = "2026-11-15"  # expires between the first two days
    records[8][s.COMPANY_NAME] = "Koperasi Unit Desa Maju Bersama"
    records[9][s.COMPANY_NAME] = "CV. Sinar & Jaya"
    records[20][s.COMPANY_NAME] = "P.T. Bumi Rekso, Tbk."
    return records


def days() -> list[list[dict[str, Any]]]:
    """The records of each of :data:`DAYS`."""
    first = _base()
    second = copy.deepcopy(first)
    by_code = {r[s.WIUP_CODE]: r for r in second}

    def at(i: int) -> dict[str, Any]:
        return by_code[f"{7100000000000000 + i}"]

    at(3)[s.EXPIRY_DATE] = "2091-06-30"  # extended by 365 days
    at(4)[s.EXPIRY_DATE] = "2089-06-30"  # shortened
    at(5)[s.ACTIVITY] = "Operasi Produksi"  # stage
    at(6)[s.CNC] = "non-CNC"  # lost Clear & Clean
    at(7)[s.COMPANY_NAME] = "PT Pendatang Baru"  # a new holder
    at(8)[s.COMPANY_NAME] = "KUD MAJU BERSAMA"  # a respelling: no event
    at(9)[s.COMPANY_NAME] = "Sinar and Jaya, CV"  # a respelling: no event
    at(9)[s.COMPANY_SLUG] = "sinarjaya-cv-2"  # a slug learnt, unlike any name key: `other`
    at(10)[s.AREA_HA] = 1100.0  # +90 ha
    at(11)[s.PROVINCE] = "Papua Barat Daya"  # moved
    at(11)[s.CITY] = "Kabupaten Raja Ampat"
    at(11)[s.LOCATION] = "Kabupaten Raja Ampat"
    at(12)[s.LICENSE_TYPE] = "IUPK"
    at(13)[s.COMMODITY] = "Nickel"
    at(14)[s.LICENSE_NUMBER] = "540/9999/IUP-OP/2026"
    at(15)[s.CNC] = "CnC"  # the same status spelt otherwise: no event
    at(20)[s.COMPANY_NAME] = "Bumi Rekso (PT)"  # no event either
    duplicate = copy.deepcopy(at(16))
    duplicate[s.CNC] = "C&C"  # the same record served twice, spelt otherwise: no event
    gone = {f"{7100000000000000 + i}" for i in (0, 1, 17)}  # 0 revoked or blanked, 1 expired
    second = [r for r in second if r[s.WIUP_CODE] not in gone] + [duplicate]
    newcomer = copy.deepcopy(first[18])
    newcomer[s.WIUP_CODE] = "7199999999999999"
    second.append(newcomer)
    third = [*copy.deepcopy(second), copy.deepcopy(first[17])]  # 17 comes back
    return [first, second, third]


def write_store(folder: Path) -> Path:
    """Write the three days as snapshots in ``folder``; return it."""
    for when, records in zip(DAYS, days(), strict=True):
        frame = normalize_records(records, fetched_at=when)
        write_snapshot(frame, store=folder, meta={**META, "fetched_at": when})
    return folder


#: The events the script raises, by (snapshot day, type) -> keys (index into the base records).
EXPECTED = {
    (1, "vanished_early"): [0, 17],
    (1, "vanished_expired"): [1],
    (1, "expired"): [2],
    (1, "extended"): [3],
    (1, "shortened"): [4],
    (1, "stage_changed"): [5],
    (1, "cnc_changed"): [6],
    (1, "holder_changed"): [7],
    (1, "area_changed"): [10],
    (1, "moved"): [11],
    (1, "type_changed"): [12],
    (1, "commodity_changed"): [13],
    (1, "other"): [9, 14],
    (1, "new"): [9999999999999],
    (2, "reappeared"): [17],
}


def code(i: int) -> str:
    """The wiup code of base record ``i`` (or the newcomer's)."""
    return "7199999999999999" if i == 9999999999999 else f"{7100000000000000 + i}"
