"""The runner under faults and the cache of executed notebooks (issue 8): nothing starts before the
parameters are checked, failures are one clear line, signals stop a build and leave nothing behind,
racing swaps serialise, and a rebuild executes only the notebooks whose inputs changed."""

from __future__ import annotations

import errno
import fcntl
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest

from russian_emigration import report
from russian_emigration.__main__ import main
from russian_emigration.execute import run_in_place
from russian_emigration.params import ParameterError
from russian_emigration.report import MARKER, ReportError, _swap_into_place, build_report
from tests.conftest import REPO, Recorded, set_cell
from tests.notebook_helpers import NOTEBOOKS, executed, quiet, tiny_notebook


@pytest.fixture
def no_kernels(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Fail the test if any kernel is started; returns the list of attempts."""
    from jupyter_client.manager import AsyncKernelManager

    started: list[str] = []

    def refuse(self: object, **_kwargs: object) -> None:
        started.append("kernel")
        raise AssertionError("a kernel was started")

    monkeypatch.setattr(AsyncKernelManager, "start_kernel", refuse)
    return started


@pytest.mark.parametrize(
    ("parameters", "data_dir", "message"),
    [
        ({"fild": "music"}, None, "unknown parameter 'fild'"),
        ({"domain": "sport"}, None, "domain='sport' is not valid"),
        ({"min_respondents": "many"}, None, "min_respondents takes a whole number"),
        ({"data_dir": "/elsewhere"}, REPO / "data", "both name a data folder; give one"),
        ({"data_dir": "/nonexistent"}, None, "data_dir='/nonexistent' is not valid"),
    ],
)
def test_parameters_are_checked_before_any_kernel_starts(
    parameters: dict[str, str], data_dir: Path | None, message: str, no_kernels: list[str], tmp_path: Path
) -> None:
    with pytest.raises(ParameterError, match=message):
        build_report(tmp_path / "out", parameters, data_dir=data_dir, notebooks=NOTEBOOKS, progress=quiet)
    assert not no_kernels
    assert list(tmp_path.iterdir()) == [], "nothing written"


@pytest.mark.parametrize("none", ["None", "none"])
def test_data_dir_none_on_the_command_line_means_the_bundled_data(none: str) -> None:
    # As for every other parameter (and in papermill), -p data_dir None is the default, not a folder name.
    from russian_emigration import data_dir

    build = report._check_values({"data_dir": none}, report.plan({"data_dir": none}, NOTEBOOKS))
    assert build.data_dir == data_dir()


def test_cli_rejects_data_dir_given_twice(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    argv = ["report", "--data-dir", str(REPO / "data"), "-p", "data_dir", str(REPO / "data")]
    assert main([*argv, "--output-dir", str(tmp_path / "r")]) == 2
    assert "--data-dir" in capsys.readouterr().err and not (tmp_path / "r").exists()


def test_output_parent_that_is_a_file_is_one_clear_error(
    no_kernels: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    nb = tiny_notebook(tmp_path / "nbs")
    with pytest.raises(ReportError, match="cannot write the report into .*a file is in the way"):
        build_report(blocker / "out", notebooks=[nb], progress=quiet)
    assert main(["report", "--output-dir", str(blocker / "sub" / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cannot write the report into") and err.count("\n") == 1, err
    assert not no_kernels


def test_read_only_file_system_is_one_clear_error(
    no_kernels: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def read_only(**kwargs: object) -> str:
        raise OSError(errno.EROFS, "Read-only file system", str(kwargs.get("dir")))

    monkeypatch.setattr(report.tempfile, "mkdtemp", read_only)
    with pytest.raises(ReportError, match=r"cannot write the report into .*: Read-only file system \(") as caught:
        build_report(tmp_path / "out", notebooks=[tiny_notebook(tmp_path / "nbs")], progress=quiet)
    assert "\n" not in str(caught.value)
    assert not no_kernels


def staged(folder: Path, name: str, text: str) -> Path:
    """A finished staging folder, as a build leaves it just before the swap."""
    folder = folder / name
    folder.mkdir()
    (folder / MARKER).write_text("", encoding="utf-8")
    (folder / "which").write_text(text, encoding="utf-8")
    return folder


def test_racing_swaps_replace_each_other_in_turn(tmp_path: Path) -> None:
    final = tmp_path / "out"
    stagings = [staged(tmp_path, f".out.building-{i}", str(i)) for i in range(8)]
    barrier = threading.Barrier(len(stagings))
    errors: list[BaseException] = []

    def swap(staging: Path) -> None:
        barrier.wait()
        try:
            _swap_into_place(staging, final)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=swap, args=(s,)) for s in stagings]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert (final / "which").read_text(encoding="utf-8") in {str(i) for i in range(8)}
    assert [p.name for p in tmp_path.iterdir()] == ["out"], "no staging or old folder left"


def test_a_failed_swap_is_a_clear_error_and_keeps_the_report(tmp_path: Path) -> None:
    final = staged(tmp_path, "out", "old")
    with pytest.raises(ReportError, match="cannot move the new report into"):
        _swap_into_place(tmp_path / ".out.building-vanished", final)
    assert (final / "which").read_text(encoding="utf-8") == "old"


# A child of a shell's background job inherits SIGINT ignored; a terminal's Ctrl-C does not.
SCRIPT = """
import signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)
from pathlib import Path
from russian_emigration.report import build_report
try:
    build_report(Path(sys.argv[1]), notebooks=[Path(p) for p in sys.argv[2:]], progress=lambda m: None)
except KeyboardInterrupt:
    sys.exit(130)
"""


def sleeper(folder: Path, name: str, pidfile: Path) -> Path:
    body = f"import os, pathlib, time\npathlib.Path({str(pidfile)!r}).write_text(str(os.getpid()))\ntime.sleep(300)"
    return tiny_notebook(folder, name, body=body)


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def start_sleeping_build(tmp_path: Path, count: int = 2) -> tuple[subprocess.Popen[bytes], list[int]]:
    """A build of ``count`` notebooks that sleep; returns once the kernels run them, with their pids."""
    pidfiles = [tmp_path / f"kernel-{i}.pid" for i in range(1, count + 1)]
    notebooks = [sleeper(tmp_path / "nbs", f"0{i}_sleep.ipynb", pidfile) for i, pidfile in enumerate(pidfiles, 1)]
    (tmp_path / "tmp").mkdir()  # the kernels' private folders (connection files, sockets) go here
    process = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "out"), *map(str, notebooks)],
        cwd=tmp_path,
        env={**os.environ, "TMPDIR": str(tmp_path / "tmp")},
    )
    deadline = time.monotonic() + 120
    while not all(p.exists() and p.read_text() for p in pidfiles):
        assert process.poll() is None, "the build ended early"
        assert time.monotonic() < deadline, "the notebooks did not start"
        time.sleep(0.1)
    assert len(list((tmp_path / "tmp").glob("rek-*/kernel.json"))) == count, "one private folder per kernel"
    return process, [int(p.read_text()) for p in pidfiles]


def ended(process: subprocess.Popen[bytes], kernels: list[int]) -> float:
    """Seconds until the build process and its kernels are gone."""
    start = time.monotonic()
    process.wait(timeout=30)
    while any(alive(pid) for pid in kernels) and time.monotonic() - start < 30:
        time.sleep(0.05)
    return time.monotonic() - start


@pytest.mark.slow
@pytest.mark.parametrize(
    ("signum", "status", "count"), [(signal.SIGINT, 130, 2), (signal.SIGTERM, 128 + signal.SIGTERM, 1)]
)
def test_a_signal_stops_the_build_promptly_and_leaves_nothing(
    tmp_path: Path, signum: int, status: int, count: int
) -> None:
    """Ctrl-C with two notebooks running at once (both must stop); SIGTERM, which takes another way into
    the same stop, with one."""
    process, kernels = start_sleeping_build(tmp_path, count)
    process.send_signal(signum)
    seconds = ended(process, kernels)
    assert process.returncode == status
    assert seconds < 10, f"took {seconds:.1f} s to stop"
    assert not [pid for pid in kernels if alive(pid)], "kernels left running"
    pidfiles = [f"kernel-{i}.pid" for i in range(1, count + 1)]
    assert sorted(p.name for p in tmp_path.iterdir()) == [*pidfiles, "nbs", "tmp"], "leftovers"
    assert not list((tmp_path / "tmp").iterdir()), "connection files or sockets left"


#: A build whose execute step only says it has started, then waits to be killed: no kernel runs.
STALLED = """
import pathlib, sys, time
from russian_emigration import report
def stall(*args, **kwargs):
    pathlib.Path(sys.argv[1]).write_text("executing")
    time.sleep(300)
report.execute_all = stall
report.build_report(pathlib.Path(sys.argv[2]), notebooks=[pathlib.Path(sys.argv[3])], progress=lambda m: None)
"""


@pytest.mark.slow
@pytest.mark.usefixtures("no_site")
def test_the_next_build_removes_what_a_killed_build_left(tmp_path: Path, recording_executor: Recorded) -> None:
    """A build killed while it executes (SIGKILL: no handler runs) leaves its staging folder; the next
    build removes it, but not the folder of a build still running. Which kernels a stopped build kills
    is the signal tests' part: here the killed build's execute step starts none."""
    started = tmp_path / "started"
    nb = tiny_notebook(tmp_path / "tiny")
    process = subprocess.Popen([sys.executable, "-c", STALLED, str(started), str(tmp_path / "out"), str(nb)])
    deadline = time.monotonic() + 120
    while not started.exists():
        assert process.poll() is None, "the build ended early"
        assert time.monotonic() < deadline, "the build did not start executing"
        time.sleep(0.05)
    process.kill()
    process.wait(timeout=30)
    leftovers = list(tmp_path.glob(".out.building-*"))
    assert len(leftovers) == 1
    live = tmp_path / ".out.building-live"  # a build that is still running holds its lock
    live.mkdir()
    lock = os.open(live, os.O_RDONLY)
    fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        build_report(tmp_path / "out", notebooks=[nb], progress=quiet)
    finally:
        os.close(lock)
    assert recording_executor.stems() == ["01_tiny"]
    assert not leftovers[0].exists()
    assert live.exists()
    assert (tmp_path / "out" / "index.html").exists()


def declaring_notebook(folder: Path, name: str, declares: str) -> Path:
    parameters = (
        "from typing import Optional\n\n"
        f'{declares}: str = "a"  # any text\n'
        "data_dir: Optional[str] = None  # another data package"
    )
    return tiny_notebook(folder, name, body=f"print({declares})", parameters=parameters)


@pytest.mark.slow  # eight builds, about two seconds
@pytest.mark.usefixtures("no_site")
def test_a_rebuild_executes_only_the_notebooks_whose_inputs_changed(
    tmp_path: Path, data_copy: Path, recording_executor: Recorded
) -> None:
    """The cache's logic, with the execute step recorded (no kernel): a cached notebook is copied into the
    report, so what a kernel would print is proved by the tests that run kernels."""
    first = declaring_notebook(tmp_path / "nbs", "01_a.ipynb", declares="value")
    second = declaring_notebook(tmp_path / "nbs", "02_b.ipynb", declares="other")
    notebooks = [first, second]

    def rebuild(**parameters: str) -> list[str]:
        build_report(tmp_path / "out", parameters, data_dir=data_copy, notebooks=notebooks, progress=quiet)
        return recording_executor.stems()

    assert rebuild() == ["01_a", "02_b"]
    assert rebuild() == [], "nothing changed, nothing executed"
    assert rebuild(value="z") == ["01_a"], "only the notebook that declares `value`"
    assert recording_executor.calls[-1]["01_a"] == {"value": "z", "data_dir": str(data_copy.resolve())}
    assert rebuild(value="z") == []
    set_cell(data_copy / "sources.csv", 1, "title", "An edited title")
    assert rebuild(value="z") == ["01_a", "02_b"], "the data package changed"
    nb = nbformat.read(second, as_version=4)
    nb.cells[0].source += "\n\nEdited."
    nbformat.write(nb, second)
    assert rebuild(value="z") == ["02_b"], "only the edited notebook"
    assert rebuild(value="y") == ["01_a"]
    assert rebuild(value="z") == [], "an earlier combination is still cached"
    assert "Edited." in executed(tmp_path / "out" / "index.html", "02_b.ipynb").cells[0].source, "the cached copy"


@pytest.mark.slow
def test_run_in_place_saves_the_executed_notebook_without_volatile_metadata(tmp_path: Path) -> None:
    nb_path = tiny_notebook(tmp_path / "nbs", body="print(value * 2)")
    run_in_place([nb_path], progress=quiet)
    nb = nbformat.read(nb_path, as_version=4)
    assert nb.cells[-1].outputs[0]["text"] == "aa\n"
    assert [c.execution_count for c in nb.cells if c.cell_type == "code"] == [1, 2]
    assert set(nb.metadata) == {"kernelspec", "language_info"}
    assert all(set(c.metadata) <= {"tags"} for c in nb.cells)


def test_notebooks_verb_rejects_an_unknown_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["notebooks", "no_such.ipynb"]) == 2
    err = capsys.readouterr().err
    assert "no notebook named 'no_such.ipynb'" in err
    assert all(p.name in err for p in NOTEBOOKS)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('{"resources": [],}', "is not valid JSON"),
        ('{"resources": [{"path": "a.csv", "schema": {"fields": []}}]}', "resource 1: needs 'name'"),
    ],
)
def test_dictionary_verb_checks_the_descriptor_first(
    data_copy: Path, capsys: pytest.CaptureFixture[str], text: str, says: str
) -> None:
    (data_copy / "datapackage.json").write_text(text, encoding="utf-8")
    assert main(["dictionary", "--data-dir", str(data_copy)]) == 2
    out, err = capsys.readouterr()
    assert err.startswith("error:") and "data/datapackage.json" in err and says in err, err
    assert out == "", "no half dictionary"


def test_notebooks_verb_refuses_to_rewrite_an_installed_package(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], no_kernels: list[str]
) -> None:
    monkeypatch.setattr(report, "checkout_notebooks_dir", lambda: None)
    assert main(["notebooks"]) == 2
    assert "installed, not a checkout" in capsys.readouterr().err
    assert not no_kernels
