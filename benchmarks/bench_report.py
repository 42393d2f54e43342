"""(4) `make report` wall time (venv already set up) as a ratio to the floor:
N x `python -c "import pandas, matplotlib.pyplot"` for N notebooks."""

from __future__ import annotations

import statistics
import sys
import tempfile

from benchmarks.common import PYTHON, command_seconds, report


def main(repeat: int = 3) -> tuple[str, float]:
    from russian_emigration.execute import notebook_paths
    from russian_emigration.report import notebooks_dir

    count = len(notebook_paths(notebooks_dir()))
    floor_one, runs = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(repeat):
            floor_one.append(command_seconds([PYTHON, "-c", "import pandas, matplotlib.pyplot"]))
            runs.append(command_seconds([PYTHON, "-m", "russian_emigration", "report", "--output-dir", f"{tmp}/r{i}"]))
    floor = count * statistics.median(floor_one)
    wall = statistics.median(runs)
    ratio = wall / floor
    print(
        f"report: {wall:.2f} s (median of {repeat}); floor {count} x {statistics.median(floor_one):.2f} s = {floor:.2f} s; ratio {ratio:.2f}"
    )
    return report(
        4, f"report of {count} notebooks vs the import floor", f"{wall:.1f} s, {ratio:.2f}x", "<= 2.0x", ratio <= 2.0
    ), ratio


if __name__ == "__main__":
    sys.exit(print(main()[0]))
