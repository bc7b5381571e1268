"""A deterministic synthetic registry shaped like the real one (the bundled sample).

:func:`generate_records` returns license records exactly as the API's
``results`` carry them: JSON-compatible dicts with the 15 fields of
:data:`mining_licenses.schema.API_FIELDS`. The data is synthetic: companies,
license numbers, codes, dates and areas are made up; only the mix (which
commodity is mined in which province, how licenses are numbered, how long they
run, how messy the fields are) follows the real registry. Regency names and
points come from the bundled gazetteer.

``mining-licenses sample --json OUT`` writes the records as JSON;
``mining-licenses sample --write-snapshot data/sample`` (``make sample``)
rewrites the bundled snapshot (:func:`write_sample`). Inside: ``_generate``,
``_fields`` (the draws), ``_tables`` (the mix) and ``_writer``.
"""

from mining_licenses.sample._generate import (
    MAX_SAMPLE_SIZE,
    QUIRKS,
    SAMPLE_FETCHED_AT,
    SAMPLE_REFERENCE_DATE,
    SAMPLE_SEED,
    SAMPLE_SIZE,
    SYNTHETIC_NOTE,
    generate_records,
    quirk_positions,
)
from mining_licenses.sample._writer import sample_snapshot_frame, write_sample

__all__ = [
    "MAX_SAMPLE_SIZE",
    "QUIRKS",
    "SAMPLE_FETCHED_AT",
    "SAMPLE_REFERENCE_DATE",
    "SAMPLE_SEED",
    "SAMPLE_SIZE",
    "SYNTHETIC_NOTE",
    "generate_records",
    "quirk_positions",
    "sample_snapshot_frame",
    "write_sample",
]
