"""(3) Load-and-validate at scale, as a ratio to plain pandas.read_csv of the same files.

Synthetic packages with the bundled schema: `events` and `estimates` grown to n rows with valid
values, unique keys and foreign keys that resolve (benchmarks/synthetic.py). Peak memory of one
load in a fresh interpreter is reported beside the plain read's.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

from benchmarks.common import python_seconds, report
from benchmarks.synthetic import make_package

SIZES = (10_000, 100_000, 1_000_000)
# VmHWM, not ru_maxrss: on Linux ru_maxrss survives exec, so a child would report its parent's peak.
PEAK = (
    "from pathlib import Path; {setup}; {run}; "
    "print(next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM')) / 1024)"
)


def main(repeat: int = 3, sizes: tuple[int, ...] = SIZES) -> tuple[str, float]:
    from benchmarks.synthetic import plain_read
    from russian_emigration import load_dataset

    lines, ratios = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for rows in sizes:
            folder = make_package(Path(tmp) / f"data-{rows}", rows)
            plain, loaded = [], []
            for _ in range(repeat):  # alternate the two, so drift affects both alike
                start = _now()
                plain_read(folder)
                plain.append(_now() - start)
                start = _now()
                load_dataset(folder)
                loaded.append(_now() - start)
            p, load = statistics.median(plain), statistics.median(loaded)
            ratios[rows] = load / p
            lines.append(
                f"{rows:>9,} rows: read_csv {p:.2f} s, load_dataset {load:.2f} s, ratio {load / p:.2f} "
                f"({load / rows * 1e6:.2f} µs per row)"
            )
        largest = max(sizes)
        folder = Path(tmp) / f"data-{largest}"
        setup = f"folder = Path({str(folder)!r})"
        plain_mb = python_seconds(
            PEAK.format(setup=setup + "; from benchmarks.synthetic import plain_read", run="plain_read(folder)")
        )
        load_mb = python_seconds(
            PEAK.format(setup=setup + "; from russian_emigration import load_dataset", run="load_dataset(folder)")
        )
    print("\n".join(lines))
    print(f"peak memory at {largest:,} rows: read_csv {plain_mb:.0f} MiB, load_dataset {load_mb:.0f} MiB")
    ratio = ratios[max(sizes)]
    return report(
        3,
        f"load and validate {max(sizes):,} rows vs `pandas.read_csv`",
        f"{ratio:.2f}x",
        "<= 3x at 1M, linear",
        ratio <= 3,
    ), ratio


def _now() -> float:
    import time

    return time.perf_counter()


if __name__ == "__main__":
    sys.exit(print(main()[0]))
