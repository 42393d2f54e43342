"""Constants the analysis, the notebooks and the tests share: each is defined here and only here.

Vocabularies (fields, stances, measures, ...) are not constants: they are read from
``data/datapackage.json``.
"""

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
#: Differences in percentage points (``*_pts``) are always the published figure minus the
#: figure this project computes from the station table.
PTS_SIGN_CONVENTION = "published figure minus station-table figure"
