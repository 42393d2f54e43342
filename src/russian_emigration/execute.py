"""Execute notebooks: the one way they run, for `make notebooks`, the report runner and the tests.

Each notebook runs with papermill in a fresh python3 kernel; several notebooks run at once, one
kernel per worker thread. Every kernel started here is killed when the run stops early (a failed
notebook, Ctrl-C, SIGTERM turned into an exception by the caller), so nothing is left running.

Kernel starts cannot lose a port race. Over TCP, jupyter_client picks a kernel's ports by binding port
0 and releasing it, so another process starting a kernel (or binding anything) at the same moment can
take a port first, and the kernel dies before it answers. So each kernel gets a private folder for its
connection file and, on POSIX, talks over Unix sockets in that folder (the ``ipc`` transport): no
shared namespace, nothing to race for. A kernel that dies before it answers ``kernel_info`` anyway (TCP
on Windows, or a socket path too long) is replaced by a fresh one with fresh ports, a few times.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

#: Notebook-level metadata kept when normalising; everything else (kernel versions, timings) is volatile.
KEPT_NOTEBOOK_METADATA = ("kernelspec", "russian_emigration")
#: ipykernel 7 warns on every start over TCP (the fallback) that the transport is unencrypted; keep its log to errors.
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=ERROR"]
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}
#: Seconds a kernel may take to start, and one cell to run.
START_TIMEOUT = 120
CELL_TIMEOUT = 600
#: Kernels started for one notebook when each dies before it answers, before the run gives up.
START_TRIES = 3
#: Seconds between two looks at whether a kernel that has not answered yet has died.
DEATH_POLL = 0.1
#: The longest Unix socket path every POSIX system takes (macOS allows 104 bytes, Linux 108).
SOCKET_PATH_MAX = 100


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


class PrivateConnection:
    """Mixin for a jupyter_client kernel manager: the kernel's connection file, and on POSIX its Unix
    sockets (``ipc`` transport, so no TCP port to race for), live in a fresh private folder, removed
    with the kernel's resources. ``transport="tcp"`` keeps TCP (the folder still holds the file)."""

    private_folder: Path

    def __init__(self, **kwargs: Any) -> None:
        try:
            folder = Path(tempfile.mkdtemp(prefix="rek-"))
        except OSError as exc:
            where = tempfile.gettempdir()
            raise ExecutionError(
                f"cannot make a kernel's private folder in {where} ({exc.strerror}): set TMPDIR"
            ) from None
        kwargs.setdefault("connection_file", str(folder / "kernel.json"))
        transport = kwargs.setdefault("transport", default_transport(folder))
        if transport == "ipc":
            kwargs.setdefault("ip", str(folder / "s"))  # the sockets are s-1 ... s-5
        super().__init__(**kwargs)
        self.private_folder = folder

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)  # type: ignore[misc]
        if not restart:
            self.remove_private_folder()

    def remove_private_folder(self) -> None:
        """Remove the connection file and sockets, also those of a kernel that was killed."""
        shutil.rmtree(self.private_folder, ignore_errors=True)


def default_transport(folder: Path) -> str:
    """``ipc`` on POSIX when the socket paths in ``folder`` fit the system's limit, else ``tcp``."""
    longest = folder / "s-99999"
    return "ipc" if os.name == "posix" and len(os.fsencode(longest)) <= SOCKET_PATH_MAX else "tcp"


def kernel_manager(**kwargs: Any) -> Any:
    """A new asynchronous manager for a python3 kernel with a private connection (:class:`PrivateConnection`).

    Asynchronous: its client lets nbclient notice a killed kernel at once (a blocking client waits on
    the dead kernel's output channel for ever).
    """
    return _private_async_manager()(kernel_name="python3", **kwargs)


@functools.cache
def _private_async_manager() -> Any:
    """The class of :func:`kernel_manager` (made on first use: jupyter_client loads slowly)."""
    from jupyter_client.manager import AsyncKernelManager

    return type("PrivateAsyncKernelManager", (PrivateConnection, AsyncKernelManager), {})


class KernelDied(RuntimeError):
    """A kernel died before it answered ``kernel_info`` (typically a port another process took)."""


async def wait_until_ready(km: Any) -> None:
    """Wait until the kernel of ``km`` answers ``kernel_info``.

    Raises :class:`KernelDied` if it died first (noticed within :data:`DEATH_POLL` seconds: the
    client alone looks only after each second it waited for an answer), :class:`ExecutionError` if it
    is alive but silent for :data:`START_TIMEOUT` seconds.
    """
    kc = km.client()
    kc.start_channels()
    ready = asyncio.ensure_future(kc.wait_for_ready(timeout=START_TIMEOUT))
    try:
        while not ready.done():
            await asyncio.wait({ready}, timeout=DEATH_POLL)
            if not ready.done() and not await km.is_alive():
                raise KernelDied("the kernel died before it answered kernel_info")
        ready.result()
    except KernelDied:
        raise
    except RuntimeError as exc:
        if await km.is_alive():
            raise ExecutionError(f"the kernel did not answer: {exc}") from None
        raise KernelDied(str(exc)) from None
    finally:
        if not ready.done():
            ready.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await ready
        kc.stop_channels()


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
        km = self.start(path)
        try:
            nb = execute_notebook(path, parameters, km)
        finally:
            _shutdown(km)
        with self.lock:
            self.finished += 1
            self.progress(f"[{self.finished}/{self.total}] {path.stem} done ({time.monotonic() - self.started:.1f} s)")
        return nb

    def start(self, path: Path) -> Any:
        """A started kernel that answered ``kernel_info``, for notebook ``path``.

        A kernel that died before it answered is replaced by a fresh one (fresh ports, fresh folder),
        up to :data:`START_TRIES` kernels in all; then :class:`ExecutionError` names the notebook.
        """
        from jupyter_core.utils import run_sync

        for _ in range(START_TRIES):
            km = kernel_manager()
            with self.lock:  # stop() sees every kernel: none starts after it
                if self.stopped:
                    km.remove_private_folder()
                    raise ExecutionError("the run was stopped")
                self.kernels.append(km)
                try:
                    run_sync(km.start_kernel)(extra_arguments=KERNEL_ARGUMENTS)
                except BaseException:
                    _shutdown(km)
                    raise
            try:
                run_sync(wait_until_ready)(km)
            except KernelDied:
                _shutdown(km)
                continue
            except ExecutionError as exc:
                _shutdown(km)
                raise ExecutionError(f"{path.name} did not start: {exc}") from None
            except BaseException:
                _shutdown(km)
                raise
            return km
        if self.stopped:
            raise ExecutionError("the run was stopped")
        raise ExecutionError(f"{path.name} did not start: its kernel died before it answered, {START_TRIES} times")

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
    """Shut a kernel down and release its ports, sockets and connection file."""
    from jupyter_core.utils import run_sync

    try:
        run_sync(km.shutdown_kernel)(now=True)
    except Exception:  # already killed by stop(): make sure the process is gone
        _kill(km)
    finally:
        km.remove_private_folder()


def run_in_place(paths: Sequence[Path], progress: Callable[[str], None] = print, workers: int | None = None) -> None:
    """Re-execute notebooks with their default parameters and save each over itself (`make notebooks`)."""
    import nbformat

    for path, nb in execute_all({p: {} for p in paths}, progress, workers).items():
        nbformat.write(nb, path)
