"""Reading ``datapackage.json`` safely: the single source of truth for tables and rules."""

from __future__ import annotations

import json
import re
import warnings
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any

from russian_emigration.errors import DatasetError, Problem

DESCRIPTOR_NAME = "datapackage.json"


def descriptor_path(path: str | Path) -> Path:
    """Return the descriptor file for ``path``: a data package folder or its ``datapackage.json``."""
    path = Path(path)
    return path / DESCRIPTOR_NAME if path.is_dir() or path.suffix != ".json" else path


def read_descriptor(path: Path) -> dict[str, Any]:
    """Parse ``datapackage.json``, raising DatasetError if it is missing or not a valid descriptor."""
    label = _label(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DatasetError(
            [Problem(label, None, None, None, "file-exists", "the descriptor file does not exist")]
        ) from None
    except (UnicodeDecodeError, OSError) as exc:
        raise DatasetError(
            [Problem(label, None, None, None, "readable-utf8", f"cannot be read as UTF-8 text ({exc})")]
        ) from None
    try:
        descriptor = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DatasetError(
            [Problem(label, exc.lineno, None, None, "valid-json", f"is not valid JSON: {exc.msg}")]
        ) from None
    _check_structure(descriptor, label)
    return descriptor


def resource_file(base: Path, resource: dict[str, Any], descriptor_label: str) -> Path:
    """Return the CSV path of ``resource``, refusing paths that leave the package folder."""
    raw = resource.get("path")
    name = resource.get("name")
    if not isinstance(raw, str) or not raw:
        raise DatasetError(
            [Problem(descriptor_label, None, None, str(raw), "resource-path", f"resource {name!r} has no path")]
        )
    pure = PurePosixPath(raw)
    unsafe = pure.is_absolute() or ".." in pure.parts or "\\" in raw or ":" in raw or raw.startswith("~")
    target = (base / raw).resolve()
    if unsafe or not target.is_relative_to(base.resolve()):
        raise DatasetError(
            [
                Problem(
                    descriptor_label,
                    None,
                    None,
                    raw,
                    "safe-path",
                    f"resource {name!r} points outside the data package folder; use a relative path with no '..'",
                )
            ]
        )
    return target


def _label(path: Path) -> str:
    """A short, location-independent name for a file in messages: its folder and its name."""
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name


def _check_structure(descriptor: Any, label: str) -> None:
    """Check every part of the descriptor the loader relies on; raise one DatasetError listing all problems."""
    problems: list[str] = []
    if not isinstance(descriptor, dict):
        problems.append("the top level must be a JSON object")
    elif not isinstance(descriptor.get("resources"), list) or not descriptor["resources"]:
        problems.append("'resources' must be a non-empty list")
    else:
        names = [r.get("name") if isinstance(r, dict) else None for r in descriptor["resources"]]
        for index, resource in enumerate(descriptor["resources"]):
            problems += _resource_problems(resource, index, names)
    if problems:
        raise DatasetError([Problem(label, None, None, None, "descriptor-structure", p) for p in problems])


_TYPES = {"string", "integer", "number", "boolean", "date", "datetime"}
_RULES = {
    "row_sum": ("fields", "min", "max"),
    "not_less_than": ("field", "other"),
    "required_if": ("field", "when_field", "in"),
    "empty_unless": ("field", "when_field", "in"),
}


def _resource_problems(resource: Any, index: int, names: list[Any]) -> list[str]:
    """Problems of one resource entry: name, path, schema, keys and rules."""
    if not isinstance(resource, dict) or not isinstance(resource.get("name"), str) or not resource["name"]:
        return [f"resource {index} must be an object with a non-empty string 'name'"]
    where = f"resource {resource['name']!r}"
    problems = []
    if names.count(resource["name"]) > 1:
        problems.append(f"{where}: resource names must be unique")
    if not isinstance(resource.get("path"), str) or not resource["path"]:
        problems.append(f"{where}: 'path' must be a non-empty string")
    schema = resource.get("schema")
    fields = schema.get("fields") if isinstance(schema, dict) else None
    if not isinstance(fields, list) or not fields:
        return [*problems, f"{where}: needs a 'schema' with a non-empty 'fields' list"]
    field_names: list[str] = []
    for position, spec in enumerate(fields):
        if not isinstance(spec, dict) or not isinstance(spec.get("name"), str) or not spec["name"]:
            problems.append(f"{where}: field {position} needs a non-empty string 'name'")
            continue
        if spec["name"] in field_names:
            problems.append(f"{where}: field {spec['name']!r} appears twice")
        field_names.append(spec["name"])
        problems += [f"{where}, field {spec['name']!r}: {p}" for p in _field_problems(spec)]
    problems += _key_problems(schema, where, field_names, names)
    rules = resource.get("x_rules", [])
    if not isinstance(rules, list):
        return [*problems, f"{where}: 'x_rules' must be a list"]
    for rule in rules:
        problems += [
            f"{where}, rule {rule.get('rule') if isinstance(rule, dict) else rule!r}: {p}"
            for p in _rule_problems(rule, field_names)
        ]
    return problems


def _field_problems(spec: dict[str, Any]) -> list[str]:
    """Problems of one field: its type and the shape of its constraints and options."""
    problems = []
    if spec.get("type", "string") not in _TYPES:
        problems.append(f"type {spec.get('type')!r} is not one of {', '.join(sorted(_TYPES))}")
    constraints = spec.get("constraints", {})
    if not isinstance(constraints, dict):
        return [*problems, "'constraints' must be an object"]
    for key in ("required", "unique"):
        if key in constraints and not isinstance(constraints[key], bool):
            problems.append(f"constraint {key!r} must be true or false")
    enum = constraints.get("enum")
    if enum is not None and (
        not isinstance(enum, list)
        or not enum
        or not all(isinstance(v, str) for v in enum)
        or len(set(enum)) != len(enum)
    ):
        problems.append("constraint 'enum' must be a non-empty list of distinct strings")
    for key in ("minimum", "maximum"):
        if key in constraints and (isinstance(constraints[key], bool) or not isinstance(constraints[key], int | float)):
            problems.append(f"constraint {key!r} must be a number")
    pattern = constraints.get("pattern")
    if pattern is not None:
        problems += _pattern_problems(pattern)
    for key in ("trueValues", "falseValues"):
        if key in spec and (not isinstance(spec[key], list) or not all(isinstance(v, str) for v in spec[key])):
            problems.append(f"{key!r} must be a list of strings")
    if "format" in spec and not isinstance(spec["format"], str):
        problems.append("'format' must be a string")
    if "x_list" in spec and (
        not isinstance(spec["x_list"], dict)
        or not isinstance(spec["x_list"].get("separator", ";"), str)
        or len(spec["x_list"].get("separator", ";")) != 1
    ):
        problems.append("'x_list' must be an object whose 'separator' is one character")
    if "x_date_range" in spec:
        problems += _date_range_problems(spec["x_date_range"])
        if spec.get("type", "string") not in ("date", "datetime") and spec.get("x_partial_date") is not True:
            problems.append("'x_date_range' needs a date, datetime or partial-date (x_partial_date) field")
    if spec.get("x_partial_date") not in (None, True, False):
        problems.append("'x_partial_date' must be true or false")
    return problems


def _pattern_problems(pattern: Any) -> list[str]:
    if not isinstance(pattern, str):
        return ["constraint 'pattern' must be a string"]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # re warns about ambiguous syntax such as a nested set '[['
            re.compile(f"^(?!(?:{pattern})$)", re.MULTILINE)
    except (re.error, OverflowError, RecursionError, ValueError, Warning) as exc:  # huge repeats: OverflowError
        return [f"constraint 'pattern' is not a valid, unambiguous regular expression ({exc})"]
    return []


def _date_range_problems(bounds: Any) -> list[str]:
    if not isinstance(bounds, dict):
        return ["'x_date_range' must be an object with 'min' and 'max'"]
    problems = []
    for key in ("min", "max"):
        value = bounds.get(key, "today" if key == "max" else "0001-01-01")
        if value == "today" and key == "max":
            continue
        try:
            date.fromisoformat(value)
        except (TypeError, ValueError):
            problems.append(
                f"'x_date_range' {key!r} must be an ISO date (YYYY-MM-DD){' or today' if key == 'max' else ''}"
            )
    return problems


def _key_problems(schema: dict[str, Any], where: str, field_names: list[str], resources: list[Any]) -> list[str]:
    """Problems of the primary key and the foreign keys: they must name existing fields and tables."""

    def as_list(value: Any) -> list[Any] | None:
        value = [value] if isinstance(value, str) else value
        return value if isinstance(value, list) and value and all(isinstance(v, str) for v in value) else None

    problems = []
    if "primaryKey" in schema:
        key = as_list(schema["primaryKey"])
        if key is None or not set(key) <= set(field_names):
            problems.append(f"{where}: 'primaryKey' must name fields of the schema")
    foreign = schema.get("foreignKeys", [])
    if not isinstance(foreign, list):
        return [*problems, f"{where}: 'foreignKeys' must be a list"]
    for fk in foreign:
        reference = fk.get("reference") if isinstance(fk, dict) else None
        fields = as_list(fk.get("fields")) if isinstance(fk, dict) else None
        ref_fields = as_list(reference.get("fields")) if isinstance(reference, dict) else None
        if (
            fields is None
            or ref_fields is None
            or len(fields) != len(ref_fields)
            or not set(fields) <= set(field_names)
        ):
            problems.append(
                f"{where}: every foreign key needs 'fields' of the schema and a 'reference' with as many 'fields'"
            )
        elif not isinstance(reference.get("resource"), str) or (
            reference["resource"] and reference["resource"] not in resources
        ):
            problems.append(f"{where}: a foreign key refers to an unknown resource {reference.get('resource')!r}")
    return problems


def _rule_problems(rule: Any, field_names: list[str]) -> list[str]:
    """Problems of one cross-field rule: a known kind whose fields exist."""
    if not isinstance(rule, dict) or rule.get("rule") not in _RULES:
        return [f"must be an object whose 'rule' is one of {', '.join(sorted(_RULES))}"]
    problems = [f"needs {key!r}" for key in _RULES[rule["rule"]] if key not in rule]
    if problems:
        return problems
    named = (
        rule["fields"]
        if rule["rule"] == "row_sum"
        else [rule[k] for k in ("field", "other", "when_field") if k in rule]
    )
    if not isinstance(named, list) or not named or not all(isinstance(n, str) and n in field_names for n in named):
        problems.append("must name fields of the schema")
    if rule["rule"] == "row_sum" and not all(
        isinstance(rule[k], int | float) and not isinstance(rule[k], bool) for k in ("min", "max")
    ):
        problems.append("'min' and 'max' must be numbers")
    if "in" in rule and (not isinstance(rule["in"], list) or not all(isinstance(v, str) for v in rule["in"])):
        problems.append("'in' must be a list of strings")
    return problems
