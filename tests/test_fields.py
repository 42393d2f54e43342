"""Unit tests for each field parser, on tiny inline columns."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from russian_emigration.fields import Reporter, parse_field

TODAY = date(2026, 11, 27)


def parse(values: list[str], **spec):
    rep = Reporter("t.csv")
    spec.setdefault("name", "x")
    parsed = parse_field(pd.Series(values, dtype="str"), spec, rep, TODAY)
    return parsed, [(p.row, p.rule) for p in rep.problems]


def test_partial_dates_keep_precision_and_span() -> None:
    parsed, problems = parse(["2022", "2022-09", "2022-09-21", ""], type="string", x_partial_date=True)
    assert problems == []
    assert list(parsed.derived["x_precision"].astype(object).fillna("")) == ["year", "month", "day", ""]
    assert list(parsed.derived["x_first"].dt.strftime("%Y-%m-%d").fillna("")) == [
        "2022-01-01",
        "2022-09-01",
        "2022-09-21",
        "",
    ]
    assert list(parsed.derived["x_last"].dt.strftime("%Y-%m-%d").fillna("")) == [
        "2022-12-31",
        "2022-09-30",
        "2022-09-21",
        "",
    ]
    assert parsed.values.isna().tolist() == [False, False, False, True]


@pytest.mark.parametrize("bad", ["2022-13", "2022-3", "22-03", "2022-02-30", "2022/03", "March 2022"])
def test_partial_dates_reject_malformed(bad: str) -> None:
    _, problems = parse(["2022", bad], type="string", x_partial_date=True)
    assert problems == [(3, "partial-date")]


def test_date_range_applies_to_the_span_of_a_partial_date() -> None:
    spec = dict(type="string", x_partial_date=True, x_date_range={"min": "2021-01-01", "max": "today"})
    _, problems = parse(["2021", "2026-11", "2026-12", "2020-12-31"], **spec)
    assert problems == [(4, "date-range"), (5, "date-range")]


def test_enum_becomes_categorical_in_declared_order() -> None:
    parsed, problems = parse(["b", "a", ""], type="string", constraints={"enum": ["b", "a", "c"]})
    assert problems == []
    assert list(parsed.values.cat.categories) == ["b", "a", "c"]
    assert parsed.values.isna().tolist() == [False, False, True]


def test_integers_are_nullable() -> None:
    parsed, problems = parse(["1", "", "-3"], type="integer")
    assert problems == [] and str(parsed.values.dtype) == "Int64"
    assert parsed.values.isna().tolist() == [False, True, False]


@pytest.mark.parametrize("bad", ["1.5", "1e3", "one", "9" * 19])
def test_integers_reject_non_integers(bad: str) -> None:
    assert parse([bad], type="integer")[1] == [(2, "type-integer")]


def test_numbers_and_their_limits() -> None:
    parsed, problems = parse(["1.5", "2", "1e2", "-1", "1e999"], type="number", constraints={"minimum": 0})
    assert str(parsed.values.dtype) == "Float64"
    assert problems == [(6, "type-number"), (5, "minimum")]


def test_booleans_use_declared_values() -> None:
    parsed, problems = parse(["true", "false", "yes"], type="boolean", trueValues=["true"], falseValues=["false"])
    assert problems == [(4, "type-boolean")]
    assert parsed.values.tolist()[:2] == [True, False] and pd.isna(parsed.values.iloc[2])


def test_refs_become_tuples_of_integers() -> None:
    parsed, problems = parse(["59;60", "", "7"], type="string", x_list={"separator": ";", "item_type": "integer"})
    assert problems == [] and parsed.values.tolist() == [(59, 60), (), (7,)]


def test_required_and_whitespace_are_reported_not_fixed() -> None:
    parsed, problems = parse(["GEO", " GEO", ""], type="string", constraints={"required": True})
    assert problems == [(3, "no-stray-whitespace"), (4, "required")]
    assert parsed.values.tolist()[0] == "GEO"


def test_datetime_with_format() -> None:
    parsed, problems = parse(["2024-03-17T10:00", "2024-03-17 10:00"], type="datetime", format="%Y-%m-%dT%H:%M")
    assert problems == [(3, "type-datetime")]
    assert parsed.values.iloc[0] == pd.Timestamp("2024-03-17 10:00")


def test_many_bad_rows_are_capped_but_counted() -> None:
    _, problems = parse(["x"] * 50, type="integer")
    assert len(problems) == 21 and problems[-1][0] is None
