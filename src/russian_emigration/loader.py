"""Load and validate the data package into typed pandas DataFrames.

Everything about tables, columns, types, constraints, keys and cross-field rules is read from
``datapackage.json``; nothing here names a table or a column. The column checks run in pandera
(imported on the first load, not by ``import russian_emigration``); each failure it records
becomes a :class:`Problem` with the file, spreadsheet row, column, value and rule.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import operator
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from russian_emigration.dataset import Dataset, data_dir
from russian_emigration.descriptor import (
    descriptor_path,
    key_names,
    label,
    newest_allowed_date,
    read_descriptor,
    read_text,
    resource_file,
)
from russian_emigration.errors import DatasetError, Problem, Report

__all__ = ["Dataset", "data_dir", "load_dataset"]

#: A check's meaning: rule, message, the column reported and the value shown for a row position.
Meaning = tuple[str, str, str | None, Callable[[int], str]]
#: A test of a typed table: True for each row that passes.
RowTest = Callable[[pd.DataFrame], pd.Series]


def load_dataset(path: str | Path | None = None, *, today: date | None = None, cache: bool = True) -> Dataset:
    """Read, type and validate the data package.

    ``path`` is a data package folder or its ``datapackage.json``; None means the bundled package.
    Dates may not fall after ``today`` (default: the current date) or, if later, the package's
    ``created`` day. Raises :class:`DatasetError` listing every problem found in every table,
    foreign keys included, each with its file, row, column, value and rule.

    With ``cache`` (the default), a valid package is kept in ``russian_emigration.cache.datasets_dir()``,
    keyed by the bytes of every file, the date bound, this package's code and the library versions; a
    later load of the same bytes reads the typed tables from there, and a descriptor that passed is
    remembered there too. Without ``cache`` every table is validated again. Settings changed at run
    time (such as ``fields.PATTERN_SECONDS``) are not part of the key: pass ``cache=False`` after
    changing one.
    """
    from russian_emigration import cache as store

    descriptor_file = descriptor_path(data_dir() if path is None else path)
    descriptor = read_descriptor(descriptor_file, remember=cache)
    base = descriptor_file.parent
    newest = newest_allowed_date(descriptor, today or date.today())
    targets = [resource_file(base, r, label(descriptor_file)) for r in descriptor["resources"]]
    names = [r["name"] for r in descriptor["resources"]]
    files = list(zip(names, targets, strict=True))
    key = store.dataset_key(descriptor, files, newest) if cache else None
    tables = store.read_dataset(key, names) if key else None
    if tables is None:
        tables = _validated_tables(descriptor, base, targets, newest, memo=cache)
        if key and store.dataset_key(descriptor, files, newest) == key:  # no file changed meanwhile
            store.write_dataset(key, tables)
    return Dataset(tables, descriptor, base)


def _validated_tables(
    descriptor: dict[str, Any], base: Path, targets: list[Path], newest: date, memo: bool = True
) -> dict[str, pd.DataFrame]:
    """Read, type and check every table; raise one DatasetError with every problem, foreign keys included.
    With ``memo``, a table validated before in this process (same resource, text and date bound) is reused."""
    root = base.name
    problems: list[Problem] = []
    tables: dict[str, pd.DataFrame] = {}
    raws: dict[str, pd.DataFrame] = {}
    for resource, target in zip(descriptor["resources"], targets, strict=True):
        report = Report(_file_label(root, resource))
        raw, table = _checked_table(resource, target, report, newest, memo)
        if raw is not None and table is not None:
            tables[resource["name"]], raws[resource["name"]] = table, raw
        problems += report.problems
    problems += _check_foreign_keys(descriptor, tables, raws, root)
    if problems:
        raise DatasetError(problems)
    return tables


def _checked_table(
    resource: dict[str, Any], target: Path, report: Report, newest: date, memo: bool
) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """Read and validate one table: its cells as text and its typed table (None where unreadable)."""
    try:
        text = read_text(target, report.file)
    except DatasetError as exc:
        report.problems += exc.problems
        return None, None
    check = _check_table if memo else _check_table.__wrapped__
    raw, table, problems = check(report.file, json.dumps(resource), text, newest)
    report.problems += problems
    return raw, None if table is None else table.copy()  # a copy: the caller may change its table


# A package loaded again with one file changed validates that file only; two packages' tables are kept.
@functools.lru_cache(maxsize=16)
def _check_table(
    file: str, resource_json: str, text: str, newest: date
) -> tuple[pd.DataFrame | None, pd.DataFrame | None, tuple[Problem, ...]]:
    report, resource = Report(file), json.loads(resource_json)
    raw = _read_table(text, [f["name"] for f in resource["schema"]["fields"]], report)
    table = None if raw is None else _validate_table(raw, resource, report, newest)
    return raw, table, tuple(report.problems)


def _read_table(text: str, names: list[str], report: Report) -> pd.DataFrame | None:
    """The CSV's cells as text ('' for empty), or None when its structure is broken.

    Accepts what spreadsheets write: a UTF-8 byte-order mark, CRLF line endings, quoted fields and
    a missing final newline.
    """
    if "\x00" in text:
        report.add("no_nul", "contains a NUL character", row=text.count("\n", 0, text.index("\x00")) + 1)
        return None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        records = list(reader)
    except csv.Error as exc:
        report.add("csv_syntax", f"is not valid CSV ({exc})", row=reader.line_num)
        return None
    if not records or not any(records[0]):
        report.add("has_header", "has no header row", row=1)
        return None
    if not _header_matches(records[0], names, report) or not _cell_counts_match(records[1:], len(names), report):
        return None
    cells = np.array(records[1:], dtype=object).reshape(len(records) - 1, len(names))
    return pd.DataFrame(cells, columns=names, dtype=object)


def _header_matches(header: list[str], names: list[str], report: Report) -> bool:
    """The header row must hold the schema's names, each once, in order (checked in linear time)."""
    before = len(report.problems)
    known, present = set(names), set(header)
    for name, count in Counter(header).items():
        if count > 1:
            report.add("header_unique", "appears more than once in the header", row=1, column=name)
    for name in names:
        if name not in present:
            report.add("header_complete", "is in the schema but missing from the header", row=1, column=name)
    for name in dict.fromkeys(header):
        if name not in known:
            report.add("header_known", "is in the header but not in the schema (extra or renamed)", row=1, column=name)
    if len(report.problems) == before and header != names:
        report.add("header_order", f"columns are out of order; expected: {', '.join(names)}", row=1)
    return len(report.problems) == before


def _cell_counts_match(records: list[list[str]], width: int, report: Report) -> bool:
    """Every record must have as many cells as the header; no record may be a blank line."""
    blank = [(i + 2, None) for i, r in enumerate(records) if not r]
    wrong = [(i + 2, f"{len(r)} cells") for i, r in enumerate(records) if r and len(r) != width]
    report.rows("no_blank_rows", "is a blank line", None, blank)
    message = f"the header has {width} cells (a stray comma, or a comma inside a text without quotes?)"
    report.rows("cell_count", message, None, wrong)
    return not blank and not wrong


def _validate_table(raw: pd.DataFrame, resource: dict[str, Any], report: Report, newest: date) -> pd.DataFrame:
    """Check each column's text and type its valid cells, then check uniqueness, ranges, keys and cross-field rules."""
    from russian_emigration.fields import broken_rules, text_checks, typed_columns

    typed: dict[str, pd.Series] = {}
    for spec in resource["schema"]["fields"]:
        name, checks = spec["name"], text_checks(spec)
        text = raw[name].where(raw[name] != "")
        required = bool(spec.get("constraints", {}).get("required"))
        broken = broken_rules(checks, raw[name], required)
        for rule, message, positions in broken:
            _report_rows(report, (rule, message, name, _shows(raw, [name])), positions)
            text.iloc[positions] = None
        misses = sum(len(positions) for rule, _, positions in broken if rule == "pattern")
        if any(check.timed_out for check in checks):
            message = "the pattern took too long to test (nested repeats backtrack); untested values count as failing"
            report.add("pattern_time", message, column=name)
        elif misses >= 3 and misses == int((raw[name] != "").sum()):  # the pattern, not the data, is likely wrong
            report.add("pattern", "no value matches the pattern: check it in datapackage.json", column=name)
        typed.update(typed_columns(spec, text))
    table = pd.DataFrame(typed, index=raw.index)
    _check_typed(table, _typed_checks(resource, raw, newest), report)
    return table


def _shows(raw: pd.DataFrame, names: list[str]) -> Callable[[int], str]:
    """The value shown for a row: the cell, or the cells joined by '|'."""
    return lambda pos: "|".join(str(raw[name].iat[pos]) for name in names)


def _report_rows(report: Report, meaning: Meaning, positions: Iterable[int]) -> None:
    rule, message, column, shows = meaning
    report.rows(rule, message, column, [(int(pos) + 2, shows(int(pos))) for pos in positions])


def _check_typed(table: pd.DataFrame, checks: list[tuple[RowTest, Meaning]], report: Report) -> None:
    """Run the row tests in pandera and report the failing rows of each; a test that raised is reported once."""
    import pandera.pandas as pa

    schema = pa.DataFrameSchema(checks=[pa.Check(test, ignore_na=False) for test, _ in checks])
    try:
        schema.validate(table, lazy=True, inplace=True)  # inplace: no copy of the frame
        return
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    failing: dict[int, set[int]] = defaultdict(set)  # a failing row comes once per column
    for case in cases.itertuples():
        if pd.isna(case.index):  # the test itself raised
            rule, message, name, _ = checks[int(case.check_number)][1]
            report.add(rule, f"{message} (could not be checked: {case.failure_case})", column=name)
        else:
            failing[int(case.check_number)].add(int(case.index))
    for number, positions in sorted(failing.items()):
        _report_rows(report, checks[number][1], sorted(positions))


def _typed_checks(resource: dict[str, Any], raw: pd.DataFrame, newest: date) -> list[tuple[RowTest, Meaning]]:
    """The row tests of the typed table and their meanings: uniqueness, ranges, dates, the primary key, x_rules."""
    checks: list[tuple[RowTest, Meaning]] = []
    pk = key_names(resource["schema"].get("primaryKey"))
    for spec in resource["schema"]["fields"]:
        name, constraints = spec["name"], spec.get("constraints", {})
        shows = _shows(raw, [name])
        if constraints.get("unique"):
            message = "appears in more than one row but must be unique"
            checks.append((_unique([name]), ("unique", message, name, shows)))
        for key, outside, word in (("minimum", operator.lt, "below"), ("maximum", operator.gt, "above")):
            if key in constraints:
                meaning: Meaning = (key, f"is {word} the {key} {constraints[key]}", name, shows)
                checks.append((_within(name, outside, constraints[key]), meaning))
        if "x_date_range" in spec:
            checks.append(_date_range(spec, newest, shows))
    if pk and not (len(pk) == 1 and any(c[1][0] == "unique" and c[1][2] == pk[0] for c in checks)):
        meaning = ("primary_key", "repeats the primary key of another row", ",".join(pk), _shows(raw, pk))
        checks.append((_unique(pk), meaning))
    return checks + [_cross_field_rule(rule, raw) for rule in resource.get("x_rules", [])]


def _unique(names: list[str]) -> RowTest:
    return lambda df: ~df.duplicated(subset=names, keep=False) | df[names].isna().any(axis=1)


def _within(name: str, outside: Callable[[Any, Any], Any], limit: float) -> RowTest:
    return lambda df: ~outside(df[name], limit).fillna(False)


def _date_range(spec: dict[str, Any], newest: date, shows: Callable[[int], str]) -> tuple[RowTest, Meaning]:
    """Every date must fall in the range (a partial date must overlap it): the test and its meaning."""
    name, bounds = spec["name"], spec["x_date_range"]
    low, high = bounds.get("min", "0001-01-01"), newest if bounds.get("max", "today") == "today" else bounds["max"]
    end = pd.Timestamp(high) + pd.Timedelta(days=1) - pd.Timedelta(1)
    first, last = (f"{name}_first", f"{name}_last") if spec.get("x_partial_date") else (name, name)
    meaning: Meaning = ("date_range", f"is outside the allowed range {low} to {high}", name, shows)
    return lambda df: ~((df[last] < pd.Timestamp(low)) | (df[first] > end)).fillna(False), meaning


def _cross_field_rule(rule: dict[str, Any], raw: pd.DataFrame) -> tuple[RowTest, Meaning]:
    """One x_rules entry as a row-wise test and its meaning."""
    kind, description = rule["rule"], rule.get("description", "")
    if kind == "row_sum":
        fields = rule["fields"]

        def within(df: pd.DataFrame) -> pd.Series:
            total = df[fields].astype("Float64").sum(axis=1, skipna=True)
            return ~df[fields].notna().any(axis=1) | total.between(rule["min"], rule["max"]).fillna(True)

        def shows(pos: int) -> str:
            return f"{pd.to_numeric(raw[fields].iloc[pos], errors='coerce').sum():g}"

        message = f"the shares add up to the value shown, outside {rule['min']}-{rule['max']}"
        return within, (kind, message, "+".join(fields), shows)
    field = rule["field"]
    if kind == "not_less_than":
        other, message = rule["other"], f"is less than {rule['other']} ({description})"
        return lambda df: ~(df[field] < df[other]).fillna(False), (kind, message, field, _shows(raw, [field]))
    when = raw[rule["when_field"]].isin(rule["in"])
    present = raw[field].ne("")
    bad = (when & ~present) if kind == "required_if" else (~when & present)
    verb, condition = ("must be filled", "is") if kind == "required_if" else ("must be empty", "is not")
    message = f"{verb} when {rule['when_field']} {condition} {' or '.join(rule['in'])}"
    return lambda df: ~bad, (kind, message, field, _shows(raw, [field]))


def _check_foreign_keys(
    descriptor: dict[str, Any], tables: dict[str, pd.DataFrame], raws: dict[str, pd.DataFrame], root: str
) -> list[Problem]:
    """Every foreign key value must exist in the referenced table (values compared after typing)."""
    problems: list[Problem] = []
    for resource in descriptor["resources"]:
        name, report = resource["name"], Report(_file_label(root, resource))
        for fk in resource["schema"].get("foreignKeys", []) if name in tables else []:
            fields, ref = key_names(fk["fields"]), fk["reference"]
            parent, ref_fields = ref.get("resource") or name, key_names(ref["fields"])
            if parent in tables:  # a table that could not be read is reported already
                present = tables[name][fields].notna().all(axis=1).to_numpy()
                dangling = present & ~_keys(tables[name], fields).isin(_keys(tables[parent], ref_fields))
                refused = _refused_keys(raws[parent], tables[parent], ref_fields)
                follows = dangling & _keys(raws[name], fields, strip=True).isin(refused)
                message, shows = f"is not a value of {parent}.{','.join(ref_fields)}", _shows(raws[name], fields)
                for where, note in ((dangling & ~follows, ""), (follows, ": its row there has a problem of its own")):
                    meaning = ("foreign_key", message + note, ",".join(fields), shows)
                    _report_rows(report, meaning, where.nonzero()[0])
        problems += report.problems
    return problems


def _file_label(root: str, resource: dict[str, Any]) -> str:
    """How messages name a resource's file: its path under the package folder's name."""
    return f"{root}/{resource['path']}" if root else resource["path"]


def _refused_keys(raw: pd.DataFrame, table: pd.DataFrame, fields: list[str]) -> pd.MultiIndex:
    """The key values (stripped) of a table's rows whose key cells hold text that was refused."""
    refused = (table[fields].isna() & (raw[fields] != "")).any(axis=1)
    return _keys(raw[refused.to_numpy()], fields, strip=True)


def _keys(table: pd.DataFrame, fields: list[str], strip: bool = False) -> pd.MultiIndex:
    """The values of one or more columns as an index of tuples, for membership tests (text ``strip``-ped)."""
    columns = table[fields].astype(object)
    return pd.MultiIndex.from_frame(columns.map(str.strip) if strip else columns)
