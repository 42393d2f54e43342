"""The data dictionary (``data/README.md``) from ``datapackage.json``. Descriptor text is escaped: it reads as
written wherever the Markdown is rendered and never becomes a link, a role or raw HTML. The part for maintainers
comes last, after :data:`MAINTAINERS`; the site leaves it out."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

#: The lead and the conventions every table follows (Markdown written by the project, not from the descriptor).
CONVENTIONS = Path(__file__).with_name("conventions.md")
CODING_RULES = """The judgement calls behind the rows, written so that the next editor makes the same call. Tests
apply each rule to every row where code can check it."""
FOR_MAINTAINERS = """This file is generated from `datapackage.json` by `make data-dictionary`; a test fails when it is
out of date, so edit the descriptor, not this file. The tests that apply each coding rule:"""
#: Where the part for maintainers starts; the site's page ends before it.
MAINTAINERS = "<!-- maintainers -->"


def text(value: Any) -> str:
    """Descriptor text as Markdown that reads as exactly that text: HTML entities, escaped Markdown marks."""
    value = " ".join(str(value).split()).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([`*\[\]{}|\\])", r"\\\1", value)


def render(descriptor: dict[str, Any]) -> str:
    """The Markdown data dictionary of a data package descriptor."""
    licences = ", ".join(lic.get("title") or lic.get("name", "") for lic in descriptor.get("licenses", []))
    rules = descriptor.get("x_coding_rules", [])
    lines = [
        f"# Data dictionary: {text(descriptor.get('title', descriptor.get('name', '')))}",
        "",
        text(descriptor.get("description", "")),
        "",
        CONVENTIONS.read_text(encoding="utf-8"),
        f"Licence of the data: {text(licences)}. Version {text(descriptor.get('version', ''))}.",
        "",
    ]
    if rules:
        lines += ["## Coding rules", "", CODING_RULES, ""]
        lines += [part for rule in rules for part in (f"### {text(rule['name'])}", "", text(rule["rule"]), "")]
    lines += ["## Tables", ""]
    lines += [
        f"- [`{r['name']}`](#{r['name'].replace('_', '-')}): {text(r.get('title', ''))}"
        for r in descriptor["resources"]
    ]
    for resource in descriptor["resources"]:
        lines += [
            "",
            f"## {resource['name']}",
            "",
            f"File `{resource['path']}`. {text(resource.get('description', ''))}",
            "",
        ]
        lines += _keys(resource["schema"])
        lines += [f"Rule ({rule['rule']}): {text(rule.get('description', ''))}" for rule in resource.get("x_rules", [])]
        lines += ["", "| column | type | required | allowed values | description |", "|---|---|---|---|---|"]
        lines += [_field_row(field) for field in resource["schema"]["fields"]]
    lines += ["", MAINTAINERS, "", "## For maintainers", "", FOR_MAINTAINERS, ""]
    lines += [f"- {rule['name']}: " + ", ".join(f"`{c}`" for c in rule.get("checks", [])) for rule in rules]
    return "\n".join(lines).rstrip() + "\n"


def _names(fields: str | list[str]) -> str:
    return fields if isinstance(fields, str) else ", ".join(fields)


def _keys(schema: dict[str, Any]) -> list[str]:
    """The primary key and the foreign keys of a table, one line each."""
    lines = [f"Primary key: `{_names(schema['primaryKey'])}`."] if schema.get("primaryKey") else []
    for fk in schema.get("foreignKeys", []):
        ref = fk["reference"]
        lines.append(f"Foreign key: `{_names(fk['fields'])}` → `{ref['resource']}.{_names(ref['fields'])}`.")
    return lines


def _field_row(field: dict[str, Any]) -> str:
    """One Markdown table row describing a field."""
    constraints = field.get("constraints", {})
    ftype = "partial date" if field.get("x_partial_date") else field.get("type", "string")
    if "x_list" in field:
        ftype = f"list of {field['x_list'].get('item_type', 'string')}"
    allowed = []
    if "enum" in constraints:
        allowed.append(", ".join(f"`{v}`" for v in constraints["enum"]))
    if "minimum" in constraints or "maximum" in constraints:
        allowed.append(f"{constraints.get('minimum', '')} to {constraints.get('maximum', '')}".strip())
    if "x_date_range" in field:
        rng = field["x_date_range"]
        allowed.append(f"{rng.get('min', '')} to {rng.get('max', '')}")
    if constraints.get("unique"):
        allowed.append("unique")
    description = text(field.get("description", ""))
    required = "yes" if constraints.get("required") else ""
    return f"| `{field['name']}` | {ftype} | {required} | {'; '.join(allowed)} | {description} |"


def render_file(descriptor_file: Path) -> str:
    """The dictionary of the descriptor at ``descriptor_file``, after the loader's checks of it: a
    descriptor it would refuse is a :class:`DatasetError`, not half a dictionary."""
    from russian_emigration.descriptor import read_descriptor

    return render(read_descriptor(descriptor_file))
