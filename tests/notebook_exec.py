"""Run a notebook's code cells in this process, without a kernel, and collect what each cell shows.

The grid test uses it to walk the parameter space through exactly the code the notebooks run; the
parameter tests use it to read what a notebook shows for given values, and to run notebooks that
papermill's command line prepared (parameters injected, nothing executed).
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path
from typing import Any
from unittest import mock

import nbformat

from russian_emigration.execute import notebook_paths
from russian_emigration.report import notebooks_dir

BY_NAME = {p.stem: p for p in notebook_paths(notebooks_dir())}
INJECTED = "injected-parameters"


def _cells(path: Path) -> list[Any]:
    """The notebook's code cells, read once per version of the file (a sweep runs one notebook many times)."""
    stat = path.stat()
    return _read_cells(path, stat.st_mtime_ns, stat.st_size)


@functools.cache
def _read_cells(path: Path, _mtime_ns: int, _size: int) -> list[Any]:
    nb = nbformat.read(path, as_version=4)
    return [c for c in nb.cells if c.cell_type == "code"]


def run_cells(name: str, only: tuple[str, ...] = (), **parameters: Any) -> list[Any]:
    """Execute notebook ``name`` with ``parameters`` (as papermill would inject them); return what it displays.

    With ``only``, the parameters and set-up cells run, then only the cells whose code contains one of
    those strings (the cells a parameter changes), so a sweep does not redraw what it cannot change;
    the closing sources table, which needs every cell, is left out then.
    """
    return _run(name, [c.source for c in _cells(BY_NAME[name])], 2, only, parameters)


def run_prepared(path: Path, only: tuple[str, ...] = ()) -> list[Any]:
    """Execute a notebook papermill prepared (``--prepare-only``): its own parameters cell, then the cell
    papermill injected, then the rest as :func:`run_cells` does."""
    cells = _cells(path)
    assert INJECTED in cells[1].metadata.get("tags", []), "papermill injected no parameters cell"
    return _run(path.stem, [c.source for c in cells], 3, only, {})


def _run(name: str, cells: list[str], head: int, only: tuple[str, ...], parameters: dict[str, Any]) -> list[Any]:
    """Execute ``cells``; the first ``head`` ones always run, the others as ``only`` selects."""
    shown: list[Any] = []
    namespace: dict[str, Any] = {"__name__": "__notebook__"}
    if only:
        cells = cells[:head] + [c for c in cells[head:] if any(w in c for w in only) and "sources_table" not in c]
    with mock.patch("IPython.display.display", side_effect=lambda *objs, **_: shown.extend(objs)):
        for index, source in enumerate(cells):
            tree = ast.parse(source)
            last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
            exec(compile(tree, f"<{name} cell {index}>", "exec"), namespace)
            if index == 0:  # the parameters cell, then papermill's injected values
                namespace.update(parameters)
            if last is not None:
                value = eval(compile(ast.Expression(last.value), f"<{name} cell {index}>", "eval"), namespace)
                if value is not None:
                    shown.append(value)
    return shown


def shown_text(shown: list[Any]) -> str:
    """What a reader sees as text of the objects a run displayed: their Markdown and plain text, as in
    the executed notebook's outputs (a chart's text is its alt text; its image is not drawn)."""
    from russian_emigration.charts import Chart

    parts = []
    for item in shown:
        if isinstance(item, Chart):
            parts.append(item.alt)
        elif hasattr(item, "_repr_mimebundle_"):
            bundle = item._repr_mimebundle_()
            parts.extend(str(bundle[k]) for k in ("text/markdown", "text/plain") if k in bundle)
        else:
            parts.append(repr(item))
    return "\n".join(parts)
