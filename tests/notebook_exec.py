"""Run a notebook's code cells in this process, without a kernel, and collect what each cell shows.

The grid test uses it to walk the parameter space through exactly the code the notebooks run.
"""

from __future__ import annotations

import ast
from typing import Any
from unittest import mock

import nbformat

from russian_emigration.execute import notebook_paths
from russian_emigration.report import notebooks_dir

BY_NAME = {p.stem: p for p in notebook_paths(notebooks_dir())}


def _cells(name: str) -> list[str]:
    nb = nbformat.read(BY_NAME[name], as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "code"]


def run_cells(name: str, only: tuple[str, ...] = (), **parameters: Any) -> list[Any]:
    """Execute notebook ``name`` with ``parameters`` (as papermill would inject them); return what it displays.

    With ``only``, the parameters and set-up cells run, then only the cells whose code contains one of
    those strings (the cells a parameter changes), so a sweep does not redraw what it cannot change;
    the closing sources table, which needs every cell, is left out then.
    """
    shown: list[Any] = []
    namespace: dict[str, Any] = {"__name__": "__notebook__"}
    cells = _cells(name)
    if only:
        cells = cells[:2] + [c for c in cells[2:] if any(w in c for w in only) and "sources_table" not in c]
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
