"""Synthetic data packages with the bundled schema, for load-and-validate benchmarks at scale."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from russian_emigration import data_dir

#: The tables grown to n rows; every other table is copied as it is, so foreign keys resolve.
SCALED_TABLES = ("events", "estimates")


def make_package(target: Path, rows: int) -> Path:
    """Copy the bundled package to ``target`` with ``rows`` rows in each scaled table (valid values)."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(data_dir(), target, ignore=shutil.ignore_patterns("README.md"))
    for name in SCALED_TABLES:
        path = target / f"{name}.csv"
        base = pd.read_csv(path, dtype=str, keep_default_na=False)
        picks = np.arange(rows) % len(base)
        grown = base.iloc[picks].reset_index(drop=True)
        key = grown.columns[0]
        grown[key] = grown[key] + "-" + pd.Series(np.arange(rows)).astype(str)
        if name == "events":
            grown["emigrant_id"] = ""  # a synthetic event cannot concern a real emigrant twice over
        grown.to_csv(path, index=False, lineterminator="\n")
    return target


def plain_read(folder: Path) -> None:
    """The floor: pandas reading every CSV of the package with its default settings."""
    for path in sorted(folder.glob("*.csv")):
        pd.read_csv(path)
