"""(5) The test suite's wall time after set-up (what `make test` runs: ruff, then pytest)."""

from __future__ import annotations

import sys

from benchmarks.common import PYTHON, command_seconds, report


def main() -> tuple[str, float]:
    lint = command_seconds([PYTHON, "-m", "ruff", "check", "."])
    tests = command_seconds([PYTHON, "-m", "pytest", "-q"])
    total = lint + tests
    print(f"make test after set-up: ruff {lint:.1f} s + pytest {tests:.1f} s = {total:.1f} s")
    return report(5, "`make test` after set-up", f"{total:.0f} s", "<= 60 s on 2 cores", total <= 60), total


if __name__ == "__main__":
    sys.exit(print(main()[0]))
