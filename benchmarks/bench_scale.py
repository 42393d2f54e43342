"""(3) Load-and-validate at scale, as a ratio to plain pandas.read_csv of the same files.

Synthetic packages with the bundled schema: every table but `countries` grown to n rows with valid
values, unique keys and foreign keys that resolve (benchmarks/synthetic.py). The goal is readable,
correct code at thousands of rows; the goal is time linear in rows (no more per row at the largest size than at
the smallest). Each load is cold: the
loader's in-process cache of validated tables (``russian_emigration.loader._table``) is emptied first. Peak
memory of one load in a fresh interpreter (cold anyway) is reported beside the plain read's.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import python_seconds, report
from benchmarks.synthetic import make_package

SIZES = (1_000, 10_000, 100_000)
# VmHWM, not ru_maxrss: on Linux ru_maxrss survives exec, so a child would report its parent's peak.
PEAK = (
    "from pathlib import Path; {setup}; {run}; "
    "print(next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM')) / 1024)"
)


def main(repeat: int = 3, sizes: tuple[int, ...] = SIZES) -> tuple[str, float]:
    from benchmarks.synthetic import plain_read
    from russian_emigration import load_dataset
    from russian_emigration.loader import _table

    load_dataset()  # pandera is imported on the first load: keep that out of the figures
    lines, ratios, per_row = [], {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for rows in sizes:
            folder = make_package(Path(tmp) / f"data-{rows}", rows)
            plain, loaded = [], []
            for _ in range(repeat if rows < 100_000 else 1):  # alternate the two, so drift affects both alike
                start = time.perf_counter()
                plain_read(folder)
                plain.append(time.perf_counter() - start)
                _table.cache_clear()  # validation, not the cache of validated tables
                start = time.perf_counter()
                load_dataset(folder)
                loaded.append(time.perf_counter() - start)
            p, load = statistics.median(plain), statistics.median(loaded)
            ratios[rows], per_row[rows] = load / p, load / rows
            lines.append(
                f"{rows:>9,} rows per table: read_csv {p:.2f} s, load_dataset {load:.2f} s, ratio {load / p:.1f} "
                f"({load / rows * 1e6:.0f} µs per row of the grown tables)"
            )
        _table.cache_clear()  # let the large tables go
        largest = max(sizes)
        setup = f"folder = Path({str(Path(tmp) / f'data-{largest}')!r})"
        plain_mb = python_seconds(
            PEAK.format(setup=setup + "; from benchmarks.synthetic import plain_read", run="plain_read(folder)")
        )
        load_mb = python_seconds(
            PEAK.format(setup=setup + "; from russian_emigration import load_dataset", run="load_dataset(folder)")
        )
    print("\n".join(lines))
    print(f"peak memory at {largest:,} rows per table: read_csv {plain_mb:.0f} MiB, load_dataset {load_mb:.0f} MiB")
    smallest = min(sizes)
    return report(
        3,
        f"load and validate {largest:,} rows per table vs `pandas.read_csv`",
        ", ".join(f"{rows:,} rows {r:.1f}x" for rows, r in ratios.items()),
        "linear in rows: time per row at the largest size <= at the smallest",
        per_row[largest] <= per_row[smallest],
    ), ratios[largest]


if __name__ == "__main__":
    sys.exit(print(main()[0]))
