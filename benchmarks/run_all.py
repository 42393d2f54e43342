"""Run every benchmark and print their figures with a summary table (`make bench`)."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import bench_import, bench_load, bench_report, bench_scale, bench_test


def main() -> int:
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}"
    )
    rows = []
    for module in (bench_import, bench_load, bench_scale, bench_report, bench_test):
        print(f"\n== {module.__doc__.splitlines()[0]}")
        rows.append(module.main()[0])
    print("\n| # | what | figure | goal | |\n|---|---|---|---|---|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
