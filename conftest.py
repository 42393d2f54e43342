"""pytest's hooks for this repository, loaded whatever path pytest is given (``pytest notebooks/``,
``pytest --nbval notebooks/02_notable_emigrants.ipynb``, plain ``pytest``). With xdist, the cells of a
notebook are one work unit, so they run in order in one kernel, as are the tests of a file that
builds one expensive fixture; every other test is its own unit. The long units start first.
(xdist's own ``xdist_group`` marks rename ``item._nodeid``, which pytest 9 no longer reads.)"""

from typing import Any

import pytest

#: Test files whose tests share one expensive fixture (the site, the charts), built once on one worker.
ONE_UNIT = ("tests/test_site.py", "tests/test_charts.py")


def _unit(nodeid: str) -> str:
    file = nodeid.split("::")[0]
    return file if file.endswith(".ipynb") or file in ONE_UNIT else nodeid


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The long units first, then the slow tests (a stable sort keeps each notebook's cells in order)."""
    items.sort(key=lambda item: (_unit(item.nodeid) == item.nodeid, item.get_closest_marker("slow") is None))


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadgroup`` with the units of :func:`_unit`."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class UnitScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _unit(nodeid)

    return UnitScheduling(config, log)
