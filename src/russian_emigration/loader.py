"""Load and validate the data package into typed pandas DataFrames.

Everything about tables, columns, types, constraints, keys and cross-field rules is read from
``datapackage.json``; nothing here names a table or a column. The column checks run in pandera
(imported on the first load, not by ``import russian_emigration``); each failure it records
becomes a :class:`Problem` with the file, spreadsheet row, column, value and rule.
"""

from __future__ import annotations

import csv
import io
import operator
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from russian_emigration.dataset import Dataset, data_dir
from russian_emigration.descriptor import (
    descriptor_path,
    label,
    newest_allowed_date,
    read_descriptor,
    read_text,
    resource_file,
)
from russian_emigration.errors import DatasetError, Problem, Report

if TYPE_CHECKING:
    import pandera.pandas as pa

    from russian_emigration.fields import TextCheck

__all__ = ["Dataset", "data_dir", "load_dataset"]

#: A check's meaning: rule, message, the column reported and the value shown for a row position.
Meaning = tuple[str, str, str | None, Callable[[int], str]]


def load_dataset(path: str | Path | None = None, *, today: date | None = None, cache: bool = True) -> Dataset:
    """Read, type and validate the data package.

    ``path`` is a data package folder or its ``datapackage.json``; None means the bundled package.
    Dates may not fall after ``today`` (default: the current date) or, if later, the package's
    ``created`` day. Raises :class:`DatasetError` listing every problem found in every table,
    foreign keys included, each with its file, row, column, value and rule.

    With ``cache`` (the default), a package that passed validation is kept in the cache folder
    (``russian_emigration.cache.datasets_dir()``), keyed by the descriptor's content, the bytes of
    every table file, the date bound, this package's code and the pandas, numpy and Python versions.
    A later load of the same bytes reads the typed tables from there instead of validating again;
    any change to a file revalidates it. Only valid packages are cached, so every problem is still
    raised on every load; an unreadable or corrupt entry is ignored and rebuilt. The descriptor is
    always read and checked. Module settings changed at run time (such as
    ``fields.PATTERN_SECONDS``) are not part of the key: pass ``cache=False`` after changing one.
    """
    from russian_emigration import cache as store

    descriptor_file = descriptor_path(data_dir() if path is None else path)
    descriptor = read_descriptor(descriptor_file)
    base = descriptor_file.parent
    newest = newest_allowed_date(descriptor, today or date.today())
    targets = [resource_file(base, r, label(descriptor_file)) for r in descriptor["resources"]]
    names = [r["name"] for r in descriptor["resources"]]
    files = list(zip(names, targets, strict=True))
    key = store.dataset_key(descriptor, files, newest) if cache else None
    tables = store.read_dataset(key, names) if key else None
    if tables is None:
        tables = _validated_tables(descriptor, base, targets, newest)
        if key and store.dataset_key(descriptor, files, newest) == key:  # no file changed meanwhile
            store.write_dataset(key, tables)
    return Dataset(tables, descriptor, base)


def _validated_tables(
    descriptor: dict[str, Any], base: Path, targets: list[Path], newest: date
) -> dict[str, pd.DataFrame]:
    """Read, type and check every table; raise one DatasetError with every problem, foreign keys included."""
    root = base.name
    problems: list[Problem] = []
    tables: dict[str, pd.DataFrame] = {}
    raws: dict[str, pd.DataFrame] = {}
    for resource, target in zip(descriptor["resources"], targets, strict=True):
        report = Report(_file_label(root, resource))
        raw = _read_table(target, [f["name"] for f in resource["schema"]["fields"]], report)
        if raw is not None:
            tables[resource["name"]] = _validate_table(raw, resource, report, newest)
            raws[resource["name"]] = raw
        problems += report.problems
    problems += _check_foreign_keys(descriptor, tables, raws, root)
    if problems:
        raise DatasetError(problems)
    return tables


def _read_table(target: Path, names: list[str], report: Report) -> pd.DataFrame | None:
    """The CSV's cells as text ('' for empty), or None when its structure is broken.

    Accepts what spreadsheets write: a UTF-8 byte-order mark, CRLF line endings, quoted fields and
    a missing final newline.
    """
    try:
        text = read_text(target, report.file)
    except DatasetError as exc:
        report.problems += exc.problems
        return None
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
    wrong = [(i + 2, str(len(r))) for i, r in enumerate(records) if r and len(r) != width]
    report.rows("no_blank_rows", "is a blank line", None, blank)
    report.rows("cell_count", f"has a different number of cells from the header's {width}", None, wrong)
    return not blank and not wrong


def _validate_table(raw: pd.DataFrame, resource: dict[str, Any], report: Report, newest: date) -> pd.DataFrame:
    """Check the cells' text, type the valid ones, then check ranges, keys and cross-field rules.

    Only the cells that fail the text checks are tested again, rule by rule, to say which rules they break.
    """
    from russian_emigration.fields import broken_rules, text_checks, typed_columns

    specs = resource["schema"]["fields"]
    checks = {spec["name"]: text_checks(spec) for spec in specs}
    cells = raw.to_numpy()
    text = pd.DataFrame(np.where(cells == "", np.nan, cells), index=raw.index, columns=raw.columns, dtype=object)
    for name, positions in _text_failures(raw, specs, checks, report).items():
        for rule, message, rows in broken_rules(checks[name], raw[name].iloc[positions]):
            _report_rows(report, (rule, message, name, _shows(raw, [name])), rows)
        text.loc[positions, name] = None
    for name, column_checks in checks.items():
        if any(check.timed_out for check in column_checks):
            message = "the pattern took too long to test (nested repeats backtrack); untested values count as failing"
            report.add("pattern_time", message, column=name)
    typed: dict[str, pd.Series] = {}
    for spec in specs:
        typed.update(typed_columns(spec, text[spec["name"]]))
    table = pd.DataFrame(typed, index=raw.index)
    schema, meanings = _typed_schema(resource, raw, newest)
    for key, positions in _failures(schema, table, meanings, report).items():
        _report_rows(report, meanings[key], positions)
    return table


def _text_failures(
    raw: pd.DataFrame, specs: list[dict[str, Any]], checks: dict[str, list[TextCheck]], report: Report
) -> dict[str, list[int]]:
    """The failing rows of each column, in order: one pandera check of the cells as one series, column after column."""
    import pandera.pandas as pa

    from russian_emigration.fields import passes_all

    names, rows = [spec["name"] for spec in specs], len(raw)
    tests = [passes_all(checks[s["name"]], bool(s.get("constraints", {}).get("required"))) for s in specs]

    def cells_pass(cells: pd.Series) -> pd.Series:
        values = cells.to_numpy()
        parts = [test(pd.Series(values[i * rows : (i + 1) * rows])) for i, test in enumerate(tests)]
        return pd.Series(np.concatenate(parts), index=cells.index)

    schema = pa.DataFrameSchema({"cell": pa.Column(checks=[pa.Check(cells_pass, ignore_na=False)])})
    cells = pd.DataFrame({"cell": raw.to_numpy(dtype=object).ravel(order="F")})  # raw holds the columns in order
    failing: dict[str, list[int]] = defaultdict(list)
    meaning: Meaning = ("text", "the cells' text", None, str)
    for position in _failures(schema, cells, {("cell", 0): meaning}, report).get(("cell", 0), []):
        failing[names[position // rows]].append(position % rows)
    return failing


def _shows(raw: pd.DataFrame, names: list[str]) -> Callable[[int], str]:
    """The value shown for a row: the cell, or the cells joined by '|'."""
    return lambda pos: "|".join(str(raw[name].iat[pos]) for name in names)


def _report_rows(report: Report, meaning: Meaning, positions: Iterable[int]) -> None:
    rule, message, column, shows = meaning
    report.rows(rule, message, column, [(int(pos) + 2, shows(int(pos))) for pos in positions])


def _failures(
    schema: pa.DataFrameSchema, frame: pd.DataFrame, meanings: dict[tuple[str, int | str], Meaning], report: Report
) -> dict[tuple[str, int | str], list[int]]:
    """Validate with pandera: the failing row positions of each (column, check); a check that raised is reported."""
    import pandera.pandas as pa

    try:
        schema.validate(frame, lazy=True, inplace=True)  # inplace: no copy of the frame per column
    except pa.errors.SchemaErrors as exc:
        failures = exc.failure_cases
    else:
        return {}
    failing: dict[tuple[str, int | str], set[int]] = defaultdict(set)
    for case in failures.itertuples():
        column = "" if case.schema_context == "DataFrameSchema" else str(case.column)
        check = case.check if pd.isna(case.check_number) else int(case.check_number)
        if pd.isna(case.index):  # the check itself failed: report it for the whole column
            rule, message, name, _ = meanings[(column, check)]
            report.add(rule, f"{message} (could not be checked: {case.failure_case})", column=name)
            continue
        failing[(column, check)].add(int(case.index))
    return {key: sorted(failing[key]) for key in meanings if key in failing}  # in the meanings' order


def _typed_schema(
    resource: dict[str, Any], raw: pd.DataFrame, newest: date
) -> tuple[pa.DataFrameSchema, dict[tuple[str, int | str], Meaning]]:
    """Uniqueness (pandera's own checks), ranges, date ranges, the primary key and the x_rules."""
    import pandera.pandas as pa

    pk = _names(resource["schema"].get("primaryKey"))
    meaning: Meaning = ("primary_key", "repeats the primary key of another row", ",".join(pk), _shows(raw, pk))
    meanings: dict[tuple[str, int | str], Meaning] = {("", "multiple_fields_uniqueness"): meaning}
    columns: dict[str, pa.Column] = {}
    by_column: dict[tuple[str, int | str], Meaning] = {}  # reported after the table's checks, as pandera orders them
    frame_checks: list[pa.Check] = []
    for spec in resource["schema"]["fields"]:
        name, constraints = spec["name"], spec.get("constraints", {})
        shows = _shows(raw, [name])
        if constraints.get("unique"):
            columns[name] = pa.Column(nullable=True, unique=True)
            message = "appears in more than one row but must be unique"
            by_column[(name, "field_uniqueness")] = ("unique", message, name, shows)
        for key, outside, word in (("minimum", operator.lt, "below"), ("maximum", operator.gt, "above")):
            if key in constraints:  # a table check, not a column's: much less pandera overhead
                by_column[("", len(frame_checks))] = (key, f"is {word} the {key} {constraints[key]}", name, shows)
                frame_checks.append(pa.Check(_within(name, outside, constraints[key]), ignore_na=False))
        if "x_date_range" in spec:
            test, meanings[("", len(frame_checks))] = _date_range(spec, newest, shows)
            frame_checks.append(pa.Check(test, ignore_na=False))
    pk_unique = bool(pk) and not (len(pk) == 1 and pk[0] in columns)
    for rule in resource.get("x_rules", []):
        test, meanings[("", len(frame_checks))] = _cross_field_rule(rule, raw)
        frame_checks.append(pa.Check(test, ignore_na=False))
    schema = pa.DataFrameSchema(columns, checks=frame_checks, unique=pk if pk_unique else None)
    return schema, meanings | by_column


def _within(name: str, outside: Callable[[Any, Any], Any], limit: float) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda df: ~outside(df[name], limit).fillna(False)


def _date_range(
    spec: dict[str, Any], newest: date, shows: Callable[[int], str]
) -> tuple[Callable[[pd.DataFrame], pd.Series], Meaning]:
    """Every date must fall in the range (a partial date must overlap it): the test and its meaning."""
    name, bounds = spec["name"], spec["x_date_range"]
    low, high = bounds.get("min", "0001-01-01"), newest if bounds.get("max", "today") == "today" else bounds["max"]
    end = pd.Timestamp(high) + pd.Timedelta(days=1) - pd.Timedelta(1)
    first, last = (f"{name}_first", f"{name}_last") if spec.get("x_partial_date") else (name, name)
    meaning: Meaning = ("date_range", f"is outside the allowed range {low} to {high}", name, shows)
    return lambda df: ~((df[last] < pd.Timestamp(low)) | (df[first] > end)).fillna(False), meaning


def _cross_field_rule(rule: dict[str, Any], raw: pd.DataFrame) -> tuple[Callable[[pd.DataFrame], pd.Series], Meaning]:
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
            fields, ref = _names(fk["fields"]), fk["reference"]
            parent, ref_fields = ref.get("resource") or name, _names(ref["fields"])
            if parent in tables:  # a table that could not be read is reported already
                present = np.logical_and.reduce([tables[name][f].notna().to_numpy() for f in fields])
                dangling = present & ~_keys(tables[name], fields).isin(_keys(tables[parent], ref_fields))
                message, shows = f"is not a value of {parent}.{','.join(ref_fields)}", _shows(raws[name], fields)
                meaning = ("foreign_key", message, ",".join(fields), shows)
                _report_rows(report, meaning, dangling.nonzero()[0])
        problems += report.problems
    return problems


def _file_label(root: str, resource: dict[str, Any]) -> str:
    """How messages name a resource's file: its path under the package folder's name."""
    return f"{root}/{resource['path']}" if root else resource["path"]


def _names(value: str | list[str] | None) -> list[str]:
    """A key's field names: the descriptor gives one as a string, several as a list."""
    return [value] if isinstance(value, str) else list(value or [])


def _keys(table: pd.DataFrame, fields: list[str]) -> pd.Index:
    """The values of one or more columns as an index, for membership tests."""
    if len(fields) == 1:
        return pd.Index(table[fields[0]].astype(object))
    return pd.MultiIndex.from_arrays([table[f].astype(object) for f in fields])
