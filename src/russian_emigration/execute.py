"""Execute notebooks: the one way they run, for ``make notebooks``, the report runner and ``make check-notebooks``."""

from __future__ import annotations

import base64
import contextlib
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

#: Seconds one cell may run before the run stops (papermill's --execution-timeout).
CELL_TIMEOUT = 300
#: Seconds between two "still running" lines about one notebook.
STILL_RUNNING = 30
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}


class ExecutionError(RuntimeError):
    """A notebook failed, or the run was stopped before it finished."""


def notebook_paths(folder: Path) -> list[Path]:
    """The numbered notebooks of ``folder`` (``NN_name.ipynb``), in order."""
    return sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb") if p.is_file())


def normalise(nb: Any) -> Any:
    """Strip what changes from run to run (papermill's timings, kernel versions): outputs are reproducible."""
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}
    for index, cell in enumerate(nb.cells):
        cell.id = f"cell-{index:02d}"
        cell.metadata = {k: v for k, v in cell.metadata.items() if k in ("tags", "mystnb")}
    return nb


def execute(
    jobs: Mapping[Path, Mapping[str, Any]],
    out_dir: Path,
    *,
    cwd: Path | None = None,
    progress: Callable[[str], None] = print,
    workers: int = 2,
) -> dict[Path, Any]:
    """The executed, normalised notebooks, ``workers`` papermill processes at once; the first failure stops all."""
    import nbformat  # slow to import: only runs need it

    waiting, done, started = list(jobs), {}, time.monotonic()
    running: dict[Path, tuple[Any, float, float]] = {}  # process, start, last note
    try:
        while waiting or running:
            while waiting and len(running) < workers:
                path, now = waiting.pop(0), time.monotonic()
                running[path] = (_start(path, out_dir / path.name, jobs[path], cwd), now, now)
            time.sleep(0.1)
            for path, (process, since, noted) in list(running.items()):
                now = time.monotonic()
                if process.poll() is None and now - noted >= STILL_RUNNING:
                    progress(f"{path.stem}: still running ({now - since:.0f} s)")
                    running[path] = (process, since, now)
                elif process.returncode is not None:
                    del running[path]
                    if process.returncode != 0:
                        raise ExecutionError(_failure(path, out_dir / path.name, process))
                    done[path] = normalise(nbformat.read(out_dir / path.name, as_version=4))
                    progress(f"[{len(done)}/{len(jobs)}] {path.stem} done ({now - started:.1f} s)")
    finally:  # a failure (ExecutionError), Ctrl-C or a signal: stop every process still running
        for process, _, _ in running.values():
            _stop(process)
    return {path: done[path] for path in jobs}


def _start(path: Path, target: Path, parameters: Mapping[str, Any], cwd: Path | None) -> subprocess.Popen[bytes]:
    """Start papermill on one notebook; its messages go to ``target`` with the suffix .log, read if it fails."""
    encoded = base64.b64encode(json.dumps(dict(parameters)).encode("utf-8")).decode("ascii")
    command = [sys.executable, "-m", "papermill", str(path), str(target), "-b", encoded, "-k", "python3"]
    command += ["--execution-timeout", str(CELL_TIMEOUT), "--no-progress-bar", "--log-level", "ERROR"]
    command += ["--no-request-save-on-cell-execute", "--autosave-cell-every", "0"]
    command += ["--cwd", str(cwd)] if cwd else []
    with target.with_suffix(".log").open("wb") as log:  # the process keeps its own copy open
        return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log, stdin=subprocess.DEVNULL)


def _failure(path: Path, target: Path, process: Any) -> str:
    """The failing cell and its error, or the cell that ran too long (counting code cells), else papermill's message."""
    import nbformat  # slow to import: only runs need it

    log = target.with_suffix(".log").read_text(encoding="utf-8", errors="replace")
    with contextlib.suppress(ValueError):  # a notebook cut short (a full disk): papermill's message below says so
        for cell in nbformat.read(target, as_version=4).cells if target.is_file() else []:
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    return f"{path.name} failed in cell {cell.execution_count}: {output['ename']}: {output['evalue']}"
    if "CellTimeoutError" in log:
        preview = log.split("-------------------")[1].strip() if log.count("-------------------") >= 2 else ""
        code = [c.source.strip() for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
        where = f" in cell {code.index(preview) + 1}" if preview in code else ""
        return f"{path.name} did not finish{where}: a cell ran longer than {CELL_TIMEOUT} s"
    lines = [line for line in log.splitlines() if line.strip()]
    return f"{path.name} did not finish: {lines[-1] if lines else f'papermill exited with status {process.returncode}'}"


def _stop(process: Any) -> None:
    """Stop a papermill process (its kernel exits with it), at once and for sure."""
    process.terminate()  # nothing if it has exited
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def run_in_place(paths: list[Path], progress: Callable[[str], None] = print) -> None:
    """Re-execute notebooks with their default parameters and save each over itself (``make notebooks``)."""
    import nbformat  # slow to import: only runs need it

    with tempfile.TemporaryDirectory(prefix="russian-emigration-run-") as tmp:
        for path, nb in execute({p: {} for p in paths}, Path(tmp), progress=progress).items():
            nbformat.write(nb, path)
