"""Each Table Schema field as checks on its text (run by pandera), and the typed column it becomes.

Only ASCII digits count as digits. Values with stray whitespace are reported once, as such, and not
again by the format checks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import regex

INTEGER = "[+-]?[0-9]{1,18}"
NUMBER = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,3})?"
DATE = "[0-9]{4}-[0-9]{2}-[0-9]{2}"
PARTIAL_DATE = "[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?"
URI = r"[A-Za-z][A-Za-z0-9+.-]*:\S+"
PRECISIONS = ("year", "month", "day")
DEFAULT_TRUE = ["true", "True", "TRUE", "1"]
DEFAULT_FALSE = ["false", "False", "FALSE", "0"]
#: How long a pattern may take on one value; after the first value that takes longer, the rest fail.
PATTERN_SECONDS = 1.0

Test = Callable[[pd.Series], pd.Series]


@dataclass
class TextCheck:
    """One rule on a column's non-empty text: ``test`` returns True where a value passes."""

    rule: str
    message: str
    test: Test
    timed_out: bool = False


def _spaced(s: pd.Series) -> pd.Series:
    return s.ne(s.str.strip())


def _unless_spaced(test: Test) -> Test:
    """A format test that lets values with stray whitespace pass: they are reported as such."""
    return lambda s: _spaced(s) | test(s)


def _matches(pattern: str) -> Test:
    return lambda s: s.str.fullmatch(pattern).fillna(False).astype(bool)


def _dates(s: pd.Series, fmt: str) -> pd.Series:
    return pd.to_datetime(s, format=fmt, errors="coerce")


def _partial_starts(s: pd.Series) -> pd.Series:
    """The first day of each YYYY, YYYY-MM or YYYY-MM-DD value (NaT if it is no real date)."""
    s = s.where(s.str.fullmatch(PARTIAL_DATE).fillna(False).astype(bool))
    lengths = s.str.len()
    return _dates(s.where(lengths.ne(4), s + "-01-01").where(lengths.ne(7), s + "-01"), "%Y-%m-%d")


def _format_check(spec: dict[str, Any]) -> TextCheck | None:
    """The check of a value's form for the field's type (None for free text)."""
    ftype = spec.get("type", "string")
    if spec.get("x_partial_date"):
        message = "is not a partial ISO date: YYYY, YYYY-MM or YYYY-MM-DD with a real month and day"
        return TextCheck("partial_date", message, lambda s: _partial_starts(s).notna())
    if "x_list" in spec:
        options = spec["x_list"]
        sep = options.get("separator", ";")
        item = "[0-9]{1,18}" if options.get("item_type") == "integer" else f"[^{regex.escape(sep)}]+"
        message = f"is not a list of {options.get('item_type', 'string')} items separated by {sep!r}"
        return TextCheck("list", message, _matches(f"{item}({regex.escape(sep)}{item})*"))
    if ftype == "integer":
        return TextCheck("type_integer", "is not a whole number (ASCII digits, at most 18)", _matches(INTEGER))
    if ftype == "number":
        return TextCheck("type_number", "is not a decimal number (ASCII digits) or is too large", _finite_number)
    if ftype == "boolean":
        values = [*spec.get("trueValues", DEFAULT_TRUE), *spec.get("falseValues", DEFAULT_FALSE)]
        return TextCheck(
            "type_boolean", f"is not a boolean ({' or '.join(map(repr, values))})", lambda s: s.isin(values)
        )
    if ftype == "date":
        return TextCheck("type_date", "is not a calendar date in the form YYYY-MM-DD", _real_date)
    if ftype == "datetime":
        fmt = _datetime_format(spec)
        return TextCheck(
            "type_datetime",
            f"is not a date and time in the format {fmt}",
            lambda s: s.str.isascii().astype(bool) & _dates(s, fmt).notna(),
        )
    if spec.get("format") == "uri":
        return TextCheck("format", "is not a web address (scheme:address, no spaces)", _matches(URI))
    return None


def _finite_number(s: pd.Series) -> pd.Series:
    ok = _matches(NUMBER)(s)
    return ok & np.isfinite(pd.to_numeric(s.where(ok)).fillna(0))


def _real_date(s: pd.Series) -> pd.Series:
    return _matches(DATE)(s) & _dates(s, "%Y-%m-%d").notna()


def _datetime_format(spec: dict[str, Any]) -> str:
    fmt = spec.get("format", "default")
    return "%Y-%m-%dT%H:%M:%SZ" if fmt == "default" else str(fmt)


def _pattern_check(pattern: str) -> TextCheck:
    """Full match of the field's pattern, each distinct value once, each within PATTERN_SECONDS.

    After one value runs out of time the pattern is not tried again: the rest count as failing, so
    a pattern that backtracks catastrophically costs one time limit, not one per value.
    """
    compiled = regex.compile(pattern, regex.ASCII | regex.VERSION0)
    check = TextCheck("pattern", f"does not match the pattern {pattern}", lambda s: s)

    def test(s: pd.Series) -> pd.Series:
        results: dict[str, bool] = {}
        for value in s.unique():
            try:
                results[value] = not check.timed_out and compiled.fullmatch(value, timeout=PATTERN_SECONDS) is not None
            except TimeoutError:
                results[value], check.timed_out = False, True
        return s.map(results).astype(bool)

    check.test = test
    return check


def text_checks(spec: dict[str, Any]) -> list[TextCheck]:
    """Every check of one field's non-empty text values, in the order they are reported."""
    constraints = spec.get("constraints", {})
    spaced = TextCheck("no_stray_whitespace", "has spaces or other whitespace around the value", lambda s: ~_spaced(s))
    checks = [spaced]
    form = _format_check(spec)
    if form is not None:
        checks.append(form)
    if "enum" in constraints:
        enum = constraints["enum"]
        checks.append(TextCheck("enum", f"is not one of the allowed values: {', '.join(enum)}", lambda s: s.isin(enum)))
    if "pattern" in constraints:
        checks.append(_pattern_check(constraints["pattern"]))
    for check in checks[1:]:
        check.test = _unless_spaced(check.test)
    return checks


def typed_columns(spec: dict[str, Any], text: pd.Series) -> dict[str, pd.Series]:
    """The typed column of a field from its valid text values (NaN where empty or invalid).

    A partial date also gives ``<name>_first``, ``<name>_last`` and ``<name>_precision``.
    """
    name, ftype = spec["name"], spec.get("type", "string")
    if spec.get("x_partial_date"):
        return _partial_dates(name, text)
    present = text.notna().to_numpy()
    if "x_list" in spec:
        options = spec["x_list"]
        convert = int if options.get("item_type") == "integer" else str
        sep = options.get("separator", ";")
        items = [tuple(map(convert, v.split(sep))) if ok else () for v, ok in zip(text, present, strict=True)]
        tuples = np.empty(len(items), dtype=object)
        tuples[:] = items
        return {name: pd.Series(tuples, index=text.index)}
    if ftype == "string" and "enum" in spec.get("constraints", {}):
        return {name: pd.Series(pd.Categorical(text, categories=spec["constraints"]["enum"]), index=text.index)}
    if ftype == "integer":
        numbers = [int(v) if ok else None for v, ok in zip(text, present, strict=True)]
        return {name: pd.Series(pd.array(numbers, dtype="Int64"), index=text.index)}
    if ftype == "number":
        return {name: pd.to_numeric(text).astype("Float64")}
    if ftype == "boolean":
        true_values = spec.get("trueValues", DEFAULT_TRUE)
        flags = [v in true_values if ok else None for v, ok in zip(text, present, strict=True)]
        return {name: pd.Series(pd.array(flags, dtype="boolean"), index=text.index)}
    if ftype in ("date", "datetime"):
        fmt = "%Y-%m-%d" if ftype == "date" else _datetime_format(spec)
        return {name: _dates(text, fmt)}
    return {name: pd.Series(text.to_numpy(dtype=object), index=text.index, dtype="str")}


def _partial_dates(name: str, text: pd.Series) -> dict[str, pd.Series]:
    """A partial date as text, plus the first and last day it covers and its precision."""
    first = _partial_starts(text)
    lengths = text.str.len()
    end = first.copy()
    year, month = (lengths == 4).to_numpy(), (lengths == 7).to_numpy()
    end[year] = first[year] + pd.offsets.YearEnd(0)
    end[month] = first[month] + pd.offsets.MonthEnd(0)
    precision = lengths.map({4: "year", 7: "month", 10: "day"})
    return {
        name: pd.Series(text.to_numpy(dtype=object), index=text.index, dtype="str"),
        f"{name}_first": first,
        f"{name}_last": end,
        f"{name}_precision": pd.Series(pd.Categorical(precision, categories=list(PRECISIONS)), index=text.index),
    }
