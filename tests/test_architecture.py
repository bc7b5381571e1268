"""The import rules of ARCHITECTURE.md, checked on the source: data flows one way."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "mining_licenses"

PLUMBING = {
    "_terms",
    "_version",
    "_redact",
    "_errors",
    "_config",
    "schema",
    "_wire",
    "_filters",
    "_atomic",
    "_oserrors",
    "_csv",
    "companies",
    "_validate",
    "_plausible",
}
#: What each top-level module or sub-package may import from the package (besides itself).
ALLOWED: dict[str, set[str]] = {
    "_version": set(),
    "_redact": set(),
    "_terms": set(),
    "_errors": {"_redact"},
    "_config": {"_errors", "_redact", "_validate"},
    "_validate": {"_errors"},
    "_plausible": {"schema"},
    "_oserrors": {"_errors"},
    "_offline": {"_errors"},
    "_atomic": {"_errors", "_oserrors", "_terms"},
    "_csv": {"schema"},
    "schema": set(),
    "companies": {"_errors", "_redact", "_terms", "schema"},
    "_filters": {"_errors", "_terms", "_validate", "schema", "companies"},
    "_wire": {"_errors", "_filters", "schema"},
    "gazetteer": {"_errors", "schema"},
    "normalize": PLUMBING | {"gazetteer"},
    "geo": PLUMBING,
    "client": PLUMBING,
    "store": PLUMBING | {"geo"},
    "analytics": PLUMBING | {"geo"},
    "spatial": PLUMBING | {"geo", "gazetteer", "store"},
    "plots": PLUMBING | {"analytics", "gazetteer", "geo", "spatial"},
    "replica": PLUMBING | {"normalize", "sample"},
    "sample": PLUMBING | {"gazetteer", "normalize", "store"},
    "changes": PLUMBING | {"store"},
    "report": PLUMBING
    | {"analytics", "plots", "gazetteer", "store", "sample", "spatial", "changes"},
    "feeds": PLUMBING | {"changes", "report", "store"},
    "_pull": PLUMBING | {"client", "normalize", "store", "changes"},
    "_update": PLUMBING | {"_pull", "client", "changes", "feeds", "store"},
    "loader": PLUMBING
    | {"_offline", "_pull", "client", "normalize", "geo", "store", "analytics", "sample"},
}
UNLIMITED = {"__init__", "cli"}


def imports() -> dict[str, set[str]]:
    """Map each top-level module or sub-package to the parts of the package it imports."""
    found: dict[str, set[str]] = defaultdict(set)
    for path in PACKAGE.rglob("*.py"):
        unit = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                parts = node.module.split(".")
                if parts[0] != "mining_licenses":
                    continue
                names = [parts[1]] if len(parts) > 1 else [a.name for a in node.names]
            elif isinstance(node, ast.Import):
                prefix = "mining_licenses."
                names = [a.name.split(".")[1] for a in node.names if a.name.startswith(prefix)]
            else:
                continue
            found[unit].update(name for name in names if name != unit)
    return found


def test_every_part_imports_only_what_the_architecture_allows():
    found = imports()
    assert set(found) - UNLIMITED <= set(ALLOWED), (
        "a new module: add it to ALLOWED and ARCHITECTURE.md"
    )
    breaches = {
        unit: sorted(names - ALLOWED[unit])
        for unit, names in found.items()
        if unit not in UNLIMITED and names - ALLOWED[unit]
    }
    assert breaches == {}


def test_the_architecture_note_names_every_part():
    note = (PACKAGE.parent / "ARCHITECTURE.md").read_text(encoding="utf-8")
    parts = {
        p.name.removesuffix(".py")
        for p in PACKAGE.iterdir()
        if p.suffix == ".py" or (p / "__init__.py").exists()
    }
    missing = sorted(p for p in parts if f"`{p}" not in note)
    assert missing == []


def test_every_public_name_resolves_and_the_package_imports_nothing_heavy():
    import subprocess
    import sys

    code = (
        "import sys, mining_licenses as m\n"
        "heavy = ('pandas', 'geopandas', 'shapely', 'httpx', 'matplotlib', 'folium', 'tenacity')\n"
        "print(sorted(k for k in heavy if k in sys.modules))\n"
        "print(sorted(n for n in m.__all__ if getattr(m, n, None) is None))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.splitlines() == ["[]", "[]"], done.stdout + done.stderr


def test_every_logger_of_the_package_redacts():
    """Loggers come from ``_redact.get_logger`` (its filter redacts every record)."""
    direct = sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if path.name != "_redact.py" and "logging.getLogger(" in path.read_text(encoding="utf-8")
    )
    assert direct == []


def test_no_test_prints_among_pytests_dots():
    """Figures a test wants to keep go to its log (shown with a failure), not past capture."""
    tests = Path(__file__).resolve().parent
    loud = [
        path.name
        for path in tests.glob("*.py")
        if path.name != Path(__file__).name and "capsys.disabled()" in path.read_text()
    ]
    assert loud == []
