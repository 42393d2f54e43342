"""Human labels for the codes of the descriptor's closed vocabularies.

A code's label is the code with spaces for underscores unless :data:`LABELS` gives a better one.
:data:`CODE_COLUMNS` names every column with a closed vocabulary; a test checks it against
``data/datapackage.json``, so a new vocabulary column or value is noticed by the tests, not a reader.
"""

from __future__ import annotations

#: Every column (by name, in any table) whose values come from a closed vocabulary.
CODE_COLUMNS = frozenset(
    {
        "kind",
        "region",
        "actor_type",
        "theme",
        "category",
        "stance",
        "domain",
        "measure",
        "unit",
        "bound",
        "place_type",
        "result_kind",
        "departure_kind",
        "return_kind",
    }
)

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
    "bound": {"approx": "about", "at_least": "at least", "at_most": "at most"},
    "place_type": {"all_abroad": "all stations abroad"},
    "result_kind": {"exit_poll": "exit poll"},
    "domain": {
        "stage_and_screen": "stage and screen",
        "literature_and_criticism": "literature and criticism",
        "science_and_academia": "science and academia",
    },
    "departure_kind": {
        "left_after_invasion": "left after the invasion",
        "abroad_stayed_out": "abroad when the war began, stayed out",
        "expelled_in_exchange": "expelled in the August 2024 exchange",
    },
}


def is_code_column(column: str) -> bool:
    """Whether ``column`` holds codes of a closed vocabulary."""
    return column in CODE_COLUMNS


def code_label(column: str, code: str) -> str:
    """The label a reader sees for ``code`` of ``column``."""
    return LABELS.get(column, {}).get(code, str(code).replace("_", " "))
