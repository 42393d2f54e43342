"""The documented command lines: papermill's own command line and the report runner's.

One run through the real ``papermill`` executable with a kernel: the command notebook 03 documents. The
other forms (``-p`` passes text, ``-y`` passes YAML, a JSON list as text) go through papermill's
command line with ``--prepare-only``, which injects the parameters and executes nothing; the prepared
notebook's own parameters cell, the injected cell and its set-up cell (which validates every value)
then run in this process. The runner's ``-p`` forms are parsed by its command line in this process.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from russian_emigration import report
from russian_emigration.__main__ import main
from russian_emigration.notebook import Prose
from tests.conftest import run_with_kernel
from tests.notebook_exec import run_cells, run_prepared
from tests.notebook_helpers import BY_NAME, NOTEBOOKS
from tests.notebook_helpers import shown_text as notebook_text

PAPERMILL = Path(sys.executable).with_name("papermill")
#: Runs the parameters and set-up cells only (no cell of the notebook contains this).
HEADER_ONLY = ("no cell contains this",)


def prepare(name: str, tmp_path: Path, *arguments: str) -> Path:
    """papermill's command line (in this process) with ``--prepare-only``: parameters injected, nothing run."""
    from click.testing import CliRunner
    from papermill.cli import papermill

    out = tmp_path / f"{name}.ipynb"
    command = [str(BY_NAME[name]), str(out), "--prepare-only", "--kernel", "python3", "--no-progress-bar", *arguments]
    result = CliRunner().invoke(papermill, command, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out


def header(shown: list[object]) -> str:
    """The sentences a notebook's set-up cell shows (which values it took)."""
    return "\n".join(item.text for item in shown if isinstance(item, Prose))


@pytest.mark.parametrize(
    "arguments",
    [
        ("-p", "countries", "GEO,KAZ"),
        ("-p", "countries", '["GEO","KAZ"]'),
        ("-y", "countries: [GEO, KAZ]"),
    ],
    ids=["comma-separated", "json-list", "yaml"],
)
def test_countries_from_the_command_line(tmp_path: Path, arguments: tuple[str, ...]) -> None:
    prepared = prepare("03_destination_responses", tmp_path, *arguments, "-p", "focus_country", "KAZ")
    shown = header(run_prepared(prepared, HEADER_ONLY))
    assert "Countries: Georgia, Kazakhstan. Profiled in depth: Kazakhstan." in shown


def head_of(path: Path, folder: Path) -> Path:
    """``path`` cut after its set-up cell (the code cell that validates the parameters), same file name."""
    nb = nbformat.read(path, as_version=4)
    setup = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "validate(" in c.source)
    nb.cells = nb.cells[: setup + 1]
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / path.name)
    return folder / path.name


@pytest.mark.slow
def test_the_command_notebook_03_documents(tmp_path: Path) -> None:
    """The one run of the real papermill executable, with a kernel, with the arguments notebook 03
    documents, on the notebook's parameters and set-up cells (which validate every value and say which
    countries they took); the whole notebook then runs with the same values in this process."""
    nb = nbformat.read(BY_NAME["03_destination_responses"], as_version=4)
    arguments = ["-p", "countries", '["KAZ", "KGZ", "UZB"]', "-p", "focus_country", "KAZ"]
    assert """-p countries '["KAZ", "KGZ", "UZB"]' -p focus_country KAZ""" in nb.cells[0].source
    head = head_of(BY_NAME["03_destination_responses"], tmp_path / "head")
    out = tmp_path / "03.out.ipynb"
    done = run_with_kernel(
        [str(PAPERMILL), str(head), str(out), "--kernel", "python3", "--no-progress-bar", *arguments],
        timeout=600,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    sentence = "Countries: Kazakhstan, Kyrgyzstan, Uzbekistan. Profiled in depth: Kazakhstan."
    assert sentence in notebook_text(nbformat.read(out, as_version=4)), "the kernel did not take the values"
    injected = nbformat.read(out, as_version=4).cells[2]
    assert "injected-parameters" in injected.metadata.get("tags", [])
    values: dict[str, object] = {}
    exec(injected.source, values)  # the values papermill passed the kernel
    del values["__builtins__"]
    assert values == {"countries": '["KAZ", "KGZ", "UZB"]', "focus_country": "KAZ"}
    shown = run_cells("03_destination_responses", **values)  # every cell, with the same values
    assert sentence in header(shown) and len(shown) > 10


def test_a_partial_date_window_and_a_domain_label(tmp_path: Path) -> None:
    prepared = prepare("01_causes", tmp_path, "-p", "start_date", "2022-09", "-p", "end_date", "2022-09")
    assert "Timeline: 1 September 2022 to 30 September 2022." in header(run_prepared(prepared, HEADER_ONLY))
    prepared = prepare("02_notable_emigrants", tmp_path, "-p", "domain", "stage and screen")
    assert "Domain: stage and screen." in header(run_prepared(prepared, HEADER_ONLY))


def test_the_runner_takes_the_same_forms(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The runner's command line turns ``-p`` pairs into the values each notebook gets (plan), and the
    notebooks take them; the way from the runner into a kernel is tests/test_notebooks.py's build."""
    given: dict[str, str] = {}

    def build_report(output_dir: Path, parameters: dict[str, str], data_dir: Path | None = None) -> Path:
        given.update(parameters)
        return output_dir / "index.html"

    monkeypatch.setattr(report, "build_report", build_report)
    forms = ["-p", "countries", "GEO,KAZ", "-p", "domain", "stage and screen", "-p", "start_date", "2022-09"]
    assert main(["report", "--output-dir", str(tmp_path / "r"), *forms]) == 0
    assert given == {"countries": "GEO,KAZ", "domain": "stage and screen", "start_date": "2022-09"}
    typed = report.plan(given, NOTEBOOKS)
    shown = {path.stem: header(run_cells(path.stem, HEADER_ONLY, **values)) for path, values in typed.items()}
    assert "Countries: Georgia, Kazakhstan." in shown["03_destination_responses"]
    assert "Domain: stage and screen." in shown["02_notable_emigrants"]
    assert "Timeline: 1 September 2022 to 31 December 2024." in shown["01_causes"]


@pytest.mark.slow
def test_a_bad_value_from_the_command_line_is_a_clean_error(tmp_path: Path) -> None:
    """The real runner process: one line on stderr, no traceback, a non-zero exit, before any kernel."""
    done = subprocess.run(
        [sys.executable, "-m", "russian_emigration", "report", "--output-dir", str(tmp_path / "r")]
        + ["-p", "countries", "GEO;KAZ"],
        capture_output=True,
        text=True,
        timeout=900,
    )  # it shares this run's cache (tests/conftest.py): a hit of the data or the parameters changes nothing here
    assert done.returncode != 0
    assert (
        "countries" in done.stderr
        and "'GEO;KAZ'" in done.stderr
        and "countries of the data's country table" in done.stderr
    )
    assert "Traceback" not in done.stderr
