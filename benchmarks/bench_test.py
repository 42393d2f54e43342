"""(5) The test suite after set-up: `make test` (ruff, mypy, pytest) and `make test-fast`, run with make,
so that they get the environment the Makefile gives them.

Each is run three times; the median wall time is reported, with the median CPU time (user + system,
the children included), which other load on the machine barely changes. Goals: `make test` at most
45 s and `make test-fast` at most 10 s (median wall time).
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import time

from benchmarks.common import REPO, report

REPEAT = 3


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(*commands: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of running ``commands`` one after the other from the repository root."""
    start, cpu = time.perf_counter(), _children_cpu()
    for args in commands:
        subprocess.run(args, check=True, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start, _children_cpu() - cpu


def median_of(*commands: list[str]) -> tuple[float, float]:
    runs = [timed(*commands) for _ in range(REPEAT)]
    return statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)


def main() -> tuple[str, float]:
    make = ["make", "--no-print-directory"]  # the repository's .venv, as a user runs them
    # set-up (the virtual environment, a no-op when done) and a warm-up of the ruff and mypy caches
    subprocess.run([*make, "lint"], check=True, cwd=REPO, capture_output=True)
    total, total_cpu = median_of([*make, "test"])
    fast, fast_cpu = median_of([*make, "test-fast"])
    print(f"make test after set-up (median of {REPEAT}): {total:.1f} s wall, {total_cpu:.0f} CPU-s")
    print(f"make test-fast (median of {REPEAT}): {fast:.1f} s wall, {fast_cpu:.0f} CPU-s")
    rows = [
        report(5, "`make test` after set-up", f"{total:.0f} s ({total_cpu:.0f} CPU-s)", "<= 45 s", total <= 45),
        report(5, "`make test-fast`", f"{fast:.0f} s ({fast_cpu:.0f} CPU-s)", "<= 10 s", fast <= 10),
    ]
    return "\n".join(rows), total


if __name__ == "__main__":
    sys.exit(print(main()[0]))
