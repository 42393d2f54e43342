"""How each notebook table is laid out: its columns in order and their headings, keyed by the table's name
(which also names its CSV download). ``notebook.table(frame, name)`` uses them."""

from __future__ import annotations

# fmt: off
TABLES: dict[str, dict[str, str]] = {
    "sources": {
        "source_id": "source", "publisher": "publisher", "title": "title", "published_date": "published",
        "url": "address",
    },
    "push-factors": {
        "event_date": "date", "actor": "actor", "category": "category", "summary": "what happened",
        "source_id": "source", "refs": "article footnotes",
    },
    "undated-push-factors": {
        "actor": "actor", "category": "category", "summary": "what happened", "source_id": "source",
        "refs": "article footnotes",
    },
    "estimates-in-window": {
        "as_of_date": "as of", "value_as_published": "figure, as published", "counted_from_label": "counted since",
        "publisher": "publisher", "source_id": "source", "notes": "notes",
    },
    "waves": {"event_date": "date", "summary": "what the source says", "source_id": "source", "notes": "notes"},
    "survey-findings": {
        "label": "finding", "value_as_published": "as published", "source_id": "source", "notes": "caveats",
    },
    "notable-emigrants": {
        "name": "name", "domain": "domain", "occupation": "occupation (as the source gives it)",
        "destination": "went to", "destination_place": "place", "left": "left", "how_left": "how they left",
        "returned": "back in Russia", "reason": "reason the source gives", "source_ids": "sources",
    },
    "emigrants-by-destination": {
        "destination": "went to", "emigrants": "count", "names": "who", "source_ids": "source of the destination",
    },
    "departures-by-month": {
        "month": "month left", "emigrants": "count", "names": "who", "source_ids": "source of the date",
    },
    "in-their-words": {"name": "name", "quote": "in their words", "source_id": "source"},
    "forced-exile": {
        "name": "name", "occupation": "occupation", "left": "expelled", "destination": "went to",
        "source_ids": "sources",
    },
    "returns": {
        "name": "name", "domain": "domain", "returned": "back in Russia", "destination": "had gone to",
        "notes": "notes", "source_id": "source of the return",
    },
    "caveats": {"name": "name", "notes": "caveat", "source_ids": "sources"},
    "later-steps": {
        "name": "emigrant", "event_date": "date", "summary": "what happened", "source_id": "source", "notes": "notes",
    },
    "undated-responses": {
        "country_name": "country", "actor": "actor", "category": "category", "stance_label": "stance",
        "summary": "what happened", "source_id": "source",
    },
    "closures-september-2022": {
        "when": "when", "country_name": "country", "category": "measure", "summary": "what happened",
        "source_id": "source", "notes": "notes",
    },
    "stance-turns": {
        "country_name": "country or body", "responses": "responses with a stance", "first_date": "first",
        "first_stance": "first stance", "latest_date": "latest", "latest_stance": "latest stance",
        "source_id": "sources",
    },
    "conflicting-estimates": {
        "country_name": "country", "measure_unit": "measure (unit)", "value_as_published": "figure, as published",
        "period": "period", "source_id": "source", "notes": "notes",
    },
    "focus-responses": {
        "event_date": "date", "actor": "actor", "category": "category", "stance_label": "stance",
        "summary": "what happened", "quote": "quote", "source_id": "source", "refs": "article footnotes",
    },
    "focus-estimates": {
        "measure_unit": "measure (unit)", "value_as_published": "figure, as published", "period": "period",
        "source_id": "source", "notes": "notes",
    },
    "responses-by-country": {
        "country_name": "country", "event_date": "date", "category": "category", "stance_label": "stance",
        "summary": "what happened", "source_id": "source",
    },
    "settled-by-destination": {
        "country_name": "destination", "value_as_published": "settled, as published", "as_of_date": "as of",
        "publisher": "publisher", "source_id": "source", "notes": "notes",
    },
    "article-vs-station-table": {
        "place": "place", "place_type": "type", "article_pct": "article %", "station_table_pct": "station table %",
        "gap_pts": "article minus station table (points)", "stations": "stations (city id: Putin %)",
        "source_id": "article figure from",
    },
    "official-vs-exit-poll": {
        "place": "place", "place_type": "type", "official_pct": "official %", "exit_poll_pct": "exit poll %",
        "gap_pts": "official minus exit poll (points)", "source_id": "official figure from",
    },
    "all-abroad": {
        "place": "scope", "result_kind": "kind of figure", "putin_pct": "Putin %", "as_of_date": "as of",
        "source_id": "source", "notes": "notes",
    },
    "stations-many-declined": {
        "label": "station", "country_name": "country", "respondents": "respondents", "declined_pct": "declined %",
    },
    "conflicting-figures": {
        "place": "place", "result_kind": "kind of figure", "putin_pct": "Putin %", "as_of_date": "as of",
        "source_id": "source", "notes": "notes",
    },
    "exit-poll-by-station": {
        "label": "station", "respondents": "respondents", "putin_pct": "Putin %", "davankov_pct": "Davankov %",
        "spoiled_pct": "spoiled %", "declined_pct": "declined %", "country_name": "country",
    },
    "exit-poll-by-country": {
        "label": "country", "respondents": "respondents", "putin_pct": "Putin %", "davankov_pct": "Davankov %",
        "spoiled_pct": "spoiled %", "declined_pct": "declined %", "stations": "stations", "places": "places",
    },
}
# fmt: on
#: Columns a layout shows with a fixed number of decimals: shares computed here (respondent-weighted
#: means), not published figures, so every row shows the same precision.
DECIMALS: dict[str, dict[str, int]] = {
    "exit-poll-by-country": {"putin_pct": 1, "davankov_pct": 1, "spoiled_pct": 1, "declined_pct": 1}
}
#: Source links a layout labels with another column of the row (the publisher) instead of the source id,
#: which the link keeps as its tooltip and the CSV keeps in its source column.
LINK_TEXT: dict[str, dict[str, str]] = {
    "focus-estimates": {"source_id": "publisher"},
    "conflicting-estimates": {"source_id": "publisher"},
}
