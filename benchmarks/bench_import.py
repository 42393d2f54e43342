"""(1) Import time of russian_emigration as a ratio to `import pandas` (fresh interpreters, alternated)."""

from __future__ import annotations

import statistics
import sys

from benchmarks.common import python_seconds, report

TIMED = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
HEAVY = "import sys, russian_emigration; print(float(any(m in sys.modules for m in ('matplotlib', 'papermill', 'nbformat'))))"


def main(repeat: int = 9) -> tuple[str, float]:
    pandas, package = [], []
    for _ in range(repeat):  # alternate, so drift affects both alike
        pandas.append(python_seconds(TIMED.format(module="pandas")))
        package.append(python_seconds(TIMED.format(module="russian_emigration")))
    ratio = statistics.median(package) / statistics.median(pandas)
    heavy = python_seconds(HEAVY) > 0
    print(
        f"import pandas: {statistics.median(pandas) * 1000:.0f} ms; import russian_emigration: "
        f"{statistics.median(package) * 1000:.0f} ms (median of {repeat}); ratio {ratio:.2f}; "
        f"matplotlib/papermill/nbformat imported: {heavy}"
    )
    return report(1, "import time vs `import pandas`", f"{ratio:.2f}x", "<= 1.15x", ratio <= 1.15 and not heavy), ratio


if __name__ == "__main__":
    sys.exit(print(main()[0]))
