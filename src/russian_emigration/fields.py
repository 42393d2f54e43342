"""Each Table Schema field as checks on its text, and the typed column it becomes.

Only ASCII digits count as digits. Values with stray whitespace are reported once, as such, and not
again by the format checks.
"""

from __future__ import annotations

import math
import re
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

#: A test of non-empty text values: a boolean array, True where a value passes.
Test = Callable[[pd.Series], np.ndarray]


@dataclass
class TextCheck:
    """One rule on a column's non-empty text values."""

    rule: str
    message: str
    test: Test
    timed_out: bool = False


def _each(function: Callable[[str], Any], dtype: type = bool) -> Callable[[pd.Series], np.ndarray]:
    """``function`` of each value in a plain loop: pandas' string methods loop too, more slowly.

    Given a C function (``str.strip``, a compiled pattern's ``fullmatch``), the loop runs no Python code.
    """
    return lambda s: np.fromiter(map(function, s.to_numpy()), dtype=dtype, count=len(s))


def _each_distinct(function: Callable[[str], bool]) -> Callable[[pd.Series], np.ndarray]:
    """A test of each distinct value once (a column repeats its dates and codes), as a bool per value."""

    def test(s: pd.Series) -> np.ndarray:
        codes, distinct = pd.factorize(s.to_numpy())
        return np.fromiter(map(function, distinct), dtype=bool, count=len(distinct))[codes]

    return test


def _matches(pattern: str) -> Test:
    fullmatch = re.compile(pattern).fullmatch
    return _each_distinct(lambda value: fullmatch(value) is not None)


def _dates(s: pd.Series, fmt: str) -> pd.Series:
    return pd.to_datetime(s, format=fmt, errors="coerce")


def _partial_starts(s: pd.Series) -> pd.Series:
    """The first day of each YYYY, YYYY-MM or YYYY-MM-DD value (NaT if it is no real date)."""
    ok = _matches(PARTIAL_DATE)(s)  # YYYY-MM-DD-01-01 is cut back to YYYY-MM-DD:
    padded = [(v + "-01-01")[:10] if good else np.nan for v, good in zip(s.to_numpy(), ok, strict=True)]
    return _dates(pd.Series(padded, index=s.index, dtype=object), "%Y-%m-%d")


#: What a number cell may not hold besides its digits (said in the type messages).
BARE = "no %, units or thousands separators"


def _format_check(spec: dict[str, Any]) -> TextCheck | None:
    """The check of a value's form for the field's type (None for free text)."""
    ftype = spec.get("type", "string")
    if spec.get("x_partial_date"):
        message = "is not a partial ISO date: YYYY, YYYY-MM or YYYY-MM-DD with a real month and day"
        return TextCheck("partial_date", message, lambda s: _partial_starts(s).notna().to_numpy())
    if "x_list" in spec:
        item_type, sep = spec["x_list"].get("item_type", "string"), spec["x_list"].get("separator", ";")
        item = "[0-9]{1,18}" if item_type == "integer" else f"[^{regex.escape(sep)}]+"
        message = f"is not a list of {item_type} items separated by {sep!r}"
        return TextCheck("list", message, _matches(f"{item}({regex.escape(sep)}{item})*"))
    if ftype == "boolean":
        values = [*spec.get("trueValues", DEFAULT_TRUE), *spec.get("falseValues", DEFAULT_FALSE)]
        message = f"is not a boolean ({' or '.join(map(repr, values))})"
        return TextCheck("type_boolean", message, _each(set(values).__contains__))
    if ftype == "datetime":
        fmt = _datetime_format(spec)
        return TextCheck("type_datetime", f"is not a date and time in the format {fmt}", _real_datetime(fmt))
    fixed = {
        "integer": (
            "type_integer",
            f"is not a whole number (ASCII digits, at most 18; {BARE})",
            _matches(INTEGER),
        ),
        "number": (
            "type_number",
            f"is not a decimal number (ASCII digits with a point; {BARE}) or is too large",
            _finite_number,
        ),
        "date": ("type_date", "is not a calendar date in the form YYYY-MM-DD", _real_date),
        "uri": ("format", "is not a web address (scheme:address, no spaces)", _matches(URI)),
    }
    key = "uri" if spec.get("format") == "uri" else ftype
    return TextCheck(*fixed[key]) if key in fixed else None


def _is_finite_number(value: str, _fullmatch: Callable[[str], Any] = re.compile(NUMBER).fullmatch) -> bool:
    # float() itself, not pandas: a column of 400-digit integers makes pandas raise OverflowError.
    return _fullmatch(value) is not None and math.isfinite(float(value))


_finite_number = _each_distinct(_is_finite_number)


def _real_date(s: pd.Series) -> np.ndarray:
    return _matches(DATE)(s) & _dates(s, "%Y-%m-%d").notna().to_numpy()


def _real_datetime(fmt: str) -> Test:
    return lambda s: _each(str.isascii)(s) & _dates(s, fmt).notna().to_numpy()


def _datetime_format(spec: dict[str, Any]) -> str:
    fmt = spec.get("format", "default")
    return "%Y-%m-%dT%H:%M:%SZ" if fmt == "default" else str(fmt)


def _pattern_check(pattern: str) -> TextCheck:
    """Full match of the field's pattern, each distinct value once, each within PATTERN_SECONDS.

    After one value runs out of time the pattern is not tried again: the rest count as failing, so
    a pattern that backtracks catastrophically costs one time limit, not one per value.
    """
    compiled = regex.compile(pattern, regex.ASCII | regex.VERSION0)
    check = TextCheck("pattern", f"does not match the pattern {pattern}", lambda s: s.to_numpy())

    def matches(value: str) -> bool:
        try:
            return not check.timed_out and compiled.fullmatch(value, timeout=PATTERN_SECONDS) is not None
        except TimeoutError:
            check.timed_out = True
            return False

    check.test = _each_distinct(matches)
    return check


def text_checks(spec: dict[str, Any]) -> list[TextCheck]:
    """The checks of one field's non-empty values without stray whitespace: form, enum, pattern."""
    constraints = spec.get("constraints", {})
    checks: list[TextCheck] = []
    form = _format_check(spec)
    if form is not None:
        checks.append(form)
    if "enum" in constraints:
        enum = constraints["enum"]
        message = f"is not one of the allowed values: {', '.join(enum)}"
        checks.append(TextCheck("enum", message, _each(set(enum).__contains__)))
    if "pattern" in constraints:
        checks.append(_pattern_check(constraints["pattern"]))
    return checks


def broken_rules(checks: list[TextCheck], cells: pd.Series, required: bool) -> list[tuple[str, str, np.ndarray]]:
    """Which cells break which rule, as (rule, message, failing row positions), in the order they are reported.

    An empty cell ('') breaks ``required`` if the field is required; a value with stray whitespace is
    reported only as such, and the other checks test the rest, each value until one fails: a date
    written 21/09/2022 is not a date, and that is said once, not again as a pattern the date misses.
    """
    values = cells.to_numpy()
    empty = values == ""
    spaced = ~empty & (values != _each(str.strip, object)(cells))
    clean = ~empty & ~spaced
    broken = [("required", "is required but empty", empty & required)]
    broken.append(("no_stray_whitespace", "has spaces or other whitespace around the value", spaced))
    for check in checks:
        if not clean.any():
            break
        failing = np.zeros(len(values), dtype=bool)
        failing[clean] = ~check.test(pd.Series(values[clean], dtype=object))
        clean &= ~failing
        broken.append((check.rule, check.message, failing))
    return [(rule, message, np.flatnonzero(failing)) for rule, message, failing in broken if failing.any()]


def typed_columns(spec: dict[str, Any], text: pd.Series) -> dict[str, pd.Series]:
    """The typed column of a field from its valid text values (NaN where empty or invalid).

    A partial date also gives ``<name>_first``, ``<name>_last`` and ``<name>_precision``.
    """
    name, ftype = spec["name"], spec.get("type", "string")
    if spec.get("x_partial_date"):
        return _partial_dates(name, text)
    if "x_list" in spec:
        convert = int if spec["x_list"].get("item_type") == "integer" else str
        sep = spec["x_list"].get("separator", ";")
        return {name: _mapped(text, lambda v: tuple(map(convert, v.split(sep))), object, ())}
    if ftype == "string" and "enum" in spec.get("constraints", {}):
        enum = pd.Index(spec["constraints"]["enum"])
        return {name: pd.Series(pd.Categorical.from_codes(enum.get_indexer(text), categories=enum), index=text.index)}
    if ftype == "number":
        return {name: pd.to_numeric(text).astype("Float64")}
    if ftype in ("date", "datetime"):
        return {name: _dates(text, "%Y-%m-%d" if ftype == "date" else _datetime_format(spec))}
    if ftype == "integer":
        return {name: _mapped(text, int, "Int64")}
    if ftype == "boolean":
        return {name: _mapped(text, spec.get("trueValues", DEFAULT_TRUE).__contains__, "boolean")}
    return {name: pd.Series(pd.array(text.to_numpy(dtype=object), dtype="str"), index=text.index)}


def _mapped(text: pd.Series, convert: Callable[[str], Any], dtype: Any, missing: Any = None) -> pd.Series:
    """``convert`` of each value, ``missing`` where it is empty or invalid, as a column of ``dtype``."""
    values = np.empty(len(text), dtype=object)
    values[:] = [convert(v) if isinstance(v, str) else missing for v in text.to_numpy()]
    return pd.Series(values if dtype is object else pd.array(values, dtype=dtype), index=text.index)


def _partial_dates(name: str, text: pd.Series) -> dict[str, pd.Series]:
    """A partial date as text, plus the first and last day it covers and its precision."""
    first = _partial_starts(text.dropna()).reindex(text.index)
    values = text.to_numpy(dtype=object)
    lengths = np.array([len(v) if isinstance(v, str) else 0 for v in values], dtype=int)
    year, month = lengths == 4, lengths == 7
    starts, day = first.to_numpy(), np.timedelta64(1, "D")
    year_end, month_end = ((starts.astype(f"M8[{unit}]") + 1).astype(starts.dtype) - day for unit in "YM")
    last = np.where(year, year_end, np.where(month, month_end, starts))
    codes = np.select([year, month, lengths == 10], [0, 1, 2], -1)
    return {
        name: pd.Series(pd.array(values, dtype="str"), index=text.index),
        f"{name}_first": first,
        f"{name}_last": pd.Series(last, index=text.index),
        f"{name}_precision": pd.Series(pd.Categorical.from_codes(codes, categories=list(PRECISIONS)), index=text.index),
    }
