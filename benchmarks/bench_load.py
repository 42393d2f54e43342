"""(2) load_dataset() on the bundled data package, after import: first call and median of repeats."""

from __future__ import annotations

import sys
import time

from benchmarks.common import median_seconds, report


def main(repeat: int = 15) -> tuple[str, float]:
    from russian_emigration import load_dataset

    start = time.perf_counter()
    ds = load_dataset()
    first = time.perf_counter() - start
    typical = median_seconds(load_dataset, repeat)
    rows = sum(len(frame) for frame in ds.tables.values())
    print(
        f"load_dataset(): first call {first * 1000:.0f} ms, median {typical * 1000:.0f} ms of {repeat} ({rows} rows in {len(ds)} tables)"
    )
    return report(
        2,
        "`load_dataset()` on the bundled package",
        f"{first * 1000:.0f} ms first, {typical * 1000:.0f} ms median",
        "< 100 ms",
        first < 0.1,
    ), typical


if __name__ == "__main__":
    sys.exit(print(main()[0]))
