"""Render the data dictionary (``data/README.md``) from ``datapackage.json``.

Text from the descriptor is escaped, so that it reads as written wherever the Markdown is rendered
(a code host, the site's Data dictionary page) and can never become a link, a role or raw HTML.
The part for maintainers (which tests check each rule) comes last, after :data:`MAINTAINERS`, and the
site leaves it out.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

LEAD = "How the data package is built and what every column means."
CODING_RULES = """The judgement calls behind the rows, written so that the next editor makes the same call. Tests
apply each rule to every row where code can check it."""
FOR_MAINTAINERS = """This file is generated from `datapackage.json` by `make data-dictionary`; a test fails when it is
out of date, so edit the descriptor, not this file. The tests that apply each coding rule:"""
#: Where the part for maintainers starts; the site's page ends before it.
MAINTAINERS = "<!-- maintainers -->"
INTRO = """
## Conventions

- Every CSV is UTF-8 without a byte-order mark, with LF line endings and one header row.
- Empty cell = unknown or not applicable. Nothing is guessed to fill a gap.
- Countries are ISO 3166-1 alpha-3 codes (`country_code`, `destination_code`); the `countries`
  table holds their names and groupings. Multi-country areas such as the EU have no code: the
  row names them in `place` or in `actor`.
- Partial dates (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`) keep the precision the source gives.
  `load_dataset()` adds three columns after each: `<name>_first` and `<name>_last` (the first
  and last day it covers) and `<name>_precision` (year, month or day).
- `refs` holds the seed article's footnote numbers, separated by `;`. In the excerpt, a marker
  at the start of a paragraph closes the sentence before it (the closing quotation mark of
  Nina Belyayeva's quote stands right before `[13]`), so that is the sentence it is recorded
  on. `load_dataset()` turns `refs` into tuples of integers.
- Conflicting sources are kept as separate rows, each with its own source; `notes` says what
  conflicts with what. Units are never mixed: `trips` (border crossings) are not `people`,
  `permits` are not headcounts, and `applications` are not grants (see the Units rule).
- Two-step stories (released at the border, then granted asylum a year later) are two
  `events` rows that name the same `emigrant_id`; the emigrant's row keeps the destination.
- An emigrant's `destination_code`, `destination_place`, `left_date` and `left_by_date` come
  from `destination_source_id`, which may differ from the row's `source_id` (the seed article
  names the person and their occupation; later reporting says where they went). A return to
  Russia (`return_kind`, `return_date`) comes from `return_source_id`.
- Source titles are the publication's own only where the source material states them;
  otherwise a description written by the project, flagged in `is_title_description`.
  `accessed_date` is when the project took the fact from its curated source notes.
"""


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
        LEAD + "\n" + INTRO,
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
