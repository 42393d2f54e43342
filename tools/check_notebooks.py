"""Execute every notebook as the report runner does and check the committed files are exactly the result.

`make notebooks` and the report run notebooks the same way (russian_emigration.execute), so the
committed outputs must be what a fresh run produces, byte for byte. Exit status 1 names each notebook
that differs: run `make notebooks` and commit the result.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import nbformat

from russian_emigration.execute import execute, notebook_paths

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    paths = notebook_paths(ROOT / "notebooks")
    with tempfile.TemporaryDirectory() as tmp:
        executed = execute({p: {} for p in paths}, Path(tmp))
    stale = [p.name for p, nb in executed.items() if nbformat.writes(nb) + "\n" != p.read_text(encoding="utf-8")]
    for name in stale:
        print(
            f"{name}: the committed outputs differ from a fresh run; run `make notebooks` and commit", file=sys.stderr
        )
    print(f"{len(paths) - len(stale)} of {len(paths)} notebooks are exactly what the report executes")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
