"""Helpers to read what executed notebooks show, and tiny notebooks for testing the runner."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from russian_emigration.execute import notebook_paths
from russian_emigration.report import notebooks_dir

NOTEBOOKS = notebook_paths(notebooks_dir())
BY_NAME = {p.stem: p for p in NOTEBOOKS}


def shown_text(nb: Any) -> str:
    """Everything a reader sees as text: plain-text and Markdown outputs, and streams."""
    parts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                parts.append(output.get("text", ""))
            data = output.get("data", {})
            parts.extend(str(data[k]) for k in ("text/markdown", "text/plain") if k in data)
    return "\n".join(parts)


def images(nb: Any) -> int:
    return sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))


def tiny_notebook(
    folder: Path,
    name: str = "01_tiny.ipynb",
    body: str = "print(repr(value))",
    parameters: str = 'value: str = "a"  # any text\ncount: int = 1  # a whole number',
) -> Path:
    """A one-cell notebook with a parameters cell, for runner tests that need no data."""
    params = new_code_cell(parameters)
    params.metadata["tags"] = ["parameters"]
    nb = new_notebook(cells=[new_markdown_cell("# Tiny\n\n**Question.** none"), params, new_code_cell(body)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / name)
    return folder / name


def executed(index: Path, name: str) -> Any:
    """The executed notebook ``name`` of the report whose index is ``index``."""
    return nbformat.read(index.parent / "notebooks" / name, as_version=4)


def quiet(_message: str) -> None:
    pass
