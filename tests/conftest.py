"""Shared fixtures: the bundled data loaded once per process, a private copy of the data package, a
notebook cache per run, and the two report builds the notebook and report tests share (each built once
per run, on one xdist worker). nbval's kernels get private Unix sockets like the runner's."""

from __future__ import annotations

import ast
import contextlib
import csv
import fcntl
import functools
import gc
import io
import json
import os
import shutil
import subprocess
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

# Nothing from russian_emigration (pandas) at module level: with xdist the controller process loads this
# file too but runs no test, and it starts the workers only after loading it.
if TYPE_CHECKING:
    from russian_emigration.dataset import Dataset

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"

#: Non-default values for every notebook parameter, used by the one parameterised build.
OTHER_VALUES = {
    "start_date": "2022-09-01",
    "end_date": "2022-12-31",
    "domain": "music",
    "countries": "KAZ,KGZ",
    "focus_country": "KAZ",
    "min_respondents": "1000",
    "group_by": "country",
}
RENAMED = "Renamed Person"


def _private_nbval_kernels() -> None:
    """nbval's kernels start like the runner's (:class:`russian_emigration.execute.PrivateConnection`):
    connection file and Unix sockets in a private folder, so that they cannot lose a TCP port to a
    kernel the other xdist worker starts at the same moment (nbval 0.11 has no option for this; its
    ``start_new_kernel`` makes every manager from the module's ``KernelManager``)."""
    import nbval.kernel
    from jupyter_client.manager import KernelManager

    from russian_emigration.execute import PrivateConnection

    if nbval.kernel.KernelManager is not KernelManager:
        raise pytest.UsageError("nbval no longer starts kernels with jupyter_client's KernelManager: see conftest.py")
    nbval.kernel.KernelManager = type("PrivateKernelManager", (PrivateConnection, KernelManager), {})


#: What a process that starts a TCP kernel prints when the kernel lost its port to another process.
PORT_RACE = ("Kernel died before replying to kernel_info", "Address already in use")


def run_with_kernel(command: Sequence[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """``subprocess.run`` (text, output captured) for a command that starts a TCP kernel we cannot
    configure (papermill's own executable): run once more, only if the kernel lost its port race."""
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if done.returncode != 0 and all(text in done.stderr for text in PORT_RACE):
        done = subprocess.run(command, capture_output=True, text=True, **kwargs)
    return done


@pytest.fixture(scope="session", autouse=True)
def _private_notebook_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every run starts with an empty cache of executed notebooks, and never touches the user's."""
    before = os.environ.get("RUSSIAN_EMIGRATION_CACHE")
    os.environ["RUSSIAN_EMIGRATION_CACHE"] = str(tmp_path_factory.mktemp("notebook-cache"))
    yield
    if before is None:
        os.environ.pop("RUSSIAN_EMIGRATION_CACHE", None)
    else:
        os.environ["RUSSIAN_EMIGRATION_CACHE"] = before


@functools.cache
def bundled_dataset() -> Dataset:
    """The bundled data package, loaded once per process: read it, never change it (tests that change a
    table or the descriptor load their own copy)."""
    from russian_emigration import load_dataset

    return load_dataset()


def copy_data(target: Path) -> Path:
    from russian_emigration import data_dir

    shutil.copytree(data_dir(), target, ignore=shutil.ignore_patterns("README.md"))
    return target


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A copy of the bundled data package in a folder named ``data``."""
    return copy_data(tmp_path / "data")


def edit_lines(path: Path, change: Callable[[list[str]], list[str]]) -> None:
    """Rewrite a CSV file line by line (index 0 is the header)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    trailing = lines[-1] == ""
    body = change(lines[:-1] if trailing else lines)
    path.write_text("\n".join(body) + ("\n" if trailing else ""), encoding="utf-8")


def set_cell(path: Path, line: int, column: str, value: str) -> None:
    """Set one cell of a CSV file (``line`` 1 is the first data row) by rewriting it with the csv module."""
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    rows[line][rows[0].index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


@dataclass(frozen=True)
class Build:
    """One report build shared by several tests."""

    index: Path
    messages: list[str]


@contextlib.contextmanager
def shared_build(factory: pytest.TempPathFactory, worker_id: str, name: str) -> Iterator[tuple[Path, bool]]:
    """A folder for one build per test run, shared by the xdist workers: yields (folder, already built).

    The tests that use the default build share an xdist group (see GROUPS), so one worker normally
    makes it; the lock keeps it to one build when a test on the other worker asks for it too.
    """
    root = factory.getbasetemp() if worker_id == "master" else factory.getbasetemp().parent
    folder = root / f"shared-{name}"
    folder.mkdir(exist_ok=True)
    with open(root / f"shared-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield folder, (folder / "messages.json").exists()


def _build(folder: Path, done: bool, make: Callable[[Callable[[str], None]], Path]) -> Build:
    if not done:
        messages: list[str] = []
        make(messages.append)
        (folder / "messages.json").write_text(json.dumps(messages), encoding="utf-8")
    messages = json.loads((folder / "messages.json").read_text(encoding="utf-8"))
    return Build(folder / "report" / "index.html", messages)


@pytest.fixture(scope="session")
def default_build(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Build:
    """The report with default parameters, built once per test run: the one full build of the suite."""
    from russian_emigration.execute import notebook_paths
    from russian_emigration.report import build_report, notebooks_dir

    def make(progress: Callable[[str], None]) -> Path:
        before = {p: p.read_bytes() for p in notebook_paths(notebooks_dir())}
        index = build_report(folder / "report", progress=progress)
        assert {p: p.read_bytes() for p in before} == before, "the report build changed notebooks/"
        return index

    with shared_build(tmp_path_factory, worker_id, "default") as (folder, done):
        return _build(folder, done, make)


def renamed_data(target: Path) -> Path:
    """A copy of the data package in which the first musician is renamed to :data:`RENAMED`."""
    data = copy_data(target)
    rows = list(csv.DictReader(io.StringIO((data / "emigrants.csv").read_text(encoding="utf-8"))))
    first_musician = next(i for i, row in enumerate(rows, start=1) if row["domain"] == "music")
    set_cell(data / "emigrants.csv", first_musician, "name", RENAMED)
    return data


#: What each skeleton notebook prints after the parameters (see :func:`skeleton_notebook`).
RECEIVED, EMIGRANTS = "received ", "emigrants "


def skeleton_notebook(path: Path, folder: Path) -> Path:
    """``path`` cut down to what a parameter passes through on its way into a kernel: the title, the real
    parameters cell, a cell printing the values the kernel received (after papermill's injected cell),
    the real set-up cell (it loads the data from ``data_dir`` and validates every parameter), and a cell
    printing the emigrants' names the kernel read. Same file name, so the runner plans it the same way."""
    import nbformat
    from nbformat.v4 import new_code_cell

    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    parameters = code[0]
    setup = next(c for c in code[1:] if "validate(" in c.source)
    names = [node.target.id for node in ast.parse(parameters.source).body if isinstance(node, ast.AnnAssign)]
    values = ", ".join(f"{name!r}: {name}" for name in names)
    received = new_code_cell(f"import json\n\nprint({RECEIVED!r} + json.dumps({{{values}}}))")
    emigrants = new_code_cell(f"print({EMIGRANTS!r} + json.dumps(sorted(ds.emigrants['name'])))")
    nb.cells = [nb.cells[0], parameters, received, setup, emigrants]
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / path.name)
    return folder / path.name


@pytest.fixture(scope="session")
def parameter_build(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Build:
    """The runner with a non-default value for every parameter and ``--data-dir`` a copy in which the
    first musician is renamed, on skeleton notebooks (:func:`skeleton_notebook`): the values' way from
    the runner through papermill into each kernel. What the real notebooks show for these values is
    checked in-process (tests/test_notebooks.py); built once per test run."""
    from russian_emigration.execute import notebook_paths
    from russian_emigration.report import build_report, notebooks_dir

    def make(progress: Callable[[str], None]) -> Path:
        data = renamed_data(folder / "data")
        skeletons = [skeleton_notebook(p, folder / "skeletons") for p in notebook_paths(notebooks_dir())]
        with pytest.MonkeyPatch.context() as patch:
            _without_site(patch)  # what the site shows for other values is tested in tests/test_site.py
            return build_report(folder / "report", OTHER_VALUES, data_dir=data, notebooks=skeletons, progress=progress)

    with shared_build(tmp_path_factory, worker_id, "parameters") as (folder, done):
        return _build(folder, done, make)


#: Tests that run on one worker, in order (besides each notebook's nbval cells): they share an
#: expensive fixture, built once that way. Keys are files or test names (parameters left out).
GROUPS = {
    "tests/test_site.py": "default-build",
    "tests/test_report.py::test_committed_notebooks_are_exactly_what_the_report_executes": "default-build",
    "tests/test_report.py::test_full_report_links_pages_and_fetches_nothing": "default-build",
    # The four share the `other` fixture, which runs the four notebooks' code.
    "tests/test_notebooks.py::test_causes_with_a_narrower_timeline": "other-values",
    "tests/test_notebooks.py::test_emigrants_for_one_domain_from_another_data_copy": "other-values",
    "tests/test_notebooks.py::test_responses_for_chosen_countries": "other-values",
    "tests/test_notebooks.py::test_votes_without_thin_stations_by_country": "other-values",
}


def group_of(nodeid: str) -> str:
    """The xdist work unit of a test: its notebook for an nbval cell, its group in GROUPS, or itself."""
    file = nodeid.split("::")[0]
    if file.endswith(".ipynb"):
        return file
    return GROUPS.get(nodeid.split("[")[0]) or GROUPS.get(file) or nodeid


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadgroup`` with the groups of :func:`group_of`.

    xdist's own loadgroup reads ``xdist_group`` marks by renaming ``item._nodeid`` on the workers,
    which pytest 9 no longer reads (a node id is built from ``item._id``), so every test became its
    own unit and a notebook's cells ran on both workers. This scheduler groups by node id on the
    controller instead.
    """
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return group_of(nodeid)

    return GroupScheduling(config, log)


@pytest.hookimpl(wrapper=True)
def pytest_collection(session: pytest.Session) -> Generator[None, object, object]:
    """Collection imports every test module and what they use (pandas, nbformat, the package): about
    100,000 long-lived objects, which Python's cycle collector would otherwise scan again and again, while
    they load and in every later full collection (pytest runs one at the end of each process). It is
    paused while collecting, and what collection created is then frozen out of later collections
    (``gc.freeze``). Saves 0.3 to 0.7 CPU-seconds in each process that collects; the few thousand objects
    of garbage collection leaves behind stay in memory."""
    gc.disable()
    try:
        return (yield)
    finally:
        gc.freeze()
        gc.enable()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """nbval's notebook cells run kernels: they are slow, so `make test-fast` skips them. The slow tests
    run first (a stable sort keeps a notebook's cells in order), so that no long test starts last."""
    notebook_cells = [item for item in items if item.nodeid.split("::")[0].endswith(".ipynb")]
    for item in notebook_cells:
        item.add_marker(pytest.mark.slow)
    if notebook_cells:  # only a process that runs nbval's cells needs its kernels patched (not the xdist controller)
        _private_nbval_kernels()
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def _without_site(monkeypatch: pytest.MonkeyPatch) -> None:
    from russian_emigration import report

    def render(executed: list[Path], staging: Path, *_: Any) -> None:
        (staging / "index.html").write_text("\n".join(p.name for p in executed) + "\n", encoding="utf-8")

    monkeypatch.setattr(report, "render", render)


@dataclass
class Recorded:
    """What the recording executor (:func:`recording_executor`) was asked to run, call by call."""

    calls: list[dict[str, dict[str, Any]]]

    def stems(self, call: int = -1) -> list[str]:
        """The notebooks (file stems) of one call, sorted."""
        return sorted(self.calls[call]) if self.calls else []


@pytest.fixture
def recording_executor(monkeypatch: pytest.MonkeyPatch) -> Recorded:
    """The runner with its execute step recorded, for the whole test (:func:`record_executions`)."""
    return record_executions(monkeypatch)


def record_executions(monkeypatch: pytest.MonkeyPatch) -> Recorded:
    """Replace the runner's execute step: no kernel starts; each call is recorded (notebook stem -> the
    typed parameters it would get) and returns the notebooks unexecuted, as read from disk. For tests
    of the runner's logic (which notebooks a rebuild executes, staging folders, swaps); the same step
    with real kernels is proved by tests/test_kernels.py, tests/test_runner.py's signal tests, the
    parameter build (tests/test_notebooks.py) and the default build."""
    import nbformat

    from russian_emigration import report

    recorded = Recorded([])

    def execute_all(jobs: dict[Path, dict[str, Any]], *_: Any, **__: Any) -> dict[Path, Any]:
        recorded.calls.append({path.stem: dict(params) for path, params in jobs.items()})
        return {path: nbformat.read(path, as_version=4) for path in jobs}

    monkeypatch.setattr(report, "execute_all", execute_all)
    return recorded


@pytest.fixture
def no_site(monkeypatch: pytest.MonkeyPatch) -> None:
    """The runner without its Sphinx render, for tests of its mechanics (the cache, staging folders,
    leftovers), which the site adds nothing to: the index lists the executed notebooks instead. The
    site itself is tested on the default build and in tests/test_site.py."""
    _without_site(monkeypatch)
