"""Human labels for the codes of the descriptor's closed vocabularies: the code with spaces for underscores,
unless :data:`LABELS` gives a better one."""

from __future__ import annotations

import json
from functools import cache

from russian_emigration.dataset import data_dir

#: Labels that differ from the code with spaces, keyed by column then code.
LABELS: dict[str, dict[str, str]] = {
    "measure": {
        "left_russia": "left Russia",
        "left_russia_it_specialists": "IT specialists who left Russia",
        "emigrated_official": "emigrated (official)",
        "immigrated_official": "immigrated (official)",
        "net_migration_official": "net migration (official)",
        "share_fearing_repression": "share afraid of repression",
        "share_left_mainly_for_mobilization": "share who left mainly because of mobilization",
        "share_settled_in_destination": "share settled in the destination",
        "entered_it_specialists": "IT specialists who entered",
        "returned_to_russia": "returned to Russia",
    },
    "category": {"handover_to_russia": "handover to Russia"},
    "actor_type": {"ngo": "NGO"},
    "bound": {"approx": "about"},
    "place_type": {"all_abroad": "all stations abroad"},
    "departure_kind": {
        "left_after_invasion": "left after the invasion",
        "abroad_stayed_out": "abroad when the war began, stayed out",
        "expelled_in_exchange": "expelled in the August 2024 exchange",
    },
}


@cache
def _code_columns() -> frozenset[str]:
    """Every column (by name, in any table) that the bundled descriptor gives a closed vocabulary."""
    descriptor = json.loads((data_dir() / "datapackage.json").read_text(encoding="utf-8"))
    fields = (field for resource in descriptor["resources"] for field in resource["schema"]["fields"])
    return frozenset(field["name"] for field in fields if "enum" in field.get("constraints", {}))


def is_code_column(column: str) -> bool:
    """Whether ``column`` holds codes of a closed vocabulary."""
    return column in _code_columns()


def code_label(column: str, code: str) -> str:
    """The label a reader sees for ``code`` of ``column``."""
    return LABELS.get(column, {}).get(code, str(code).replace("_", " "))
