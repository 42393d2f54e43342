"""Execute notebooks: the one way they run, for `make notebooks`, the report runner and the tests.

Each notebook runs with papermill in a fresh python3 kernel; several notebooks run at once, one
kernel per worker thread. Every kernel started here is killed when the run stops early (a failed
notebook, Ctrl-C, SIGTERM turned into an exception by the caller), so nothing is left running.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

#: Notebook-level metadata kept when normalising; everything else (kernel versions, timings) is volatile.
KEPT_NOTEBOOK_METADATA = ("kernelspec", "russian_emigration")
#: ipykernel 7 warns on every start that its local TCP transport is unencrypted; keep its log to errors.
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=ERROR"]
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}
#: Seconds a kernel may take to start, and one cell to run.
START_TIMEOUT = 120
CELL_TIMEOUT = 600


class ExecutionError(RuntimeError):
    """A notebook failed, or a run was stopped before it finished."""


def notebook_paths(folder: Path) -> list[Path]:
    """The numbered notebooks of ``folder`` (``NN_name.ipynb``), in order."""
    return sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb") if p.is_file())


def normalise(nb: Any) -> Any:
    """Strip volatile metadata (papermill's timings, kernel versions) so that outputs are reproducible."""
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


def default_workers() -> int:
    """Notebooks run at once: one per core."""
    return os.cpu_count() or 1


def execute_all(
    jobs: Mapping[Path, Mapping[str, Any]],
    progress: Callable[[str], None] = print,
    workers: int | None = None,
) -> dict[Path, Any]:
    """Execute each notebook with its parameters, in parallel; return the normalised executed notebooks.

    The first failure stops the run: kernels still running are killed and
    :class:`ExecutionError` names the notebook, the cell and the error.
    """
    paths = list(jobs)
    if not paths:
        return {}
    run = _Run(progress, len(paths))
    pool = ThreadPoolExecutor(max_workers=min(len(paths), workers or default_workers()))
    try:
        futures: dict[Future[Any], Path] = {pool.submit(run.one, p, dict(jobs[p])): p for p in paths}
        done, _ = wait(futures, return_when=FIRST_EXCEPTION)
        for future in done:
            future.result()  # the first failure, if any
        return {futures[f]: f.result() for f in futures}
    except BaseException:
        run.stop()
        raise
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


class _Run:
    """The kernels of one :func:`execute_all` call, so that all of them can be killed at once."""

    def __init__(self, progress: Callable[[str], None], total: int) -> None:
        self.progress = progress
        self.total = total
        self.started = time.monotonic()
        self.finished = 0
        self.lock = threading.Lock()
        self.stopped = False
        self.kernels: list[Any] = []

    def one(self, path: Path, parameters: dict[str, Any]) -> Any:
        """Start a fresh kernel, run one notebook in it, shut the kernel down."""
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        # An asynchronous manager: its client lets nbclient notice a killed kernel at once
        # (a blocking client waits on the dead kernel's output channel for ever).
        km = AsyncKernelManager(kernel_name="python3")
        with self.lock:
            if self.stopped:
                raise ExecutionError("the run was stopped")
            run_sync(km.start_kernel)(extra_arguments=KERNEL_ARGUMENTS)
            self.kernels.append(km)
        try:
            nb = execute_notebook(path, parameters, km)
        finally:
            _shutdown(km)
        with self.lock:
            self.finished += 1
            self.progress(f"[{self.finished}/{self.total}] {path.stem} done ({time.monotonic() - self.started:.1f} s)")
        return nb

    def stop(self) -> None:
        """Kill every kernel this run started; running notebooks then fail at once."""
        with self.lock:
            self.stopped = True
            for km in self.kernels:
                _kill(km)


def execute_notebook(path: Path, parameters: Mapping[str, Any], km: Any) -> Any:
    """Execute one notebook with papermill in the started kernel ``km``; return it normalised."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    # No cwd=: papermill implements it with os.chdir, which is process-wide and races between
    # threads. The notebooks resolve every path from the package, not the working directory.
    try:
        nb = papermill.execute_notebook(
            str(path),
            None,  # papermill writes nothing; the caller writes the notebook once
            parameters=dict(parameters),
            kernel_name="python3",
            progress_bar=False,
            log_output=False,
            execution_timeout=CELL_TIMEOUT,
            start_timeout=START_TIMEOUT,
            km=km,
            request_save_on_cell_execute=False,
        )
    except PapermillExecutionError as exc:
        raise ExecutionError(f"{path.name} failed in cell {exc.exec_count}: {exc.ename}: {exc.evalue}") from None
    except Exception as exc:  # a kernel killed by stop() or that died on its own
        raise ExecutionError(f"{path.name} did not finish: {type(exc).__name__}: {exc}") from None
    return normalise(nb)


def _kill(km: Any) -> None:
    """Kill a kernel's process group at once; safe from any thread, and on a kernel already gone."""
    process = getattr(km.provisioner, "process", None) if getattr(km, "provisioner", None) else None
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGKILL)  # jupyter_client starts each kernel in its own session
    except (ProcessLookupError, PermissionError):
        process.kill()


def _shutdown(km: Any) -> None:
    """Shut a kernel down and release its ports and connection file."""
    from jupyter_core.utils import run_sync

    try:
        run_sync(km.shutdown_kernel)(now=True)
    except Exception:  # already killed by stop(): make sure the process is gone
        _kill(km)


def run_in_place(paths: Sequence[Path], progress: Callable[[str], None] = print, workers: int | None = None) -> None:
    """Re-execute notebooks with their default parameters and save each over itself (`make notebooks`)."""
    import nbformat

    for path, nb in execute_all({p: {} for p in paths}, progress, workers).items():
        nbformat.write(nb, path)
