"""Kernel starts that cannot lose a port race: the runner's kernels talk over Unix sockets in a private
folder, and a kernel that dies before it answers (here: a TCP port held by someone else, as when two
processes pick the same free port) is replaced by a fresh one, a bounded number of times."""

from __future__ import annotations

import os
import socket
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from russian_emigration import execute
from russian_emigration.execute import START_TRIES, ExecutionError, default_transport, execute_all
from tests.conftest import PORT_RACE, run_with_kernel
from tests.notebook_helpers import quiet, tiny_notebook
from tests.test_runner import alive

CONNECTION = (
    "import json\n"
    "from ipykernel.connect import get_connection_file\n"
    "info = json.load(open(get_connection_file()))\n"
    "print(get_connection_file(), info['transport'], info['ip'])"
)


@pytest.fixture
def private_tmp(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A short folder that :mod:`tempfile` uses in this test, so that what kernels leave can be seen."""
    folder = tmp_path_factory.mktemp("k")
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def held_port() -> Iterator[int]:
    """A local TCP port someone else holds: a kernel told to bind it dies before it answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


@dataclass
class Started:
    """What the runner's kernel starts did: each manager, its kernel's pid, and whether it answered."""

    managers: list[Any] = field(default_factory=list)
    pids: list[int] = field(default_factory=list)
    outcomes: list[str] = field(default_factory=list)

    def left_nothing(self) -> bool:
        """Every kernel process has ended and every private folder (connection file, sockets) is gone."""
        return not any(alive(pid) for pid in self.pids) and not any(km.private_folder.exists() for km in self.managers)


#: A kernel command that exits at once, without answering: a cheap kernel that dies before it answers.
EXITS_AT_ONCE = [sys.executable, "-S", "-c", "raise SystemExit(1)"]


def record_starts(monkeypatch: pytest.MonkeyPatch, dying: int, port: int | None = None) -> Started:
    """Make the runner's first ``dying`` kernels die before they answer, and record every start: TCP
    kernels told to bind ``port`` (held by someone else, the port race), or with no port, processes that
    exit at once (:data:`EXITS_AT_ONCE`)."""
    started = Started()
    make, wait = execute.kernel_manager, execute.wait_until_ready

    def kernel_manager(**kwargs: Any) -> Any:
        dies = len(started.managers) < dying
        if dies and port is not None:
            kwargs.update(transport="tcp", shell_port=port, cache_ports=False)
        km = make(**kwargs)
        if dies and port is None:
            km.format_kernel_cmd = lambda extra_arguments=None: list(EXITS_AT_ONCE)
        started.managers.append(km)
        return km

    async def wait_until_ready(km: Any) -> None:
        started.pids.append(km.provisioner.pid)
        try:
            await wait(km)
        except execute.KernelDied:
            started.outcomes.append("died")
            raise
        started.outcomes.append("answered")

    monkeypatch.setattr(execute, "kernel_manager", kernel_manager)
    monkeypatch.setattr(execute, "wait_until_ready", wait_until_ready)
    return started


def test_sockets_fit_the_unix_path_limit_or_tcp_is_used() -> None:
    assert default_transport(Path("/tmp/rek-abcdefgh")) == ("ipc" if os.name == "posix" else "tcp")
    assert default_transport(Path("/" + "x" * 100)) == "tcp", "a socket path over the limit cannot bind"


@pytest.mark.slow
@pytest.mark.skipif(os.name != "posix", reason="Unix sockets are POSIX only")
def test_kernels_talk_over_unix_sockets_in_a_private_folder_removed_after(private_tmp: Path) -> None:
    notebooks = [tiny_notebook(private_tmp / "nbs", f"0{i}_tiny.ipynb", body=CONNECTION) for i in (1, 2)]
    out = execute_all({p: {} for p in notebooks}, progress=quiet)
    shown = [nb.cells[-1].outputs[0]["text"].split() for nb in out.values()]
    assert [transport for _, transport, _ in shown] == ["ipc", "ipc"]
    folders = {Path(file).parent for file, _, _ in shown}
    assert len(folders) == 2, "one private folder per kernel"
    for file, _, ip in shown:
        assert Path(file).parent.parent == private_tmp and Path(ip).parent == Path(file).parent
    assert sorted(p.name for p in private_tmp.iterdir()) == ["nbs"], "no connection file or socket left"


@pytest.mark.slow
def test_a_kernel_that_died_before_it_answered_is_replaced(
    private_tmp: Path, held_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = record_starts(monkeypatch, dying=1, port=held_port)
    nb_path = tiny_notebook(private_tmp / "nbs", body="print(value * 2)")
    out = execute_all({nb_path: {}}, progress=quiet)
    assert out[nb_path].cells[-1].outputs[0]["text"] == "aa\n"
    assert started.outcomes == ["died", "answered"], "the first kernel could not bind its port; a fresh one ran"
    assert started.left_nothing()
    assert sorted(p.name for p in private_tmp.iterdir()) == ["nbs"]


@pytest.mark.slow
def test_a_kernel_that_keeps_dying_is_one_clear_error_naming_the_notebook(
    private_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Kernels that exit at once (the port race itself is the test above) give up after a bounded
    number of tries."""
    started = record_starts(monkeypatch, dying=START_TRIES)
    nb_path = tiny_notebook(private_tmp / "nbs", "03_stubborn.ipynb")
    message = f"03_stubborn.ipynb did not start: its kernel died before it answered, {START_TRIES} times"
    with pytest.raises(ExecutionError, match=message):
        execute_all({nb_path: {}}, progress=quiet)
    assert started.outcomes == ["died"] * START_TRIES, "a bounded number of tries"
    assert started.left_nothing()
    assert sorted(p.name for p in private_tmp.iterdir()) == ["nbs"]


#: Fails like a process whose TCP kernel lost its port (or with another error) the first time only.
FAILS_ONCE = """
import pathlib, sys
marker = pathlib.Path(sys.argv[1])
if not marker.exists():
    marker.write_text("")
    sys.exit(sys.argv[2])
print("ran")
"""


@pytest.mark.slow
@pytest.mark.parametrize(
    ("stderr", "runs"), [("\n".join(PORT_RACE), 2), ("Kernel died before replying to kernel_info", 1)]
)
def test_a_process_whose_kernel_lost_its_port_runs_once_more(tmp_path: Path, stderr: str, runs: int) -> None:
    """The papermill executable's kernels use TCP: the test that runs it retries the port race, only it."""
    done = run_with_kernel([sys.executable, "-c", FAILS_ONCE, str(tmp_path / "marker"), stderr])
    assert (done.returncode, done.stdout) == ((0, "ran\n") if runs == 2 else (1, ""))


def test_no_folder_for_a_kernel_is_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "missing"
    monkeypatch.setattr(tempfile, "tempdir", str(missing))
    nb_path = tiny_notebook(tmp_path / "nbs")
    with pytest.raises(ExecutionError, match=f"cannot make a kernel's private folder in {missing} .*: set TMPDIR"):
        execute_all({nb_path: {}}, progress=quiet)
