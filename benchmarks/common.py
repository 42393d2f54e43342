"""Timing helpers: medians of repeated runs, measured side by side in the same process run."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


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


def report(number: int, what: str, value: str, goal: str, met: bool) -> str:
    """One line of the summary table."""
    return f"| {number} | {what} | {value} | {goal} | {'met' if met else 'NOT met'} |"
