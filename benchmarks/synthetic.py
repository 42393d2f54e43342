"""Synthetic data packages with the bundled schema, for load-and-validate benchmarks at scale."""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from russian_emigration import data_dir

#: Tables kept as they are: countries' keys are three capital letters, so it cannot grow to 100,000 rows.
FIXED_TABLES = ("countries",)


def make_package(target: Path, rows: int) -> Path:
    """Copy the bundled package to ``target`` with ``rows`` rows in every table but FIXED_TABLES (valid values).

    The original rows stay as they are, so foreign keys resolve; added rows repeat them with new keys.
    """
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(data_dir(), target, ignore=shutil.ignore_patterns("README.md"))
    descriptor = json.loads((target / "datapackage.json").read_text(encoding="utf-8"))
    for resource in descriptor["resources"]:
        if resource["name"] in FIXED_TABLES:
            continue
        path = target / resource["path"]
        base = pd.read_csv(path, dtype=str, keep_default_na=False)
        grown = base.iloc[np.arange(rows) % len(base)].reset_index(drop=True)
        added = np.arange(rows) >= len(base)
        key = resource["schema"]["primaryKey"][0]
        if resource["schema"]["fields"][0].get("type") == "integer":
            grown.loc[added, key] = (1_000_000 + np.flatnonzero(added)).astype(str)
        else:
            grown.loc[added, key] = (
                grown.loc[added, key] + "-" + pd.Series(np.flatnonzero(added), index=grown.index[added]).astype(str)
            )
        if resource["name"] == "events":
            grown.loc[added, "emigrant_id"] = ""  # a synthetic event cannot concern a real emigrant twice over
        grown.to_csv(path, index=False, lineterminator="\n")
    return target


def plain_read(folder: Path) -> None:
    """The floor: pandas reading every CSV of the package with its default settings."""
    with warnings.catch_warnings():  # a column left empty in the added rows reads as mixed types: no matter
        warnings.simplefilter("ignore", pd.errors.DtypeWarning)
        for path in sorted(folder.glob("*.csv")):
            pd.read_csv(path)
