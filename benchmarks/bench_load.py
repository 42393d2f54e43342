"""(2) load_dataset() on the bundled data package beside `frictionless validate` of the same package.

Both in this process (median of repeats, after a first call that imports pandera or frictionless)
and as commands in fresh interpreters, start-up and imports included. The comparison validates
(``cache=False``); a load from the cache of validated tables (what each notebook kernel does after
the report runner's first load) is measured beside it.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from functools import partial

from benchmarks.common import PYTHON, REPO, command_seconds, median_seconds, report

DESCRIPTOR = str(REPO / "data" / "datapackage.json")
GOAL = "<= 150 ms in process (median after the first call)"


def main(repeat: int = 9) -> tuple[str, float]:
    from russian_emigration import load_dataset

    start = time.perf_counter()
    ds = load_dataset(cache=False)
    first = time.perf_counter() - start
    typical = median_seconds(partial(load_dataset, cache=False), repeat)
    rows = sum(len(frame) for frame in ds.tables.values())
    print(
        f"load_dataset(cache=False): first call {first * 1000:.0f} ms (imports pandera), median {typical * 1000:.0f} ms "
        f"of {repeat} ({rows} rows in {len(ds)} tables)"
    )
    _cached_load(repeat)
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
            command_seconds([PYTHON, "-c", "from russian_emigration import load_dataset; load_dataset(cache=False)"])
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


def _cached_load(repeat: int) -> None:
    """A load from the cache of validated tables, in process and as a command (a notebook kernel's first cell)."""
    from russian_emigration import load_dataset

    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "RUSSIAN_EMIGRATION_CACHE": cache}
        previous = os.environ.get("RUSSIAN_EMIGRATION_CACHE")
        os.environ["RUSSIAN_EMIGRATION_CACHE"] = cache
        try:
            load_dataset()  # validates and stores
            hit = median_seconds(load_dataset, repeat)
        finally:
            if previous is None:
                os.environ.pop("RUSSIAN_EMIGRATION_CACHE", None)
            else:
                os.environ["RUSSIAN_EMIGRATION_CACHE"] = previous
        code = "from russian_emigration import load_dataset; load_dataset()"
        cold = statistics.median(command_seconds([PYTHON, "-c", code], env) for _ in range(3))
        bare = statistics.median(command_seconds([PYTHON, "-c", "import russian_emigration"], env) for _ in range(3))
    print(
        f"load_dataset() from the cache: {hit * 1000:.0f} ms in process (median of {repeat}); "
        f"as a command {cold:.2f} s, of which `import russian_emigration` {bare:.2f} s"
    )


if __name__ == "__main__":
    sys.exit(print(main()[0]))
