"""Reading ``datapackage.json`` strictly: the single source of truth for tables and rules.

Every keyword the loader does not implement is refused by name rather than ignored, numbers must be
finite, keys unique, nesting shallow, patterns compilable and resource paths inside the package. The
structure is described in ``descriptor.schema.json`` (a JSON Schema, checked with jsonschema); the
JSON parser's hooks and the checks here cover what a JSON Schema cannot say.
"""

from __future__ import annotations

import difflib
import functools
import json
import math
import re
import stat
import threading
import warnings
from collections import Counter
from datetime import date, datetime
from importlib import resources as importlib_resources
from pathlib import Path
from typing import Any

from russian_emigration.errors import DatasetError, Problem

DESCRIPTOR_NAME = "datapackage.json"
#: The structure a descriptor may have, as a JSON Schema (shipped in the package, read by jsonschema).
SCHEMA_NAME = "descriptor.schema.json"
MAX_DEPTH = 20
MAX_INTEGER_DIGITS = 18
MAX_MESSAGE = 300
NUMERIC = {"integer", "number"}


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


def read_descriptor(path: Path, remember: bool = False) -> dict[str, Any]:
    """Parse and check ``datapackage.json``; raise one DatasetError listing every problem in it.

    With ``remember``, a descriptor that passed is noted in the cache folder (by its text, the day and
    this package's code), and reading the same text again skips the jsonschema check and its import.
    """
    from russian_emigration import cache as store

    where = label(path)
    text = read_text(path, where)
    key = store.text_key(text, date.today().isoformat()) if remember else None
    if not (key and store.read_json("descriptors", key)):
        problems, row = _problems(text, date.today())
        if problems:
            raise _errors(where, list(problems), row)
        if key:
            store.write_json("descriptors", key, True)
    return _parse(text)


def _parse(text: str) -> Any:
    return json.loads(
        text,
        object_pairs_hook=_unique_keys,
        parse_int=_bounded_int,
        parse_float=_finite_float,
        parse_constant=_no_constant,
    )


@functools.lru_cache(maxsize=16)
def _problems(text: str, today: date) -> tuple[tuple[tuple[str, str], ...], int | None]:
    """The problems of a descriptor's text and the row of a JSON syntax error, kept per text and day
    ('created' may not be in the future): one package is loaded again and again."""
    try:
        descriptor = _parse(text)
        if _depth(descriptor) > MAX_DEPTH:
            raise RecursionError
    except json.JSONDecodeError as exc:
        return (("valid_json", _json_syntax(text, exc)),), exc.lineno
    except RecursionError:
        return (("depth_limit", f"is nested deeper than {MAX_DEPTH} levels"),), None
    except _Refused as exc:
        return (exc.problem,), None
    return tuple(check_descriptor(descriptor)), None


def _json_syntax(text: str, exc: json.JSONDecodeError) -> str:
    """A JSON syntax error with its column, and the usual cause when it is a comma after the last item."""
    message = f"is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
    before = text[: exc.pos].rstrip()
    if before.endswith(",") and text[exc.pos : exc.pos + 1] in ("]", "}"):
        line = text.count("\n", 0, len(before)) + 1
        message += f"; JSON allows no comma after the last item of a list or object: see the end of line {line}"
    return message


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


@functools.cache
def _validator() -> Any:
    """The jsonschema validator of SCHEMA_NAME, built once (jsonschema is imported on the first load)."""
    import jsonschema

    schema = json.loads(importlib_resources.files("russian_emigration").joinpath(SCHEMA_NAME).read_text("utf-8"))
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def check_descriptor(descriptor: Any) -> list[tuple[str, str]]:
    """Every problem of the descriptor as (rule, message); empty when the loader can rely on it.

    The structure (known keywords only, types, limits, required keys, enums) is checked against
    ``descriptor.schema.json`` by jsonschema. What a JSON Schema cannot say is checked here, on each
    resource whose structure is sound: unique names, keys and rules that name real fields of fitting
    types, patterns and date formats that compile, and a 'created' date that is not in the future.
    """
    errors = list(_validator().iter_errors(descriptor))
    problems = _schema_problems(descriptor, errors)
    broken = set()  # the resources whose structure is unsound: the checks below would trip over them
    for error in errors:
        path = list(error.absolute_path)
        broken.add(path[1] if path[:1] == ["resources"] and len(path) > 1 else None)
    resources = descriptor.get("resources") if isinstance(descriptor, dict) else None
    if not isinstance(resources, list):
        return problems
    if descriptor.get("created") is not None and _created_date(descriptor) is None:
        problems.append(("descriptor_structure", "'created' must be an ISO date and time, not in the future"))
    named = [(i, r) for i, r in enumerate(resources) if isinstance(r, dict) and isinstance(r.get("name"), str)]
    counts = Counter(r["name"] for _, r in named)
    schemas = {r["name"]: None if i in broken else r["schema"] for i, r in named}
    for index, resource in enumerate(resources):
        if index not in broken:
            messages = _resource_problems(resource, schemas)
            messages += ["resource names must be unique"] if counts[resource["name"]] > 1 else []
            problems += [("descriptor_structure", f"resource {resource['name']!r}: {m}") for m in messages]
    return problems


def _schema_problems(descriptor: Any, errors: list[Any]) -> list[tuple[str, str]]:
    """jsonschema's errors as (rule, message), one mistake once: at each place, an error about the value
    itself (a missing or unknown keyword, a wrong type or value) hides those that follow from it (such as
    a rule for some field types only, when the type is unknown), and a missing keyword that an unknown
    one misspells is said once, as a suggestion."""
    at: dict[tuple[Any, ...], list[Any]] = {}
    for error in errors:
        at.setdefault(tuple(error.absolute_path), []).append(error)
    problems: list[tuple[str, str]] = []
    for path, group in at.items():
        first = [e for e in group if e.validator in VALUE_ERRORS] or group
        first = [e for e in first if "then" not in e.absolute_schema_path] or first  # a value refused outright
        misspelt = {
            _close(k, e.schema.get("properties", {})) for e in first if e.validator == _EXTRA for k in _extra(e)
        }
        for error in first:
            if error.validator == "required" and set(_missing(error)) <= misspelt:
                continue
            problem = _schema_problem(descriptor, list(path), error)
            problems += [problem] if problem not in problems else []
    return problems


#: jsonschema validators that say what is wrong with a value itself; other errors at its place follow.
VALUE_ERRORS = ("required", "additionalProperties", "type", "enum", "const")
_EXTRA = "additionalProperties"
#: How a JSON type is written, for someone editing the file by hand.
JSON_TYPES = {
    "array": 'a list in square brackets, such as ["a", "b"]',
    "boolean": "true or false, without quotes",
    "number": "a number, without quotes",
    "integer": "a whole number, without quotes",
    "string": "text in double quotes",
    "object": "an object in curly braces, {...}",
}


def _schema_problem(descriptor: Any, path: list[Any], error: Any) -> tuple[str, str]:
    """One jsonschema error as (rule, message): the schema's x_rule and x_message where it gives them,
    else ``unknown_keyword`` or ``descriptor_structure`` and the error in plain words."""
    rule = "unknown_keyword" if error.validator == _EXTRA else "descriptor_structure"
    schema = error.schema if isinstance(error.schema, dict) else {}
    message = schema.get("x_message") or _plain(error, schema)
    if len(message) > MAX_MESSAGE:
        message = message[: MAX_MESSAGE - 3] + "..."
    return schema.get("x_rule", rule), f"{_place(descriptor, path)}: {message}"


def _plain(error: Any, schema: dict[str, Any]) -> str:
    """What a jsonschema error means, in words that say what to write instead."""
    value, expected = error.instance, error.validator_value
    if error.validator == _EXTRA:
        known = schema.get("properties", {})
        unknown = ", ".join(map(repr, _extra(error)))
        hints = "".join(f"; did you mean {_close(k, known)!r}?" for k in _extra(error) if _close(k, known))
        return f"the loader does not implement {unknown}{hints} (known: {', '.join(sorted(known))})"
    if error.validator == "required":
        return f"needs {', '.join(map(repr, _missing(error)))}"
    if error.validator == "type":
        types = [expected] if isinstance(expected, str) else expected
        return f"must be {' or '.join(JSON_TYPES.get(t, t) for t in types)}, not {_short(value)}"
    if error.validator == "enum":
        hint = _close(value, expected) if isinstance(value, str) else None
        return f"{_short(value)} is not one of {', '.join(map(str, expected))}" + (
            f"; did you mean {hint!r}?" if hint else ""
        )
    if error.validator == "minItems":
        return f"must list at least {expected} value{'s' if expected > 1 else ''}"
    if error.validator == "uniqueItems":
        twice = [v for v, n in Counter(json.dumps(v) for v in value).items() if n > 1]
        return f"lists {', '.join(twice)} more than once"
    if error.validator == "format" and expected == "date":
        return f"must be an ISO date, YYYY-MM-DD, not {_short(value)}"
    return str(error.message)


def _extra(error: Any) -> list[str]:
    known = error.schema.get("properties", {})
    return [key for key in error.instance if key not in known]


def _missing(error: Any) -> list[str]:
    return [key for key in error.validator_value if key not in error.instance]


def _close(word: str, choices: Any) -> str | None:
    """The choice ``word`` most likely misspells (case aside), if any."""
    lower = {str(c).lower(): str(c) for c in choices}
    found = difflib.get_close_matches(word.lower(), list(lower), n=1, cutoff=0.75)
    found = found or [c for c in lower if len(word) > 2 and c.startswith(word.lower())][:1]
    return lower[found[0]] if found else None


def _short(value: Any, width: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 3] + "..."


#: What the items of a list in the descriptor are called in messages.
NOUNS = {"resources": "resource", "fields": "field", "x_rules": "rule", "foreignKeys": "foreign key"}


def _place(descriptor: Any, path: list[str | int]) -> str:
    """Where a JSON path points, in words: resource 'events', field 'summary', constraint 'maximum'.
    A list item is named by its 'name', else counted from 1 (field 2)."""
    parts: list[str] = []
    node, parent = descriptor, None
    for index, key in enumerate(path):
        node = node[key]
        item_follows = index + 1 < len(path) and isinstance(path[index + 1], int)
        if isinstance(key, int):
            name = node.get("name") if isinstance(node, dict) else None
            noun = NOUNS.get(str(parent), f"{parent} item")
            parts.append(f"{noun} {name!r}" if isinstance(name, str) else f"{noun} {key + 1}")
        elif parent == "constraints":
            parts[-1] = f"constraint {key!r}"
        elif key != "schema" and not (key in NOUNS and item_follows):  # the item names its list
            parts.append(str(key) if key == "constraints" else repr(key))
        parent = key
    return ", ".join(parts) or "the package"


def _type(spec: dict[str, Any]) -> str:
    return str(spec.get("type", "string"))


def key_names(value: str | list[str] | None) -> list[str]:
    """A key's field names: the descriptor gives one as a string, several as a list."""
    return [value] if isinstance(value, str) else list(value or [])


def _resource_problems(resource: dict[str, Any], schemas: dict[Any, Any]) -> list[str]:
    """What the schema cannot check in one resource: fields named once, keys and rules naming real fields."""
    fields = resource["schema"]["fields"]
    specs = {spec["name"]: spec for spec in fields}
    problems = [f"field {n!r} appears twice" for n, c in Counter(f["name"] for f in fields).items() if c > 1]
    for spec in fields:
        problems += [f"field {spec['name']!r}: {p}" for p in _field_problems(spec)]
    unknown = _not_fields(key_names(resource["schema"].get("primaryKey")), specs)
    problems += [f"'primaryKey' {unknown}"] if unknown else []
    for fk in resource["schema"].get("foreignKeys", []):
        problems += _foreign_key_problems(fk, resource["name"], specs, schemas)
    for rule in resource.get("x_rules", []):
        problems += [f"rule {rule['rule']!r}: {p}" for p in _rule_problems(rule, specs)]
    return problems


def _field_problems(spec: dict[str, Any]) -> list[str]:
    """Whether the field's pattern and its date and time format compile."""
    constraints = spec.get("constraints", {})
    problems = pattern_problems(constraints["pattern"]) if "pattern" in constraints else []
    if _type(spec) == "datetime" and spec.get("format", "default") != "default":
        problems += _datetime_format_problems(spec["format"])
    return problems


def _foreign_key_problems(fk: dict[str, Any], name: str, specs: dict[str, Any], schemas: dict[Any, Any]) -> list[str]:
    """A foreign key must name fields of its table and of an existing table, as many, of the same types."""
    fields, ref_fields = key_names(fk["fields"]), key_names(fk["reference"]["fields"])
    parent = fk["reference"]["resource"] or name
    if parent not in schemas:
        return [f"a foreign key refers to an unknown resource {parent!r}"]
    if schemas[parent] is None:  # its own structure is reported already
        return []
    if _not_fields(fields, specs):
        return [f"a foreign key's 'fields' {_not_fields(fields, specs)}"]
    if len(fields) != len(ref_fields):
        return ["a foreign key needs a 'reference' with as many 'fields' as its own"]
    parent_specs = {spec["name"]: spec for spec in schemas[parent]["fields"]}
    problems = []
    for child, ref in zip(fields, ref_fields, strict=True):
        if ref not in parent_specs:
            problems.append(f"a foreign key's reference {_not_fields([ref], parent_specs, parent)}")
        elif _type(specs[child]) != _type(parent_specs[ref]):
            problems.append(f"foreign key {child!r} and {ref!r} must have the same type")
    return problems


def _rule_problems(rule: dict[str, Any], specs: dict[str, dict[str, Any]]) -> list[str]:
    """A cross-field rule must name fields of the schema, of types it can compare or add."""
    kind = rule["rule"]
    named = rule["fields"] if kind == "row_sum" else [rule[k] for k in ("field", "other", "when_field") if k in rule]
    if _not_fields(named, specs):
        return [str(_not_fields(named, specs))]
    types = {_type(specs[n]) for n in named if n != rule.get("when_field")}
    if kind == "row_sum" and not types <= NUMERIC:
        return ["'row_sum' must add integer or number fields"]
    if kind == "not_less_than" and not (types <= NUMERIC or types in ({"date"}, {"datetime"})):
        return ["must compare numbers (integer or number fields) or dates of one type"]
    return []


def _not_fields(names: list[Any], specs: dict[str, Any], table: str = "") -> str | None:
    """For names that are not fields of a schema: which, and the field each most likely misspells."""
    unknown = [name for name in names if name not in specs]
    hints = "".join(f"; did you mean {_close(str(n), specs)!r}?" for n in unknown if _close(str(n), specs))
    where = f"of {table!r}" if table else "of the schema"
    return f"names {', '.join(map(repr, unknown))}, not a field {where}{hints}" if unknown else None


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


#: Warning filters are process-wide: code that changes them (here, and a Sphinx build, whose
#: deprecation warnings would otherwise become errors) holds this lock, so concurrent report
#: builds in one process never see each other's filters.
WARNING_FILTERS_LOCK = threading.RLock()


def pattern_problems(pattern: str) -> list[str]:
    """Whether ``pattern`` compiles as the loader will use it (``regex`` module, ASCII classes)."""
    import regex

    try:
        with WARNING_FILTERS_LOCK, warnings.catch_warnings():
            warnings.simplefilter("error")
            regex.compile(pattern, regex.ASCII | regex.VERSION0)
            re.compile(pattern)  # Frictionless reads it with re: both must accept it
    except (regex.error, re.error, OverflowError, RecursionError, ValueError, Warning) as exc:
        return [f"constraint 'pattern' is not a valid regular expression ({exc})"]
    return []


def _datetime_format_problems(fmt: str) -> list[str]:
    import pandas as pd

    try:
        pd.to_datetime(pd.Series(["2024-03-17T10:00"]), format=fmt, errors="coerce")
    except (ValueError, TypeError) as exc:
        return [f"'format' {fmt!r} is not a valid date and time format ({exc})"]
    return []


def resource_file(base: Path, resource: dict[str, Any], descriptor_label: str) -> Path:
    """Return the CSV path of ``resource``, refusing one that leads outside the package folder.

    The schema refuses absolute paths, '..' and the like; this catches a symbolic link that leads out.
    """
    try:
        target = (base / resource["path"]).resolve()
        inside = target.is_relative_to(base.resolve())
    except (OSError, RuntimeError):  # RuntimeError: a symbolic link loop
        inside = False
    if not inside:
        message = f"resource {resource['name']!r} points outside the package folder (through a symbolic link)"
        raise DatasetError([Problem(descriptor_label, None, None, resource["path"], "safe_path", message)])
    return target
