"""Shared fixtures: the bundled data loaded once per process, private copies of the data package, and
a private cache of executed notebooks for every run."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # pandas is imported by the test processes only, not by xdist's controller
    from russian_emigration import Dataset

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
_BUNDLED: list[Dataset] = []


def bundled_dataset() -> Dataset:
    """The bundled data package, loaded once per test process (tests must not change its tables)."""
    from russian_emigration import load_dataset

    if not _BUNDLED:
        _BUNDLED.append(load_dataset())
    return _BUNDLED[0]


@pytest.fixture(scope="session")
def ds() -> Dataset:
    return bundled_dataset()


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A private copy of the bundled data package, to edit."""
    from russian_emigration import data_dir

    return Path(shutil.copytree(data_dir(), tmp_path / "data"))


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every run starts with an empty cache of executed notebooks, and never touches the user's."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RUSSIAN_EMIGRATION_CACHE", str(tmp_path_factory.mktemp("cache")))
        yield
