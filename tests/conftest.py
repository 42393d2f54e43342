"""Shared fixtures: a private copy of the data package, a notebook cache per run, and the two report
builds the notebook and report tests share (each built once per run, on one xdist worker)."""

from __future__ import annotations

import contextlib
import csv
import fcntl
import io
import json
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from russian_emigration import data_dir

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


def copy_data(target: Path) -> Path:
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

    xdist's loadgroup cannot keep tests on one worker under pytest 9, so the first worker that
    needs a build makes it, under a lock, and the others read it.
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
    """The report with default parameters, built once per test run."""
    from russian_emigration.report import build_report

    with shared_build(tmp_path_factory, worker_id, "default") as (folder, done):
        return _build(folder, done, lambda progress: build_report(folder / "report", progress=progress))


@pytest.fixture(scope="session")
def parameter_build(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Build:
    """The report with a non-default value for every parameter, on a data copy in which the first
    musician is renamed; built once per test run."""
    from russian_emigration.report import build_report

    def make(progress: Callable[[str], None]) -> Path:
        data = copy_data(folder / "data")
        rows = list(csv.DictReader(io.StringIO((data / "emigrants.csv").read_text(encoding="utf-8"))))
        first_musician = next(i for i, row in enumerate(rows, start=1) if row["domain"] == "music")
        set_cell(data / "emigrants.csv", first_musician, "name", RENAMED)
        return build_report(folder / "report", OTHER_VALUES, data_dir=data, progress=progress)

    with shared_build(tmp_path_factory, worker_id, "parameters") as (folder, done):
        return _build(folder, done, make)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """nbval's notebook cells run kernels: they are slow, so `make test-fast` skips them."""
    for item in items:
        if item.nodeid.split("::")[0].endswith(".ipynb"):
            item.add_marker(pytest.mark.slow)
