"""Execute notebooks in place, the one scripted way committed outputs are produced."""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: Notebook-level metadata kept when normalising; everything else (kernel versions, timings) is volatile.
KEPT_NOTEBOOK_METADATA = ("kernelspec", "russian_emigration")
#: ipykernel 7 warns on every start that its local TCP transport is unencrypted; keep its log to errors.
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=ERROR"]
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}


def normalise(nb: Any) -> Any:
    """Strip volatile metadata so that an unchanged notebook re-executes to identical bytes."""
    metadata = {k: nb.metadata[k] for k in KEPT_NOTEBOOK_METADATA if k in nb.metadata}
    metadata["kernelspec"] = dict(KERNELSPEC)
    metadata["language_info"] = {"name": "python"}
    nb.metadata = metadata
    for index, cell in enumerate(nb.cells):
        cell.id = f"cell-{index:02d}"
        tags = cell.metadata.get("tags")
        cell.metadata = {"tags": tags} if tags else {}
        for output in cell.get("outputs", []):
            if "metadata" in output and not output["metadata"]:
                output["metadata"] = {}
    return nb


def execute_in_place(path: Path, timeout: int = 600) -> None:
    """Run every cell of the notebook at ``path`` top to bottom in a fresh python3 kernel and save it."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        record_timing=False,
        extra_arguments=KERNEL_ARGUMENTS,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    nbformat.write(normalise(nb), path)


def notebook_paths(folder: Path) -> list[Path]:
    """The numbered notebooks of ``folder`` (``NN_name.ipynb``), in order."""
    return sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb") if p.is_file())
