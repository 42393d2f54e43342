"""Reading ``datapackage.json`` safely: the single source of truth for tables and rules."""

from __future__ import annotations

import json
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
    """Check the parts of the descriptor the loader relies on."""

    def fail(message: str, value: str | None = None) -> DatasetError:
        return DatasetError([Problem(label, None, None, value, "descriptor-structure", message)])

    if not isinstance(descriptor, dict):
        raise fail("the top level must be a JSON object")
    resources = descriptor.get("resources")
    if not isinstance(resources, list) or not resources:
        raise fail("'resources' must be a non-empty list")
    names = set()
    for resource in resources:
        if not isinstance(resource, dict) or not isinstance(resource.get("name"), str):
            raise fail("every resource must be an object with a 'name'")
        if resource["name"] in names:
            raise fail("resource names must be unique", resource["name"])
        names.add(resource["name"])
        fields = resource.get("schema", {}).get("fields") if isinstance(resource.get("schema"), dict) else None
        if not isinstance(fields, list) or not fields:
            raise fail(f"resource {resource['name']!r} needs a schema with a non-empty 'fields' list")
        seen = set()
        for field in fields:
            if not isinstance(field, dict) or not isinstance(field.get("name"), str) or not field["name"]:
                raise fail(f"every field of resource {resource['name']!r} needs a name")
            if field["name"] in seen:
                raise fail(f"field names of resource {resource['name']!r} must be unique", field["name"])
            seen.add(field["name"])
            if not isinstance(field.get("constraints", {}), dict):
                raise fail(f"constraints of field {field['name']!r} must be an object")
