"""The corruption matrix: every kind of bad input gives a DatasetError naming file, row and column."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from russian_emigration import DatasetError, data_dir, load_dataset
from tests.conftest import edit_lines, set_cell


@dataclass(frozen=True)
class Case:
    break_it: Callable[[Path], None]
    file: str
    row: int | None
    column: str | None
    rule: str
    frictionless_agrees: bool = False


def drop_column(name: str) -> Callable[[Path], None]:
    def run(d: Path) -> None:
        def change(lines: list[str]) -> list[str]:
            import csv
            import io

            rows = list(csv.reader(io.StringIO("\n".join(lines))))
            i = rows[0].index(name)
            out = io.StringIO()
            csv.writer(out, lineterminator="\n").writerows([r[:i] + r[i + 1 :] for r in rows])
            return out.getvalue().rstrip("\n").split("\n")

        edit_lines(d / "events.csv", change)

    return run


def replace_in_line(file: str, line: int, old: str, new: str) -> Callable[[Path], None]:
    def run(d: Path) -> None:
        def change(lines: list[str]) -> list[str]:
            assert old in lines[line], (old, lines[line])
            lines[line] = lines[line].replace(old, new, 1)
            return lines

        edit_lines(d / file, change)

    return run


def cell(file: str, line: int, column: str, value: str) -> Callable[[Path], None]:
    return lambda d: set_cell(d / file, line, column, value)


def edit_descriptor(change: Callable[[dict], None]) -> Callable[[Path], None]:
    def run(d: Path) -> None:
        descriptor = json.loads((d / "datapackage.json").read_text(encoding="utf-8"))
        change(descriptor)
        (d / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")

    return run


def resource_path(value: str) -> Callable[[Path], None]:
    def change(descriptor: dict) -> None:
        descriptor["resources"][2]["path"] = value

    return edit_descriptor(change)


def pattern_on(table: str, field: str, pattern: str, cell_at: tuple[str, int, str]) -> Callable[[Path], None]:
    def change(descriptor: dict) -> None:
        resource = next(r for r in descriptor["resources"] if r["name"] == table)
        next(f for f in resource["schema"]["fields"] if f["name"] == field)["constraints"]["pattern"] = pattern

    def run(d: Path) -> None:
        edit_descriptor(change)(d)
        file, line, value = cell_at
        set_cell(d / file, line, field, value)

    return run


def write_bytes(file: str, change: Callable[[bytes], bytes]) -> Callable[[Path], None]:
    def run(d: Path) -> None:
        (d / file).write_bytes(change((d / file).read_bytes()))

    return run


def insert_line(file: str, at: int, text: str) -> Callable[[Path], None]:
    return lambda d: edit_lines(d / file, lambda lines: lines[:at] + [text] + lines[at:])


def duplicate_line(file: str, line: int) -> Callable[[Path], None]:
    return lambda d: edit_lines(d / file, lambda lines: lines + [lines[line]])


def swap_header(file: str, a: str, b: str) -> Callable[[Path], None]:
    def run(d: Path) -> None:
        def change(lines: list[str]) -> list[str]:
            cols = lines[0].split(",")
            i, j = cols.index(a), cols.index(b)
            cols[i], cols[j] = cols[j], cols[i]
            return [",".join(cols), *lines[1:]]

        edit_lines(d / file, change)

    return run


CASES: dict[str, Case] = {
    "missing file": Case(lambda d: (d / "events.csv").unlink(), "data/events.csv", None, None, "file_exists", True),
    "missing column": Case(drop_column("actor"), "data/events.csv", 1, "actor", "header_complete", True),
    "extra column": Case(
        lambda d: edit_lines(d / "events.csv", lambda ls: [ls[0] + ",extra"] + [x + ",1" for x in ls[1:]]),
        "data/events.csv",
        1,
        "extra",
        "header_known",
        True,
    ),
    "renamed column": Case(
        replace_in_line("events.csv", 0, "summary", "summry"), "data/events.csv", 1, "summry", "header_known", True
    ),
    "columns swapped": Case(swap_header("events.csv", "actor", "theme"), "data/events.csv", 1, None, "header_order"),
    "month 13": Case(
        cell("events.csv", 1, "event_date", "2022-13"), "data/events.csv", 2, "event_date", "partial_date", True
    ),
    "month without zero": Case(
        cell("events.csv", 2, "event_date", "2022-3"), "data/events.csv", 3, "event_date", "partial_date", True
    ),
    "day that does not exist": Case(
        cell("events.csv", 3, "event_date", "2022-02-30"), "data/events.csv", 4, "event_date", "partial_date"
    ),
    "date in the future": Case(
        cell("events.csv", 4, "event_date", "2099-01"), "data/events.csv", 5, "event_date", "date_range"
    ),
    "date before 2021": Case(
        cell("emigrants.csv", 1, "left_date", "2019-05"), "data/emigrants.csv", 2, "left_date", "date_range"
    ),
    "percentage above 100": Case(
        cell("vote_results.csv", 3, "putin_pct", "101"), "data/vote_results.csv", 4, "putin_pct", "maximum", True
    ),
    "negative percentage": Case(
        cell("vote_abroad_stations.csv", 5, "surveyed_share_pct", "-4"),
        "data/vote_abroad_stations.csv",
        6,
        "surveyed_share_pct",
        "minimum",
        True,
    ),
    "duplicate key": Case(duplicate_line("events.csv", 7), "data/events.csv", 8, "event_id", "unique", True),
    "dangling foreign key": Case(
        cell("events.csv", 2, "source_id", "no-such-source"), "data/events.csv", 3, "source_id", "foreign_key", True
    ),
    "dangling country code": Case(
        cell("estimates.csv", 6, "country_code", "XXX"), "data/estimates.csv", 7, "country_code", "foreign_key", True
    ),
    "unknown category": Case(cell("events.csv", 5, "theme", "caus"), "data/events.csv", 6, "theme", "enum", True),
    "empty required cell": Case(
        cell("events.csv", 6, "summary", ""), "data/events.csv", 7, "summary", "required", True
    ),
    "bytes that are not UTF-8": Case(
        write_bytes("events.csv", lambda b: b.replace(b"Putin", b"Put\xffin", 1)), "data/events.csv", 2, None, "utf8"
    ),
    "pattern on a partial date": Case(
        pattern_on("events", "event_date", r"\d{4}-\d{2}(-\d{2})?", cell_at=("events.csv", 1, "2022")),
        "data/events.csv",
        2,
        "event_date",
        "pattern",
        True,
    ),
    "blank line": Case(insert_line("emigrants.csv", 4, ""), "data/emigrants.csv", 5, None, "no_blank_rows", True),
    "digits that are not ASCII": Case(
        cell("estimates.csv", 4, "value", "\u0663\u0660\u0660"), "data/estimates.csv", 5, "value", "type_number"
    ),
    "stray spaces around a code": Case(
        cell("estimates.csv", 2, "country_code", " GEO"),
        "data/estimates.csv",
        3,
        "country_code",
        "no_stray_whitespace",
        True,
    ),
    "station shares sum to 140": Case(
        cell("vote_abroad_stations.csv", 1, "davankov_pct", "94"),
        "data/vote_abroad_stations.csv",
        2,
        "putin_pct+davankov_pct+kharitonov_pct+slutsky_pct+spoiled_pct+declined_pct+ballot_removed_pct",
        "row_sum",
    ),
    "unsafe resource path": Case(resource_path("../events.csv"), "data/datapackage.json", None, None, "safe_path"),
    "absolute resource path": Case(resource_path("/etc/passwd"), "data/datapackage.json", None, None, "safe_path"),
    "descriptor is not JSON": Case(
        lambda d: (d / "datapackage.json").write_text("{resources: [", encoding="utf-8"),
        "data/datapackage.json",
        1,
        None,
        "valid_json",
    ),
    "not a whole number": Case(
        cell("vote_abroad_stations.csv", 2, "respondents", "12a"),
        "data/vote_abroad_stations.csv",
        3,
        "respondents",
        "type_integer",
        True,
    ),
    "not a number": Case(
        cell("estimates.csv", 4, "value", "many"), "data/estimates.csv", 5, "value", "type_number", True
    ),
    "not a boolean": Case(
        cell("emigrants.csv", 3, "is_group", "yes"), "data/emigrants.csv", 4, "is_group", "type_boolean", True
    ),
    "range top below bottom": Case(
        cell("estimates.csv", 7, "value_high", "1"), "data/estimates.csv", 8, "value_high", "not_less_than"
    ),
    "range without a top": Case(
        cell("estimates.csv", 7, "value_high", ""), "data/estimates.csv", 8, "value_high", "required_if"
    ),
    "stance on a cause": Case(
        cell("events.csv", 1, "stance", "hostile"), "data/events.csv", 2, "stance", "empty_unless"
    ),
    "refs with commas": Case(cell("events.csv", 3, "refs", "29,39"), "data/events.csv", 4, "refs", "list", True),
    "too many cells": Case(
        replace_in_line("countries.csv", 3, "western_asia", "western_asia,extra"),
        "data/countries.csv",
        4,
        None,
        "cell_count",
        True,
    ),
    "too few cells": Case(
        replace_in_line("countries.csv", 4, ",false,false,false,australia_and_new_zealand", ""),
        "data/countries.csv",
        5,
        None,
        "cell_count",
        True,
    ),
}


@pytest.mark.parametrize("kind", list(CASES))
def test_bad_input_is_named_precisely(kind: str, data_copy: Path) -> None:
    case = CASES[kind]
    case.break_it(data_copy)
    with pytest.raises(DatasetError) as caught:
        load_dataset(data_copy)
    matches = [p for p in caught.value.problems if p.rule == case.rule]
    assert matches, f"no {case.rule!r} problem in:\n{caught.value}"
    problem = matches[0]
    assert (problem.file, problem.row, problem.column) == (case.file, case.row, case.column), str(caught.value)
    message = str(caught.value)
    assert case.file in message and f"[rule: {case.rule}]" in message
    if case.row is not None:
        assert f"row {case.row}" in message
    if case.column is not None:
        assert repr(case.column) in message


def test_the_matrix_is_wide() -> None:
    assert len({c.rule for c in CASES.values()}) >= 20


FRICTIONLESS_CASES = [k for k, c in CASES.items() if c.frictionless_agrees]


def changed_resource(folder: Path) -> str | None:
    """The one resource whose CSV file differs from the bundled one, if the descriptor is unchanged."""
    bundled = data_dir()
    if (folder / "datapackage.json").read_bytes() != (bundled / "datapackage.json").read_bytes():
        return None
    resources = json.loads((bundled / "datapackage.json").read_text(encoding="utf-8"))["resources"]
    changed = [
        r["name"]
        for r in resources
        if not (folder / r["path"]).is_file() or (folder / r["path"]).read_bytes() != (bundled / r["path"]).read_bytes()
    ]
    assert changed, "the case changed nothing"
    return changed[0] if len(changed) == 1 else None


@pytest.mark.slow
@pytest.mark.parametrize("kind", FRICTIONLESS_CASES)
def test_frictionless_also_rejects(kind: str, data_copy: Path) -> None:
    """pandas's view and the standard's agree: what the loader rejects, frictionless rejects too.

    frictionless validates only the table that changed (in its package, so foreign keys are checked),
    or the whole package when the descriptor or several tables changed."""
    frictionless = pytest.importorskip("frictionless")
    CASES[kind].break_it(data_copy)
    only = changed_resource(data_copy)
    report = frictionless.validate(str(data_copy / "datapackage.json"), resource_name=only)
    assert not report.valid


def test_every_error_in_a_file_is_reported(data_copy: Path) -> None:
    set_cell(data_copy / "events.csv", 1, "event_date", "2022-13")
    set_cell(data_copy / "events.csv", 5, "theme", "caus")
    set_cell(data_copy / "emigrants.csv", 2, "domain", "sport")
    with pytest.raises(DatasetError) as caught:
        load_dataset(data_copy)
    found = {(p.file, p.row, p.column) for p in caught.value.problems}
    assert {
        ("data/events.csv", 2, "event_date"),
        ("data/events.csv", 6, "theme"),
        ("data/emigrants.csv", 3, "domain"),
    } <= found


def test_dataset_error_is_a_value_error() -> None:
    assert issubclass(DatasetError, ValueError)


def test_missing_folder_names_the_descriptor(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="datapackage.json.*does not exist"):
        load_dataset(tmp_path / "nowhere")
