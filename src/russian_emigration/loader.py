"""Load and validate the data package into typed pandas DataFrames.

Everything about tables, columns, types, constraints, keys and cross-field rules is read
from ``datapackage.json``; nothing here names a table or a column.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from importlib import resources as importlib_resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from russian_emigration.descriptor import descriptor_path, read_descriptor, resource_file
from russian_emigration.errors import DatasetError, Problem
from russian_emigration.fields import Reporter, columns_in_order, parse_field

_BOM = b"\xef\xbb\xbf"


def data_dir() -> Path:
    """Folder of the bundled data package: inside the installed wheel, or ``data/`` of a checkout."""
    bundled = Path(str(importlib_resources.files("russian_emigration"))) / "data"
    if (bundled / "datapackage.json").is_file():
        return bundled
    return Path(__file__).resolve().parents[2] / "data"


class Dataset(Mapping[str, pd.DataFrame]):
    """The validated tables of the data package.

    Each table is an attribute (``ds.events``) and an item (``ds["events"]``); ``ds.tables``
    is a read-only mapping of all of them, in the descriptor's order.
    """

    def __init__(self, tables: Mapping[str, pd.DataFrame], descriptor: dict[str, Any], path: Path):
        self.tables: Mapping[str, pd.DataFrame] = MappingProxyType(dict(tables))
        self.descriptor: dict[str, Any] = descriptor
        self.path: Path = path

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(f"Dataset has no table {name!r}; tables: {', '.join(tables)}")

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *self.tables})

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.tables)

    def __len__(self) -> int:
        return len(self.tables)

    def __repr__(self) -> str:
        shapes = ", ".join(f"{name}={len(frame)}" for name, frame in self.tables.items())
        return f"Dataset({shapes})"

    def resource(self, name: str) -> dict[str, Any]:
        """The descriptor entry of table ``name`` (title, description, schema)."""
        for resource in self.descriptor["resources"]:
            if resource["name"] == name:
                return resource
        raise KeyError(f"no table {name!r}; tables: {', '.join(self.tables)}")

    def sources_for(self, *frames: pd.DataFrame) -> pd.DataFrame:
        """The rows of ``sources`` cited by the given rows (any ``*source_id`` column), sorted by id."""
        cited: set[str] = set()
        for frame in frames:
            for column in frame.columns:
                if column == "source_id" or column.endswith("_source_id"):
                    cited.update(str(v) for v in frame[column].dropna().unique())
        sources = self.tables["sources"]
        return sources[sources["source_id"].isin(sorted(cited))].sort_values("source_id").reset_index(drop=True)


def load_dataset(path: str | Path | None = None, *, today: date | None = None) -> Dataset:
    """Read, type and validate the data package.

    ``path`` is a data package folder or its ``datapackage.json``; None means the bundled
    package. ``today`` bounds the allowed dates (default: the current date). Raises
    :class:`DatasetError` listing every problem found, each with its file, row, column,
    value and rule.
    """
    descriptor_file = descriptor_path(data_dir() if path is None else path)
    descriptor = read_descriptor(descriptor_file)
    base = descriptor_file.parent
    label_root = base.name
    today = today or date.today()
    problems: list[Problem] = []
    tables: dict[str, pd.DataFrame] = {}
    targets = [resource_file(base, r, f"{label_root}/{descriptor_file.name}") for r in descriptor["resources"]]
    reporters = [
        Reporter(f"{label_root}/{r.get('path')}" if label_root else str(r.get("path"))) for r in descriptor["resources"]
    ]
    # Tables load in two threads: pandas' C parser releases the GIL while it tokenizes.
    with ThreadPoolExecutor(max_workers=2) as pool:
        loaded = list(pool.map(_load_resource, targets, descriptor["resources"], reporters, [today] * len(targets)))
    for resource, rep, table in zip(descriptor["resources"], reporters, loaded, strict=True):
        problems.extend(rep.problems)
        if table is not None:
            tables[resource["name"]] = table
    if not problems:
        problems.extend(_check_foreign_keys(descriptor, tables, label_root))
    if problems:
        raise DatasetError(problems)
    return Dataset(tables, descriptor, base)


def _load_resource(target: Path, resource: dict[str, Any], rep: Reporter, today: date) -> pd.DataFrame | None:
    """Read one CSV and validate it; return None when the file cannot be parsed at all."""
    data = _read_bytes(target, rep)
    if data is None:
        return None
    names = [f["name"] for f in resource["schema"]["fields"]]
    raw = _read_cells(data, names, rep)
    if raw is None:
        return None
    totals = _Totals(data.count(b","), data.count(b"\n"), data.endswith(b"\n"))
    del data  # the parsed cells are all that is needed from here on; a broken file is read again
    cell_rep = Reporter(rep.file)
    parsed = {
        spec["name"]: parse_field(raw[spec["name"]], spec, cell_rep, today) for spec in resource["schema"]["fields"]
    }
    if not _structure_adds_up(totals, len(names), parsed):
        _report_structure(target.read_bytes(), len(names), rep)  # its cells' problems would mislead
        return None
    rep.problems.extend(cell_rep.problems)
    table = pd.DataFrame(columns_in_order(names, parsed), index=raw.index, copy=False)
    _check_primary_key(table, raw, resource, rep)
    _check_rules(table, raw, resource, rep)
    return table


def _read_bytes(target: Path, rep: Reporter) -> bytes | None:
    """Return the file's bytes if it has no byte-order mark, CR or NUL and is not empty.

    UTF-8 validity is checked by the parser; only when it fails is the file decoded here to find
    the first bad byte (see ``_report_bad_utf8``).
    """
    try:
        data = target.read_bytes()
    except FileNotFoundError:
        rep.table("file-exists", "the file does not exist")
        return None
    except OSError as exc:
        rep.table("readable", f"cannot be read ({exc.strerror})")
        return None
    if data.startswith(_BOM):
        rep.table("no-bom", "starts with a byte-order mark (BOM); save it as UTF-8 without BOM", row=1)
        return None
    for byte, rule, message in (
        (b"\r", "lf-line-endings", "uses CR or CRLF line endings; use LF only"),
        (b"\x00", "no-nul", "contains a NUL character"),
    ):
        at = data.find(byte)
        if at >= 0:
            rep.table(rule, message, row=data.count(b"\n", 0, at) + 1)
            return None
    if not data or data.isspace():
        rep.table("has-header", "is empty; it needs a header row")
        return None
    return data


def _report_bad_utf8(data: bytes, rep: Reporter) -> bool:
    """Report the first byte that is not UTF-8, by row; False if the whole file decodes."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        row = data.count(b"\n", 0, exc.start) + 1
        rep.table("utf8", f"is not valid UTF-8 (byte {data[exc.start]:#04x} at offset {exc.start})", row=row)
        return True
    return False


def _read_cells(data: bytes, names: list[str], rep: Reporter) -> pd.DataFrame | None:
    """Parse the CSV into strings ('' for empty), after checking the header and every row's cell count.

    The fast path lets pandas' C parser read the bytes and checks the structure with two totals
    (commas and line breaks); only when they disagree does the slow path walk the records with
    the csv module to name the exact rows.
    """
    if _report_bad_utf8(data[: data.find(b"\n") + 1 or len(data)], rep):
        return None
    try:
        header = next(csv.reader(io.StringIO(data[: data.find(b"\n") + 1 or len(data)].decode("utf-8")), strict=True))
    except (csv.Error, StopIteration) as exc:
        rep.table("csv-syntax", f"has no readable header row ({exc})", row=1)
        return None
    if not _header_matches(header, names, rep):
        return None
    try:
        frame = pd.read_csv(
            io.BytesIO(data),
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            engine="c",
            encoding="utf-8",
        )
    except UnicodeDecodeError:
        _report_bad_utf8(data, rep)
        return None
    except (ValueError, pd.errors.ParserError):
        _report_structure(data, len(names), rep)
        return None
    frame.columns = names
    return frame


def _report_structure(data: bytes, columns: int, rep: Reporter) -> None:
    """Name the rows that break the file's structure (the slow path, only for a broken file)."""
    if not _report_bad_utf8(data, rep):
        _locate_structure_problems(data.decode("utf-8"), columns, rep)
    if not rep.problems:
        rep.table("csv-syntax", "could not be parsed as CSV with one header row")


@dataclass(frozen=True)
class _Totals:
    """Counts taken from a file's bytes before its cells are parsed."""

    commas: int
    line_breaks: int
    ends_with_line_break: bool


def _structure_adds_up(totals: _Totals, columns: int, parsed: Mapping[str, Any]) -> bool:
    """True when every record has exactly the header's cells and no line is blank.

    pandas rejects rows with too many cells itself but pads short ones, and reads a blank line as
    a row of empty cells. Both lower the number of commas between cells, so it is enough to
    compare the file's commas with those the parsed cells hold plus those that separate them.
    A one-column table has no separating commas: there, line breaks are compared instead.
    """
    records = len(next(iter(parsed.values())).values) + 1  # with the header
    if columns > 1:
        return totals.commas == (columns - 1) * records + sum(p.count_inside(",") for p in parsed.values())
    expected_breaks = records if totals.ends_with_line_break else records - 1
    return totals.line_breaks == expected_breaks + sum(p.count_inside("\n") for p in parsed.values())


def _locate_structure_problems(text: str, columns: int, rep: Reporter) -> None:
    """The slow path: report blank lines and rows with the wrong number of cells, by row."""
    try:
        lengths = np.fromiter(map(len, csv.reader(io.StringIO(text), strict=True)), dtype=np.int64)
    except csv.Error as exc:
        rep.table("csv-syntax", f"is not valid CSV ({exc})")
        return
    body = lengths[1:]
    rep.flag(body == 0, None, None, "no-blank-rows", "is a blank line")
    wrong = np.flatnonzero((body != columns) & (body != 0))
    for pos in wrong[:20]:
        rep.table("cell-count", f"has {body[pos]} cells but the header has {columns}", row=int(pos) + 2)
    if len(wrong) > 20:
        rep.table("cell-count", f"{len(wrong) - 20} more rows have the wrong number of cells")


def _header_matches(header: list[str], names: list[str], rep: Reporter) -> bool:
    """Check the header row against the schema: same names, same order, no duplicates."""
    problems_before = len(rep.problems)
    duplicates = sorted({h for h in header if header.count(h) > 1})
    for name in duplicates:
        rep.table("header-unique", "appears more than once in the header", column=name, row=1)
    for name in names:
        if name not in header:
            rep.table("header-complete", "is in the schema but missing from the header", column=name, row=1)
    for name in header:
        if name not in names:
            rep.table(
                "header-known", "is in the header but not in the schema (extra or renamed column)", column=name, row=1
            )
    if len(rep.problems) == problems_before and header != names:
        rep.table("header-order", f"columns are out of order; expected: {', '.join(names)}", row=1)
    return len(rep.problems) == problems_before


def _check_primary_key(table: pd.DataFrame, raw: pd.DataFrame, resource: dict[str, Any], rep: Reporter) -> None:
    """Flag every row whose primary key value repeats another row's."""
    key = resource["schema"].get("primaryKey")
    if not key:
        return
    key = [key] if isinstance(key, str) else list(key)
    if len(key) == 1 and _field(resource, key[0]).get("constraints", {}).get("unique"):
        return  # already reported by the field's unique constraint
    duplicated = raw.duplicated(subset=key, keep=False).to_numpy() & raw[key].ne("").all(axis=1).to_numpy()
    rep.flag(duplicated, ",".join(key), raw[key], "primary-key", "repeats the primary key of another row")


def _field(resource: dict[str, Any], name: str) -> dict[str, Any]:
    """The schema entry of field ``name`` (an empty dict if there is none)."""
    return next((f for f in resource["schema"]["fields"] if f["name"] == name), {})


def _check_rules(table: pd.DataFrame, raw: pd.DataFrame, resource: dict[str, Any], rep: Reporter) -> None:
    """Apply the resource's cross-field rules (``x_rules`` in the descriptor)."""
    for rule in resource.get("x_rules", []):
        kind = rule.get("rule")
        if kind == "row_sum":
            columns = rule["fields"]
            totals = table[columns].astype("Float64").sum(axis=1, skipna=True)
            answered = table[columns].notna().any(axis=1)
            bad = answered & ((totals < rule["min"]) | (totals > rule["max"]))
            rep.flag(
                bad.to_numpy(dtype=bool),
                "+".join(columns),
                totals.astype(str),
                "row-sum",
                f"the shares add up to the value shown, outside {rule['min']}-{rule['max']}",
            )
        elif kind == "not_less_than":
            field, other = rule["field"], rule["other"]
            bad = (table[field] < table[other]).fillna(False)
            rep.flag(
                bad.to_numpy(dtype=bool),
                field,
                raw[field],
                "not-less-than",
                f"is less than {other} ({rule.get('description', '')})",
            )
        elif kind in ("required_if", "empty_unless"):
            field, when = rule["field"], raw[rule["when_field"]].isin(rule["in"])
            present = raw[field].ne("")
            bad = (when & ~present) if kind == "required_if" else (~when & present)
            verb = "must be filled" if kind == "required_if" else "must be empty"
            condition = "is" if kind == "required_if" else "is not"
            rep.flag(
                bad.to_numpy(dtype=bool),
                field,
                raw[field],
                kind.replace("_", "-"),
                f"{verb} when {rule['when_field']} {condition} {' or '.join(rule['in'])}",
            )
        else:
            rep.table("known-rule", f"unknown rule {kind!r} in the descriptor")


def _check_foreign_keys(descriptor: dict[str, Any], tables: dict[str, pd.DataFrame], label_root: str) -> list[Problem]:
    """Every foreign key value must exist in the referenced table."""
    problems: list[Problem] = []
    for resource in descriptor["resources"]:
        child = tables[resource["name"]]
        rep = Reporter(f"{label_root}/{resource.get('path')}")
        for fk in resource["schema"].get("foreignKeys", []):
            fields = [fk["fields"]] if isinstance(fk["fields"], str) else list(fk["fields"])
            ref = fk["reference"]
            ref_fields = [ref["fields"]] if isinstance(ref["fields"], str) else list(ref["fields"])
            parent = tables.get(ref.get("resource") or resource["name"])
            if parent is None:
                rep.table("foreign-key", f"refers to a table {ref.get('resource')!r} that does not exist")
                continue
            keys = child[fields].astype(object)
            filled = keys.notna().all(axis=1).to_numpy()
            if len(fields) == 1:
                # check each distinct value once, then spread the answer over the rows
                codes, distinct = pd.factorize(keys.iloc[:, 0])
                known = np.append(pd.Index(distinct).isin(parent[ref_fields[0]].astype(object)), True)
                found = known[codes]  # code -1 (missing) takes the appended True: nothing to check
            else:
                known = pd.MultiIndex.from_frame(parent[ref_fields].astype(object))
                found = pd.MultiIndex.from_frame(keys).isin(known)
            target = f"{ref.get('resource')}.{','.join(ref_fields)}"
            rep.flag(filled & ~found, ",".join(fields), keys, "foreign-key", f"is not a value of {target}")
        problems.extend(rep.problems)
    return problems
