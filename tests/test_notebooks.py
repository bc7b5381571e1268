"""The notebooks run top to bottom on the bundled sample, show their figures, and stay quiet.

They run the way a user meets them: in a plain Jupyter kernel whose
environment has no ``MPLBACKEND`` (the kernel then picks matplotlib_inline by
itself), no key and a throw-away store. The notebooks, plus a probe
notebook for the display rules, are executed once per session
(:func:`executed_notebooks`); ``tests/test_docs.py`` renders the same
executed copies into the documentation site.
"""

from __future__ import annotations

import json
import os
import re
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from tqdm import notebook as tqdm_notebook
from tqdm.std import tqdm as text_tqdm

from mining_licenses.client import _progress

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
PROBE = "probe_display"
_PLOT_CALL = re.compile(r"(?<![\w.])(plot_\w+)\(")
_FIGURE_TEXT = re.compile(r"<\w*Figure size")
_WIDGET = "application/vnd.jupyter.widget-view+json"

# Cells of the probe notebook, by name: how figures behave in a plain kernel.
_PROBE_CELLS = {
    "setup": (
        "import warnings\n"
        "from mining_licenses import SyntheticDataWarning, load_licenses\n"
        "from mining_licenses.plots import plot_license_age, plot_map\n"
        "warnings.simplefilter('ignore', SyntheticDataWarning)\n"
        "frame = load_licenses(as_='polars').head(300)"
    ),
    "statement": "plot_license_age(frame)\nprint('drawn, not the last expression')",
    "value": "fig = plot_license_age(frame)\nfig",
    "edited": "fig = plot_license_age(frame)\nfig.axes[0].set_title('edited after drawing')\nNone",
    "two": "first = plot_license_age(frame)\nsecond = plot_map(frame)",
    "again": "fig",
    "package": (  # the report draws the same charts for its own use: nothing shown
        "exec('plot_license_age(frame)', {'__name__': 'mining_licenses.report._probe',"
        " 'plot_license_age': plot_license_age, 'frame': frame})"
    ),
    "pyplot": (
        "import matplotlib.pyplot as plt\nfig = plot_license_age(frame)\nfig, plt.get_fignums()"
    ),
    "figure_printer": (  # ipympl (%matplotlib widget) registers a printer for every Figure
        "from matplotlib.figure import Figure\n"
        "get_ipython().display_formatter.ipython_display_formatter.for_type(\n"
        "    Figure, lambda fig: print('shown by a Figure printer')\n"
        ")\n"
        "plot_license_age(frame)"
    ),
    "pending": "from mining_licenses.plots import _display\nlen(_display._PENDING)",
    "sweep": (
        "from mining_licenses import fetch_licenses\n"
        "from mining_licenses.replica import Replica\n"
        "key = 'k' * 32\n"
        "with Replica(frame.head(75), api_key=key) as replica:\n"
        "    pulled = fetch_licenses(api_key=key, base_url=replica.url, write=False)\n"
        "pulled.height"
    ),
}


def _kernel_env(store: Path) -> dict[str, str]:
    """The environment of a plain kernel: no MPLBACKEND, no key, a throw-away store."""
    env = {k: v for k, v in os.environ.items() if k not in ("MPLBACKEND", "SECTORS_API_KEY")}
    env.pop("SECTORS_BASE_URL", None)
    env["MINING_LICENSES_DATA"] = str(store)
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env


def _probe_notebook() -> nbformat.NotebookNode:
    book = nbformat.v4.new_notebook()
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    for name, source in _PROBE_CELLS.items():
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata["probe"] = name
        book.cells.append(cell)
    return book


def executed_notebooks(factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Execute the notebooks and the probe once per session; return the executed copies by stem.

    The copies keep every output (``tests/test_docs.py`` renders them) in a
    folder of the session's temp directory, found again by its name however
    this module was imported. A failing cell is recorded as an error output,
    not raised, so each test says what it checks.
    """
    root = factory.getbasetemp() / "executed-notebooks"
    stems = [p.stem for p in NOTEBOOKS] + [PROBE]
    executed = {stem: root / f"{stem}.ipynb" for stem in stems}
    if (root / "done").is_file():
        return executed
    root.mkdir(exist_ok=True)
    env = _kernel_env(root / "store")
    books = {p.stem: nbformat.read(p, as_version=4) for p in NOTEBOOKS}
    books[PROBE] = _probe_notebook()
    for stem, book in books.items():
        work = root / stem
        work.mkdir(exist_ok=True)
        NotebookClient(
            book,
            timeout=240,
            kernel_name="python3",
            allow_errors=True,
            resources={"metadata": {"path": str(work)}},
        ).execute(env=env)
        nbformat.write(book, executed[stem])
    (root / "done").touch()
    return executed


@pytest.fixture(scope="session")
def executed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, nbformat.NotebookNode]:
    paths = executed_notebooks(tmp_path_factory)
    return {stem: nbformat.read(path, as_version=4) for stem, path in paths.items()}


def _code_cells(book: nbformat.NotebookNode) -> Iterator[nbformat.NotebookNode]:
    return (c for c in book.cells if c.cell_type == "code")


def _images(cell: nbformat.NotebookNode) -> int:
    return sum("image/png" in output.get("data", {}) for output in cell.outputs)


def _texts(cell: nbformat.NotebookNode, mime: str = "text/plain") -> list[str]:
    return [str(output.get("data", {}).get(mime, "")) for output in cell.outputs]


def _stderr(cell: nbformat.NotebookNode) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stderr")


def test_the_notebooks_are_there() -> None:
    assert [n.name for n in NOTEBOOKS] == [
        "01_quickstart.ipynb",
        "02_expiry_and_area.ipynb",
        "03_snapshots_and_gis.ipynb",
        "04_monitoring.ipynb",
        "05_spatial_screens.ipynb",
    ]


@pytest.mark.slow
def test_the_monitoring_notebook_runs_the_loop_with_its_scripted_changes(
    executed: dict[str, nbformat.NotebookNode],
) -> None:
    cells = list(_code_cells(executed["04_monitoring"]))
    last = _texts(cells[-1])[-1]
    counts = {
        "cnc_changed": 7, "extended": 5, "holder_changed": 2, "new": 4, "reappeared": 2,
        "stage_changed": 3, "vanished_early": 15, "vanished_expired": 2,
    }  # fmt: skip
    assert last.replace("\n", "").replace(" ", "") == str(counts).replace(" ", "")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[n.stem for n in NOTEBOOKS])
def test_notebook_is_stored_without_outputs(path: Path) -> None:
    book = json.loads(path.read_text())
    for cell in book["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [], f"{path.name}: clear outputs before committing"
            assert cell["execution_count"] is None


@pytest.mark.slow
@pytest.mark.parametrize("stem", [n.stem for n in NOTEBOOKS])
def test_notebook_executes_and_shows_every_figure(
    stem: str, executed: dict[str, nbformat.NotebookNode]
) -> None:
    book = executed[stem]
    cells = list(_code_cells(book))
    errors = [o for c in cells for o in c.outputs if o.output_type == "error"]
    assert errors == []
    assert sum(1 for c in cells if c.outputs) >= len(cells) // 2
    for cell in cells:
        calls = _PLOT_CALL.findall(cell.source)
        if calls:  # a cell that draws shows one image per figure it draws
            assert _images(cell) == len(calls), (stem, cell.source)
        if any(_FIGURE_TEXT.search(t) for t in _texts(cell)):
            assert _images(cell), f"{stem}: a figure shown as text only: {cell.source!r}"


@pytest.mark.slow
@pytest.mark.parametrize("stem", [n.stem for n in NOTEBOOKS])
def test_notebook_prints_no_progress_bar_warning(
    stem: str, executed: dict[str, nbformat.NotebookNode]
) -> None:
    noise = [
        _stderr(c)
        for c in _code_cells(executed[stem])
        if "TqdmWarning" in _stderr(c) or "IProgress" in _stderr(c)
    ]
    assert noise == []


@pytest.mark.slow
@pytest.mark.parametrize("stem", [n.stem for n in NOTEBOOKS])
def test_notebook_is_told_once_that_the_data_is_synthetic(
    stem: str, executed: dict[str, nbformat.NotebookNode]
) -> None:
    told = sum(_stderr(c).count("SyntheticDataWarning") for c in _code_cells(executed[stem]))
    assert told <= 1


@pytest.mark.slow
def test_figures_show_once_each_in_a_plain_kernel(
    executed: dict[str, nbformat.NotebookNode],
) -> None:
    cells = {c.metadata["probe"]: c for c in _code_cells(executed[PROBE])}
    errors = [(n, o.get("evalue")) for n, c in cells.items() for o in c.outputs if "ename" in o]
    assert errors == []
    images = {name: _images(cell) for name, cell in cells.items()}
    assert images == {
        "setup": 0,
        "statement": 1,  # drawn by a statement that is not the cell's value
        "value": 1,  # the cell's value: once, not twice
        "edited": 1,
        "two": 2,
        "again": 1,  # displaying a figure again in a later cell shows it again
        "package": 0,  # figures the package draws for itself stay hidden
        "pyplot": 1,  # once pyplot and matplotlib_inline are loaded, still once
        "figure_printer": 1,  # ours is the more specific printer
        "pending": 0,
        "sweep": 0,
    }
    # nothing is registered with pyplot, and nothing is kept after a cell ends
    assert "[])" in "".join(_texts(cells["pyplot"]))
    assert _texts(cells["pending"]) == ["0"]
    assert "Figure printer" not in "".join(
        o.get("text", "") for o in cells["figure_printer"].outputs
    )


@pytest.mark.slow
def test_the_sweep_progress_bar_is_a_widget_in_jupyter(
    executed: dict[str, nbformat.NotebookNode],
) -> None:
    sweep = next(c for c in _code_cells(executed[PROBE]) if c.metadata["probe"] == "sweep")
    assert any(_WIDGET in o.get("data", {}) for o in sweep.outputs)
    assert _stderr(sweep) == ""
    assert _texts(sweep)[-1] == "75"


def _fake_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    shell = types.SimpleNamespace(config={"IPKernelApp": {}})
    ipython = types.SimpleNamespace(get_ipython=lambda: shell)
    monkeypatch.setitem(sys.modules, "IPython", ipython)


def test_progress_bar_is_text_outside_jupyter() -> None:
    assert _progress.bar_class(enabled=True) is text_tqdm


def test_progress_bar_is_a_widget_in_a_kernel_with_ipywidgets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _fake_kernel(monkeypatch)
    monkeypatch.setattr(tqdm_notebook, "IProgress", object)
    assert _progress.bar_class(enabled=True) is tqdm_notebook.tqdm
    assert _progress.bar_class(enabled=False) is text_tqdm  # a disabled bar draws nothing


def test_progress_bar_falls_back_to_text_without_ipywidgets(
    monkeypatch: pytest.MonkeyPatch,
    recwarn: pytest.WarningsRecorder,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _fake_kernel(monkeypatch)
    monkeypatch.setattr(tqdm_notebook, "IProgress", None)
    assert _progress.bar_class(enabled=True) is text_tqdm
    bar = _progress.SweepProgress(enabled=True)
    bar.plan(2)
    bar.advance(records=30, credits=1)
    bar.close()
    assert [str(w.message) for w in recwarn] == []  # silently
    out, err = capsys.readouterr()
    assert "1/2" in out  # on stdout, not the notebook's red stderr
    assert err == ""
