"""(2) load_dataset() on the bundled data package beside `frictionless validate` of the same package.

Both in this process (median of repeats, after a first call that imports pandera or frictionless)
and as commands in fresh interpreters, start-up and imports included.
"""

from __future__ import annotations

import statistics
import sys
import time

from benchmarks.common import PYTHON, REPO, command_seconds, median_seconds, report

DESCRIPTOR = str(REPO / "data" / "datapackage.json")
GOAL = "<= 150 ms in process (median after the first call)"


def main(repeat: int = 9) -> tuple[str, float]:
    from russian_emigration import load_dataset

    start = time.perf_counter()
    ds = load_dataset()
    first = time.perf_counter() - start
    typical = median_seconds(load_dataset, repeat)
    rows = sum(len(frame) for frame in ds.tables.values())
    print(
        f"load_dataset(): first call {first * 1000:.0f} ms (imports pandera), median {typical * 1000:.0f} ms "
        f"of {repeat} ({rows} rows in {len(ds)} tables)"
    )
    try:
        import frictionless
    except ImportError:
        print("frictionless is not installed: no comparison")
        return report(
            2, "`load_dataset()` on the bundled package", f"{typical * 1000:.0f} ms", GOAL, typical <= 0.15
        ), 0
    friction = median_seconds(lambda: frictionless.validate(DESCRIPTOR), repeat)
    commands: dict[str, list[float]] = {"load": [], "frictionless": []}
    for _ in range(3):  # alternate, so drift affects both alike
        commands["load"].append(
            command_seconds([PYTHON, "-c", "from russian_emigration import load_dataset; load_dataset()"])
        )
        commands["frictionless"].append(command_seconds([PYTHON, "-m", "frictionless", "validate", DESCRIPTOR]))
    load_cmd, friction_cmd = (statistics.median(commands[k]) for k in ("load", "frictionless"))
    print(
        f"in process: load_dataset {typical * 1000:.0f} ms, frictionless.validate {friction * 1000:.0f} ms "
        f"(ratio {typical / friction:.2f}); as commands: load_dataset {load_cmd:.2f} s, "
        f"`frictionless validate` {friction_cmd:.2f} s"
    )
    return report(
        2,
        "`load_dataset()` vs `frictionless validate` on the bundled package",
        f"{typical * 1000:.0f} ms vs {friction * 1000:.0f} ms in process; {load_cmd:.1f} s vs {friction_cmd:.1f} s as commands",
        GOAL,
        typical <= 0.15,
    ), typical


if __name__ == "__main__":
    sys.exit(print(main()[0]))
