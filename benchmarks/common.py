"""Timing helpers: medians of repeated runs, measured side by side in the same process run."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
# What the Makefile exports to every target, `make bench` included: the same when one module runs alone.
os.environ.setdefault("MPLBACKEND", "agg")
os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")


def median_seconds(run: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``repeat`` calls of ``run``."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def python_seconds(code: str) -> float:
    """Run ``code`` in a fresh interpreter; it prints a number of seconds, which is returned."""
    out = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    return float(out.stdout.strip().splitlines()[-1])


def command_seconds(args: list[str], env: dict[str, str] | None = None) -> float:
    """Wall time of one command run from the repository root."""
    start = time.perf_counter()
    subprocess.run(args, check=True, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def report(number: int, what: str, value: str, goal: str, met: bool | None) -> str:
    """One line of the summary table (``met`` None: a figure without a goal)."""
    status = "-" if met is None else "met" if met else "NOT met"
    return f"| {number} | {what} | {value} | {goal} | {status} |"
