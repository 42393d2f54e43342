"""(2) load_dataset() on the bundled data package beside `frictionless validate` of the same package.

Both in this process (median of repeats, after a first call that imports pandera) and as commands in
fresh interpreters, start-up and imports included. The loader keeps validated tables in an in-process
cache (``russian_emigration.loader._table``): an in-process "cold" load comes after ``_table.cache_clear()``,
as a command in a fresh interpreter is cold anyway. A warm load (the same package again in one process)
is reported beside it.
"""

from __future__ import annotations

import statistics
import sys
import time

from benchmarks.common import PYTHON, REPO, command_seconds, median_seconds, report

DESCRIPTOR = str(REPO / "data" / "datapackage.json")
GOAL = "cold, in process: no slower than `frictionless validate` (which checks less)"


def cold_load() -> object:
    """load_dataset() with the cache of validated tables emptied first: every table is validated again."""
    from russian_emigration import load_dataset
    from russian_emigration.loader import _table

    _table.cache_clear()
    return load_dataset()


def main(repeat: int = 9) -> tuple[str, float]:
    from russian_emigration import load_dataset

    start = time.perf_counter()
    ds = cold_load()
    first = time.perf_counter() - start
    cold = median_seconds(cold_load, repeat)
    load_dataset()  # fills the cache
    warm = median_seconds(load_dataset, repeat)
    rows = sum(len(frame) for frame in ds.tables.values())
    print(
        f"load_dataset(), cold: first call {first * 1000:.0f} ms (imports pandera), median {cold * 1000:.0f} ms "
        f"of {repeat}; warm (validated tables cached): {warm * 1000:.0f} ms ({rows} rows in {len(ds.tables)} tables)"
    )
    try:
        import frictionless
    except ImportError:
        print("frictionless is not installed: no comparison")
        return report(2, "`load_dataset()` on the bundled package", f"{cold * 1000:.0f} ms", GOAL, None), cold
    friction = median_seconds(lambda: frictionless.validate(DESCRIPTOR), repeat)
    commands: dict[str, list[float]] = {"import": [], "load": [], "frictionless": []}
    for _ in range(3):  # alternate, so drift affects all alike
        commands["import"].append(command_seconds([PYTHON, "-c", "import russian_emigration"]))
        commands["load"].append(
            command_seconds([PYTHON, "-c", "from russian_emigration import load_dataset; load_dataset()"])
        )
        commands["frictionless"].append(command_seconds([PYTHON, "-m", "frictionless", "validate", DESCRIPTOR]))
    bare, load_cmd, friction_cmd = (statistics.median(commands[k]) for k in ("import", "load", "frictionless"))
    print(
        f"in process: load_dataset {cold * 1000:.0f} ms, frictionless.validate {friction * 1000:.0f} ms "
        f"(ratio {cold / friction:.2f}); as commands (median of 3): load_dataset {load_cmd:.2f} s "
        f"(of which `import russian_emigration` {bare:.2f} s), `frictionless validate` {friction_cmd:.2f} s"
    )
    return report(
        2,
        "`load_dataset()` (cold) vs `frictionless validate` on the bundled package",
        f"{cold * 1000:.0f} ms vs {friction * 1000:.0f} ms in process; {load_cmd:.1f} s vs {friction_cmd:.1f} s as commands",
        GOAL,
        cold <= friction,
    ), cold


if __name__ == "__main__":
    sys.exit(print(main()[0]))
