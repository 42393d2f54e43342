"""The loader under attack: mutated CSV files and descriptors either load with exactly the rows in
the files, or raise DatasetError. No other exception, and never fewer rows."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest

from russian_emigration import DatasetError, data_dir, load_dataset


@pytest.mark.slow
def test_loader_returns_exactly_the_rows_or_raises_dataset_error() -> None:
    # hypothesis is imported here, when the test runs, not by every pytest process at collection.
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from tests.fuzz_mutations import mutate_csv, mutate_descriptor, read_rows

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(st.data())
    def loader_returns_exactly_the_rows_or_raises_dataset_error(data: st.DataObject) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "data"
            shutil.copytree(data_dir(), folder, ignore=shutil.ignore_patterns("README.md"))
            for _ in range(data.draw(st.integers(1, 2), label="mutations")):
                if data.draw(st.integers(0, 3), label="target") == 0:
                    mutate_descriptor(data, folder)
                else:
                    mutate_csv(data, folder)
            try:
                ds = load_dataset(folder)
            except DatasetError as exc:
                assert exc.problems and all(p.file and p.rule and p.message for p in exc.problems)
                return
            descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
            for resource in descriptor["resources"]:
                records = read_rows(folder / resource["path"])
                assert len(ds.tables[resource["name"]]) == len(records) - 1, resource["name"]

    loader_returns_exactly_the_rows_or_raises_dataset_error()
