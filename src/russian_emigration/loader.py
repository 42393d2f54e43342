"""Load and validate the data package into typed pandas DataFrames.

Everything about tables, columns, types, constraints, keys and rules is read from
``datapackage.json``: nothing here names a table or a column. Each table is checked in two
pandera passes generated from its Table Schema, and every failure becomes a :class:`Problem`
naming the file, spreadsheet row, column, value and rule:

1. the cells as text: ``required``, stray whitespace, the descriptor's ``x_text_checks``
   (invisible characters, a spreadsheet formula), the type's form (ASCII digits only), ``enum``,
   ``pattern``, ``minLength``/``maxLength``;
2. the typed table: ``minimum``/``maximum``, ``unique``, the primary key (compared after typing,
   so ``08010`` repeats ``8010``), ``x_date_range`` and the ``x_rules`` cross-field rules.

A cell that fails the first pass is reported once, for the first rule it breaks, and is never
typed silently into a missing value. Foreign keys are checked across tables at the end.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from russian_emigration.dataset import Dataset, data_dir
from russian_emigration.descriptor import descriptor_path, newest_allowed_date, read_descriptor, read_text
from russian_emigration.errors import DatasetError, Problem

__all__ = ["Dataset", "data_dir", "load_dataset"]

#: Per file, column and rule, how many offending rows are listed one by one.
MAX_ROWS_PER_RULE = 20
#: Table Schema's default boolean values: a spreadsheet saves TRUE and FALSE.
TRUE_VALUES, FALSE_VALUES = ["true", "True", "TRUE", "1"], ["false", "False", "FALSE", "0"]
PRECISIONS = ["year", "month", "day"]
NUMBER_FORM = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?"
PARTIAL_DATE_FORM = "[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?"
#: Characters a reader cannot see: byte-order mark, zero-width spaces and joiners, bidi controls.
INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
#: What a spreadsheet runs as a formula: a cell starting with = or @, or with + or - before anything
#: but a plain number ("+17,283" stays text; "-2+3" and "+cmd|..." do not).
FORMULA = re.compile(r"[=@]|[+-](?![0-9][0-9,.]*%?$)")
BARE = "ASCII digits, no %, units or thousands separators"

#: A check: its rule, its message and the test (a Series of text in, True where a value passes).
TextCheck = tuple[str, str, Callable[[pd.Series], pd.Series]]


def load_dataset(path: str | Path | None = None, *, today: date | None = None) -> Dataset:
    """Read, type and validate the data package; return its tables as a :class:`Dataset`.

    ``path`` is a data package folder or its ``datapackage.json``; None means the bundled package.
    Dates may not fall after ``today`` (default: the current date) or, if later, the package's
    ``created`` day. Raises :class:`DatasetError` listing every problem in every table, foreign
    keys included, each with its file, spreadsheet row, column, value and rule.
    """
    today = today or date.today()
    descriptor_file = descriptor_path(data_dir() if path is None else path)
    descriptor = read_descriptor(descriptor_file, today)
    base, newest = descriptor_file.parent, newest_allowed_date(descriptor, today)
    problems: list[Problem] = []
    raws: dict[str, pd.DataFrame] = {}
    tables: dict[str, pd.DataFrame] = {}
    for resource in descriptor["resources"]:
        where = f"{base.name}/{resource['path']}" if base.name else resource["path"]
        try:
            text = read_text(base / resource["path"], where)
        except DatasetError as exc:
            problems += exc.problems
            continue
        checks = tuple(descriptor.get("x_text_checks", []))
        raw, table, found = _table(text, json.dumps(resource, sort_keys=True), where, newest, checks)
        if raw is not None and table is not None:
            raws[resource["name"]], tables[resource["name"]] = raw, table.copy()  # the caller may change it
        problems += found
    problems += _foreign_key_problems(descriptor, base.name, raws, tables)
    if problems:
        raise DatasetError(problems)
    return Dataset(tables, descriptor, base)


# Loading a package again (a copy with one file edited, each notebook of a build) validates only the
# tables whose text changed: two packages' worth of tables are remembered in this process.
@functools.lru_cache(maxsize=16)
def _table(
    text: str, resource_json: str, where: str, newest: date, text_checks: tuple[str, ...]
) -> tuple[pd.DataFrame | None, pd.DataFrame | None, tuple[Problem, ...]]:
    """The cells as text, the typed table and the problems of one table's text (None where unreadable)."""
    resource = json.loads(resource_json)
    try:
        raw = _read_table(text, resource, where)
    except DatasetError as exc:
        return None, None, exc.problems
    table, problems = _validated(raw, resource, where, newest, list(text_checks))
    return raw, table, tuple(problems)


# --- Reading the CSV -----------------------------------------------------------------------------


def _read_table(text: str, resource: dict[str, Any], where: str) -> pd.DataFrame:
    """The CSV's cells as text ('' for empty), or DatasetError when its structure is broken.

    Accepts what spreadsheets write: a byte-order mark, CRLF, quoted fields, no final newline,
    blank lines at the end and empty columns after the last one.
    """
    names = [f["name"] for f in resource["schema"]["fields"]]

    def fail(rule: str, message: str, row: int | None = None, column: str | None = None) -> DatasetError:
        return DatasetError([Problem(where, row, column, None, rule, message)])

    if "\x00" in text:
        raise fail("no_nul", "contains a NUL character", text.count("\n", 0, text.index("\x00")) + 1)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        records = list(reader)
    except csv.Error as exc:
        raise fail("csv_syntax", f"is not valid CSV ({exc})", reader.line_num) from None
    while records and not any(records[-1]):
        records.pop()
    if not records:
        raise fail("has_header", "has no header row", 1)
    header = records[0]
    while len(header) > len(names) and header[-1] == "":
        header.pop()
    if len(header) == 1 and ";" in header[0]:
        raise fail("delimiter", "separates its cells with ';'; save it as CSV with ',' between cells", 1)
    _check_header(header, names, where)
    problems = []
    for number, record in enumerate(records[1:], start=2):
        while len(record) > len(names) and record[-1] == "":
            record.pop()
        if len(record) != len(names):
            what = "is a blank line" if not any(record) else f"has {len(record)} cells and the header {len(names)}"
            problems.append(Problem(where, number, None, None, "cell_count", what + " (a stray comma?)"))
    if problems:
        raise DatasetError(problems[:MAX_ROWS_PER_RULE])
    return pd.DataFrame(records[1:], columns=names, dtype=object)


def _check_header(header: list[str], names: list[str], where: str) -> None:
    """The header row must hold the schema's names, each once, in order."""
    problems = []
    for name in [n for n in dict.fromkeys(header) if header.count(n) > 1]:
        problems.append(Problem(where, 1, name, None, "header_unique", "appears more than once in the header"))
    for name in [n for n in names if n not in header]:
        problems.append(Problem(where, 1, name, None, "header_complete", "is in the schema but not in the header"))
    for name in [n for n in dict.fromkeys(header) if n not in names]:
        message = "is in the header but not in the schema (extra or renamed)"
        problems.append(Problem(where, 1, name, None, "header_known", message))
    if not problems and header != names:
        message = f"columns are out of order; expected: {', '.join(names)}"
        problems.append(Problem(where, 1, None, None, "header_order", message))
    if problems:
        raise DatasetError(problems)


# --- Pass 1: the cells as text -------------------------------------------------------------------


def _matches(form: str) -> Callable[[pd.Series], pd.Series]:
    compiled = re.compile(form)
    return lambda s: s.map(lambda v: compiled.fullmatch(v) is not None).astype(bool)


def _parses(fmt: str) -> Callable[[pd.Series], pd.Series]:
    return lambda s: s.map(str.isascii).astype(bool) & pd.to_datetime(s, format=fmt, errors="coerce").notna()


def _partial_starts(s: pd.Series) -> pd.Series:
    """The first day each YYYY, YYYY-MM or YYYY-MM-DD value covers (NaT if it is no real date)."""
    padded = s.where(_matches(PARTIAL_DATE_FORM)(s)).map(lambda v: (v + "-01-01")[:10], na_action="ignore")
    return pd.to_datetime(padded, format="%Y-%m-%d", errors="coerce")


def _finite_number(s: pd.Series) -> pd.Series:
    return _matches(NUMBER_FORM)(s) & np.isfinite(pd.to_numeric(s, errors="coerce").astype(float))


def _form_check(spec: dict[str, Any]) -> TextCheck | None:
    """The check of a value's form for the field's type (None for free text)."""
    kind = spec.get("type", "string")
    if spec.get("x_partial_date"):
        message = "is not a partial ISO date: YYYY, YYYY-MM or YYYY-MM-DD with a real month and day"
        return ("partial_date", message, lambda s: _partial_starts(s).notna())
    if "x_list" in spec:
        sep, item_type = re.escape(spec["x_list"].get("separator", ";")), spec["x_list"].get("item_type", "string")
        item = "[0-9]{1,18}" if item_type == "integer" else f"[^{sep}]+"
        return ("list", f"is not a list of {item_type} items separated by {sep!r}", _matches(f"{item}({sep}{item})*"))
    if kind == "boolean":
        values = spec.get("trueValues", TRUE_VALUES) + spec.get("falseValues", FALSE_VALUES)
        return ("type_boolean", f"is not a boolean ({' or '.join(map(repr, values))})", lambda s: s.isin(values))
    if kind == "datetime":
        fmt = _datetime_format(spec)
        return ("type_datetime", f"is not a date and time in the format {fmt}", _parses(fmt))
    forms: dict[str, TextCheck] = {
        "integer": ("type_integer", f"is not a whole number ({BARE}; at most 18 digits)", _matches("[+-]?[0-9]{1,18}")),
        "number": ("type_number", f"is not a decimal number ({BARE}) or is too large", _finite_number),
        "date": ("type_date", "is not a calendar date in the form YYYY-MM-DD", _parses("%Y-%m-%d")),
        "uri": ("format", "is not a web address (scheme:address, no spaces)", _matches(r"[A-Za-z][A-Za-z0-9+.-]*:\S+")),
    }
    return forms.get("uri" if spec.get("format") == "uri" else kind)


def _datetime_format(spec: dict[str, Any]) -> str:
    fmt = spec.get("format", "default")
    return "%Y-%m-%dT%H:%M:%SZ" if fmt == "default" else str(fmt)


#: The checks the descriptor's ``x_text_checks`` may ask of every cell of text.
TEXT_CHECKS: dict[str, TextCheck] = {
    "no_invisible": (
        "no_invisible",
        "holds an invisible character (byte-order mark, zero-width space or direction mark); retype it",
        lambda s: ~s.str.contains(INVISIBLE),
    ),
    "no_formula": (
        "no_formula",
        "starts like a formula (= or @, or + or - before anything but a number), which a spreadsheet runs; reword it",
        lambda s: ~s.map(lambda v: FORMULA.match(v) is not None).astype(bool),
    ),
}


def _text_checks(spec: dict[str, Any]) -> list[TextCheck]:
    """A field's own checks of its non-empty text, in the order a value is reported for the first it breaks."""
    constraints = spec.get("constraints", {})
    form = _form_check(spec)
    checks: list[TextCheck] = [form] if form else []
    if "enum" in constraints:
        allowed = constraints["enum"]
        checks.append(("enum", f"is not one of the allowed values: {', '.join(allowed)}", lambda s: s.isin(allowed)))
    if "pattern" in constraints:
        pattern = constraints["pattern"]
        checks.append(("pattern", f"does not match the pattern {pattern}", _matches(pattern)))
    for key, compare in (("minLength", np.greater_equal), ("maxLength", np.less_equal)):
        if key in constraints:
            limit = constraints[key]
            checks.append((key, f"breaks the {key} {limit}", _length_check(compare, limit)))
    return checks


def _length_check(compare: Callable[[Any, Any], Any], limit: int) -> Callable[[pd.Series], pd.Series]:
    return lambda s: compare(s.str.len(), limit)


def _common_checks(spec: dict[str, Any], text_checks: list[str]) -> list[TextCheck]:
    """The checks a value meets first: no stray whitespace, and in free text (a string field without
    an enum or a pattern) the descriptor's ``x_text_checks``."""
    stray = ("no_stray_whitespace", "has spaces or other whitespace around the value", lambda s: s == s.str.strip())
    free = spec.get("type", "string") == "string" and not {"enum", "pattern"} & set(spec.get("constraints", {}))
    return [stray, *(TEXT_CHECKS[name] for name in text_checks if free)]


# --- Pass 2: the typed table ---------------------------------------------------------------------


def _typed_columns(spec: dict[str, Any], text: pd.Series) -> dict[str, pd.Series]:
    """The typed column(s) of a field from its valid text (missing where empty or refused).

    A partial date also gives ``<name>_first``, ``<name>_last`` and ``<name>_precision``.
    """
    name, kind = spec["name"], spec.get("type", "string")
    valid = text.dropna()
    if spec.get("x_partial_date"):
        first = _partial_starts(valid).reindex(text.index)
        precision = text.str.len().map({4: 0, 7: 1, 10: 2}).fillna(-1).astype(int)
        ends = {0: pd.offsets.YearEnd(0), 1: pd.offsets.MonthEnd(0)}
        last = first.copy()
        for code, offset in ends.items():
            last[precision == code] = first[precision == code] + offset
        return {
            name: text.astype("str"),
            f"{name}_first": first,
            f"{name}_last": last,
            f"{name}_precision": pd.Series(pd.Categorical.from_codes(precision, PRECISIONS), index=text.index),
        }
    if "x_list" in spec:
        item = int if spec["x_list"].get("item_type") == "integer" else str
        sep = spec["x_list"].get("separator", ";")
        return {name: text.map(lambda v: tuple(map(item, v.split(sep))), na_action="ignore").astype(object)}
    if kind == "string" and "enum" in spec.get("constraints", {}):
        return {name: pd.Series(pd.Categorical(text, categories=spec["constraints"]["enum"]), index=text.index)}
    converters: dict[str, Callable[[], Any]] = {
        "integer": lambda: pd.array(valid.map(int).reindex(text.index), dtype="Int64"),
        "number": lambda: pd.to_numeric(text).astype("Float64"),
        "boolean": lambda: pd.array(
            text.map(spec.get("trueValues", TRUE_VALUES).__contains__, na_action="ignore"), dtype="boolean"
        ),
        "date": lambda: pd.to_datetime(text, format="%Y-%m-%d"),
        "datetime": lambda: pd.to_datetime(text, format=_datetime_format(spec)),
    }
    convert = converters.get(kind, lambda: text.astype("str"))
    return {name: pd.Series(convert(), index=text.index)}


def _typed_schema(resource: dict[str, Any], newest: date) -> tuple[Any, dict[str, tuple[str, str, str]]]:
    """The pandera schema of the typed table, and each check's (column reported, rule, message) by name."""
    import pandera.pandas as pa

    columns, meanings, key = {}, {}, _names(resource["schema"].get("primaryKey"))
    for spec in resource["schema"]["fields"]:
        name, constraints, checks = spec["name"], spec.get("constraints", {}), []
        for rule, within, word in (("minimum", np.greater_equal, "below"), ("maximum", np.less_equal, "above")):
            if rule in constraints:
                checks.append(pa.Check(lambda s, w=within, n=constraints[rule]: w(s, n), name=f"{name}:{rule}"))
                meanings[f"{name}:{rule}"] = (name, rule, f"is {word} the {rule} {constraints[rule]}")
        unique = bool(constraints.get("unique")) or key == [name]
        columns[name] = pa.Column(None, checks=checks, unique=unique, nullable=True)
    frame_checks = [_date_range(spec, newest) for spec in resource["schema"]["fields"] if "x_date_range" in spec]
    frame_checks += [_cross_field_rule(rule) for rule in resource.get("x_rules", [])]
    meanings.update({f"#{n}": (column, rule, message) for n, (column, rule, message, _) in enumerate(frame_checks)})
    checks = [pa.Check(test, name=f"#{n}") for n, (*_, test) in enumerate(frame_checks)]
    return pa.DataFrameSchema(columns, checks=checks, unique=key if len(key) > 1 else None), meanings


#: A check of the typed table: the column it reports, its rule, its message, its row-wise test.
FrameCheck = tuple[str, str, str, Callable[[pd.DataFrame], pd.Series]]


def _date_range(spec: dict[str, Any], newest: date) -> FrameCheck:
    """Every date must fall in the range; a partial date must overlap it."""
    name, bounds = spec["name"], spec["x_date_range"]
    low = bounds.get("min", "0001-01-01")
    high = newest.isoformat() if bounds.get("max", "today") == "today" else bounds["max"]
    first, last = (f"{name}_first", f"{name}_last") if spec.get("x_partial_date") else (name, name)
    message = f"is outside the allowed range {low} to {high}"
    end = pd.Timestamp(high) + pd.Timedelta(days=1)
    return name, "date_range", message, lambda df: ~((df[last] < pd.Timestamp(low)) | (df[first] >= end)).fillna(False)


def _cross_field_rule(rule: dict[str, Any]) -> FrameCheck:
    """One x_rules entry as (rule, message, row-wise test of the typed table)."""
    kind = rule["rule"]
    if kind == "row_sum":
        fields, low, high = rule["fields"], rule["min"], rule["max"]
        message = f"the shares {' + '.join(fields)} add up to less than {low} or more than {high}"
        total = "+".join(fields)
        return (
            total,
            kind,
            message,
            lambda df: ~df[fields].notna().any(axis=1) | df[fields].sum(axis=1).between(low, high),
        )
    field = rule["field"]
    if kind == "not_less_than":
        other, description = rule["other"], rule.get("description", "")
        message = f"is less than {other} ({description})"
        return field, kind, message, lambda df: ~(df[field] < df[other]).fillna(False)
    when, values = rule["when_field"], rule["in"]  # "" in values means: when the other cell is empty
    verb, condition = ("must be filled", "is") if kind == "required_if" else ("must be empty", "is not")
    message = f"{verb} when {when} {condition} {' or '.join(v or 'empty' for v in values)}"

    def met(df: pd.DataFrame) -> pd.Series:
        return df[when].astype(object).where(df[when].notna(), "").isin(values)

    if kind == "required_if":
        return field, kind, message, lambda df: ~(met(df) & df[field].isna())
    return field, kind, message, lambda df: met(df) | df[field].isna()


def _names(value: str | list[str] | None) -> list[str]:
    """A key's field names: the descriptor gives one as a string, several as a list."""
    return [value] if isinstance(value, str) else list(value or [])


# --- Both passes, and their problems -------------------------------------------------------------


def _validated(
    raw: pd.DataFrame, resource: dict[str, Any], where: str, newest: date, text_checks: list[str]
) -> tuple[pd.DataFrame, list]:
    """The typed table and every problem of one table (pandera, both passes)."""
    import pandera.pandas as pa

    specs, key = resource["schema"]["fields"], _names(resource["schema"].get("primaryKey"))
    text = raw.where(raw != "")
    meanings: dict[str, tuple[str | None, str, str]] = {}
    columns = {}
    for spec in specs:
        name, checks = spec["name"], _common_checks(spec, text_checks) + _text_checks(spec)
        meanings.update({f"{name}:{rule}": (name, rule, message) for rule, message, _ in checks})
        required = bool(spec.get("constraints", {}).get("required")) or name in key
        checks_ = [pa.Check(test, name=f"{name}:{rule}") for rule, _, test in checks]
        columns[name] = pa.Column(None, checks=checks_, nullable=not required)
    cases = _failure_cases(pa.DataFrameSchema(columns), text)
    first = cases.sort_values(["index", "column", "check_number"], na_position="first")
    first = first.drop_duplicates(["index", "column"])  # a value is reported for the first rule it breaks
    problems = _problems(first, raw, where, meanings, key)
    for column, rows in first[first["check"] == first["column"] + ":pattern"].groupby("column"):
        if len(rows) >= 3 and len(rows) == text[column].notna().sum():  # the pattern, likely, is wrong
            message = "no value matches the pattern: check it in datapackage.json"
            problems.append(Problem(where, None, column, None, "pattern", message))
    for column, index in zip(first["column"], first["index"], strict=True):
        text.loc[index, column] = None  # refused: reported above, and typed as missing
    typed = pd.concat([pd.DataFrame(_typed_columns(spec, text[spec["name"]])) for spec in specs], axis=1)
    schema, typed_meanings = _typed_schema(resource, newest)
    cases = _failure_cases(schema, typed).drop_duplicates(["index", "check"])  # a frame check: once per row
    return typed, problems + _problems(cases, raw, where, dict(typed_meanings), key)


def _failure_cases(schema: Any, frame: pd.DataFrame) -> pd.DataFrame:
    """pandera's failure cases of ``frame``, one per failing cell (empty when it passes)."""
    import pandera.pandas as pa

    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        return cases[cases["index"].notna()].astype({"index": int})
    return pd.DataFrame(columns=["column", "check", "check_number", "index", "failure_case"])


#: pandera's own checks, as this project names them.
PANDERA_RULES = {
    "not_nullable": ("required", "is required but empty"),
    "field_uniqueness": ("unique", "appears in more than one row but must be unique"),
    "multiple_fields_uniqueness": ("primary_key", "repeats the primary key of another row"),
}


def _problems(
    cases: pd.DataFrame,
    raw: pd.DataFrame,
    where: str,
    meanings: dict[str, tuple[str | None, str, str]],
    key: list[str],
) -> list[Problem]:
    """One Problem per failing cell, at most MAX_ROWS_PER_RULE per column and rule (then a count)."""
    found: dict[tuple[str, str, str], set[tuple[int, str]]] = {}
    for case in cases.itertuples():
        if case.check in PANDERA_RULES:
            rule, message = PANDERA_RULES[case.check]
            column = ",".join(key) if rule == "primary_key" else str(case.column)
        else:
            named, rule, message = meanings[str(case.check)]
            column = named or str(case.column)
        names = [n for n in re.split("[,+]", column) if n in raw]
        cells = [str(raw[n].iat[case.index]) for n in names]
        value = f"{pd.to_numeric(pd.Series(cells), errors='coerce').sum():g}" if "+" in column else "|".join(cells)
        found.setdefault((column, rule, message), set()).add((case.index + 2, value))
    problems = []
    for (column, rule, message), rows in found.items():
        for row, value in sorted(rows)[:MAX_ROWS_PER_RULE]:
            problems.append(Problem(where, row, column, value, rule, message))
        if len(rows) > MAX_ROWS_PER_RULE:
            more = f"{message} (in {len(rows) - MAX_ROWS_PER_RULE} more rows not listed)"
            problems.append(Problem(where, None, column, None, rule, more))
    return problems


def _foreign_key_problems(
    descriptor: dict[str, Any], root: str, raws: dict[str, pd.DataFrame], tables: dict[str, pd.DataFrame]
) -> list[Problem]:
    """Every foreign key value must be a value of the referenced table (compared after typing)."""
    problems = []
    for resource in descriptor["resources"]:
        name, where = resource["name"], f"{root}/{resource['path']}" if root else resource["path"]
        for fk in resource["schema"].get("foreignKeys", []) if name in tables else []:
            fields, parent = _names(fk["fields"]), fk["reference"]["resource"] or name
            ref_fields = _names(fk["reference"]["fields"])
            if parent not in tables:  # a table that could not be read is reported already
                continue
            child = tables[name][fields].astype(object)
            present = child.notna().all(axis=1)
            known = pd.MultiIndex.from_frame(tables[parent][ref_fields].astype(object))
            refused = pd.MultiIndex.from_frame(raws[parent][ref_fields].apply(lambda c: c.str.strip()))
            for index in np.flatnonzero(present & ~pd.MultiIndex.from_frame(child).isin(known)):
                value = "|".join(raws[name][f].iat[index] for f in fields)
                message = f"is not a value of {parent}.{','.join(ref_fields)}"
                if tuple(raws[name][f].iat[index] for f in fields) in refused:
                    message += ": its row there has a problem of its own"
                problems.append(Problem(where, int(index) + 2, ",".join(fields), value, "foreign_key", message))
    return problems
