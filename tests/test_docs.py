"""The documentation site builds offline with warnings as errors, and shows what it promises.

It renders the notebooks the notebook tests executed in this session (no
second execution), so the figures on the notebook pages are the ones those
tests checked.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import mining_licenses
from mining_licenses import plots
from tests.test_notebooks import NOTEBOOKS, executed_notebooks

REPO = Path(__file__).resolve().parent.parent
_TOOLS = ("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers.python", "mkdocs_jupyter")
_MISSING = [name for name in _TOOLS if importlib.util.find_spec(name.split(".")[0]) is None]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        bool(_MISSING),
        reason=f"the docs extra is not installed (no {', '.join(_MISSING)}): "
        "pip install -e '.[docs]'",
    ),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    executed = executed_notebooks(tmp_path_factory)
    out = tmp_path_factory.mktemp("site")
    env = {
        **os.environ,
        "MINING_LICENSES_EXECUTED_NOTEBOOKS": str(executed[NOTEBOOKS[0].stem].parent),
        "NO_MKDOCS_2_WARNING": "1",
        "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p),
    }
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    warnings = [line for line in done.stderr.splitlines() if line.startswith("WARNING")]
    assert warnings == []
    return out


def _page(site: Path, name: str) -> str:
    return (site / name / "index.html").read_text(encoding="utf-8")


def test_every_page_is_built(site: Path) -> None:
    for name in ("frame", "pulling", "snapshots", "analytics", "cli", "reference"):
        assert (site / name / "index.html").is_file(), name
    home = (site / "index.html").read_text(encoding="utf-8")
    assert "Getting started" in home
    assert (site / "img" / "map.png").is_file()


def test_notebook_pages_show_their_figures(site: Path) -> None:
    for path in NOTEBOOKS:
        html = _page(site, f"notebooks/{path.stem}")
        source = nbformat.read(path, as_version=4)
        drawn = sum(
            len(re.findall(r"(?<![\w.])plot_\w+\(", cell.source))
            for cell in source.cells
            if cell.cell_type == "code"
        )
        images = html.count("data:image/png;base64,iVBOR")  # a PNG's first bytes, base64
        assert images >= drawn, path.name
        assert "Traceback" not in html


def test_api_reference_lists_every_public_name(site: Path) -> None:
    reference = _page(site, "reference")
    missing = [n for n in mining_licenses.__all__ if f'id="mining_licenses.{n}"' not in reference]
    assert missing == []
    plot_page = _page(site, "reference/plots")
    assert [n for n in plots.__all__ if f'id="mining_licenses.plots.{n}"' not in plot_page] == []
    assert 'id="mining_licenses.replica.Replica"' in _page(site, "reference/replica")
    # numpydoc's Sphinx roles are shown as the code they name, not as ":func:"
    assert re.search(r":(func|class|mod|meth|attr|data|exc):", reference + plot_page) is None


def test_executing_a_notebook_for_the_site_prints_no_warning(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """``make docs`` executes the notebooks; their kernels once warned about TCP, three times."""
    spec = importlib.util.spec_from_file_location(
        "docs_hooks", REPO / "docs" / "_hooks" / "notebooks.py"
    )
    assert spec is not None
    assert spec.loader is not None
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)
    source = tmp_path / "tiny.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")]), source)
    hooks._execute(source, tmp_path / "out" / "tiny.ipynb")
    executed = nbformat.read(tmp_path / "out" / "tiny.ipynb", as_version=4)
    assert executed.cells[0].outputs[0]["data"]["text/plain"] == "2"
    captured = capfd.readouterr()
    assert "WARNING" not in captured.err + captured.out
