"""Load and validate the data package into typed pandas DataFrames, as ``datapackage.json`` describes it. Two
pandera schemas are generated from each Table Schema: one checks the cells as text (each is reported for the first
rule it breaks, never typed silently into a missing value), one the typed table. Foreign keys last."""

from __future__ import annotations

import csv
import functools
import io
import json
import re
from collections.abc import Callable, Collection, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from russian_emigration.dataset import Dataset, data_dir
from russian_emigration.descriptor import descriptor_path, newest_allowed_date, read_descriptor, read_text
from russian_emigration.errors import DatasetError, Problem

#: Per file, column and rule, how many offending rows are listed one by one.
MAX_ROWS_PER_RULE = 20
#: Table Schema's default boolean values: a spreadsheet saves TRUE and FALSE.
TRUE_VALUES, FALSE_VALUES = ["true", "True", "TRUE", "1"], ["false", "False", "FALSE", "0"]
NUMBER_FORM = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?"
#: Characters a reader cannot see: byte-order mark, zero-width spaces and joiners, bidi controls.
INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
#: What a spreadsheet runs as a formula: = or @ first, or + or - before anything but a number ("+17,283").
FORMULA = re.compile(r"[=@]|[+-](?![0-9][0-9,.]*%?$)")
BARE = "ASCII digits, no %, units or thousands separators"

#: Checks: of a column, (rule, message, test); of a table, (column reported, rule, message, row-wise test).
ColumnCheck = tuple[str, str, Callable[..., pd.Series]]
FrameCheck = tuple[str, str, str, Callable[..., pd.Series]]


def load_dataset(path: str | Path | None = None, *, today: date | None = None) -> Dataset:
    """Read, type and validate the data package; return its tables as a :class:`Dataset`.

    ``path``: a package folder or its ``datapackage.json`` (None: the bundled one); no date may fall after
    ``today`` or the package's ``created`` day. Raises :class:`DatasetError` listing every problem."""
    today = today or date.today()
    descriptor_file = descriptor_path(data_dir() if path is None else path)
    descriptor = read_descriptor(descriptor_file, today)
    base, newest = descriptor_file.parent, newest_allowed_date(descriptor, today)
    text_checks = tuple(descriptor.get("x_text_checks", []))
    problems: list[Problem] = []
    loaded: dict[str, tuple[str, pd.DataFrame, pd.DataFrame]] = {}  # name: (file, text, typed table)
    for resource in descriptor["resources"]:
        where = f"{base.name}/{resource['path']}" if base.name else resource["path"]
        try:
            text = read_text(base / resource["path"], where)
        except DatasetError as exc:
            problems += exc.problems
            continue
        frames, found = _table(text, json.dumps(resource, sort_keys=True), where, newest, text_checks)
        if frames is not None:
            loaded[resource["name"]] = (where, frames[0], frames[1].copy())  # the caller may change it
        problems += found
    problems += _foreign_key_problems(descriptor, loaded)
    if problems:
        raise DatasetError(problems)
    return Dataset({name: table for name, (_, _, table) in loaded.items()}, descriptor, base)


# A table whose text is unchanged (a package loaded again, by each notebook of a build) is validated once.
@functools.lru_cache(maxsize=16)
def _table(
    text: str, resource_json: str, where: str, newest: date, text_checks: tuple[str, ...]
) -> tuple[tuple[pd.DataFrame, pd.DataFrame] | None, tuple[Problem, ...]]:
    """A table's cells as text and typed (None if its CSV is broken), and its problems (two pandera passes)."""
    resource = json.loads(resource_json)
    specs, key = resource["schema"]["fields"], resource["schema"].get("primaryKey", [])
    try:
        raw = _read_table(text, [spec["name"] for spec in specs], where)
    except DatasetError as exc:
        return None, exc.problems
    checks = {spec["name"]: _text_checks(spec, text_checks) for spec in specs}
    required = [spec["name"] for spec in specs if spec.get("constraints", {}).get("required") or spec["name"] in key]
    cells = raw.where(raw != "")
    first = _failures(cells, checks, required=required).sort_values(["index", "column", "check_number"])
    first = first.drop_duplicates(["index", "column"])  # a value is reported for the first rule it breaks
    for column, index in zip(first["column"], first["index"], strict=True):
        cells.loc[index, column] = None  # refused: reported, and typed as missing
    columns: dict[str, pd.Series] = {}
    for spec in specs:
        name = spec["name"]
        columns[name] = pd.Series(_field_type(spec)[1](cells[name]), index=cells.index)
        columns.update(_partial_dates(name, cells[name]) if spec.get("x_partial_date") else {})
    typed = pd.DataFrame(columns)
    checks = {spec["name"]: _bounds(spec, "minimum", "maximum", "is {word} the {rule} {n}") for spec in specs}
    frame_checks = [_date_range(spec, newest) for spec in specs if "x_date_range" in spec]
    frame_checks += [_cross_field_rule(rule) for rule in resource.get("x_rules", [])]
    unique = [spec["name"] for spec in specs if spec.get("constraints", {}).get("unique") or key == [spec["name"]]]
    failures = _failures(typed, checks, frame_checks, unique=unique, key=key if len(key) > 1 else None)
    return (raw, typed), tuple(_problems(first, raw, where) + _problems(failures, raw, where))


def _read_table(text: str, names: list[str], where: str) -> pd.DataFrame:
    """The CSV's cells as text ('' for empty), spreadsheet saves included; DatasetError if its structure is broken."""

    def fail(rule: str, message: str, row: int) -> DatasetError:
        return DatasetError([Problem(where, row, None, None, rule, message)])

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
    for record in records:
        while len(record) > len(names) and record[-1] == "":
            record.pop()
    header = records[0]
    if len(header) == 1 and ";" in header[0]:
        raise fail("delimiter", "separates its cells with ';'; save it as CSV with ',' between cells", 1)
    seen = list(dict.fromkeys(header))
    found: list[tuple[str | None, str, str]]
    found = [(n, "header_unique", "appears more than once in the header") for n in seen if header.count(n) > 1]
    found += [(n, "header_complete", "is in the schema but not in the header") for n in names if n not in header]
    extra = "is in the header but not in the schema (extra or renamed)"
    found += [(n, "header_known", extra) for n in seen if n not in names]
    if not found and header != names:
        found = [(None, "header_order", f"columns are out of order; expected: {', '.join(names)}")]
    if found:
        raise DatasetError([Problem(where, 1, name, None, rule, message) for name, rule, message in found])
    problems = []
    for number, record in enumerate(records[1:], start=2):
        if len(record) != len(names):
            what = "is a blank line" if not any(record) else f"has {len(record)} cells and the header {len(names)}"
            problems.append(Problem(where, number, None, None, "cell_count", what + " (a stray comma?)"))
    if problems:
        raise DatasetError(problems[:MAX_ROWS_PER_RULE])
    return pd.DataFrame(records[1:], columns=names, dtype=object)


def _matches(form: str) -> Callable[[pd.Series], pd.Series]:
    return lambda s: s.str.fullmatch(form)


def _parses(fmt: str) -> Callable[[pd.Series], pd.Series]:  # with a digit: pandas reads 'today' whatever fmt
    return lambda s: s.str.fullmatch("[ -~]*[0-9][ -~]*") & pd.to_datetime(s, format=fmt, errors="coerce").notna()


def _partial_starts(s: pd.Series) -> pd.Series:
    """The first day each YYYY, YYYY-MM or YYYY-MM-DD value covers (NaT if it is no real date)."""
    padded = (s + "-01-01").str[:10].where(s.str.fullmatch("[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?"))
    return pd.to_datetime(padded, format="%Y-%m-%d", errors="coerce")


def _finite_number(s: pd.Series) -> pd.Series:
    return s.str.fullmatch(NUMBER_FORM) & np.isfinite(pd.to_numeric(s, errors="coerce").astype(float))


def _field_type(spec: dict[str, Any]) -> tuple[ColumnCheck | None, Callable[[pd.Series], Any]]:
    """The check of a value's form for the field's type (None for free text), and how valid text is typed."""
    kind, constraints = spec.get("type", "string"), spec.get("constraints", {})
    if spec.get("x_partial_date"):
        message = "is not a partial ISO date: YYYY, YYYY-MM or YYYY-MM-DD with a real month and day"
        return ("partial_date", message, lambda s: _partial_starts(s).notna()), lambda t: t.astype("str")
    if "x_list" in spec:
        sep, item_type = spec["x_list"].get("separator", ";"), spec["x_list"].get("item_type", "string")
        item, one = (int, "[0-9]{1,18}") if item_type == "integer" else (str, f"[^{re.escape(sep)}]+")
        message = f"is not a list of {item_type} items separated by {re.escape(sep)!r}"
        check = ("list", message, _matches(f"{one}({re.escape(sep)}{one})*"))
        return check, lambda t: t.map(lambda v: tuple(map(item, v.split(sep))), na_action="ignore").astype(object)
    if kind == "boolean":
        trues = spec.get("trueValues", TRUE_VALUES)
        values = trues + spec.get("falseValues", FALSE_VALUES)
        check = ("type_boolean", f"is not a boolean ({' or '.join(map(repr, values))})", lambda s: s.isin(values))
        return check, lambda t: pd.array(t.isin(trues).where(t.notna()), dtype="boolean")
    if kind == "integer":
        check = ("type_integer", f"is not a whole number ({BARE}; at most 18 digits)", _matches("[+-]?[0-9]{1,18}"))
        return check, lambda t: pd.array(t.dropna().map(int).reindex(t.index), dtype="Int64")
    if kind == "number":
        check = ("type_number", f"is not a decimal number ({BARE}) or is too large", _finite_number)
        return check, lambda t: pd.to_numeric(t).astype("Float64")
    if kind == "date":
        check = ("type_date", "is not a calendar date in the form YYYY-MM-DD", _parses("%Y-%m-%d"))
        return check, lambda t: pd.to_datetime(t, format="%Y-%m-%d")
    if kind == "datetime":
        fmt = "%Y-%m-%dT%H:%M:%SZ" if spec.get("format", "default") == "default" else str(spec["format"])
        check = ("type_datetime", f"is not a date and time in the format {fmt}", _parses(fmt))
        return check, lambda t: pd.to_datetime(t, format=fmt)
    uri = _matches(r"[A-Za-z][A-Za-z0-9+.-]*:\S+")
    form = ("format", "is not a web address (scheme:address, no spaces)", uri) if spec.get("format") == "uri" else None
    if kind == "string" and "enum" in constraints:
        return form, lambda t: pd.Categorical(t, categories=constraints["enum"])
    return form, lambda t: t.astype("str")


#: The checks the descriptor's ``x_text_checks`` may ask of every cell of text.
TEXT_CHECKS: dict[str, ColumnCheck] = {
    "no_invisible": (
        "no_invisible",
        "holds an invisible character (byte-order mark, zero-width space or direction mark); retype it",
        lambda s: ~s.str.contains(INVISIBLE),
    ),
    "no_formula": (
        "no_formula",
        "starts like a formula (= or @, or + or - before anything but a number), which a spreadsheet runs; reword it",
        lambda s: ~s.str.match(FORMULA),
    ),
}


def _text_checks(spec: dict[str, Any], text_checks: Sequence[str]) -> list[ColumnCheck]:
    """A field's checks of its non-empty text, in order (``x_text_checks`` in free text: no enum, no pattern)."""
    constraints, form = spec.get("constraints", {}), _field_type(spec)[0]
    allowed, pattern = constraints.get("enum"), constraints.get("pattern")
    free = spec.get("type", "string") == "string" and allowed is None and pattern is None
    stray = ("no_stray_whitespace", "has spaces or other whitespace around the value", lambda s: s == s.str.strip())
    checks: list[ColumnCheck] = [stray, *(TEXT_CHECKS[name] for name in text_checks if free), *([form] if form else [])]
    if allowed is not None:
        checks.append(("enum", f"is not one of the allowed values: {', '.join(allowed)}", lambda s: s.isin(allowed)))
    if pattern is not None:
        checks.append(("pattern", f"does not match the pattern {pattern}", _matches(pattern)))
    return checks + _bounds(spec, "minLength", "maxLength", "breaks the {rule} {n}", lambda s: s.str.len())


def _partial_dates(name: str, text: pd.Series) -> dict[str, pd.Series]:
    """The first and last day a partial date covers, and its precision (year, month or day)."""
    first = _partial_starts(text.dropna()).reindex(text.index)
    precision = text.str.len().map({4: 0, 7: 1, 10: 2}).fillna(-1).astype(int)
    last = first.mask(precision == 0, first + pd.offsets.YearEnd(0))
    last = last.mask(precision == 1, first + pd.offsets.MonthEnd(0))
    codes = pd.Categorical.from_codes(precision, ["year", "month", "day"])
    return {f"{name}_first": first, f"{name}_last": last, f"{name}_precision": pd.Series(codes, index=text.index)}


def _bounds(spec: dict[str, Any], low: str, high: str, says: str, measure: Callable = lambda s: s) -> list[ColumnCheck]:
    """The checks that ``measure`` of a value is at least the constraint ``low`` and at most ``high``."""
    constraints, checks = spec.get("constraints", {}), []
    for rule, word, compare in ((low, "below", np.greater_equal), (high, "above", np.less_equal)):
        if rule in constraints:
            n = constraints[rule]
            checks.append((rule, says.format(rule=rule, word=word, n=n), lambda s, c=compare, n=n: c(measure(s), n)))
    return checks


def _date_range(spec: dict[str, Any], newest: date) -> FrameCheck:
    """Every date must fall in the range; a partial date must overlap it."""
    name, bounds = spec["name"], spec["x_date_range"]
    low = bounds.get("min", "0001-01-01")
    high = newest.isoformat() if bounds.get("max", "today") == "today" else bounds["max"]
    first, last = (f"{name}_first", f"{name}_last") if spec.get("x_partial_date") else (name, name)
    start, end = pd.Timestamp(low), pd.Timestamp(high) + pd.Timedelta(days=1)
    message = f"is outside the allowed range {low} to {high}"
    return name, "date_range", message, lambda df: ~((df[last] < start) | (df[first] >= end)).fillna(False)


def _cross_field_rule(rule: dict[str, Any]) -> FrameCheck:
    """One ``x_rules`` entry as a check of the typed table."""
    kind = rule["rule"]
    if kind == "row_sum":
        names, low, high = rule["fields"], rule["min"], rule["max"]
        message = f"the shares {' + '.join(names)} add up to less than {low} or more than {high}"
        total = "+".join(names)  # a row with none of the shares passes
        return total, kind, message, lambda df: df[names].sum(axis=1, min_count=1).between(low, high).fillna(True)
    field = rule["field"]
    if kind == "not_less_than":
        message = f"is less than {rule['other']} ({rule.get('description', '')})"
        return field, kind, message, lambda df: ~(df[field] < df[rule["other"]]).fillna(False)
    when, values, filled = rule["when_field"], rule["in"], kind == "required_if"  # "" in values: when it is empty
    verb, condition = ("must be filled", "is") if filled else ("must be empty", "is not")
    message = f"{verb} when {when} {condition} {' or '.join(v or 'empty' for v in values)}"

    def test(df: pd.DataFrame) -> pd.Series:
        met = df[when].astype(object).where(df[when].notna(), "").isin(values)
        return ~(met & df[field].isna()) if filled else met | df[field].isna()

    return field, kind, message, test


PANDERA_RULES = {  # pandera's own checks, as this project names them
    "not_nullable": ("required", "is required but empty"),
    "field_uniqueness": ("unique", "appears in more than one row but must be unique"),
    "multiple_fields_uniqueness": ("primary_key", "repeats the primary key of another row"),
}


def _failures(
    frame: pd.DataFrame,
    checks: dict[str, list[ColumnCheck]],
    frame_checks: Sequence[FrameCheck] = (),
    required: Collection[str] = (),
    unique: Collection[str] = (),
    key: list[str] | None = None,
) -> pd.DataFrame:
    """What pandera finds wrong in ``frame``: the row index, check number, column, rule and message of each cell."""
    import pandera.pandas as pa  # heavy: imported when a table is first validated

    columns = {}
    for name, tests in checks.items():
        column_checks = [pa.Check(test) for *_, test in tests]
        columns[name] = pa.Column(None, column_checks, nullable=name not in required, unique=name in unique)
    schema = pa.DataFrameSchema(columns, checks=[pa.Check(test) for *_, test in frame_checks], unique=key)
    try:
        schema.validate(frame, lazy=True)
        cases = pd.DataFrame(columns=["schema_context", "column", "check", "check_number", "index"])
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases.dropna(subset=["index"])  # not a check that raised an error

    def meaning(case: Any) -> tuple[str, str, str]:
        if case.check in PANDERA_RULES:
            rule, message = PANDERA_RULES[case.check]
            return (",".join(key or []) if rule == "primary_key" else case.column), rule, message
        if case.schema_context == "DataFrameSchema":
            return frame_checks[int(case.check_number)][:3]
        return case.column, *checks[case.column][int(case.check_number)][:2]

    rows = [(int(case.index), case.check_number, *meaning(case)) for case in cases.itertuples()]
    return pd.DataFrame(rows, columns=["index", "check_number", "column", "rule", "message"])


def _problems(failures: pd.DataFrame, raw: pd.DataFrame, where: str) -> list[Problem]:
    """One Problem per failing cell, at most MAX_ROWS_PER_RULE per column and rule (then a count)."""
    found: dict[tuple[str, str, str], set[tuple[int, str]]] = {}
    for index, column, rule, message in failures[["index", "column", "rule", "message"]].itertuples(index=False):
        cells = [str(raw[n].iat[index]) for n in re.split("[,+]", column) if n in raw]
        value = f"{pd.to_numeric(pd.Series(cells), errors='coerce').sum():g}" if "+" in column else "|".join(cells)
        found.setdefault((column, rule, message), set()).add((index + 2, value))
    problems = []
    for (column, rule, message), rows in found.items():
        for row, value in sorted(rows)[:MAX_ROWS_PER_RULE]:
            problems.append(Problem(where, row, column, value, rule, message))
        if len(rows) > MAX_ROWS_PER_RULE:
            more = f"{message} (in {len(rows) - MAX_ROWS_PER_RULE} more rows not listed)"
            problems.append(Problem(where, None, column, None, rule, more))
    for (column, rule, _), rows in sorted(found.items()):
        if rule == "pattern" and 3 <= len(rows) == (raw[column] != "").sum():  # the pattern, likely, is wrong
            message = "no value matches the pattern: check it in datapackage.json"
            problems.append(Problem(where, None, column, None, "pattern", message))
    return problems


def _foreign_key_problems(
    descriptor: dict[str, Any], loaded: dict[str, tuple[str, pd.DataFrame, pd.DataFrame]]
) -> list[Problem]:
    """Every foreign key value must be a value of the referenced table (compared after typing)."""
    problems = []
    for resource in descriptor["resources"]:
        for fk in resource["schema"].get("foreignKeys", []) if resource["name"] in loaded else []:
            fields, ref_fields, parent = fk["fields"], fk["reference"]["fields"], fk["reference"]["resource"]
            parent = parent or resource["name"]
            if parent not in loaded:  # a table that could not be read is reported already
                continue
            (where, raw, table), (_, parent_raw, parent_table) = loaded[resource["name"]], loaded[parent]
            known = set(parent_table[ref_fields].astype(object).itertuples(index=False, name=None))
            refused = set(parent_raw[ref_fields].apply(lambda c: c.str.strip()).itertuples(index=False, name=None))
            for index, values in enumerate(table[fields].astype(object).itertuples(index=False, name=None)):
                if any(pd.isna(value) for value in values) or values in known:
                    continue
                cells = tuple(raw[f].iat[index] for f in fields)
                message = f"is not a value of {parent}.{','.join(ref_fields)}"
                message += ": its row there has a problem of its own" if cells in refused else ""
                problems.append(Problem(where, index + 2, ",".join(fields), "|".join(cells), "foreign_key", message))
    return problems
