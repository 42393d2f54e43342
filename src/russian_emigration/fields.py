"""Vectorized parsing and validation of one CSV column against its Table Schema field."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from russian_emigration.errors import Problem

#: Per file, column and rule, how many offending rows are listed one by one.
MAX_ROWS_PER_RULE = 20

_INTEGER = r"[+-]?\d{1,18}"
_NUMBER = r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,3})?"
_DATE = r"\d{4}-\d{2}-\d{2}"
_PARTIAL_DATE = r"\d{4}(-\d{2}(-\d{2})?)?"
PRECISIONS = ("year", "month", "day")


@dataclass
class Reporter:
    """Collects the problems of one file, listing at most MAX_ROWS_PER_RULE rows per column and rule."""

    file: str
    problems: list[Problem] = field(default_factory=list)

    def flag(
        self, bad: Any, column: str | None, values: pd.Series | pd.DataFrame | None, rule: str, message: str
    ) -> None:
        """Record a problem for every row where ``bad`` is True (a frame of values is shown joined by '|')."""
        positions = np.flatnonzero(np.asarray(bad, dtype=bool))
        for pos in positions[:MAX_ROWS_PER_RULE]:
            value = None if values is None else _cell_text(values, int(pos))
            self.problems.append(Problem(self.file, int(pos) + 2, column, value, rule, message))
        hidden = len(positions) - MAX_ROWS_PER_RULE
        if hidden > 0:
            self.problems.append(
                Problem(self.file, None, column, None, rule, f"{message} (in {hidden} more rows not listed)")
            )

    def table(
        self, rule: str, message: str, column: str | None = None, value: str | None = None, row: int | None = None
    ) -> None:
        """Record a problem about the whole file, a column or one row."""
        self.problems.append(Problem(self.file, row, column, value, rule, message))


def _cell_text(values: pd.Series | pd.DataFrame, pos: int) -> str:
    """The value at row position ``pos`` as text; a row of a frame is joined by '|'."""
    if isinstance(values, pd.DataFrame):
        return "|".join(str(v) for v in values.iloc[pos])
    return str(values.iat[pos])


@dataclass
class ParsedField:
    """A typed column plus columns derived from it (the parts of a partial date)."""

    values: pd.Series
    derived: dict[str, pd.Series] = field(default_factory=dict)


def parse_field(raw: pd.Series, spec: dict[str, Any], rep: Reporter, today: date) -> ParsedField:
    """Validate ``raw`` (strings, '' for empty) against field ``spec`` and return the typed column."""
    name = spec["name"]
    constraints = spec.get("constraints", {})
    present = raw.ne("").to_numpy()
    stray = present & raw.ne(raw.str.strip()).to_numpy()
    rep.flag(stray, name, raw, "no-stray-whitespace", "has spaces or other whitespace around the value")
    ok = present & ~stray
    if constraints.get("required"):
        rep.flag(~present, name, raw, "required", "is required but empty")

    ftype = spec.get("type", "string")
    parser = _PARSERS.get(ftype)
    if parser is None:
        rep.table("known-type", f"field type {ftype!r} is not supported", column=name)
        return ParsedField(raw.where(present))
    parsed, ok = parser(raw, ok, spec, rep)
    _check_constraints(parsed.values, raw, ok, spec, rep)
    if "x_date_range" in spec:
        _check_date_range(parsed, raw, ok, spec, rep, today)
    return parsed


def _bad_format(raw: pd.Series, ok: np.ndarray, pattern: str) -> np.ndarray:
    """Rows that are to be checked but do not match ``pattern`` in full."""
    matches = raw.str.fullmatch(pattern).fillna(False).to_numpy(dtype=bool)
    return ok & ~matches


def _parse_string(raw, ok, spec, rep):
    values = raw.where(raw.ne(""))
    enum = spec.get("constraints", {}).get("enum")
    if spec.get("x_partial_date"):
        return _parse_partial_date(raw, ok, spec, rep)
    if "x_list" in spec:
        return _parse_list(raw, ok, spec, rep)
    if enum:
        bad = ok & ~raw.isin(enum).to_numpy()
        rep.flag(bad, spec["name"], raw, "enum", f"is not one of the allowed values: {', '.join(map(str, enum))}")
        ok = ok & ~bad
        values = pd.Series(pd.Categorical(raw.where(pd.Series(ok, index=raw.index)), categories=enum), index=raw.index)
    return ParsedField(values), ok


def _parse_integer(raw, ok, spec, rep):
    bad = _bad_format(raw, ok, _INTEGER)
    rep.flag(bad, spec["name"], raw, "type-integer", "is not a whole number (or has more than 18 digits)")
    ok = ok & ~bad
    values = raw.where(pd.Series(ok, index=raw.index)).astype("Int64")
    return ParsedField(values), ok


def _parse_number(raw, ok, spec, rep):
    bad = _bad_format(raw, ok, _NUMBER)
    rep.flag(bad, spec["name"], raw, "type-number", "is not a decimal number")
    ok = ok & ~bad
    numbers = pd.to_numeric(raw.where(pd.Series(ok, index=raw.index)), errors="coerce").astype("Float64")
    infinite = ok & ~np.isfinite(numbers.fillna(0).to_numpy(dtype=float))
    rep.flag(infinite, spec["name"], raw, "type-number", "is too large to represent")
    ok = ok & ~infinite
    return ParsedField(numbers.where(pd.Series(ok, index=raw.index))), ok


def _parse_boolean(raw, ok, spec, rep):
    true_values = spec.get("trueValues", ["true", "True", "TRUE", "1"])
    false_values = spec.get("falseValues", ["false", "False", "FALSE", "0"])
    is_true = raw.isin(true_values).to_numpy()
    is_false = raw.isin(false_values).to_numpy()
    bad = ok & ~(is_true | is_false)
    rep.flag(
        bad,
        spec["name"],
        raw,
        "type-boolean",
        f"is not a boolean ({' or '.join(map(repr, [*true_values, *false_values]))})",
    )
    ok = ok & ~bad
    values = pd.Series(pd.array(np.where(is_true, True, False), dtype="boolean"), index=raw.index)
    values[~ok] = pd.NA
    return ParsedField(values), ok


def _parse_date(raw, ok, spec, rep):
    bad = _bad_format(raw, ok, _DATE)
    dates = pd.to_datetime(raw.where(pd.Series(ok & ~bad, index=raw.index)), format="%Y-%m-%d", errors="coerce")
    bad |= ok & dates.isna().to_numpy()
    rep.flag(bad, spec["name"], raw, "type-date", "is not a calendar date in the form YYYY-MM-DD")
    ok = ok & ~bad
    return ParsedField(dates.where(pd.Series(ok, index=raw.index))), ok


def _parse_datetime(raw, ok, spec, rep):
    fmt = spec.get("format", "default")
    fmt = "%Y-%m-%dT%H:%M:%SZ" if fmt in ("default", "any") else fmt
    stamps = pd.to_datetime(raw.where(pd.Series(ok, index=raw.index)), format=fmt, errors="coerce")
    bad = ok & stamps.isna().to_numpy()
    rep.flag(bad, spec["name"], raw, "type-datetime", f"is not a date and time in the format {fmt}")
    ok = ok & ~bad
    return ParsedField(stamps.where(pd.Series(ok, index=raw.index))), ok


def _parse_partial_date(raw, ok, spec, rep):
    """Parse YYYY, YYYY-MM or YYYY-MM-DD, keeping the precision and the first and last day covered."""
    name = spec["name"]
    bad = _bad_format(raw, ok, _PARTIAL_DATE)
    lengths = raw.str.len().fillna(0).to_numpy()
    full = raw.copy()
    full[lengths == 4] = raw[lengths == 4] + "-01-01"
    full[lengths == 7] = raw[lengths == 7] + "-01"
    start = pd.to_datetime(full.where(pd.Series(ok & ~bad, index=raw.index)), format="%Y-%m-%d", errors="coerce")
    bad |= ok & start.isna().to_numpy()
    rep.flag(
        bad,
        name,
        raw,
        "partial-date",
        "is not a partial ISO date: YYYY, YYYY-MM or YYYY-MM-DD with a real month and day",
    )
    ok = ok & ~bad
    mask = pd.Series(ok, index=raw.index)
    start = start.where(mask)
    precision = pd.Series(
        pd.Categorical(
            np.select([lengths == 4, lengths == 7, lengths == 10], list(PRECISIONS), default=None),
            categories=list(PRECISIONS),
        ),
        index=raw.index,
    ).where(mask)
    end = start.copy()
    year, month = (precision == "year").to_numpy(), (precision == "month").to_numpy()
    end[year] = start[year] + pd.offsets.YearEnd(0)
    end[month] = start[month] + pd.offsets.MonthEnd(0)
    values = raw.where(mask)
    derived = {f"{name}_first": start, f"{name}_last": end, f"{name}_precision": precision}
    return ParsedField(values, derived), ok


def _parse_list(raw, ok, spec, rep):
    """Split a delimited list of integers into tuples (empty cell: empty tuple)."""
    options = spec["x_list"]
    sep = options.get("separator", ";")
    item = _INTEGER if options.get("item_type") == "integer" else r"[^" + re.escape(sep) + r"]+"
    bad = _bad_format(raw, ok, f"{item}({re.escape(sep)}{item})*")
    rep.flag(
        bad,
        spec["name"],
        raw,
        "list",
        f"is not a list of {options.get('item_type', 'string')} items separated by {sep!r}",
    )
    ok = ok & ~bad
    convert = int if options.get("item_type") == "integer" else str
    cells = raw.where(pd.Series(ok, index=raw.index), "").tolist()
    values = pd.Series(
        [tuple(convert(x) for x in c.split(sep)) if c else () for c in cells], index=raw.index, dtype=object
    )
    return ParsedField(values), ok


_PARSERS = {
    "string": _parse_string,
    "integer": _parse_integer,
    "number": _parse_number,
    "boolean": _parse_boolean,
    "date": _parse_date,
    "datetime": _parse_datetime,
}


def _check_constraints(values: pd.Series, raw: pd.Series, ok: np.ndarray, spec: dict[str, Any], rep: Reporter) -> None:
    """Apply pattern, minimum, maximum and unique constraints to rows that parsed."""
    name, constraints = spec["name"], spec.get("constraints", {})
    pattern = constraints.get("pattern")
    if pattern and not spec.get("x_partial_date"):
        bad = _bad_format(raw, ok, pattern)
        rep.flag(bad, name, raw, "pattern", f"does not match the pattern {pattern}")
        ok = ok & ~bad
    for key, op, word in (("minimum", np.less, "below the minimum"), ("maximum", np.greater, "above the maximum")):
        if key in constraints and spec.get("type") in ("integer", "number"):
            numbers = values.astype("Float64").fillna(0).to_numpy(dtype=float)
            bad = ok & op(numbers, float(constraints[key]))
            rep.flag(bad, name, raw, key, f"is {word} {constraints[key]}")
    if constraints.get("unique"):
        duplicated = raw.duplicated(keep=False).to_numpy() & ok
        rep.flag(duplicated, name, raw, "unique", "appears in more than one row but must be unique")


def _check_date_range(
    parsed: ParsedField, raw: pd.Series, ok: np.ndarray, spec: dict[str, Any], rep: Reporter, today: date
) -> None:
    """Every date must fall between the range's min and today (for partial dates: overlap it)."""
    name, bounds = spec["name"], spec["x_date_range"]
    low = pd.Timestamp(bounds.get("min", "0001-01-01"))
    high = pd.Timestamp(today if bounds.get("max", "today") == "today" else bounds["max"])
    first = parsed.derived.get(f"{name}_first", parsed.values)
    last = parsed.derived.get(f"{name}_last", parsed.values)
    bad = ok & ((last < low) | (first > high)).fillna(False).to_numpy(dtype=bool)
    rep.flag(bad, name, raw, "date-range", f"is outside the allowed range {low.date()} to {high.date()}")


def columns_in_order(schema_names: Iterable[str], parsed: dict[str, ParsedField]) -> dict[str, pd.Series]:
    """Typed columns in schema order, each followed by the columns derived from it."""
    out: dict[str, pd.Series] = {}
    for name in schema_names:
        out[name] = parsed[name].values
        out.update(parsed[name].derived)
    return out
