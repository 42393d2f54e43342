"""Helpers to run notebooks with papermill and read what they show."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat

from russian_emigration.execute import KERNEL_ARGUMENTS, notebook_paths
from russian_emigration.report import notebooks_dir

NOTEBOOKS = notebook_paths(notebooks_dir())
BY_NAME = {p.stem: p for p in NOTEBOOKS}


def run(name: str, tmp_path: Path, **parameters: Any) -> Any:
    """Execute notebook ``name`` with papermill into ``tmp_path`` and return the executed notebook."""
    import papermill

    out = tmp_path / f"{name}.out.ipynb"
    papermill.execute_notebook(
        str(BY_NAME[name]),
        str(out),
        parameters=parameters,
        kernel_name="python3",
        cwd=str(tmp_path),
        progress_bar=False,
        execution_timeout=300,
        start_timeout=120,
        extra_arguments=KERNEL_ARGUMENTS,
    )
    return nbformat.read(out, as_version=4)


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
