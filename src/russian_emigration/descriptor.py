"""Reading ``datapackage.json`` strictly: the single source of truth for tables and rules.

Every keyword the loader does not implement is refused by name rather than ignored, numbers must be
finite, keys unique, nesting shallow, patterns compilable and resource paths inside the package.
"""

from __future__ import annotations

import json
import math
import re
import stat
import threading
import warnings
from collections import Counter
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from russian_emigration.errors import DatasetError, Problem

DESCRIPTOR_NAME = "datapackage.json"
MAX_DEPTH = 20
MAX_INTEGER_DIGITS = 18
TYPES = {"string", "integer", "number", "boolean", "date", "datetime"}
NUMERIC = {"integer", "number"}
#: Names a table may not take: they are attributes of Dataset.
RESERVED = {"tables", "descriptor", "path", "resource", "sources_for"}
#: Every keyword the loader reads (or that documents the package: titles, descriptions, x_coding_rules), by object.
KEYWORDS = {
    "package": {"name", "title", "description", "version", "created", "licenses", "contributors", "sources"}
    | {"resources", "profile", "homepage", "keywords", "id", "x_coding_rules"},
    "resource": {"name", "path", "title", "description", "schema", "profile", "format", "mediatype"}
    | {"encoding", "dialect", "x_rules", "licenses", "sources"},
    "schema": {"fields", "primaryKey", "foreignKeys"},
    "field": {"name", "type", "title", "description", "constraints", "format", "trueValues", "falseValues"}
    | {"x_list", "x_partial_date", "x_date_range", "example"},
    "constraints": {"required", "unique", "enum", "pattern", "minimum", "maximum"},
    "foreignKey": {"fields", "reference"},
    "reference": {"resource", "fields"},
    "dialect": {"delimiter", "header"},
    "x_list": {"separator", "item_type"},
    "x_date_range": {"min", "max"},
}
RULES = {
    "row_sum": {"fields", "min", "max"},
    "not_less_than": {"field", "other"},
    "required_if": {"field", "when_field", "in"},
    "empty_unless": {"field", "when_field", "in"},
}


class _Refused(ValueError):
    """A JSON construct the descriptor may not use (raised from inside the JSON parser)."""

    def __init__(self, rule: str, message: str):
        super().__init__(message)
        self.problem = (rule, message)


def descriptor_path(path: str | Path) -> Path:
    """Return the descriptor file for ``path``: a data package folder or its ``datapackage.json``."""
    path = Path(path)
    return path / DESCRIPTOR_NAME if path.is_dir() or path.suffix != ".json" else path


def label(path: Path) -> str:
    """A short, location-independent name for a file in messages: its folder and its name."""
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name


def _errors(where: str, problems: list[tuple[str, str]], row: int | None = None) -> DatasetError:
    """A DatasetError with the (rule, message) problems of the file ``where``."""
    return DatasetError([Problem(where, row, None, None, rule, message) for rule, message in problems])


def read_descriptor(path: Path) -> dict[str, Any]:
    """Parse and check ``datapackage.json``; raise one DatasetError listing every problem in it."""
    where = label(path)
    text = read_text(path, where)
    try:
        descriptor = json.loads(
            text,
            object_pairs_hook=_unique_keys,
            parse_int=_bounded_int,
            parse_float=_finite_float,
            parse_constant=_no_constant,
        )
        if _depth(descriptor) > MAX_DEPTH:
            raise RecursionError
    except json.JSONDecodeError as exc:
        raise _errors(where, [("valid_json", f"is not valid JSON: {exc.msg}")], exc.lineno) from None
    except RecursionError:
        raise _errors(where, [("depth_limit", f"is nested deeper than {MAX_DEPTH} levels")]) from None
    except _Refused as exc:
        raise _errors(where, [exc.problem]) from None
    problems = check_descriptor(descriptor)
    if problems:
        raise _errors(where, problems)
    return descriptor


def read_text(path: Path, where: str) -> str:
    """The UTF-8 text of a regular file (a byte-order mark is dropped); DatasetError otherwise."""
    try:
        regular = stat.S_ISREG(path.stat().st_mode)
        data = path.read_bytes() if regular else b""
    except FileNotFoundError:
        raise _errors(where, [("file_exists", "the file does not exist")]) from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        raise _errors(where, [("readable", f"cannot be read ({exc})")]) from None
    if not regular:
        raise _errors(where, [("regular_file", "is not a regular file (a folder, pipe or device cannot be read)")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = data.count(b"\n", 0, exc.start) + 1
        message = f"is not UTF-8 text (byte {data[exc.start]:#04x} at offset {exc.start}); save it as UTF-8"
        raise _errors(where, [("utf8", message)], row) from None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    counts = Counter(key for key, _ in pairs)
    repeated = sorted(key for key, n in counts.items() if n > 1)
    if repeated:
        raise _Refused("duplicate_key", f"repeats the key(s) {', '.join(map(repr, repeated))} in one object")
    return dict(pairs)


def _no_constant(name: str) -> float:
    raise _Refused("finite_number", f"uses {name}, which is not a number; limits must be finite")


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise _Refused("finite_number", f"has an integer with more than {MAX_INTEGER_DIGITS} digits")
    return int(text)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused("finite_number", f"has a number too large to represent ({text[:20]})")
    return value


def _depth(node: Any) -> int:
    """How deeply lists and objects nest in ``node`` (iterative, so it cannot overflow the stack)."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _unknown(obj: dict[str, Any], kind: str, where: str) -> list[tuple[str, str]]:
    extra = sorted(set(obj) - KEYWORDS[kind])
    if not extra:
        return []
    names, known = ", ".join(map(repr, extra)), ", ".join(sorted(KEYWORDS[kind]))
    return [("unknown_keyword", f"{where}: the loader does not implement {names} (known: {known})")]


def _structure(where: str, messages: list[str]) -> list[tuple[str, str]]:
    """``messages`` as descriptor_structure problems of ``where``."""
    return [("descriptor_structure", f"{where}{message}") for message in messages]


def _broken(checks: dict[str, bool]) -> list[str]:
    """The messages of the broken ``checks`` (message: whether it is broken)."""
    return [message for message, broken in checks.items() if broken]


def check_descriptor(descriptor: Any) -> list[tuple[str, str]]:
    """Every problem of the descriptor as (rule, message); empty when the loader can rely on it."""
    if not isinstance(descriptor, dict):
        return [("descriptor_structure", "the top level must be a JSON object")]
    problems = _unknown(descriptor, "package", "the package")
    if descriptor.get("created") is not None and _created_date(descriptor) is None:
        problems += [("descriptor_structure", "'created' must be an ISO date and time, not in the future")]
    resources = descriptor.get("resources")
    if not isinstance(resources, list) or not resources:
        return problems + [("descriptor_structure", "'resources' must be a non-empty list")]
    named = [r for r in resources if isinstance(r, dict) and isinstance(r.get("name"), str)]
    schemas = {r["name"]: r["schema"] for r in named if isinstance(r.get("schema"), dict)}
    names = [r.get("name") if isinstance(r, dict) else None for r in resources]
    for index, resource in enumerate(resources):
        problems += _resource_problems(resource, index, names, schemas)
    return problems


def _created_date(descriptor: dict[str, Any]) -> date | None:
    """The day the package was created, if 'created' states it and it is not in the future."""
    try:
        created = datetime.fromisoformat(str(descriptor.get("created"))).date()
    except ValueError:
        return None
    return created if created <= date.today() else None


def newest_allowed_date(descriptor: dict[str, Any], today: date) -> date:
    """The last day a date may fall on: ``today``, or the package's 'created' day if that is later."""
    created = _created_date(descriptor)
    return max(today, created) if created else today


def _resource_problems(resource: Any, index: int, names: list[Any], schemas: dict[str, Any]) -> list[tuple[str, str]]:
    """Problems of one resource entry: name, path, format, schema, keys and rules."""
    if not isinstance(resource, dict) or not isinstance(resource.get("name"), str):
        return [("descriptor_structure", f"resource {index} must be an object with a string 'name'")]
    name = resource["name"]
    where = f"resource {name!r}"
    problems = _unknown(resource, "resource", where)
    if not re.fullmatch("[a-z][a-z0-9_]*", name) or name in RESERVED:
        problems.append(("table_name", f"{where}: a table name is snake_case and not one of {sorted(RESERVED)}"))
    checks = {
        "resource names must be unique": names.count(name) > 1,
        "'path' must be a non-empty string": not isinstance(resource.get("path"), str) or not resource["path"],
    }
    problems += _structure(f"{where}: ", _broken(checks)) + _format_problems(resource, where)
    schema = resource.get("schema")
    fields = schema.get("fields") if isinstance(schema, dict) else None
    if not isinstance(schema, dict) or not isinstance(fields, list) or not fields:
        return problems + _structure(f"{where}: ", ["needs a 'schema' with a non-empty 'fields' list"])
    problems += _unknown(schema, "schema", where)
    specs: dict[str, dict[str, Any]] = {}
    for position, spec in enumerate(fields):
        if not isinstance(spec, dict) or not isinstance(spec.get("name"), str) or not spec["name"]:
            problems.append(("descriptor_structure", f"{where}: field {position} needs a non-empty string 'name'"))
            continue
        if spec["name"] in specs:
            problems.append(("descriptor_structure", f"{where}: field {spec['name']!r} appears twice"))
        specs[spec["name"]] = spec
        problems += [(rule, f"{where}, field {spec['name']!r}: {p}") for rule, p in _field_problems(spec)]
    problems += _structure(f"{where}: ", _key_problems(schema, name, specs, schemas))
    rules = resource.get("x_rules", [])
    if not isinstance(rules, list):
        return problems + _structure(f"{where}: ", ["'x_rules' must be a list"])
    for rule in rules:
        kind = rule.get("rule") if isinstance(rule, dict) else rule
        problems += _structure(f"{where}, rule {kind!r}: ", _rule_problems(rule, specs))
    return problems


def _format_problems(resource: dict[str, Any], where: str) -> list[tuple[str, str]]:
    """Only what the loader reads is allowed: UTF-8 CSV with a comma and one header row."""
    dialect = resource.get("dialect", {})
    if not isinstance(dialect, dict):
        return _structure(f"{where}: ", ["'dialect' must be an object"])
    checks = {
        "the loader reads CSV with ',' and one header row only": dialect.get("delimiter", ",") != ","
        or dialect.get("header", True) is not True,
        "'encoding' must be utf-8": str(resource.get("encoding", "utf-8")).lower() not in ("utf-8", "utf8"),
        "'format' must be csv": resource.get("format", "csv") != "csv",
    }
    return _unknown(dialect, "dialect", f"{where}, dialect") + _structure(f"{where}: ", _broken(checks))


def _field_problems(spec: dict[str, Any]) -> list[tuple[str, str]]:
    """Problems of one field: its keywords, type, constraints and options."""
    problems = _unknown(spec, "field", "this field")
    ftype = spec.get("type", "string")
    if ftype not in TYPES:
        return problems + [("descriptor_structure", f"type {ftype!r} is not one of {', '.join(sorted(TYPES))}")]
    constraints = spec.get("constraints", {})
    if not isinstance(constraints, dict):
        return problems + [("descriptor_structure", "'constraints' must be an object")]
    problems += _unknown(constraints, "constraints", "its constraints")
    return problems + _structure("", _constraint_problems(constraints, ftype) + _option_problems(spec, ftype))


def _strings(value: Any) -> bool:
    """Whether ``value`` is a non-empty list of strings."""
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)


def _number(value: Any) -> bool:
    """Whether ``value`` is a JSON number (not a boolean)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def _constraint_problems(constraints: dict[str, Any], ftype: str) -> list[str]:
    enum = constraints.get("enum")
    bad_enum = enum is not None and (ftype != "string" or not _strings(enum))
    checks = {
        f"constraint {k!r} must be true or false": not isinstance(constraints.get(k, True), bool)
        for k in ("required", "unique")
    }
    checks["constraint 'enum' must be a non-empty list of strings on a string field"] = bad_enum
    checks["constraint 'enum' lists a value twice"] = enum is not None and not bad_enum and len(set(enum)) != len(enum)
    for key in ("minimum", "maximum"):
        broken = key in constraints and (ftype not in NUMERIC or not _number(constraints[key]))
        checks[f"constraint {key!r} must be a number, on an integer or number field"] = broken
    return _broken(checks) + (pattern_problems(constraints["pattern"]) if "pattern" in constraints else [])


#: Warning filters are process-wide: code that changes them (here, and a Sphinx build, whose
#: deprecation warnings would otherwise become errors) holds this lock, so concurrent report
#: builds in one process never see each other's filters.
WARNING_FILTERS_LOCK = threading.RLock()


def pattern_problems(pattern: Any) -> list[str]:
    """Whether ``pattern`` compiles as the loader will use it (``regex`` module, ASCII classes)."""
    import regex

    if not isinstance(pattern, str) or not pattern:
        return ["constraint 'pattern' must be a non-empty string"]
    try:
        with WARNING_FILTERS_LOCK, warnings.catch_warnings():
            warnings.simplefilter("error")
            regex.compile(pattern, regex.ASCII | regex.VERSION0)
            re.compile(pattern)  # Frictionless reads it with re: both must accept it
    except (regex.error, re.error, OverflowError, RecursionError, ValueError, Warning) as exc:
        return [f"constraint 'pattern' is not a valid regular expression ({exc})"]
    return []


def _option_problems(spec: dict[str, Any], ftype: str) -> list[str]:
    """Problems of the options a type takes: formats, boolean values, lists, partial dates, ranges."""
    problems = []
    for key in ("trueValues", "falseValues"):
        values = spec.get(key)
        if key in spec and (ftype != "boolean" or not isinstance(values, list) or not values):
            problems.append(f"{key!r} must be a non-empty list, on a boolean field")
        elif values and not _strings(values):
            problems.append(f"{key!r} must hold strings")
    if "format" in spec:
        problems += _datetime_format_problems(spec["format"], ftype)
    if "x_list" in spec:
        problems += _list_problems(spec)
    if spec.get("x_partial_date") not in (None, True, False) or (spec.get("x_partial_date") and ftype != "string"):
        problems.append("'x_partial_date' must be true or false, on a string field")
    if "x_date_range" in spec:
        problems += _date_range_problems(spec["x_date_range"])
        if ftype not in ("date", "datetime") and spec.get("x_partial_date") is not True:
            problems.append("'x_date_range' needs a date, datetime or partial-date (x_partial_date) field")
    return problems


def _datetime_format_problems(fmt: Any, ftype: str) -> list[str]:
    if (fmt == "default" and ftype in ("string", "date", "datetime")) or (ftype, fmt) == ("string", "uri"):
        return []
    if ftype != "datetime" or not isinstance(fmt, str):
        return [f"'format' {fmt!r} is not implemented for a {ftype} field"]
    import pandas as pd

    try:
        pd.to_datetime(pd.Series(["2024-03-17T10:00"]), format=fmt, errors="coerce")
    except (ValueError, TypeError) as exc:
        return [f"'format' {fmt!r} is not a valid date and time format ({exc})"]
    return []


def _list_problems(spec: dict[str, Any]) -> list[str]:
    options = spec["x_list"]
    if not isinstance(options, dict):
        return ["'x_list' must be an object"]
    problems = [f"x_list: {p}" for _, p in _unknown(options, "x_list", "'x_list'")]
    separator = options.get("separator", ";")
    if not isinstance(separator, str) or len(separator) != 1 or separator.isalnum() or separator in "+-.\"' \t\r\n,":
        problems.append("'x_list' needs a 'separator' of one character that is not a letter, digit, sign or space")
    if options.get("item_type", "string") not in ("string", "integer"):
        problems.append("'x_list' 'item_type' must be string or integer")
    if spec.get("type", "string") != "string" or spec.get("x_partial_date") or "enum" in spec.get("constraints", {}):
        problems.append("'x_list' needs a string field without enum or x_partial_date")
    return problems


def _date_range_problems(bounds: Any) -> list[str]:
    if not isinstance(bounds, dict):
        return ["'x_date_range' must be an object with 'min' and 'max'"]
    problems = [p for _, p in _unknown(bounds, "x_date_range", "'x_date_range'")]
    for key, today in (("min", ""), ("max", " or today")):
        value = bounds.get(key, "0001-01-01" if key == "min" else "today")
        if not (today and value == "today"):
            try:
                date.fromisoformat(value)
            except (TypeError, ValueError):
                problems.append(f"'x_date_range' {key!r} must be an ISO date (YYYY-MM-DD){today}")
    return problems


def _as_list(value: Any) -> list[str] | None:
    value = [value] if isinstance(value, str) else value
    return value if _strings(value) else None


def _key_problems(
    schema: dict[str, Any], name: str, specs: dict[str, dict[str, Any]], schemas: dict[str, Any]
) -> list[str]:
    """The primary key and foreign keys must name existing fields and tables, of the same types."""
    problems = []
    if "primaryKey" in schema:
        key = _as_list(schema["primaryKey"])
        if key is None or not set(key) <= set(specs):
            problems.append("'primaryKey' must name fields of the schema")
    foreign = schema.get("foreignKeys", [])
    if not isinstance(foreign, list):
        return [*problems, "'foreignKeys' must be a list"]
    for fk in foreign:
        problems += _foreign_key_problems(fk, name, specs, schemas)
    return problems


def _foreign_key_problems(fk: Any, name: str, specs: dict[str, Any], schemas: dict[str, Any]) -> list[str]:
    reference = fk.get("reference") if isinstance(fk, dict) else None
    if not isinstance(fk, dict) or not isinstance(reference, dict):
        return ["every foreign key needs 'fields' and a 'reference'"]
    unknown = _unknown(fk, "foreignKey", "a foreign key") + _unknown(reference, "reference", "its reference")
    problems = [p for _, p in unknown]
    fields, ref_fields = _as_list(fk.get("fields")), _as_list(reference.get("fields"))
    parent = schemas.get(reference.get("resource") or name) if isinstance(reference.get("resource"), str) else None
    if not isinstance(parent, dict) or not isinstance(parent.get("fields"), list):
        return [*problems, f"a foreign key refers to an unknown resource {reference.get('resource')!r}"]
    parent_specs = {f.get("name"): f for f in parent["fields"] if isinstance(f, dict)}
    if fields is None or ref_fields is None or len(fields) != len(ref_fields) or not set(fields) <= set(specs):
        return [*problems, "a foreign key needs 'fields' of the schema and a 'reference' with as many 'fields'"]
    for child, ref in zip(fields, ref_fields, strict=True):
        if ref not in parent_specs:
            problems.append(f"a foreign key refers to {ref!r}, which its table does not have")
        elif specs[child].get("type", "string") != parent_specs[ref].get("type", "string"):
            problems.append(f"foreign key {child!r} and {ref!r} must have the same type")
    return problems


def _rule_problems(rule: Any, specs: dict[str, dict[str, Any]]) -> list[str]:
    """Problems of one cross-field rule: a known kind whose fields exist and have fitting types."""
    if not isinstance(rule, dict) or rule.get("rule") not in RULES:
        return [f"must be an object whose 'rule' is one of {', '.join(sorted(RULES))}"]
    needed = RULES[rule["rule"]]
    missing = [f"needs {key!r}" for key in sorted(needed - set(rule))]
    extra = sorted(set(rule) - needed - {"rule", "description"})
    if missing or extra:
        return missing + ([f"the loader does not implement {', '.join(map(repr, extra))}"] if extra else [])
    kind = rule["rule"]
    named = rule["fields"] if kind == "row_sum" else [rule[k] for k in ("field", "other", "when_field") if k in rule]
    if not isinstance(named, list) or not named or not all(isinstance(n, str) and n in specs for n in named):
        return ["must name fields of the schema"]
    types = {specs[n].get("type", "string") for n in named if n != rule.get("when_field")}
    numeric, dates = types <= NUMERIC, types in ({"date"}, {"datetime"})
    return _broken(
        {
            "'min' and 'max' must be numbers": kind == "row_sum"
            and not (_number(rule["min"]) and _number(rule["max"])),
            "must compare numbers (integer or number fields) or dates of one type": kind in ("row_sum", "not_less_than")
            and not (numeric or dates),
            "'row_sum' must add integer or number fields": kind == "row_sum" and not numeric,
            "'in' must be a list of strings": "in" in rule
            and not (isinstance(rule["in"], list) and all(isinstance(v, str) for v in rule["in"])),
        }
    )


def resource_file(base: Path, resource: dict[str, Any], descriptor_label: str) -> Path:
    """Return the CSV path of ``resource``, refusing paths that leave the package folder."""
    raw = resource["path"]
    pure = PurePosixPath(raw)
    unsafe = (
        "\x00" in raw or pure.is_absolute() or ".." in pure.parts or "\\" in raw or ":" in raw or raw.startswith("~")
    )
    target = base
    if not unsafe:
        try:
            target = (base / raw).resolve()
            unsafe = not target.is_relative_to(base.resolve())
        except (OSError, RuntimeError):  # RuntimeError: a symbolic link loop
            unsafe = True
    if unsafe:
        message = f"resource {resource['name']!r} points outside the package folder; use a relative path with no '..'"
        raise DatasetError([Problem(descriptor_label, None, None, raw, "safe_path", message)])
    return target
