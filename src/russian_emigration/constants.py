"""Constants the analysis, the notebooks and the tests share, each defined here only. Vocabularies (stances,
measures, ...) are not constants: they are read from ``data/datapackage.json``."""

from __future__ import annotations

from datetime import date

#: The first day of Russia's full-scale invasion of Ukraine, the start of the story.
INVASION_DATE = date(2022, 2, 24)
#: The ``event_id`` of the announcement of "partial" mobilization; its date is read from the data.
MOBILIZATION_EVENT_ID = "partial-mobilization"
#: The ``source_id`` of the Wikipedia article excerpt the project started from.
SEED_SOURCE_ID = "wikipedia-seed"
#: The country people left, which is never a destination.
ORIGIN_COUNTRY_CODE = "RUS"
#: The one label shown wherever the sources state no value (a destination, a stance, a date).
NOT_STATED = "not stated"
#: Judgement calls of the analysis, each defined once and quoted from here by the notebooks.
#: A count of people who left that starts before the first day of the month after the invasion is
#: counted from the invasion (sources date a start "since February" or "since March").
COUNTED_FROM_INVASION_BEFORE = date(2022, 3, 1)
#: The waves a source's summary may name ("the second wave"), in order.
WAVES = ("first", "second", "third", "fourth")
#: A station where at least this share of respondents declined to answer is listed apart (percent).
DECLINED_THRESHOLD_PCT = 30.0
#: An article figure within this many percentage points of the station table counts as reconciled.
RECONCILED_WITHIN_PTS = 1.0
