"""Each field type and constraint, on a one-column data package written for the test."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from russian_emigration import DatasetError, load_dataset

TODAY = date(2026, 11, 27)


@pytest.fixture
def column(tmp_path: Path):
    """Write ``values`` as column x of table t with field ``spec``; return (table or None, [(row, rule)])."""

    def load(values: list[str], **spec) -> tuple[pd.DataFrame | None, list[tuple[int | None, str]]]:
        spec.setdefault("name", "x")
        descriptor = {"resources": [{"name": "t", "path": "t.csv", "schema": {"fields": [spec]}}]}
        (tmp_path / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
        with (tmp_path / "t.csv").open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh, lineterminator="\n").writerows([["x"], *([v] for v in values)])
        try:
            return load_dataset(tmp_path, today=TODAY).tables["t"], []
        except DatasetError as exc:
            return None, [(p.row, p.rule) for p in exc.problems]

    return load


def test_partial_dates_keep_precision_and_span(column) -> None:
    table, problems = column(["2022", "2022-09", "2022-09-21", ""], x_partial_date=True)
    assert problems == []
    assert list(table["x_precision"].astype(object).fillna("")) == ["year", "month", "day", ""]
    assert list(table["x_first"].dt.strftime("%Y-%m-%d").fillna("")) == ["2022-01-01", "2022-09-01", "2022-09-21", ""]
    assert list(table["x_last"].dt.strftime("%Y-%m-%d").fillna("")) == ["2022-12-31", "2022-09-30", "2022-09-21", ""]
    assert table["x"].isna().tolist() == [False, False, False, True]


@pytest.mark.parametrize("bad", ["2022-13", "2022-3", "22-03", "2022-02-30", "2022/03", "March 2022", "٢٠٢٢"])
def test_partial_dates_reject_malformed(column, bad: str) -> None:
    assert column(["2022", bad], x_partial_date=True)[1] == [(3, "partial_date")]


def test_a_pattern_applies_to_partial_dates_and_lists(column) -> None:
    assert column(["2022", "2022-09"], x_partial_date=True, constraints={"pattern": r"\d{4}"})[1] == [(3, "pattern")]
    spec = {"x_list": {"separator": ";", "item_type": "integer"}, "constraints": {"pattern": r"\d(;\d)*"}}
    assert column(["1;2", "10"], **spec)[1] == [(3, "pattern")]


def test_date_range_applies_to_the_span_of_a_partial_date(column) -> None:
    spec = dict(x_partial_date=True, x_date_range={"min": "2021-01-01", "max": "today"})
    assert column(["2021", "2026-11", "2026-12", "2020-12-31"], **spec)[1] == [(4, "date_range"), (5, "date_range")]


def test_enum_becomes_categorical_in_declared_order(column) -> None:
    table, problems = column(["b", "a", ""], constraints={"enum": ["b", "a", "c"]})
    assert problems == []
    assert list(table["x"].cat.categories) == ["b", "a", "c"]
    assert table["x"].isna().tolist() == [False, False, True]


def test_integers_are_nullable(column) -> None:
    table, problems = column(["1", "", "-3"], type="integer")
    assert problems == [] and str(table["x"].dtype) == "Int64"
    assert table["x"].isna().tolist() == [False, True, False]


@pytest.mark.parametrize("bad", ["1.5", "1e3", "one", "9" * 19, "١٢", "１２"])
def test_integers_reject_non_integers(column, bad: str) -> None:
    assert column([bad], type="integer")[1] == [(2, "type_integer")]


def test_numbers_and_their_limits(column) -> None:
    _, problems = column(["1.5", "2", "1e2", "-1", "1e999"], type="number", constraints={"minimum": 0})
    assert problems == [(6, "type_number"), (5, "minimum")]
    table, _ = column(["1.5", "2", "1e2"], type="number")
    assert str(table["x"].dtype) == "Float64" and table["x"].tolist() == [1.5, 2.0, 100.0]


def test_a_required_number_in_foreign_digits_is_reported(column) -> None:
    assert column(["٣٠٠"], type="number", constraints={"required": True})[1] == [(2, "type_number")]


def test_unique_compares_typed_values(column) -> None:
    assert column(["8010", "08010", "7"], type="integer", constraints={"unique": True})[1] == [
        (2, "unique"),
        (3, "unique"),
    ]


def test_booleans_use_declared_values(column) -> None:
    spec = dict(type="boolean", trueValues=["true"], falseValues=["false"])
    assert column(["true", "false", "yes"], **spec)[1] == [(4, "type_boolean")]
    table, _ = column(["true", "false", ""], **spec)
    assert table["x"].tolist()[:2] == [True, False] and pd.isna(table["x"].iloc[2])


def test_refs_become_tuples_of_integers(column) -> None:
    table, problems = column(["59;60", "", "7"], x_list={"separator": ";", "item_type": "integer"})
    assert problems == [] and table["x"].tolist() == [(59, 60), (), (7,)]
    assert column(["1;;2", "1;"], x_list={"separator": ";", "item_type": "integer"})[1] == [(2, "list"), (3, "list")]


def test_required_and_whitespace_are_reported_not_fixed(column) -> None:
    _, problems = column(["GEO", " GEO", ""], constraints={"required": True, "pattern": "[A-Z]{3}"})
    assert sorted(problems) == [(3, "no_stray_whitespace"), (4, "required")]


def test_datetime_with_format(column) -> None:
    spec = dict(type="datetime", format="%Y-%m-%dT%H:%M")
    assert column(["2024-03-17T10:00", "2024-03-17 10:00"], **spec)[1] == [(3, "type_datetime")]
    table, _ = column(["2024-03-17T10:00"], **spec)
    assert table["x"].iloc[0] == pd.Timestamp("2024-03-17 10:00")


def test_many_bad_rows_are_capped_but_counted(column) -> None:
    problems = column(["x"] * 50, type="integer")[1]
    assert len(problems) == 21 and problems[-1][0] is None
