"""The documented command lines, run through the real ``papermill`` executable and the report runner.

One short run per documented form: ``-p`` passes text, ``-y`` passes YAML, and both must work.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tests.notebook_helpers import BY_NAME, shown_text

PAPERMILL = Path(sys.executable).with_name("papermill")
pytestmark = pytest.mark.slow


def papermill(name: str, tmp_path: Path, *arguments: str) -> str:
    out = tmp_path / f"{name}.out.ipynb"
    done = subprocess.run(
        [str(PAPERMILL), str(BY_NAME[name]), str(out), "--kernel", "python3", "--no-progress-bar", *arguments],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return shown_text(nbformat.read(out, as_version=4))


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
    text = papermill("03_destination_responses", tmp_path, *arguments, "-p", "focus_country", "KAZ")
    assert "Countries: Georgia, Kazakhstan. Profiled in depth: Kazakhstan." in text


def test_the_command_notebook_03_documents(tmp_path: Path) -> None:
    nb = nbformat.read(BY_NAME["03_destination_responses"], as_version=4)
    assert """-p countries '["KAZ", "KGZ", "UZB"]' -p focus_country KAZ""" in nb.cells[0].source
    text = papermill(
        "03_destination_responses", tmp_path, "-p", "countries", '["KAZ", "KGZ", "UZB"]', "-p", "focus_country", "KAZ"
    )
    assert "Countries: Kazakhstan, Kyrgyzstan, Uzbekistan. Profiled in depth: Kazakhstan." in text


def test_a_partial_date_window_and_a_domain_label(tmp_path: Path) -> None:
    text = papermill("01_causes", tmp_path, "-p", "start_date", "2022-09", "-p", "end_date", "2022-09")
    assert "Timeline: 01 September 2022 to 30 September 2022." in text
    text = papermill("02_notable_emigrants", tmp_path, "-p", "domain", "stage and screen")
    assert "Domain: stage and screen." in text


def runner(tmp_path: Path, out: Path, *parameters: str) -> subprocess.CompletedProcess[str]:
    """``python -m russian_emigration report`` with ``-p`` pairs, on a cache of its own."""
    return subprocess.run(
        [sys.executable, "-m", "russian_emigration", "report", "--output-dir", str(out), *parameters],
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "RUSSIAN_EMIGRATION_CACHE": str(tmp_path / "cache")},  # not the other tests' cache
    )


def test_the_runner_takes_the_same_forms(tmp_path: Path) -> None:
    out = tmp_path / "report"
    done = runner(
        tmp_path,
        out,
        *("-p", "countries", "GEO,KAZ"),
        *("-p", "domain", "stage and screen"),
        *("-p", "start_date", "2022-09"),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    executed = {p.stem: shown_text(nbformat.read(p, as_version=4)) for p in (out / "notebooks").glob("*.ipynb")}
    assert "Countries: Georgia, Kazakhstan." in executed["03_destination_responses"]
    assert "Domain: stage and screen." in executed["02_notable_emigrants"]
    assert "Timeline: 01 September 2022 to 31 December 2024." in executed["01_causes"]


def test_a_bad_value_from_the_command_line_is_a_clean_error(tmp_path: Path) -> None:
    done = runner(tmp_path, tmp_path / "r", "-p", "countries", "GEO;KAZ")
    assert done.returncode != 0
    assert "countries" in done.stderr and "'GEO;KAZ'" in done.stderr and "known codes: ARE" in done.stderr
    assert "Traceback" not in done.stderr
