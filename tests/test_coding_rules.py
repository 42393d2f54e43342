"""The coding rules of data/README.md (Stance, Bound, Units, Credit, Dates, Titles), applied to every row.

Each test names the rule it applies; the rules themselves live in ``x_coding_rules`` of
``datapackage.json``, and each rule lists the tests that check it (all of them in this file).

The module is self-contained: it defines its own fixtures and imports nothing from ``tests.conftest``.
The checks against the project's source material read ``../shared`` beside the checkout and are
skipped where it is missing.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from urllib.parse import urlparse

import pandas as pd
import pytest

import russian_emigration
from russian_emigration import data_dir

REPO = Path(__file__).resolve().parents[1]
#: The project's source material (seed excerpt, facts.csv), beside the checkout.
SHARED = REPO.parent / "shared"
DESCRIPTOR = json.loads((data_dir() / "datapackage.json").read_text(encoding="utf-8"))
FACTS_FILE = SHARED / "sources" / "facts.csv"
needs_shared = pytest.mark.skipif(not FACTS_FILE.is_file(), reason="../shared/sources is not beside this checkout")

STANCE_ACTORS = {"state", "governing_party", "international_body"}
BORDER_MEASURES = {"border_exits", "border_entries", "left_destination", "net_border_entries"}
#: Entries or travels counted by a body the material does not name, or whose method it does not give (Units rule).
UNSTATED_COUNTER = "entries_counter_unstated"
#: Qualifiers of a published figure and the bound each gives (Bound rule), checked in this order.
QUALIFIERS = [
    (
        "range",
        r"\bbetween\b|\d\s*(-|–|to)\s*\d|\b(less|fewer) than\b.*\bmore than\b|\bmore than\b.*\b(less|fewer) than\b",
    ),
    ("at_least", r"\bmore than\b|\bover\b|\bat least\b|\bjust over\b|\bin excess of\b|\bas low as\b"),
    ("at_most", r"\bup to\b|\bas many as\b|\bat most\b|\bas high as\b"),
    (
        "approx",
        r"\babout\b|\baround\b|\bsome\b|\broughly\b|\bapproximately\b|\bestimated\b|\balmost\b|\bnearly\b|\brund\b|\betwa\b",
    ),
]


@pytest.fixture(scope="module")
def ds():
    return russian_emigration.load_dataset()


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


_PAGES: dict[int, dict[str, pd.DataFrame]] = {}  # the rows of each page, grouped once per ``facts`` frame


def rows_of_page(facts: pd.DataFrame, url: str) -> pd.DataFrame:
    """The rows of ``facts`` read on the page at ``url`` (their ``source_url``)."""
    if id(facts) not in _PAGES:
        _PAGES[id(facts)] = dict(list(facts.groupby("source_url", sort=False)))
    return _PAGES[id(facts)].get(url, facts.iloc[:0])


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


def text(value: object) -> str:
    """A cell as text: empty for a missing value."""
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


# ---------------------------------------------------------------- dates in the material
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_MONTH = rf"({'|'.join(MONTHS)})[a-z]*"


def _date_forms(value: str) -> list[str]:
    """Ways a source text may write the ISO date ``value``."""
    parts = value.split("-")
    if len(parts) == 2:
        month = date(int(parts[0]), int(parts[1]), 1)
        return [value, value.replace("-", "/"), month.strftime("%B %Y"), month.strftime("%b %Y")]
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
        "%B %-d",
        "%b %-d",
    ]
    return [value, *(day.strftime(f) for f in formats), f"{day.day} Sept", f"Sept {day.day}", f"Sept. {day.day}"]


def _dates_in_text(text_: str) -> set[str]:
    """ISO dates, 'D Month YYYY' and 'Month YYYY' phrases in ``text_``, as ISO strings."""
    found = set(re.findall(r"\d{4}-\d{2}-\d{2}", text_))
    for day, month, year in re.findall(rf"\b(\d{{1,2}}) {_MONTH}\.? (\d{{4}})\b", text_):
        found.add(f"{year}-{MONTHS.index(month) + 1:02d}-{int(day):02d}")
    for month, year in re.findall(rf"\b{_MONTH} (\d{{4}})\b", text_):
        found.add(f"{year}-{MONTHS.index(month) + 1:02d}")
    return found


def whole_dates(text_: str) -> set[str]:
    """Each date written in ``text_``, once, at the precision it is written: '24 Jan 2024' is 2024-01-24 only,
    never also 2024-01 or 2024; a bare year counts only where no day or month goes with it."""
    found: set[str] = set()
    rest = text_
    patterns = [
        (rf"\b(\d{{1,2}}) {_MONTH}\.? (\d{{4}})\b", lambda m: f"{m[3]}-{MONTHS.index(m[2]) + 1:02d}-{int(m[1]):02d}"),
        (rf"\b{_MONTH}\.? (\d{{1,2}}),? (\d{{4}})\b", lambda m: f"{m[3]}-{MONTHS.index(m[1]) + 1:02d}-{int(m[2]):02d}"),
        (r"\b(\d{4})-(\d{2})-(\d{2})\b", lambda m: m[0]),
        (r"\b(\d{4})-(\d{2})\b(?!-)", lambda m: m[0]),
        (rf"\b{_MONTH} (\d{{4}})\b", lambda m: f"{m[2]}-{MONTHS.index(m[1]) + 1:02d}"),
        (r"(?<![\d-])(20[12]\d)(?![\d-])", lambda m: m[1]),
    ]
    for pattern, iso in patterns:
        for match in re.finditer(pattern, rest):
            found.add(iso(match))
        rest = re.sub(pattern, " ", rest)
    return found


#: Where a facts row says its date (or a year, day or month) was read on another page than the row's own.
DATE_FROM_ELSEWHERE = re.compile(
    r"(?<!-)\b(?:date|day|year|month)\b(?!\s+changed)[^.;|]{0,40}?\b(?:from|confirmed by)\b"
    r"(?!\s+(?:the\s+)?(?:url|address|context|page|text|image|invasion)\b|\s+['‘\"])"
    r"|\bper other pages\b",
    re.IGNORECASE,
)


#: What names the other page in such a clause: a site, or a relay, copy, wire, account or service.
OTHER_PAGE = re.compile(
    r"\b(?:[a-z0-9-]+\.)+[a-z]{2,}\b|\b(?:relay|copy|copies|wire|account|service|pages)\b", re.IGNORECASE
)


def attributes_a_date_elsewhere(clause: str) -> bool:
    """Whether a clause of a facts row's notes says a date was read on another page, and names that page."""
    return bool(DATE_FROM_ELSEWHERE.search(clause) and OTHER_PAGE.search(clause))


def dates_from_elsewhere(row: pd.Series) -> set[str]:
    """The dates a facts row attributes to another page (often one with no address in the material):
    the dates written in each clause of its notes and check note that says so, and its own ``date``
    when such a clause names it or names no date of its own."""
    found: set[str] = set()
    for column in ("notes", "check_note"):
        for clause in re.split(r"[.;|]\s", text(row[column])):
            if attributes_a_date_elsewhere(clause):
                written = whole_dates(clause)
                found |= written
                own = text(row["date"])
                if own and (not written or any(d.startswith(own) for d in written)):
                    found.add(own)
    return found


def stated_by_the_page(rows: pd.DataFrame, url: str, publisher: str) -> set[str]:
    """Dates the cited page states itself: in its address, in the verbatim quotes read on it, and in the
    sentences of the notes and check notes that name the page (its site or publisher) and attribute
    nothing to another page. Not the evidence, a paraphrase that may mix pages."""
    keys = {
        re.sub(r"^the", "", re.sub(r"[^a-z0-9]", "", name.lower())) for name in (host(url).split(".")[0], publisher)
    }
    stated = whole_dates(url)
    for _, row in rows.iterrows():
        stated |= whole_dates(row["quote"])
        for sentence in about_this_page(row):
            names_it = any(key and key in re.sub(r"[^a-z0-9]", "", sentence.lower()) for key in keys)
            if names_it and not attributes_a_date_elsewhere(sentence):
                stated |= whole_dates(sentence)
    return stated


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


def test_security_findings_and_removals_are_restrictions(ds) -> None:
    """A refusal or ban on a security finding with no reason tied to views, and a deportation after an
    asylum claim was heard, are restrictive; handing a person to Russia's services is hostile (Stance rule)."""
    stance = ds.events.set_index("event_id")["stance"].astype(object)
    for event_id in (
        "serbia-koposova-expulsion-order",
        "serbia-nikitin-entry-denied",
        "serbia-volokhonsky-permit-refused",
    ):
        assert stance[event_id] == "restrictive", event_id
    assert stance["kazakhstan-zhilin-deported"] == "restrictive"
    handovers = ds.events[ds.events["category"].eq("handover_to_russia") & ds.events["stance"].notna()]
    assert set(handovers["stance"]) == {"hostile"}


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
        ("as low as 26%", "at_least"),
        ("as high as 40%", "at_most"),
    ],
)
def test_the_bound_rule_itself(published: str, bound: str) -> None:
    assert expected_bound(published) == bound


# ---------------------------------------------------------------- Units
def test_border_counts_are_never_people(ds) -> None:
    estimates = ds.estimates
    border = estimates["is_border_count"].astype(bool)
    unstated = estimates["measure"].eq(UNSTATED_COUNTER)
    assert offenders(estimates, border & ~estimates["unit"].eq("trips"), "estimate_id") == []
    assert offenders(estimates, border != estimates["measure"].isin(BORDER_MEASURES), "estimate_id") == []
    trips = estimates["unit"].eq("trips")
    assert offenders(estimates, trips & ~(border | unstated), "estimate_id") == []
    said_at_border = estimates["notes"].fillna("").str.contains(
        r"border guard|frontex|checkpoint|border crossing|at the border|entries, not", case=False
    ) | estimates["place"].fillna("").str.contains("border", case=False)
    assert offenders(estimates, said_at_border & estimates["unit"].eq("people"), "estimate_id") == []


def test_counts_with_an_unstated_counter_are_trips_not_border_counts(ds) -> None:
    """A count whose counting body is unknown is entries_counter_unstated, in trips, and no border count;
    its notes say that the counter is not stated (Units rule)."""
    estimates = ds.estimates
    unstated = estimates[estimates["measure"].eq(UNSTATED_COUNTER)]
    assert not unstated.empty, "no count with an unstated counter left: the rule would check nothing"
    assert set(unstated["unit"]) == {"trips"}
    assert not unstated["is_border_count"].astype(bool).any()
    silent = ~unstated["notes"].fillna("").str.contains(r"not say who counted|not stated|does not say", case=False)
    assert offenders(unstated, silent, "estimate_id") == []


def test_one_unit_per_measure(ds) -> None:
    """Units are never mixed: a measure always comes in the same unit."""
    units = ds.estimates.groupby("measure", observed=True)["unit"].nunique()
    assert (units == 1).all(), units[units > 1]


def test_applications_and_holders_keep_their_units(ds) -> None:
    units = ds.estimates.groupby("measure", observed=True)["unit"].first()
    assert units["residence_permits"] == "permits"
    assert units["residence_permit_holders"] == "people"
    assert {units[m] for m in units.index if m.endswith("_applications")} == {"applications"}


#: Wording that shows a count is administrative: a register, permit holders, legal residents.
ADMINISTRATIVE = re.compile(
    r"\bregist(?:er|ers|ered|ry)\b|\bpermits?\b|\bpermit holders?\b|\blegal(?:ly)? (?:right of )?resid"
    r"|\bright of (?:legal )?resid",
    re.IGNORECASE,
)


def test_administrative_counts_are_not_populations(ds) -> None:
    """Registers, permit holders and legal residents are registered_residents or residence_permit_holders,
    never resident_population, which is kept for estimates of everyone living there (Units rule)."""
    estimates = ds.estimates
    population = estimates["measure"].eq("resident_population")
    wording = estimates["notes"].fillna("") + " " + estimates["value_as_published"].fillna("")
    assert offenders(estimates, population & wording.str.contains(ADMINISTRATIVE), "estimate_id") == []


def test_a_joint_count_is_one_row(ds) -> None:
    """A count given jointly for several countries is one row with no country code, never one row per
    country: a per-country tally would count it twice (Units rule)."""
    events = ds.events
    per_country = events.dropna(subset=["country_code"]).groupby(["source_id", "summary"], observed=True)
    joint = per_country["country_code"].nunique()
    assert sorted(map(str, joint[joint > 1].index)) == []
    estimates = ds.estimates
    same = [c for c in estimates.columns if c not in {"estimate_id", "country_code", "place"}]
    copies = estimates.astype(str).groupby(same)["country_code"].nunique()
    assert sorted(map(str, copies[copies > 1].index)) == []


# ---------------------------------------------------------------- Credit
def test_relays_name_the_original(ds) -> None:
    originals = ds.sources.dropna(subset=["original_publisher"]).set_index("source_id")["original_publisher"]
    missing = []
    for name, frame in ds.tables.items():
        if name == "sources" or "notes" not in frame.columns:
            continue
        for column in [c for c in frame.columns if c == "source_id" or c.endswith("_source_id")]:
            cited = frame[frame[column].isin(originals.index)]
            for index, row in cited.iterrows():
                original = originals[row[column]]
                if original.lower() not in text(row["notes"]).lower():
                    missing.append(f"{name} row {index} ({row[column]}): notes do not name {original}")
    assert missing == []


#: How the material says a page retells another outlet's report: in its notes or check note ...
RELAY_NOTE = re.compile(
    r"^relay:|\b[Rr]elay(?:s|ing) (?:the )?[A-Z]|\b[Rr]epublish(?:es|ing)\b|\b[Rr]eprints?\b|\b[Cc]op(?:y|ies) of\b"
    r"|\b[Mm]irror of\b"
)
#: ... or in its evidence, which opens with the outlet it read the figure from ("RBC/FSB data: ...").
RELAY_EVIDENCE = re.compile(
    r"^(?:Citing (?:the )?)?[A-Z][\w.&'-]*(?: [A-Z][\w.&'-]*)*(?:,? citing\b| from [\w -]+ data\b|/(?!RL\b)[A-Z]{2,}\b)"
)
DOMAIN = re.compile(r"\b((?:[a-z0-9-]+\.)+[a-z]{2,})\b", re.IGNORECASE)
#: Sources whose tell-tale was reviewed and is not a relay of the page as a whole.
NOT_RELAYS = {
    # A feature that cites several studies; its one figure read from Bloomberg names Bloomberg in notes.
    "meduza-less-sadness",
}


def host(url: str) -> str:
    """The site of an address, without www., m. or amp."""
    name = urlparse(url).netloc.lower()
    return re.sub(r"^(?:www|m|amp|en|staging)\.", "", name)


def about_this_page(row: pd.Series) -> Iterable[str]:
    """The parts of a facts row that describe its own page (the one in ``source_url``): not the notes
    left from a page read first and replaced later ('first read at', '[2nd check] source replaced'), nor
    a sentence about the page read first, nor a clause about another site."""
    notes, check = text(row["notes"]), text(row["check_note"])
    first = re.search(r"first read at (\S+)", notes)
    replaced = "[2nd check] source replaced" in notes
    if first:
        notes = notes[first.end() :]
    if replaced:
        notes = notes.split("[2nd check]", 1)[1]
        check = check.split("eplaced", 1)[1] if "eplaced" in check else ""
    own = host(text(row["source_url"]))
    first_site = host(first.group(1)).split(".")[0] if first else None
    for part in (notes, check):
        for clause in re.split(r"(?<=[.;])\s", part):
            if first_site and first_site in clause.lower():
                continue
            others = [d for d in DOMAIN.findall(clause) if d.lower().split(".")[-2:] != own.split(".")[-2:]]
            if others:
                continue
            yield clause


@needs_shared
def test_relays_have_their_original(ds, facts) -> None:
    """A page the material shows to retell another outlet's report (its notes say it relays, reprints or
    copies one; its evidence opens with the outlet read) is a relay: original_publisher names the original
    (Credit rule)."""
    missing = []
    for row in ds.sources[ds.sources["original_publisher"].isna()].itertuples():
        if row.source_id in NOT_RELAYS:
            continue
        for _, fact in rows_of_page(facts, row.url).iterrows():
            tells = [c for c in about_this_page(fact) if RELAY_NOTE.search(c)]
            tells += [fact["evidence"]] if RELAY_EVIDENCE.search(fact["evidence"]) else []
            if tells:
                missing.append(f"{row.source_id}: {tells[0][:80]}")
                break
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
    sourced = emigrants[["destination_code", "destination_place", "left_date", "left_by_date"]].notna().any(axis=1)
    assert offenders(emigrants, emigrants["destination_source_id"].notna() & ~sourced, "emigrant_id") == []
    assert offenders(emigrants, emigrants["destination_source_id"].isna() & sourced, "emigrant_id") == []


def test_a_return_has_its_source(ds) -> None:
    """A return, deportation or handover to Russia names the page that reports it, and a return date or
    source comes only with a return (Credit rule; the descriptor's x_rules say the same to the loader)."""
    emigrants = ds.emigrants
    returned = emigrants["return_kind"].notna()
    assert offenders(emigrants, returned & emigrants["return_source_id"].isna(), "emigrant_id") == []
    stray = ~returned & emigrants[["return_date", "return_source_id"]].notna().any(axis=1)
    assert offenders(emigrants, stray, "emigrant_id") == []
    assert returned.any(), "no return left to check: the rule would check nothing"


#: The pages the seed's own rows cite (the seed article and the current article).
SEED_PAGES = {"wikipedia-seed", "wikipedia-current"}


@needs_shared
def test_emigrant_pages_are_verified(ds, facts) -> None:
    """Every page an emigrant row cites (source_id, destination_source_id, return_source_id) was read for a
    facts row the source check verified or corrected: no single reading (Credit rule)."""
    urls = ds.sources.set_index("source_id")["url"]
    checked = set(facts.loc[facts["check"].isin({"verified", "corrected"}), "source_url"])
    problems = []
    for column in ("source_id", "destination_source_id", "return_source_id"):
        for _, row in ds.emigrants.dropna(subset=[column]).iterrows():
            page = row[column]
            if page not in SEED_PAGES and urls[page] not in checked:
                problems.append(f"{row['emigrant_id']}.{column}: {page}")
    assert problems == []


@needs_shared
def test_quotes_are_the_emigrants_own_words(ds, facts) -> None:
    """An emigrant's quote is a verbatim part of a quote the material gives on the row's own pages (or of
    the seed), never a paraphrase (Credit rule)."""
    urls = ds.sources.set_index("source_id")["url"]
    seed = " ".join(" ".join(p.read_text(encoding="utf-8").split()) for p in (SHARED / "seed").glob("*.txt"))
    problems = []
    for row in ds.emigrants.dropna(subset=["quote"]).itertuples():
        words = row.quote.strip().strip('"')
        pages = [p for p in (row.source_id, row.destination_source_id) if pd.notna(p)]
        quoted = [q for page in pages if page not in SEED_PAGES for q in rows_of_page(facts, urls[page])["quote"]]
        if not any(words in q for q in quoted) and words not in seed:
            problems.append(f"{row.emigrant_id}: {words[:60]}")
    assert problems == []


@needs_shared
def test_no_column_value_from_a_page_without_an_address(ds, facts) -> None:
    """A date the material attributes to another page (a relay's date line, a copy's wire date, 'year
    confirmed by svoboda.org') is not the cited page's: it stays in notes, never in a column, unless the
    cited page states it itself (Credit rule). Checked for every dated column: event_date (on its date
    page), published_date, and the emigrants' left_date, left_by_date and return_date."""
    sources = ds.sources.set_index("source_id")
    checks: list[tuple[str, str, str, str]] = []  # (row id, column, value, source_id)
    for row in ds.events.dropna(subset=["event_date"]).itertuples():
        page = row.date_source_id if pd.notna(row.date_source_id) else row.source_id
        checks.append((row.event_id, "event_date", row.event_date, page))
    for row in ds.sources.dropna(subset=["published_date"]).itertuples():
        checks.append((row.source_id, "published_date", row.published_date, row.source_id))
    emigrants = ds.emigrants
    for column, page_column in [
        ("left_date", "destination_source_id"),
        ("left_by_date", "destination_source_id"),
        ("return_date", "return_source_id"),
    ]:
        if column in emigrants.columns and page_column in emigrants.columns:
            for _, row in emigrants.dropna(subset=[column, page_column]).iterrows():
                checks.append((row["emigrant_id"], column, row[column], row[page_column]))
    problems = []
    for row_id, column, value, page in checks:
        url, publisher = sources.loc[page, "url"], text(sources.loc[page, "publisher"])
        rows = rows_of_page(facts, url)
        elsewhere = set().union(*(dates_from_elsewhere(r) for _, r in rows.iterrows())) if len(rows) else set()
        if value in elsewhere and value not in stated_by_the_page(rows, url, publisher):
            problems.append(f"{row_id}.{column} = {value}: the material reads it on another page")
    assert problems == []


# ---------------------------------------------------------------- Dates
@needs_shared
def test_published_dates_are_stated(ds, facts, fact_texts) -> None:
    unstated = []
    for row in ds.sources.dropna(subset=["published_date"]).itertuples():
        about = rows_mentioning(facts, fact_texts, row.url)
        text_ = row.url + " " + " ".join(about.to_numpy().ravel())
        if not any(form in text_ for form in _date_forms(row.published_date)):
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


#: Where the material marks a facts row's date as the article's, not the event's.
ARTICLE_DATE = re.compile(
    r"\b(?:date|it)\s*(?:=|is)\s*(?:the\s+)?(?:article|publication|report|page|broadcast|announcement)(?:'s)?\s*"
    r"(?:date|day|month)?|\b(?:article|publication|report) date\b",
    re.IGNORECASE,
)
#: A page that dates an event by its own day ('said on Wednesday', 'today', 'w piątek').
OWN_DAY = re.compile(
    r"\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|today|yesterday|tonight"
    r"|Mon|Tue|Wed|Thu|Fri|Sat|Sun|piątek|mercredi)\b"
)


@needs_shared
def test_publication_dates_are_not_event_dates(ds, facts) -> None:
    """An event dated to the day its page appeared, or to a facts date the material marks as the
    article's, is dated by the article, unless the page itself dates the event to that day: it gives the
    day in the facts it was read for, or places it by a weekday or 'today' (Dates rule)."""
    sources = ds.sources.set_index("source_id")
    problems = []
    for row in ds.events.dropna(subset=["event_date"]).itertuples():
        if len(row.event_date) != 10:
            continue
        page = row.date_source_id if pd.notna(row.date_source_id) else row.source_id
        if page == "wikipedia-seed":
            continue
        rows = rows_of_page(facts, sources.loc[page, "url"])
        article = {r["date"] for _, r in rows.iterrows() if ARTICLE_DATE.search(r["notes"] + " " + r["check_note"])}
        if row.event_date != text(sources.loc[page, "published_date"]) and row.event_date not in article:
            continue
        own_words = " ".join(rows["evidence"]) + " " + " ".join(rows["quote"])
        dated = any(form in own_words for form in _date_forms(row.event_date))
        weekday = any(
            OWN_DAY.search(" ".join(map(text, r[["quote", "evidence", "notes", "check_note"]])))
            for _, r in rows.iterrows()
        )
        if not (dated or weekday):
            problems.append(f"{row.event_id}: {row.event_date} is the article's date")
    assert problems == []


def test_left_dates_are_not_publication_days(ds) -> None:
    """No left_date is the publication date of destination_source_id, at day or month precision: a report's
    date is a left_by_date (Dates rule). A return date is not its page's publication date either. A year
    matching the page's year proves nothing (a 2022 article about leaving in 2022) and is not compared."""
    published = ds.sources.set_index("source_id")["published_date"].astype(object)
    emigrants = ds.emigrants
    for column, page in [("left_date", "destination_source_id"), ("return_date", "return_source_id")]:
        precise = emigrants[f"{column}_precision"].isin(["day", "month"])
        same = precise & (emigrants[column].astype(object) == emigrants[page].map(published))
        assert offenders(emigrants, same, "emigrant_id") == [], column


def test_left_by_date_only_without_left_date(ds) -> None:
    """left_by_date holds the date by which they had left only where left_date is empty; never both."""
    emigrants = ds.emigrants
    both = emigrants["left_date"].notna() & emigrants["left_by_date"].notna()
    assert offenders(emigrants, both, "emigrant_id") == []
    assert emigrants["left_by_date"].notna().any(), "no left_by_date left to check"


INVASION = pd.Timestamp("2022-02-24")


def test_departure_kinds_fit_their_dates(ds) -> None:
    """Who left after the invasion left on or after 24 February 2022 (a left_date may be a month or year
    that contains that day), and was out by a left_by_date after it; who was abroad when it began has no
    left_date from then on, and no left_by_date (Dates rule)."""
    emigrants = ds.emigrants
    after = emigrants["departure_kind"].eq("left_after_invasion")
    assert offenders(emigrants, after & (emigrants["left_date_last"] < INVASION), "emigrant_id") == []
    assert offenders(emigrants, after & (emigrants["left_by_date_last"] < INVASION), "emigrant_id") == []
    abroad = emigrants["departure_kind"].eq("abroad_stayed_out")
    assert offenders(emigrants, abroad & (emigrants["left_date_first"] >= INVASION), "emigrant_id") == []
    assert offenders(emigrants, abroad & emigrants["left_by_date"].notna(), "emigrant_id") == []


@needs_shared
def test_expulsions_in_the_exchange_are_dated_as_the_material_says(ds, facts) -> None:
    """Those expelled in the August 2024 prisoner exchange left on the day of the exchange or in its month
    (2024-08-01 or 2024-08), as the material says for each, and are not dated by a report (Dates rule)."""
    emigrants = ds.emigrants
    expelled = emigrants[emigrants["departure_kind"].eq("expelled_in_exchange")]
    assert not expelled.empty
    assert set(expelled["left_date"]) <= {"2024-08-01", "2024-08"}
    assert expelled["left_by_date"].isna().all()
    urls = ds.sources.set_index("source_id")["url"]
    for row in expelled.itertuples():
        said = " ".join(rows_of_page(facts, urls[row.destination_source_id]).to_numpy().ravel())
        forms = _date_forms(row.left_date) + ["Aug. 1", "August 1", "1 Aug"]
        assert any(form in said for form in forms), row.emigrant_id


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


# ---------------------------------------------------------------- the rules themselves
def test_every_rule_is_documented_and_checked() -> None:
    """Each rule lists the tests that check it, and every one of them is a test of this file."""
    rules = {rule["name"]: rule for rule in DESCRIPTOR["x_coding_rules"]}
    assert list(rules) == ["Stance", "Bound", "Units", "Credit", "Dates", "Titles"]
    here = Path(__file__).read_text(encoding="utf-8")
    for rule in rules.values():
        assert rule["rule"] and rule["checks"], rule["name"]
        for check in rule["checks"]:
            path, name = check.split("::")
            assert path == "tests/test_coding_rules.py", check
            assert f"def {name}(" in here, check


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
