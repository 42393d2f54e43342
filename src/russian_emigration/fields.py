"""Vectorized parsing and validation of one CSV column against its Table Schema field."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from itertools import repeat
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
    """A typed column plus columns derived from it (the parts of a partial date).

    ``distinct`` and ``codes`` are the column's distinct raw values and each row's index into
    them, kept so that characters in the cells can be counted cheaply (``count_inside``).
    """

    values: pd.Series
    derived: dict[str, pd.Series] = field(default_factory=dict)
    distinct: list[str] = field(default_factory=list)
    codes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))

    def count_inside(self, char: str) -> int:
        """How often ``char`` occurs in the column's cells, counted once per distinct value."""
        if char not in "".join(self.distinct):
            return 0
        frequency = np.bincount(self.codes, minlength=len(self.distinct))
        per_value = np.fromiter(map(str.count, self.distinct, repeat(char)), dtype=np.int64, count=len(self.distinct))
        return int(per_value @ frequency)


_RARE_WHITESPACE = re.compile(r"[^\S \n]")  # any whitespace but space and line break: tabs, NBSP, ...


def _joined_lines(raw: pd.Series, rows: np.ndarray) -> tuple[str, np.ndarray] | None:
    """The values at ``rows`` joined by line breaks, with their positions; None if a value has a line break."""
    positions = np.flatnonzero(rows)
    values = raw.to_numpy()[positions].tolist()
    joined = "\n".join(values)
    if joined.count("\n") != max(len(values) - 1, 0):
        return None
    return joined, positions


def _line_numbers(joined: str, offsets: list[int]) -> np.ndarray:
    """Which line of ``joined`` each character offset falls on."""
    breaks = np.array([m.start() for m in re.finditer("\n", joined)], dtype=np.int64)
    return np.searchsorted(breaks, np.asarray(offsets, dtype=np.int64))


def _stray_whitespace(raw: pd.Series, present: np.ndarray) -> np.ndarray:
    """Values that start or end with whitespace.

    Cheap substring tests over all values joined by line breaks tell whether any value can be
    affected; only then are the values compared one by one with their stripped form.
    """
    joined = _joined_lines(raw, present)
    if joined is not None and not _may_have_edge_whitespace(joined[0]):
        return np.zeros(len(raw), dtype=bool)
    return present & raw.ne(raw.str.strip()).to_numpy()


def _may_have_edge_whitespace(text: str) -> bool:
    """False only if no line of ``text`` can start or end with whitespace."""
    if not text:
        return False
    if text[0].isspace() or text[-1].isspace() or "\n " in text or " \n" in text:
        return True
    return _RARE_WHITESPACE.search(text) is not None


# Tokens that can match a line break; a pattern with any of them is checked value by value,
# because over values joined by line breaks it could match across two of them.
_CROSSES_LINES = re.compile(r"\[\^|\\[sSWDnrvfx0-9uUNAZ]|\(\?(?!:)|\n")


def _bad_format(raw: pd.Series, ok: np.ndarray, pattern: str) -> np.ndarray:
    """Values that are to be checked but do not match ``pattern`` in full.

    The values are joined by line breaks and matched in one pass; only if that fails are the
    misfits located. One pass in C instead of one regular-expression call per value.
    """
    bad = np.zeros(len(raw), dtype=bool)
    joined = None if _CROSSES_LINES.search(pattern) else _joined_lines(raw, ok)
    if joined is None:
        matches = raw.str.fullmatch(pattern).fillna(False).to_numpy(dtype=bool)
        return ok & ~matches
    text, positions = joined
    # Fast path: one possessive match of every line. Atomic groups never backtrack, so this can
    # refuse a valid line (pattern 'a|ab' on 'ab'); then the exact search below decides.
    if not len(positions) or re.fullmatch(f"(?:(?>{pattern})\n)*+(?>{pattern})", text):
        return bad
    misfits = [m.start() for m in re.finditer(f"^(?!(?:{pattern})$)", text, re.MULTILINE)]
    bad[positions[_line_numbers(text, misfits)]] = True
    return bad


def parse_field(raw: pd.Series, spec: dict[str, Any], rep: Reporter, today: date) -> ParsedField:
    """Validate ``raw`` (strings, '' for empty) against field ``spec`` and return the typed column.

    Each distinct value is checked and converted once (``pd.factorize``); the rows then take their
    result by code, so the cost follows the number of distinct values, not of rows.
    """
    name = spec["name"]
    constraints = spec.get("constraints", {})
    codes, uniques = pd.factorize(raw.to_numpy(dtype=object))  # the object array: no per-value str checks
    values = pd.Series(np.asarray(uniques, dtype=object), dtype=object)  # distinct raw strings
    present_u = values.ne("").to_numpy()
    present = present_u[codes] if len(codes) else np.zeros(0, dtype=bool)
    ftype = spec.get("type", "string")
    parser = _PARSERS.get(ftype)
    if parser is None:
        rep.table("known-type", f"field type {ftype!r} is not supported", column=name)
        return ParsedField(raw.where(raw.ne("")))
    typed_u, checks = parser(values, present_u, spec)
    if _is_free_text(spec):
        checks.insert(0, (_stray_whitespace(values, present_u), "no-stray-whitespace", _WHITESPACE_MESSAGE))
    else:
        checks = _diagnose_whitespace(values, checks)
    bad_u = np.zeros(len(values), dtype=bool)
    for mask_u, rule, message in checks:
        new = mask_u & ~bad_u
        if new.any():
            rep.flag(new[codes], name, raw, rule, message)
        bad_u |= mask_u
    if constraints.get("required"):
        rep.flag(~present, name, raw, "required", "is required but empty")
    ok_u = present_u & ~bad_u
    ok = ok_u[codes] if len(codes) else present
    _check_constraints(typed_u, values, ok_u, codes, raw, spec, rep)
    parsed = typed_u.assemble(codes, ok)
    if "x_date_range" in spec:
        _check_date_range(typed_u, ok_u, codes, raw, spec, rep, today)
    parsed.distinct, parsed.codes = values.tolist(), codes
    return parsed


_WHITESPACE_MESSAGE = "has spaces or other whitespace around the value"


@dataclass
class Typed:
    """Typed results for the distinct values of a column, and how to spread them over the rows."""

    kind: str
    values: Any  # per distinct value: numbers, timestamps, tuples, category codes or strings
    derived: dict[str, Any] = field(default_factory=dict)

    def assemble(self, codes: np.ndarray, ok: np.ndarray) -> ParsedField:
        """The typed column for rows with these codes; rows that are empty or invalid become missing."""
        return ParsedField(
            self._take(self.values, codes, ok), {k: self._take(v, codes, ok) for k, v in self.derived.items()}
        )

    def _take(self, per_unique: Any, codes: np.ndarray, ok: np.ndarray) -> pd.Series:
        if isinstance(per_unique, pd.Categorical):
            cat_codes = np.where(ok, per_unique.codes[codes], -1)
            return pd.Series(pd.Categorical.from_codes(cat_codes, dtype=per_unique.dtype))
        if isinstance(per_unique, np.ndarray):
            taken = per_unique[codes]
            if taken.dtype.kind == "M":
                taken[~ok] = np.datetime64("NaT")
                return pd.Series(taken)
            if self.kind != "list":  # a list's empty or invalid value already holds ()
                taken[~ok] = None
            return pd.Series(taken, dtype="str" if self.kind == "string" else object)
        taken = per_unique.take(codes)
        taken[~ok] = pd.NA
        return pd.Series(taken)


def _is_free_text(spec: dict[str, Any]) -> bool:
    """A string field with no format of its own, where whitespace must be checked explicitly."""
    constraints = spec.get("constraints", {})
    return (
        spec.get("type", "string") == "string"
        and not constraints.get("pattern")
        and not constraints.get("enum")
        and not spec.get("x_partial_date")
        and "x_list" not in spec
    )


def _diagnose_whitespace(
    values: pd.Series, checks: list[tuple[np.ndarray, str, str]]
) -> list[tuple[np.ndarray, str, str]]:
    """Among values that fail a format check, name those that only have stray whitespace."""
    failing = np.zeros(len(values), dtype=bool)
    for mask, _rule, _message in checks:
        failing |= mask
    if not failing.any():
        return checks
    stray = failing & values.ne(values.str.strip()).to_numpy()
    return [(stray, "no-stray-whitespace", _WHITESPACE_MESSAGE), *[(m & ~stray, r, msg) for m, r, msg in checks]]


def _parse_string(values, present, spec):
    constraints = spec.get("constraints", {})
    if spec.get("x_partial_date"):
        return _parse_partial_date(values, present, spec)
    if "x_list" in spec:
        return _parse_list(values, present, spec)
    checks = []
    enum = constraints.get("enum")
    if enum:
        bad = present & ~values.isin(enum).to_numpy()
        checks.append((bad, "enum", f"is not one of the allowed values: {', '.join(map(str, enum))}"))
        return Typed("category", pd.Categorical(values.where(pd.Series(present & ~bad)), categories=enum)), checks
    if constraints.get("pattern"):
        checks.append(
            (
                _bad_format(values, present, constraints["pattern"]),
                "pattern",
                f"does not match the pattern {constraints['pattern']}",
            )
        )
    return Typed("string", values.to_numpy(dtype=object)), checks


def _parse_integer(values, present, spec):
    bad = _bad_format(values, present, _INTEGER)
    good = present & ~bad
    numbers = np.zeros(len(values), dtype=np.int64)
    if good.any():
        numbers[good] = pd.to_numeric(values[good]).to_numpy(dtype=np.int64)
    typed = pd.array(numbers, dtype="Int64")
    typed[~good] = pd.NA
    return Typed("integer", typed), [(bad, "type-integer", "is not a whole number (or has more than 18 digits)")]


def _parse_number(values, present, spec):
    bad = _bad_format(values, present, _NUMBER)
    numbers = pd.to_numeric(values.where(pd.Series(present & ~bad)), errors="coerce").to_numpy(dtype=float)
    infinite = present & ~bad & np.isinf(numbers)
    typed = pd.array(np.where(present & ~bad & ~infinite, numbers, np.nan), dtype="Float64")
    return Typed("number", typed), [
        (bad, "type-number", "is not a decimal number"),
        (infinite, "type-number", "is too large to represent"),
    ]


def _parse_boolean(values, present, spec):
    true_values = spec.get("trueValues", ["true", "True", "TRUE", "1"])
    false_values = spec.get("falseValues", ["false", "False", "FALSE", "0"])
    is_true = values.isin(true_values).to_numpy()
    bad = present & ~(is_true | values.isin(false_values).to_numpy())
    typed = pd.array(is_true, dtype="boolean")
    typed[bad | ~present] = pd.NA
    message = f"is not a boolean ({' or '.join(map(repr, [*true_values, *false_values]))})"
    return Typed("boolean", typed), [(bad, "type-boolean", message)]


def _parse_date(values, present, spec):
    bad = _bad_format(values, present, _DATE)
    dates = pd.to_datetime(values.where(pd.Series(present & ~bad)), format="%Y-%m-%d", errors="coerce")
    bad |= present & dates.isna().to_numpy()
    return Typed("date", dates.to_numpy()), [(bad, "type-date", "is not a calendar date in the form YYYY-MM-DD")]


def _parse_datetime(values, present, spec):
    fmt = spec.get("format", "default")
    fmt = "%Y-%m-%dT%H:%M:%SZ" if fmt in ("default", "any") else fmt
    stamps = pd.to_datetime(values.where(pd.Series(present)), format=fmt, errors="coerce")
    bad = present & stamps.isna().to_numpy()
    return Typed("datetime", stamps.to_numpy()), [(bad, "type-datetime", f"is not a date and time in the format {fmt}")]


def _parse_partial_date(values, present, spec):
    """Parse YYYY, YYYY-MM or YYYY-MM-DD, keeping the precision and the first and last day covered."""
    name = spec["name"]
    bad = _bad_format(values, present, _PARTIAL_DATE)
    lengths = values.str.len().fillna(0).to_numpy()
    full = values.copy()
    full[lengths == 4] = values[lengths == 4] + "-01-01"
    full[lengths == 7] = values[lengths == 7] + "-01"
    start = pd.to_datetime(full.where(pd.Series(present & ~bad)), format="%Y-%m-%d", errors="coerce")
    bad |= present & start.isna().to_numpy()
    good = pd.Series(present & ~bad)
    start = start.where(good)
    precision = pd.Categorical(
        np.select([lengths == 4, lengths == 7, lengths == 10], list(PRECISIONS), default=None),
        categories=list(PRECISIONS),
    )
    precision[~good.to_numpy()] = np.nan
    end = start.copy()
    year, month = lengths == 4, lengths == 7
    end[year & good] = start[year & good] + pd.offsets.YearEnd(0)
    end[month & good] = start[month & good] + pd.offsets.MonthEnd(0)
    typed = Typed(
        "string",
        values.to_numpy(dtype=object),
        {f"{name}_first": start.to_numpy(), f"{name}_last": end.to_numpy(), f"{name}_precision": precision},
    )
    message = "is not a partial ISO date: YYYY, YYYY-MM or YYYY-MM-DD with a real month and day"
    return typed, [(bad, "partial-date", message)]


def _parse_list(values, present, spec):
    """Split a delimited list into tuples (empty cell: empty tuple), once per distinct value."""
    options = spec["x_list"]
    sep = options.get("separator", ";")
    item = _INTEGER if options.get("item_type") == "integer" else r"[^" + re.escape(sep) + r"]+"
    bad = _bad_format(values, present, f"{item}({re.escape(sep)}{item})*")
    convert = int if options.get("item_type") == "integer" else str
    tuples = np.empty(len(values), dtype=object)
    tuples[:] = [
        tuple(convert(x) for x in v.split(sep)) if ok else () for v, ok in zip(values, present & ~bad, strict=True)
    ]
    message = f"is not a list of {options.get('item_type', 'string')} items separated by {sep!r}"
    return Typed("list", tuples), [(bad, "list", message)]


_PARSERS = {
    "string": _parse_string,
    "integer": _parse_integer,
    "number": _parse_number,
    "boolean": _parse_boolean,
    "date": _parse_date,
    "datetime": _parse_datetime,
}


def _check_constraints(
    typed: Typed,
    values: pd.Series,
    ok_u: np.ndarray,
    codes: np.ndarray,
    raw: pd.Series,
    spec: dict[str, Any],
    rep: Reporter,
) -> None:
    """Apply minimum, maximum and unique constraints (pattern and enum are checked while parsing)."""
    name, constraints = spec["name"], spec.get("constraints", {})
    for key, op, word in (("minimum", np.less, "below the minimum"), ("maximum", np.greater, "above the maximum")):
        if key in constraints and typed.kind in ("integer", "number"):
            numbers = pd.array(typed.values, dtype="Float64").fillna(0).to_numpy(dtype=float)
            bad_u = ok_u & op(numbers, float(constraints[key]))
            if bad_u.any():
                rep.flag(bad_u[codes], name, raw, key, f"is {word} {constraints[key]}")
    if constraints.get("unique") and len(codes):
        repeated_u = np.bincount(codes, minlength=len(values)) > 1
        rep.flag((repeated_u & ok_u)[codes], name, raw, "unique", "appears in more than one row but must be unique")


def _check_date_range(
    typed: Typed, ok_u: np.ndarray, codes: np.ndarray, raw: pd.Series, spec: dict[str, Any], rep: Reporter, today: date
) -> None:
    """Every date must fall between the range's min and today (for partial dates: overlap it)."""
    name, bounds = spec["name"], spec["x_date_range"]
    low = pd.Timestamp(bounds.get("min", "0001-01-01"))
    high = pd.Timestamp(today if bounds.get("max", "today") == "today" else bounds["max"])
    first = pd.Series(typed.derived.get(f"{name}_first", typed.values))
    last = pd.Series(typed.derived.get(f"{name}_last", typed.values))
    bad_u = ok_u & ((last < low) | (first > high)).fillna(False).to_numpy(dtype=bool)
    if bad_u.any():
        rep.flag(bad_u[codes], name, raw, "date-range", f"is outside the allowed range {low.date()} to {high.date()}")


def columns_in_order(schema_names: Iterable[str], parsed: dict[str, ParsedField]) -> dict[str, pd.Series]:
    """Typed columns in schema order, each followed by the columns derived from it."""
    out: dict[str, pd.Series] = {}
    for name in schema_names:
        out[name] = parsed[name].values
        out.update(parsed[name].derived)
    return out
