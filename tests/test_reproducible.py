"""`make notebooks` on a clean checkout leaves git status clean: re-executing a committed notebook the
scripted way gives a byte-identical file (same text outputs, same PNGs, same metadata)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from russian_emigration.execute import execute_in_place
from tests.notebook_helpers import NOTEBOOKS


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_executing_again_gives_identical_bytes(path: Path, tmp_path: Path) -> None:
    copy = tmp_path / path.name
    shutil.copy(path, copy)
    execute_in_place(copy)
    if copy.read_bytes() != path.read_bytes():
        import difflib

        diff = difflib.unified_diff(
            path.read_text(encoding="utf-8").splitlines(),
            copy.read_text(encoding="utf-8").splitlines(),
            "committed",
            "re-executed",
            lineterm="",
            n=1,
        )
        pytest.fail(
            "re-executing changed the notebook; run `make notebooks` and commit:\n" + "\n".join(list(diff)[:40])
        )
