"""The validated tables of a data package, and where the bundled one lives."""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources as importlib_resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd


def data_dir() -> Path:
    """Folder of the bundled data package: inside the installed wheel, or ``data/`` of a checkout."""
    bundled = Path(str(importlib_resources.files("russian_emigration"))) / "data"
    return bundled if (bundled / "datapackage.json").is_file() else Path(__file__).resolve().parents[2] / "data"


class Dataset:
    """The validated tables of the data package.

    Each table is an attribute (``ds.events``) and an item (``ds["events"]``); ``ds.tables`` is a
    read-only mapping of all of them, in the descriptor's order. Iterating gives the table names.
    """

    def __init__(self, tables: dict[str, pd.DataFrame], descriptor: dict[str, Any], path: Path):
        self.tables: MappingProxyType[str, pd.DataFrame] = MappingProxyType(dict(tables))
        self.descriptor: dict[str, Any] = descriptor
        self.path: Path = path

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(f"Dataset has no table {name!r}; tables: {', '.join(tables)}")

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *self.tables})

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.tables)

    def __len__(self) -> int:
        return len(self.tables)

    def __repr__(self) -> str:
        shapes = ", ".join(f"{name}={len(frame)}" for name, frame in self.tables.items())
        return f"Dataset({shapes})"

    def resource(self, name: str) -> dict[str, Any]:
        """The descriptor entry of table ``name`` (title, description, schema)."""
        for resource in self.descriptor["resources"]:
            if resource["name"] == name:
                return resource
        raise KeyError(f"no table {name!r}; tables: {', '.join(self.tables)}")

    def sources_for(self, *frames: pd.DataFrame) -> pd.DataFrame:
        """The rows of ``sources`` cited by the given rows (any ``*source_id`` column), sorted by id."""
        columns = [f[c] for f in frames for c in f.columns if c == "source_id" or c.endswith("_source_id")]
        cited = {str(v) for column in columns for v in column.dropna()}
        sources = self.tables["sources"]
        return sources[sources["source_id"].isin(sorted(cited))].sort_values("source_id").reset_index(drop=True)
