"""(4) Report build wall time: `python -m russian_emigration report` (what `make report` runs, venv set up).

A cold build (an empty notebook cache), a rebuild with nothing changed and a rebuild with one parameter
changed, each as a ratio to the floor N x `python -c "import pandas, matplotlib.pyplot"` for N notebooks,
measured in the same run. Each repeat builds into its own temporary folder with its own empty
notebook cache ($RUSSIAN_EMIGRATION_CACHE), so neither the user's cache nor reports/ is touched.
Goals: cold at most 3x the floor, nothing changed at most 1x; the one-parameter rebuild has none.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile

from benchmarks.common import PYTHON, command_seconds, report

#: Declared by one notebook only (04_vote_results), so the rebuild re-executes one notebook.
ONE_PARAMETER = ["-p", "min_respondents", "500"]


def main(repeat: int = 3) -> tuple[str, float]:
    from russian_emigration.execute import notebook_paths
    from russian_emigration.report import notebooks_dir

    count = len(notebook_paths(notebooks_dir()))
    floor_one: list[float] = []
    times: dict[str, list[float]] = {"cold": [], "no change": [], "one parameter": []}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(repeat):
            env = {**os.environ, "RUSSIAN_EMIGRATION_CACHE": f"{tmp}/cache-{i}"}  # a new, empty cache
            build = [PYTHON, "-m", "russian_emigration", "report", "--output-dir", f"{tmp}/r{i}"]
            floor_one.append(command_seconds([PYTHON, "-c", "import pandas, matplotlib.pyplot"]))
            times["cold"].append(command_seconds(build, env))
            times["no change"].append(command_seconds(build, env))
            times["one parameter"].append(command_seconds(build + ONE_PARAMETER, env))
    floor = count * statistics.median(floor_one)
    print(f"floor: {count} x {statistics.median(floor_one):.2f} s = {floor:.2f} s (median of {repeat})")
    goals = {"cold": 3.0, "no change": 1.0, "one parameter": None}
    rows = []
    for kind, runs in times.items():
        wall = statistics.median(runs)
        ratio = wall / floor
        print(f"report, {kind}: {wall:.2f} s (median of {repeat}); ratio {ratio:.2f}")
        goal = goals[kind]
        rows.append(
            report(
                4,
                f"report of {count} notebooks, {kind}, vs the import floor",
                f"{wall:.1f} s, {ratio:.2f}x",
                f"<= {goal:.0f}x" if goal else "none (shown for scale)",
                ratio <= goal if goal else None,
            )
        )
    return "\n".join(rows), statistics.median(times["cold"]) / floor


if __name__ == "__main__":
    sys.exit(print(main()[0]))
