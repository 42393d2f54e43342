"""(5) The test suite's wall time after set-up: what `make test` runs (ruff, mypy, pytest), and `make test-fast`."""

from __future__ import annotations

import sys

from benchmarks.common import PYTHON, command_seconds, report


def main() -> tuple[str, float]:
    lint = command_seconds([PYTHON, "-m", "ruff", "check", "."])
    lint += command_seconds([PYTHON, "-m", "ruff", "format", "--check", "."])
    types = command_seconds([PYTHON, "-m", "mypy"])
    tests = command_seconds([PYTHON, "-m", "pytest", "-q"])
    fast = command_seconds([PYTHON, "-m", "pytest", "-q", "-m", "not slow"])
    total = lint + types + tests
    print(f"make test after set-up: ruff {lint:.1f} s + mypy {types:.1f} s + pytest {tests:.1f} s = {total:.1f} s")
    print(f"make test-fast: {fast:.1f} s")
    rows = [
        report(5, "`make test` after set-up", f"{total:.0f} s", "<= 40 s on 2 cores", total <= 40),
        report(5, "`make test-fast`", f"{fast:.0f} s", "<= 15 s", fast <= 15),
    ]
    return "\n".join(rows), total


if __name__ == "__main__":
    sys.exit(print(main()[0]))
