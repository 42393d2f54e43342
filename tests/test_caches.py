"""The caches that make builds and kernels cheap: the loader's cache of validated tables (a hit
equals a fresh validation, any change revalidates, errors are raised on every load, a broken entry
is rebuilt, never trusted) and the cache of the notebooks' declared parameters."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from conftest import copy_data, set_cell

from russian_emigration import DatasetError, load_dataset, loader
from russian_emigration import cache as store


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test starts with an empty cache of its own."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("RUSSIAN_EMIGRATION_CACHE", str(folder))
    return folder / "datasets"


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The data folders the loader really validated (a cache hit validates nothing)."""
    seen: list[Path] = []
    real = loader._validated_tables

    def counting(descriptor, base, targets, newest, **options):  # type: ignore[no-untyped-def]
        seen.append(base)
        return real(descriptor, base, targets, newest, **options)

    monkeypatch.setattr(loader, "_validated_tables", counting)
    return seen


def entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.pickle")) if folder.is_dir() else []


def assert_same(a, b) -> None:  # type: ignore[no-untyped-def]
    assert list(a) == list(b)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True)
        assert list(a[name].dtypes) == list(b[name].dtypes)


@pytest.mark.slow
def test_a_second_load_is_a_hit_equal_to_a_validation(data_copy: Path, own_cache: Path, validations: list) -> None:
    first = load_dataset(data_copy)
    assert len(entries(own_cache)) == 1
    second = load_dataset(data_copy)
    assert validations == [data_copy]  # the second load validated nothing
    assert_same(first, second)
    assert_same(second, load_dataset(data_copy, cache=False))
    assert second.path == data_copy and second.descriptor == first.descriptor


@pytest.mark.slow
def test_a_hit_returns_a_private_copy(data_copy: Path) -> None:
    load_dataset(data_copy)
    changed = load_dataset(data_copy)
    changed.events.loc[0, "actor"] = "changed by a caller"
    assert load_dataset(data_copy).events.loc[0, "actor"] != "changed by a caller"


@pytest.mark.slow
def test_an_edited_csv_is_revalidated(data_copy: Path, validations: list) -> None:
    load_dataset(data_copy)
    set_cell(data_copy / "events.csv", 1, "actor", "Someone Else")
    assert load_dataset(data_copy).events.loc[0, "actor"] == "Someone Else"
    set_cell(data_copy / "events.csv", 1, "event_date", "2022-13")
    with pytest.raises(DatasetError) as error:
        load_dataset(data_copy)
    assert any(p.column == "event_date" and p.row == 2 for p in error.value.problems)
    assert len(validations) == 3


@pytest.mark.slow
def test_an_edited_descriptor_is_revalidated(data_copy: Path) -> None:
    load_dataset(data_copy)
    descriptor = data_copy / "datapackage.json"
    descriptor.write_text(descriptor.read_text(encoding="utf-8").replace('"2021-01-01"', '"2023-01-01"', 1))
    with pytest.raises(DatasetError, match="outside the allowed range 2023-01-01"):
        load_dataset(data_copy)


@pytest.mark.slow  # several validations of a copy
def test_errors_are_raised_on_every_load_and_never_cached(data_copy: Path, own_cache: Path) -> None:
    set_cell(data_copy / "estimates.csv", 1, "value", "many")
    for _ in range(2):
        with pytest.raises(DatasetError) as error:
            load_dataset(data_copy)
        assert any(p.file == "data/estimates.csv" and p.column == "value" for p in error.value.problems)
    assert entries(own_cache) == []


@pytest.mark.slow  # several validations of a copy
def test_the_date_bound_is_part_of_the_key(data_copy: Path) -> None:
    set_cell(data_copy / "sources.csv", 1, "accessed_date", "2026-12-15")  # after the package's created day
    assert len(load_dataset(data_copy, today=date(2027, 1, 1)).sources) > 0
    with pytest.raises(DatasetError, match="accessed_date"):
        load_dataset(data_copy, today=date(2026, 12, 1))


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # truncated
        lambda data: data[:-10] + bytes(b ^ 0xFF for b in data[-10:]),  # bytes flipped
        lambda data: b"not a cache entry",
        lambda data: b"",
    ],
    ids=["truncated", "flipped", "garbage", "empty"],
)
@pytest.mark.slow
def test_a_corrupt_entry_is_ignored_and_rebuilt(data_copy: Path, own_cache: Path, validations: list, damage) -> None:  # type: ignore[no-untyped-def]
    expected = load_dataset(data_copy)
    (entry,) = entries(own_cache)
    entry.write_bytes(damage(entry.read_bytes()))
    assert_same(load_dataset(data_copy), expected)
    assert len(validations) == 2
    assert entries(own_cache) == [entry] and store.read_dataset(entry.stem, list(expected)) is not None


@pytest.mark.slow
def test_an_entry_under_another_key_is_not_trusted(data_copy: Path, own_cache: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    set_cell(data_copy / "events.csv", 1, "actor", "Someone Else")
    load_dataset(data_copy)
    (entry,) = entries(own_cache)
    fresh = copy_data(other / "data")
    descriptor = load_dataset(fresh, cache=False).descriptor
    key = store.dataset_key(
        descriptor,
        [(r["name"], fresh / r["path"]) for r in descriptor["resources"]],
        loader.newest_allowed_date(descriptor, date.today()),
    )
    assert key is not None and key != entry.stem
    entry.replace(own_cache / f"{key}.pickle")  # the edited package's tables under the original's key
    assert load_dataset(fresh).events.loc[0, "actor"] != "Someone Else"


def test_an_unwritable_cache_only_means_nothing_is_cached(data_copy: Path, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    blocker = tmp_path / "a-file"
    blocker.write_text("in the way of the cache folder")
    monkeypatch.setenv("RUSSIAN_EMIGRATION_CACHE", str(blocker))
    assert len(load_dataset(data_copy).events) > 0
    assert len(load_dataset(data_copy).events) > 0


def test_cache_false_neither_reads_nor_writes(data_copy: Path, own_cache: Path, validations: list) -> None:
    load_dataset(data_copy, cache=False)
    load_dataset(data_copy, cache=False)
    assert entries(own_cache) == [] and len(validations) == 2


@pytest.mark.slow
def test_only_the_newest_entries_are_kept(tmp_path: Path, own_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "DATASET_ENTRIES", 2)
    for i in range(3):
        folder = copy_data(tmp_path / f"copy{i}" / "data")
        set_cell(folder / "events.csv", 1, "actor", f"Actor {i}")
        load_dataset(folder)
    assert len(entries(own_cache)) == 2


# --- The notebooks' declared parameters ---------------------------------------------------------


#: Run in a fresh process: a load of the data package and a read of a notebook's parameters, both
#: expected from the cache; prints the parameters, then whether the validator and papermill were imported.
FRESH = """
import sys
from pathlib import Path
from russian_emigration import load_dataset
from russian_emigration.report import notebook_parameters
load_dataset(sys.argv[1])
print(sorted(map(repr, notebook_parameters(Path(sys.argv[2])).values())))
print("pandera" in sys.modules, "papermill" in sys.modules)
"""


@pytest.mark.slow
def test_hits_need_neither_the_validator_nor_papermill(
    data_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The data package and a notebook's declared parameters are read here (validated, inspected with
    papermill, the inspector counted), then in one fresh process (where neither library is loaded yet)
    from the cache folder this test's first reads wrote; an edited notebook is inspected again."""
    import shutil
    import subprocess

    from russian_emigration import report

    inspected: list[Path] = []
    real = report._inspect
    monkeypatch.setattr(report, "_inspect", lambda path: inspected.append(path) or real(path))
    monkeypatch.setattr(report, "_DECLARED", {})  # nothing known in this process yet
    notebook = Path(shutil.copy(report.notebook_paths(report.notebooks_dir())[0], tmp_path / "01_copy.ipynb"))
    load_dataset(data_copy)
    first = str(sorted(map(repr, report.notebook_parameters(notebook).values())))
    assert inspected == [notebook] and "start_date" in first
    command = [sys.executable, "-c", FRESH, str(data_copy), str(notebook)]
    printed, imported = subprocess.run(command, capture_output=True, text=True, check=True).stdout.splitlines()
    validator, papermill = imported.split()
    assert validator == "False", "a cached data package needs no validator (pandera)"
    assert printed == first and papermill == "False", "a cached answer needs no papermill"
    text = notebook.read_text(encoding="utf-8")
    notebook.write_text(text.replace('\\"2022-01-01\\"', '\\"2022-02-01\\"', 1), encoding="utf-8")
    report._DECLARED.clear()  # only the cache folder could answer now
    changed = str(sorted(map(repr, report.notebook_parameters(notebook).values())))
    assert inspected == [notebook, notebook], "an edited notebook is read again"
    assert "2022-02-01" in changed and "2022-01-01" not in changed


@pytest.mark.parametrize("garbage", ["not json", "[1, 2]", '[["start_date", "str"]]', "{}"])
def test_a_malformed_parameters_entry_is_read_again(tmp_path: Path, own_cache: Path, garbage: str) -> None:
    import shutil

    from russian_emigration import report

    notebook = Path(shutil.copy(report.notebook_paths(report.notebooks_dir())[0], tmp_path / "01_copy.ipynb"))
    expected = report._inspect(notebook)
    report._DECLARED.clear()
    report.notebook_parameters(notebook)
    (entry,) = (own_cache.parent / "parameters").glob("*.json")
    entry.write_text(garbage, encoding="utf-8")
    report._DECLARED.clear()
    assert report.notebook_parameters(notebook) == expected
