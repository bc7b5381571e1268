"""mkdocs hooks: the notebooks as pages, from one execution; Sphinx roles in docstrings as code.

The notebooks are stored without outputs. The site shows them executed:

* from the folder named by ``MINING_LICENSES_EXECUTED_NOTEBOOKS`` when it is set
  (``tests/test_docs.py`` passes the copies the notebook tests executed, so
  the test suite runs each notebook once);
* else from ``build/docs-notebooks/notebooks/``, where this hook executes each notebook
  whose copy is missing or older than the notebook (``make docs``): in a plain
  kernel, on the bundled sample, with no key and a throw-away snapshot store.

Docstrings are numpydoc with Sphinx roles (``:func:`load_licenses```); the
Markdown of the site shows them as the code they name.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

ENV = "MINING_LICENSES_EXECUTED_NOTEBOOKS"
_STAGED: list[Path] = []
_ROLE = re.compile(r":(?:func|class|mod|meth|attr|data|exc|obj):<code>(~?)([\w.]+)</code>")


def _root(config: Any) -> Path:
    return Path(config.config_file_path).resolve().parent


def _execute(source: Path, target: Path) -> None:
    """Execute a notebook into ``target`` in a plain kernel, quietly.

    The kernel talks over local IPC sockets in a throw-away folder, not TCP:
    nothing listens on a port, and the kernel has no reason to warn that its
    TCP traffic is unencrypted (which it printed once per notebook).
    """
    import nbformat
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    env = {k: v for k, v in os.environ.items() if k not in ("MPLBACKEND", "SECTORS_API_KEY")}
    env.pop("SECTORS_BASE_URL", None)
    book = nbformat.read(source, as_version=4)
    with tempfile.TemporaryDirectory(prefix="mining-licenses-docs-") as work:
        env["MINING_LICENSES_DATA"] = str(Path(work) / "store")
        kernel = KernelManager(kernel_name="python3", transport="ipc", ip=str(Path(work) / "kernel"))
        NotebookClient(
            book, km=kernel, timeout=240, resources={"metadata": {"path": work}}
        ).execute(env=env)
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(book, target)


def executed_notebooks(config: Any) -> Path:
    """Return a folder holding ``notebooks/<name>.ipynb`` executed, for every stored notebook.

    Copies the executed notebooks named by ``MINING_LICENSES_EXECUTED_NOTEBOOKS``,
    or executes what is missing or stale in ``build/docs-notebooks``.
    """
    sources = sorted((_root(config) / "notebooks").glob("*.ipynb"))
    given = os.environ.get(ENV)
    if given:
        staged = Path(tempfile.mkdtemp(prefix="mining-licenses-docs-"))
        _STAGED.append(staged)
        (staged / "notebooks").mkdir()
        for source in sources:
            copy = Path(given) / source.name
            if not copy.is_file():
                msg = f"{ENV}={given} has no executed copy of {source.name}"
                raise FileNotFoundError(msg)
            shutil.copyfile(copy, staged / "notebooks" / source.name)
        return staged
    cache = _root(config) / "build" / "docs-notebooks"
    for source in sources:
        copy = cache / "notebooks" / source.name
        if not copy.is_file() or copy.stat().st_mtime < source.stat().st_mtime:
            _execute(source, copy)
    return cache


@event_priority(100)  # before mkdocs-jupyter turns .ipynb files into pages
def on_files(files: Files, config: Any) -> Files:
    """Add the executed notebooks as ``notebooks/<name>.ipynb``."""
    folder = executed_notebooks(config)
    for path in sorted((folder / "notebooks").glob("*.ipynb")):
        files.append(
            File(
                f"notebooks/{path.name}",
                src_dir=str(folder),
                dest_dir=config.site_dir,
                use_directory_urls=config.use_directory_urls,
            )
        )
    return files


def on_post_build(**_: Any) -> None:
    """Remove the copies staged for this build."""
    while _STAGED:
        shutil.rmtree(_STAGED.pop(), ignore_errors=True)


def on_page_content(html: str, **_: Any) -> str:
    """Show ``:func:`~a.b.c``` as ``c`` and ``:class:`a.B``` as ``a.B``, in code."""
    return _ROLE.sub(
        lambda m: f"<code>{m.group(2).rsplit('.', 1)[-1] if m.group(1) else m.group(2)}</code>",
        html,
    )
