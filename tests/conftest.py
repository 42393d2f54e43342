"""Shared fixtures: a private copy of the bundled data package that a test may break."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from russian_emigration import data_dir

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A copy of the bundled data package in a folder named ``data``."""
    target = tmp_path / "data"
    shutil.copytree(data_dir(), target, ignore=shutil.ignore_patterns("README.md"))
    return target


def edit_lines(path: Path, change: Callable[[list[str]], list[str]]) -> None:
    """Rewrite a CSV file line by line (index 0 is the header)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    trailing = lines[-1] == ""
    body = change(lines[:-1] if trailing else lines)
    path.write_text("\n".join(body) + ("\n" if trailing else ""), encoding="utf-8")


def set_cell(path: Path, line: int, column: str, value: str) -> None:
    """Set one cell of a CSV file (``line`` 1 is the first data row) by rewriting it with the csv module."""
    import csv
    import io

    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    rows[line][rows[0].index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
