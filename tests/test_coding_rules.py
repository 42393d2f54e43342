"""The coding rules of data/README.md (Stance, Bound, Units, Credit, Dates, Titles), applied to every row.

Each test names the rule it applies; the rules themselves live in ``x_coding_rules`` of
``datapackage.json``, and each rule lists the tests that check it.
"""

from __future__ import annotations

import csv
import json
import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from russian_emigration import data_dir
from tests.conftest import SHARED, bundled_dataset

DESCRIPTOR = json.loads((data_dir() / "datapackage.json").read_text(encoding="utf-8"))
FACTS_FILE = SHARED / "sources" / "facts.csv"
needs_shared = pytest.mark.skipif(not FACTS_FILE.is_file(), reason="../shared/sources is not beside this checkout")

STANCE_ACTORS = {"state", "governing_party", "international_body"}
BORDER_MEASURES = {"border_exits", "border_entries", "left_destination", "net_border_entries"}
#: Qualifiers of a published figure and the bound each gives (Bound rule), checked in this order.
QUALIFIERS = [
    (
        "range",
        r"\bbetween\b|\d\s*(-|–|to)\s*\d|\b(less|fewer) than\b.*\bmore than\b|\bmore than\b.*\b(less|fewer) than\b",
    ),
    ("at_least", r"\bmore than\b|\bover\b|\bat least\b|\bjust over\b|\bin excess of\b"),
    ("at_most", r"\bup to\b|\bas many as\b|\bat most\b"),
    (
        "approx",
        r"\babout\b|\baround\b|\bsome\b|\broughly\b|\bapproximately\b|\bestimated\b|\balmost\b|\bnearly\b|\brund\b|\betwa\b",
    ),
]


@pytest.fixture(scope="module")
def ds():
    return bundled_dataset()


@pytest.fixture(scope="module")
def facts() -> pd.DataFrame:
    if not FACTS_FILE.is_file():
        pytest.skip("../shared/sources is not beside this checkout")
    return pd.read_csv(FACTS_FILE, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def fact_texts(facts: pd.DataFrame) -> list[str]:
    """Each row of ``facts`` as one string, its cells joined by spaces."""
    return [" ".join(row) for row in facts.astype(object).itertuples(index=False)]


def rows_mentioning(facts: pd.DataFrame, texts: list[str], url: str) -> pd.DataFrame:
    """The rows of ``facts`` (joined in ``texts``) with ``url`` anywhere in them: their url column or a quote."""
    return facts[[url in text for text in texts]]


def expected_bound(published: str) -> str:
    """The bound the Bound rule gives a figure worded as ``published``."""
    text = published.lower()
    for bound, pattern in QUALIFIERS:
        if re.search(pattern, text):
            return bound
    return "exact"


def offenders(frame: pd.DataFrame, mask: pd.Series, key: str) -> list[str]:
    """The primary keys of the rows that break a rule, for a readable failure."""
    return sorted(frame.loc[mask.fillna(False).astype(bool), key].astype(str))


# ---------------------------------------------------------------- Stance
def test_stance_only_for_states_and_international_bodies(ds) -> None:
    events = ds.events
    has_stance = events["stance"].notna()
    bad = has_stance & ~(events["theme"].eq("response") & events["actor_type"].isin(STANCE_ACTORS))
    assert offenders(events, bad, "event_id") == []
    untyped = events["actor"].notna() & events["actor_type"].isna()
    assert offenders(events, untyped, "event_id") == []


def test_unconfirmed_acts_have_no_stance(ds) -> None:
    events = ds.events
    bad = events["is_unconfirmed"].astype(bool) & events["stance"].notna()
    assert offenders(events, bad, "event_id") == []


#: Categories only a state can carry out (refuse entry, deport, hand over, grant status, change rules).
STATE_ACTS = {
    "visa_restriction",
    "entry_ban",
    "refuge_refused",
    "residence_rule",
    "asylum_policy",
    "extradition_policy",
    "deportation",
    "humanitarian_admission",
    "citizenship_grant",
    "entry_refusal",
    "residence_refusal",
    "visa_facilitation",
    "detention",
    "handover_to_russia",
    "data_exchange",
    "rights_restriction",
}


def test_a_state_act_told_by_others_is_a_claim(ds) -> None:
    """A state's act told by an NGO, emigrants or citizens (a count, an allegation) is their claim, unconfirmed."""
    events = ds.events
    claimed = events["category"].isin(STATE_ACTS) & events["actor_type"].notna()
    claimed &= ~events["actor_type"].isin(STANCE_ACTORS)
    assert offenders(events, claimed & ~events["is_unconfirmed"].astype(bool), "event_id") == []
    assert claimed.any(), "no claimed state act left to check: the rule would check nothing"


def test_citizens_and_emigrants_are_not_responses(ds) -> None:
    """Citizens act as society, emigrants as diaspora; as actors of a response they can only be claimants."""
    events = ds.events
    private = events["actor_type"].isin({"citizens", "emigrants"})
    bad_response = private & events["theme"].eq("response") & ~events["is_unconfirmed"].astype(bool)
    assert offenders(events, bad_response, "event_id") == []
    assert offenders(events, events["theme"].eq("society") & ~events["actor_type"].eq("citizens"), "event_id") == []
    assert offenders(events, events["theme"].eq("diaspora") & ~events["actor_type"].eq("emigrants"), "event_id") == []


def test_keeping_the_door_open_is_not_a_welcome(ds) -> None:
    """The rows the audit disputed carry the rule's reading."""
    stance = ds.events.set_index("event_id")["stance"].astype(object)
    assert stance["georgia-dream-rejects-visas"] == "neutral"
    assert pd.isna(stance["georgia-visa-regime-protests"])
    assert pd.isna(stance["georgia-z-sign-refusals"])
    assert pd.isna(stance["amnesty-schengen-overstay"])


# ---------------------------------------------------------------- Bound
def test_bound_follows_the_published_qualifier(ds) -> None:
    estimates = ds.estimates
    expected = estimates["value_as_published"].map(expected_bound)
    bad = expected != estimates["bound"].astype(str)
    rows = estimates.loc[bad, ["estimate_id", "value_as_published", "bound"]].assign(expected=expected[bad])
    assert rows.empty, rows.to_string()


@pytest.mark.parametrize(
    ("published", "bound"),
    [
        ("200,000", "exact"),
        ("about 25,000", "approx"),
        ("rund 2500", "approx"),
        ("more than 300,000", "at_least"),
        ("as many as 200,000", "at_most"),
        ("between 820,000 and 920,000", "range"),
        ("more than 50 but less than 70,000", "range"),
        ("more than 50,000 but fewer than 70,000", "range"),
    ],
)
def test_the_bound_rule_itself(published: str, bound: str) -> None:
    assert expected_bound(published) == bound


# ---------------------------------------------------------------- Units
def test_border_counts_are_never_people(ds) -> None:
    estimates = ds.estimates
    border = estimates["is_border_count"].astype(bool)
    assert offenders(estimates, border != estimates["unit"].eq("trips"), "estimate_id") == []
    assert offenders(estimates, border != estimates["measure"].isin(BORDER_MEASURES), "estimate_id") == []
    said_at_border = estimates["notes"].fillna("").str.contains(
        r"border guard|frontex|checkpoint|border crossing|at the border|entries, not", case=False
    ) | estimates["place"].fillna("").str.contains("border", case=False)
    assert offenders(estimates, said_at_border & estimates["unit"].eq("people"), "estimate_id") == []


def test_applications_and_holders_keep_their_units(ds) -> None:
    units = ds.estimates.groupby("measure", observed=True)["unit"].first()
    assert units["residence_permits"] == "permits"
    assert units["residence_permit_holders"] == "people"
    assert {units[m] for m in units.index if m.endswith("_applications")} == {"applications"}


# ---------------------------------------------------------------- Credit
def test_relays_name_the_original(ds) -> None:
    originals = ds.sources.dropna(subset=["original_publisher"]).set_index("source_id")["original_publisher"]
    missing = []
    for name, frame in ds.tables.items():
        if name == "sources" or "notes" not in frame.columns:
            continue
        for column in ("source_id", "destination_source_id", "date_source_id"):
            if column not in frame.columns:
                continue
            cited = frame[frame[column].isin(originals.index)]
            for index, row in cited.iterrows():
                original = originals[row[column]]
                if original.lower() not in str(row["notes"] if pd.notna(row["notes"]) else "").lower():
                    missing.append(f"{name} row {index} ({row[column]}): notes do not name {original}")
    assert missing == []


@needs_shared
def test_every_source_url_is_in_the_material(ds, facts) -> None:
    material = FACTS_FILE.read_text(encoding="utf-8") + (SHARED / "sources" / "README.md").read_text(encoding="utf-8")
    # The seed excerpt is named by its article title in the material, not by address.
    absent = [
        row.source_id
        for row in ds.sources.itertuples()
        if row.url not in material and row.source_id != "wikipedia-seed"
    ]
    assert absent == []


@needs_shared
def test_facts_taken_are_usable(ds, facts) -> None:
    """A page is cited only for facts the source check kept: verified, single_reading or corrected rows."""
    usable = facts[facts["check"].isin({"verified", "single_reading", "corrected"})]
    taken = set(usable["source_url"]) | set(" ".join(usable.to_numpy().ravel()).split())
    seed_or_vote = ds.sources["url"].str.contains("wikipedia.org|github.com/vearlen", regex=True)
    unusable = ds.sources[~seed_or_vote & ~ds.sources["url"].isin(taken)]
    assert list(unusable["source_id"]) == []


def test_destination_source_only_with_what_it_sources(ds) -> None:
    emigrants = ds.emigrants
    sourced = emigrants[["destination_code", "destination_place", "left_date"]].notna().any(axis=1)
    assert offenders(emigrants, emigrants["destination_source_id"].notna() & ~sourced, "emigrant_id") == []


# ---------------------------------------------------------------- Dates
def _date_forms(value: str) -> list[str]:
    """Ways a source text may write the ISO date ``value``."""
    parts = value.split("-")
    if len(parts) < 3:
        return [value, value.replace("-", "/")]
    day = date(*map(int, parts))
    formats = [
        "%Y/%m/%d",
        "%Y%m%d",
        "%d.%m.%Y",
        "%B %-d, %Y",
        "%-d %B %Y",
        "%b %-d, %Y",
        "%-d %b %Y",
        "%-d %B",
        "%-d %b",
    ]
    return [value, *(day.strftime(f) for f in formats), f"{day.day} Sept"]


MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_MONTH = rf"({'|'.join(MONTHS)})[a-z]*"


def _dates_in_text(text: str) -> set[str]:
    """ISO dates, 'D Month YYYY' and 'Month YYYY' phrases in ``text``, as ISO strings."""
    found = set(re.findall(r"\d{4}-\d{2}-\d{2}", text))
    for day, month, year in re.findall(rf"\b(\d{{1,2}}) {_MONTH}\.? (\d{{4}})\b", text):
        found.add(f"{year}-{MONTHS.index(month) + 1:02d}-{int(day):02d}")
    for month, year in re.findall(rf"\b{_MONTH} (\d{{4}})\b", text):
        found.add(f"{year}-{MONTHS.index(month) + 1:02d}")
    return found


@needs_shared
def test_published_dates_are_stated(ds, facts, fact_texts) -> None:
    unstated = []
    for row in ds.sources.dropna(subset=["published_date"]).itertuples():
        about = rows_mentioning(facts, fact_texts, row.url)
        text = row.url + " " + " ".join(about.to_numpy().ravel())
        if not any(form in text for form in _date_forms(row.published_date)):
            unstated.append(f"{row.source_id}: {row.published_date}")
    assert unstated == []


@needs_shared
def test_event_dates_come_from_the_material(ds, facts, fact_texts) -> None:
    """An event date is a date the material gives for the event (or a period containing it), not a publication day."""
    seed = " ".join(p.read_text(encoding="utf-8") for p in (SHARED / "seed").glob("*.txt"))
    urls = ds.sources.set_index("source_id")["url"]
    problems = []
    for row in ds.events.dropna(subset=["event_date"]).itertuples():
        source = row.date_source_id if pd.notna(row.date_source_id) else row.source_id
        if source == "wikipedia-seed":
            assert row.event_date[:4] in seed, row.event_id
            continue
        rows = rows_mentioning(facts, fact_texts, urls[source])
        stated = {d for field in rows["date"] for d in re.findall(r"\d{4}(?:-\d{2}){0,2}", field)}
        stated |= _dates_in_text(" ".join(rows.to_numpy().ravel()))
        if not any(s.startswith(row.event_date) for s in stated):
            problems.append(f"{row.event_id}: {row.event_date} not among {sorted(stated)}")
    assert problems == []


def test_left_dates_are_not_publication_days(ds) -> None:
    published = ds.sources.set_index("source_id")["published_date"]
    emigrants = ds.emigrants[ds.emigrants["left_date_precision"].eq("day")]
    same = emigrants["left_date"] == emigrants["destination_source_id"].map(published)
    assert offenders(emigrants, same, "emigrant_id") == []


def test_date_source_only_with_a_date(ds) -> None:
    events = ds.events
    with_source = events["date_source_id"].notna()
    assert offenders(events, with_source & events["event_date"].isna(), "event_id") == []
    assert offenders(events, with_source & events["date_source_id"].eq(events["source_id"]), "event_id") == []


# ---------------------------------------------------------------- Titles
@needs_shared
def test_titles_flagged_unless_stated(ds) -> None:
    material = " ".join(
        p.read_text(encoding="utf-8")
        for p in [FACTS_FILE, SHARED / "sources" / "README.md", *(SHARED / "seed").glob("*.txt")]
    )
    material = " ".join(material.split())
    stated = ds.sources["title"].map(lambda title: title in material)
    flagged = ds.sources["is_title_description"].astype(bool)
    assert offenders(ds.sources, ~flagged & ~stated, "source_id") == []
    assert offenders(ds.sources, flagged & stated, "source_id") == []


def test_every_rule_is_documented_and_checked() -> None:
    rules = {rule["name"]: rule for rule in DESCRIPTOR["x_coding_rules"]}
    assert list(rules) == ["Stance", "Bound", "Units", "Credit", "Dates", "Titles"]
    tests = Path(__file__).read_text(encoding="utf-8") + (Path(__file__).parent / "test_data.py").read_text(
        encoding="utf-8"
    )
    for rule in rules.values():
        assert rule["rule"] and rule["checks"], rule["name"]
        for check in rule["checks"]:
            assert f"def {check.split('::')[1]}(" in tests, check


def test_new_columns_are_filled(ds) -> None:
    """Every row says whether it is unconfirmed, a border count or a description title; nothing is left blank."""
    for table, column in [
        ("events", "is_unconfirmed"),
        ("estimates", "is_border_count"),
        ("sources", "is_title_description"),
    ]:
        assert ds.tables[table][column].notna().all(), (table, column)
    with (data_dir() / "events.csv").open(encoding="utf-8", newline="") as fh:
        assert "actor_type" in next(csv.reader(fh))
