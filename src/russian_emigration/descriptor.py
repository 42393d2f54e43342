"""Reading ``datapackage.json``, reporting every problem: JSON syntax, repeated keys, NaN; the keywords the
loader reads (``descriptor.schema.json``); names keys and rules refer to; the rest of the standard (Frictionless).
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections import Counter
from datetime import date, datetime, timedelta
from importlib import resources as importlib_resources
from pathlib import Path
from typing import Any

from russian_emigration.errors import DatasetError, Problem

#: Attributes of :class:`~russian_emigration.dataset.Dataset` a table name may not shadow.
RESERVED_NAMES = {"tables", "descriptor", "path", "resource", "sources_for"}
JSON_TYPES = {
    "array": 'a list in square brackets, such as ["a", "b"]',
    "boolean": "true or false, without quotes",
    "number": "a number, without quotes",
    "integer": "a whole number, without quotes",
    "string": "text in double quotes",
    "object": "an object in curly braces, {...}",
}
#: What the items of a list in the descriptor are called in messages.
NOUNS = {"resources": "resource", "fields": "field", "x_rules": "rule", "foreignKeys": "foreign key"}


def descriptor_path(path: str | Path) -> Path:
    """The descriptor file for ``path``: a data package folder or its ``datapackage.json``."""
    path = Path(path)
    return path / "datapackage.json" if path.is_dir() or path.suffix != ".json" else path


def read_text(path: Path, where: str) -> str:
    """The UTF-8 text of a file (a byte-order mark is dropped); DatasetError naming ``where`` otherwise."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DatasetError([Problem(where, None, None, None, "file_exists", "the file does not exist")]) from None
    except OSError as exc:
        message = f"cannot be read ({exc.strerror or exc})"
        raise DatasetError([Problem(where, None, None, None, "readable", message)]) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        message = f"is not UTF-8 text (byte {data[exc.start]:#04x} at offset {exc.start}); save it as UTF-8"
        raise DatasetError([Problem(where, data.count(b"\n", 0, exc.start) + 1, None, None, "utf8", message)]) from None


def read_descriptor(path: Path, today: date | None = None) -> dict[str, Any]:
    """Parse and check ``datapackage.json``; raise one DatasetError listing every problem in it."""
    where = f"{path.parent.name}/{path.name}" if path.parent.name else path.name  # never the absolute path
    text = read_text(path, where)
    problems, row = _problems(text, today or date.today())
    if problems:
        raise DatasetError([Problem(where, row, None, None, rule, message) for rule, message in problems])
    return json.loads(text)


@functools.lru_cache(maxsize=8)
def _problems(text: str, today: date) -> tuple[tuple[tuple[str, str], ...], int | None]:
    """The (rule, message) problems of a descriptor's text, and the line of a JSON syntax error."""
    try:
        descriptor = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        return (("valid_json", _json_syntax(text, exc)),), exc.lineno
    except ValueError as exc:
        return (("valid_json", str(exc)),), None
    problems = _schema_problems(descriptor) or _reference_problems(descriptor, today)
    return tuple(problems or _standard_problems(descriptor)), None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    repeated = sorted(key for key, n in Counter(key for key, _ in pairs).items() if n > 1)
    if repeated:
        raise ValueError(f"repeats the key(s) {', '.join(map(repr, repeated))} in one object; keep one")
    return dict(pairs)


def _no_constant(name: str) -> float:
    raise ValueError(f"uses {name}, which is not a number in JSON; write a finite number")


def _json_syntax(text: str, exc: json.JSONDecodeError) -> str:
    """A JSON syntax error with its place, and the usual cause when it is a comma after the last item."""
    message = f"is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
    before = text[: exc.pos].rstrip()
    if before.endswith(",") and text[exc.pos : exc.pos + 1] in ("]", "}"):
        line = text.count("\n", 0, len(before)) + 1
        message += f"; JSON allows no comma after the last item of a list or object: see the end of line {line}"
    return message


@functools.cache
def _validator() -> Any:
    import jsonschema  # heavy: imported when a descriptor is first checked

    text = importlib_resources.files("russian_emigration").joinpath("descriptor.schema.json").read_text("utf-8")
    return jsonschema.Draft202012Validator(json.loads(text), format_checker=jsonschema.FormatChecker())


def _schema_problems(descriptor: Any) -> list[tuple[str, str]]:
    """jsonschema's errors in plain words, one per place (the most direct error there)."""
    errors: dict[tuple[Any, ...], Any] = {}
    for error in sorted(_validator().iter_errors(descriptor), key=lambda e: (len(e.absolute_schema_path), e.path)):
        errors.setdefault(tuple(error.absolute_path), error)
    problems = []
    for place, error in errors.items():
        rule = "unknown_keyword" if error.validator == "additionalProperties" else "descriptor_structure"
        problems.append((rule, f"{_place(descriptor, list(place))}: {_plain(error)}"))
    return problems


def _plain(error: Any) -> str:
    """What a jsonschema error means, in words that say what to write instead."""
    schema = error.schema if isinstance(error.schema, dict) else {}
    if "x_message" in schema:
        return str(schema["x_message"])
    value, expected = error.instance, error.validator_value
    if error.validator == "additionalProperties":
        known = schema.get("properties", {})
        unknown = [key for key in value if key not in known]
        hints = "".join(_did_you_mean(k, known) for k in unknown)
        return f"the loader does not read {', '.join(map(repr, unknown))}{hints} (it reads: {', '.join(known)})"
    if error.validator == "required":
        return f"needs {', '.join(repr(k) for k in expected if k not in value)}"
    if error.validator == "type":
        types = [expected] if isinstance(expected, str) else expected
        return f"must be {' or '.join(JSON_TYPES.get(t, t) for t in types)}, not {_short(value)}"
    if error.validator == "enum":
        return f"{_short(value)} is not one of {', '.join(map(str, expected))}{_did_you_mean(value, expected)}"
    return str(error.message)


def _did_you_mean(word: Any, choices: Any) -> str:
    """'; did you mean X?' for the choice X that ``word`` most likely misspells (case aside), else ''."""
    lower = {str(c).lower(): str(c) for c in choices}
    found = difflib.get_close_matches(word.lower(), list(lower), n=1, cutoff=0.75) if isinstance(word, str) else []
    return f"; did you mean {lower[found[0]]!r}?" if found else ""


def _short(value: Any, width: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 3] + "..."


def _place(descriptor: Any, path: list[Any]) -> str:
    """Where a JSON path points, in words: "resource 'events', field 'summary', constraint 'maximum'"."""
    parts: list[str] = []
    node = descriptor
    for parent, key in zip([None, *path], path, strict=False):  # each key and the one before
        node = node[key]
        if isinstance(key, int):
            name = node.get("name") if isinstance(node, dict) else None
            noun = NOUNS.get(str(parent), f"{parent} item")
            parts.append(f"{noun} {name!r}" if isinstance(name, str) else f"{noun} {key + 1}")
        elif parent == "constraints":
            parts[-1] = f"constraint {key!r}"
        elif key not in NOUNS and key != "schema":
            parts.append(key if key == "constraints" else repr(key))
    return ", ".join(parts) or "the package"


def _standard_problems(descriptor: dict[str, Any]) -> list[tuple[str, str]]:
    """The Data Package and Table Schema standard, as Frictionless checks it."""
    from frictionless import FrictionlessException, Package, Resource  # heavy: imported only when needed

    parts: list[tuple[str, Any, Any]] = [("the package", Package, {**descriptor, "resources": []})]
    parts += [(f"resource {r['name']!r}", Resource, r) for r in descriptor["resources"]]
    problems = []
    for where, kind, part in parts:
        try:
            errors = list(kind.metadata_validate(part))
        except FrictionlessException as exc:  # raised, not yielded, for some mistakes
            errors = [exc.error]
        problems += [("table_schema", f"{where}: {getattr(e, 'note', '') or e.message}") for e in errors]
    return problems


def _reference_problems(descriptor: dict[str, Any], today: date) -> list[tuple[str, str]]:
    """Names that keys and rules refer to, unique names, patterns that compile (Frictionless: safe paths)."""
    resources = descriptor["resources"]
    schemas = {r["name"]: {f["name"]: f for f in r["schema"]["fields"]} for r in resources}
    names = Counter(r["name"] for r in resources)
    problems = [f"resource name {n!r} appears more than once" for n, c in names.items() if c > 1]
    for resource in resources:
        where, specs, schema = f"resource {resource['name']!r}", schemas[resource["name"]], resource["schema"]
        if resource["name"] in RESERVED_NAMES:
            problems.append(f"{where}: a table may not be named {resource['name']!r} (a Dataset attribute)")
        counts = Counter(f["name"] for f in schema["fields"])
        problems += [f"{where}: field {n!r} appears more than once" for n, c in counts.items() if c > 1]
        problems += [f"{where}, primaryKey: {m}" for m in _unknown(schema.get("primaryKey", []), specs)]
        for fk in schema.get("foreignKeys", []):
            parent = fk["reference"]["resource"] or resource["name"]
            if parent not in schemas:
                problems.append(f"{where}: a foreign key refers to an unknown resource {parent!r}")
                continue
            unknown = _unknown(fk["fields"], specs) + _unknown(fk["reference"]["fields"], schemas[parent])
            problems += [f"{where}, foreign key: {m}" for m in unknown]
        for rule in resource.get("x_rules", []):
            named = rule.get("fields", []) + [rule[k] for k in ("field", "other", "when_field") if k in rule]
            problems += [f"{where}, rule {rule['rule']!r}: {m}" for m in _unknown(named, specs)]
            kinds = {specs[n].get("type", "string") for n in named if n in specs}
            comparable = kinds <= {"integer", "number"} or kinds in ({"date"}, {"datetime"})
            if rule["rule"] in ("row_sum", "not_less_than") and not comparable:
                problems.append(f"{where}, rule {rule['rule']!r}: must compare numbers or dates of one type")
        for spec in schema["fields"]:
            try:
                re.compile(spec.get("constraints", {}).get("pattern", ""))
            except re.error as exc:
                problems.append(f"{where}, field {spec['name']!r}: 'pattern' does not compile ({exc})")
            if spec.get("type") == "datetime" and (bad := _bad_datetime_format(spec.get("format", "default"))):
                problems.append(f"{where}, field {spec['name']!r}: 'format' {spec['format']!r} {bad}")
    if (_created_day(descriptor.get("created")) or today) > today + timedelta(days=1):  # a day's grace: time zones
        problems.append(f"'created' {descriptor['created']!r} is in the future")
    return [("descriptor_structure", p) for p in problems]


def _bad_datetime_format(fmt: str) -> str:
    """Why ``fmt`` is no strptime format ('' when it is one, or Table Schema's 'default'/'any')."""
    if fmt in ("default", "any"):
        return ""
    try:
        datetime.strptime("", fmt)
    except ValueError as exc:  # an empty value never matches: only a bad directive is a problem here
        return "" if str(exc).startswith("time data") else f"is not a valid date and time format ({exc})"
    return ""


def _unknown(names: str | list[str], specs: dict[str, Any]) -> list[str]:
    """For each name (a key may be one name) that is not a field: which, and the field it most likely misspells."""
    names = [names] if isinstance(names, str) else names
    return [f"{name!r} is not a field of the table{_did_you_mean(name, specs)}" for name in names if name not in specs]


def _created_day(created: Any) -> date | None:
    try:
        return datetime.fromisoformat(str(created)).date()
    except ValueError:
        return None


def newest_allowed_date(descriptor: dict[str, Any], today: date) -> date:
    """The last day a date in the data may fall on: ``today``, or the package's 'created' day if later."""
    return max(today, _created_day(descriptor.get("created")) or today)
