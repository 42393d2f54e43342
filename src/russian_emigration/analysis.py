"""What the notebooks show, computed from the dataset: filters, tables and the series behind charts. Every
function returns a new, sorted DataFrame (or a plain value) and never changes ``ds``."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import numpy as np
import pandas as pd

from russian_emigration import constants
from russian_emigration.dataset import Dataset
from russian_emigration.labels import code_label


# ---------------------------------------------------------------- shared helpers
def vocabulary(ds: Dataset, table: str, column: str) -> list[str]:
    """The closed vocabulary of ``table.column`` as the descriptor declares it."""
    field = next(f for f in ds.resource(table)["schema"]["fields"] if f["name"] == column)
    return list(field["constraints"]["enum"])


def mobilization_date(ds: Dataset) -> date:
    """The day "partial" mobilization was announced, as the events table dates it."""
    return ds.events.set_index("event_id").loc[constants.MOBILIZATION_EVENT_ID, "event_date_first"].date()


def _day(day: date) -> str:
    """A day as readers write it: 21 Sep 2022."""
    return f"{day.day} {day:%b %Y}"


def country_names(ds: Dataset) -> pd.Series:
    """Country display names indexed by ISO alpha-3 code."""
    return ds.countries.set_index("country_code")["country_name"]


def with_country_name(
    frame: pd.DataFrame, ds: Dataset, code: str = "country_code", name: str = "country_name", missing: str = ""
) -> pd.DataFrame:
    """Add the display name of ``frame[code]`` as column ``name`` (``missing`` where there is no code)."""
    return frame.assign(**{name: frame[code].map(country_names(ds)).fillna(missing).astype(str)})


def _window(start: date | None, end: date | None) -> tuple[pd.Timestamp, pd.Timestamp]:
    """[start, end] as timestamps; a missing end is open (as far as pandas goes)."""
    return pd.Timestamp(start or pd.Timestamp.min), pd.Timestamp(end or pd.Timestamp.max)


def overlapping(frame: pd.DataFrame, column: str, start: date | None, end: date | None) -> pd.DataFrame:
    """Rows whose partial date ``column`` overlaps [start, end]: a span (2022-09 is 1-30 September) is kept when
    any day of it is inside (:func:`within` keeps only rows known to fall inside); undated rows are left out."""
    lo, hi = _window(start, end)
    return frame[(frame[f"{column}_last"] >= lo) & (frame[f"{column}_first"] <= hi)]


def _sorted(frame: pd.DataFrame, by: list[str], ascending: bool | list[bool] = True) -> pd.DataFrame:
    return frame.sort_values(by, ascending=ascending, kind="stable").reset_index(drop=True)


def _with_publisher(frame: pd.DataFrame, ds: Dataset) -> pd.DataFrame:
    publishers = ds.sources.set_index("source_id")["publisher"]
    return frame.assign(publisher=frame["source_id"].map(publishers).astype(str))


def _dated(frame: pd.DataFrame) -> pd.Series:
    """An estimate as a chart labels it: 'publisher (as_of_date)', or 'publisher (no date)'."""
    return frame["publisher"] + " (" + frame["as_of_date"].astype(object).fillna("no date").astype(str) + ")"


def _ids(values: Iterable[object]) -> str:
    """Source ids as one cell: each once, sorted, joined by '; ' (missing ones skipped)."""
    return "; ".join(sorted({str(v) for v in values if pd.notna(v)}))


def _of_countries(frame: pd.DataFrame, countries: list[str] | None, column: str = "country_code") -> pd.DataFrame:
    """The rows whose ``column`` is one of ``countries`` (all rows when None)."""
    return frame if countries is None else frame[frame[column].isin(countries)]


def period_text(start: object, end: object) -> str:
    """The period an estimate covers, as a reader reads it: '2022-02 to 2023-02', '2022-09' (one month),
    'as of 2024-07-16' (no start given), 'from 2022-02' (no end given), '' (neither)."""
    first, last = ("" if pd.isna(day) else str(day) for day in (start, end))
    if first and last:
        return first if first == last else f"{first} to {last}"
    return f"as of {last}" if last else f"from {first}" if first else ""


def with_estimate_labels(frame: pd.DataFrame) -> pd.DataFrame:
    """Estimates with ``measure_unit`` ('border entries (trips)') and ``period`` (see :func:`period_text`)."""
    pairs = zip(frame["measure"], frame["unit"], strict=True)
    return frame.assign(
        measure_unit=[f"{code_label('measure', str(m))} ({code_label('unit', str(u))})" for m, u in pairs],
        period=[period_text(a, b) for a, b in zip(frame["period_start_date"], frame["as_of_date"], strict=True)],
    )


# ---------------------------------------------------------------- 01 causes
def push_factors(ds: Dataset, start: date | None = None, end: date | None = None) -> pd.DataFrame:
    """Dated causes of emigration within [start, end], oldest first."""
    causes = ds.events[ds.events["theme"] == "cause"]
    return _sorted(overlapping(causes, "event_date", start, end), ["event_date_first", "event_id"])


def undated_events(ds: Dataset, theme: str) -> pd.DataFrame:
    """Events of ``theme`` whose sources give no date."""
    return _sorted(ds.events[(ds.events["theme"] == theme) & ds.events["event_date"].isna()], ["event_id"])


def waves(ds: Dataset) -> pd.DataFrame:
    """What the sources say about the waves of emigration and who left, dated ones first."""
    return _sorted(ds.events[ds.events["theme"] == "wave"], ["event_date_first", "event_id"])


#: What a count of people who left is counted from: code -> label template.
COUNTED_FROM = {
    "invasion": "the invasion",
    "mobilization": "mobilization ({day})",
    "increment": "a later start (an increment)",
}


def plot_dates(frame: pd.DataFrame, start: date | None = None, end: date | None = None) -> pd.Series:
    """Where an estimate is drawn: the middle of its as-of span, clipped to the window and never before its start."""
    first, last, since = frame["as_of_date_first"], frame["as_of_date_last"], frame["period_start_date_first"]
    first = first.where(~(since > first) | (since > last), since)
    lo, hi = _window(start, end)
    first, last = first.clip(lower=lo), last.clip(upper=hi)
    return first + (last - first) / 2


def _left_russia(frame: pd.DataFrame, ds: Dataset, start: date | None = None, end: date | None = None) -> pd.DataFrame:
    """Estimates of how many left, with ``plot_date`` and ``counted_from`` (the invasion: a start before March 2022)."""
    mobilization = mobilization_date(ds)
    since = frame["period_start_date_first"]
    out = _with_publisher(frame, ds)
    out["counted_from"] = np.select(
        [since < pd.Timestamp(constants.COUNTED_FROM_INVASION_BEFORE), since == pd.Timestamp(mobilization)],
        ["invasion", "mobilization"],
        default="increment",
    )
    out["counted_from_label"] = out["counted_from"].map(lambda code: COUNTED_FROM[code].format(day=_day(mobilization)))
    out["plot_date"] = plot_dates(out, start, end)
    return _sorted(out, ["plot_date", "estimate_id"])


def outflow_estimates(ds: Dataset, start: date | None = None, end: date | None = None) -> pd.DataFrame:
    """Estimates of how many left Russia dated within [start, end], with ``counted_from`` and ``plot_date``."""
    left = ds.estimates[ds.estimates["measure"] == "left_russia"]
    return _left_russia(overlapping(left, "as_of_date", start, end), ds, start, end)


def all_outflow_estimates(ds: Dataset) -> pd.DataFrame:
    """Every estimate of how many left Russia, dated ones by date, then the undated ones."""
    out = _left_russia(ds.estimates[ds.estimates["measure"] == "left_russia"], ds)
    return out.assign(label=_dated(out))


def wave_ordinals(wave_rows: pd.DataFrame) -> list[str]:
    """Which of the first to fourth waves the rows describe, in order."""
    summaries = wave_rows["summary"].astype(str)
    return [w for w in constants.WAVES if summaries.str.contains(f"{w} wave", case=False).any()]


def survey_shares(ds: Dataset) -> pd.DataFrame:
    """Survey findings about emigrants' reasons and returns (percent of respondents)."""
    measures = ["share_fearing_repression", "share_left_mainly_for_mobilization", "share_returned"]
    shares = _with_publisher(ds.estimates[ds.estimates["measure"].isin(measures)], ds)
    shares = _sorted(shares, ["measure", "as_of_date_first", "estimate_id"])
    labels = zip(shares["measure"], _dated(shares), strict=True)
    return shares.assign(label=[f"{code_label('measure', m)}: {dated}" for m, dated in labels])


# ---------------------------------------------------------------- 02 notable emigrants
def emigrants(ds: Dataset, domain: str | None = None, countries: list[str] | None = None) -> pd.DataFrame:
    """Notable emigrants (all, one domain, or those whose destination is one of ``countries``), by name, with
    ``destination`` (or "not stated"), ``left`` ("2022-03", or "by 2022-06-03" where only a report shows they
    had left), ``how_left``, ``returned`` (kind and date of a return) and ``source_ids``."""
    frame = ds.emigrants if domain is None else ds.emigrants[ds.emigrants["domain"] == domain]
    frame = _of_countries(frame, countries, "destination_code")
    frame = with_country_name(frame, ds, "destination_code", "destination", constants.NOT_STATED)
    frame["left"] = frame["left_date"].fillna("by " + frame["left_by_date"]).fillna("")
    back = zip(frame["return_kind"], frame["return_date"].fillna("(no date)"), strict=True)
    frame["returned"] = [f"{code_label('return_kind', k)} {when}" if isinstance(k, str) else "" for k, when in back]
    frame["how_left"] = frame["departure_kind"].map(lambda k: code_label("departure_kind", k)).astype(str)
    frame["source_ids"] = frame[["source_id", "destination_source_id", "return_source_id"]].apply(_ids, axis=1)
    return _sorted(frame, ["name"])


def domain_counts(ds: Dataset, domain: str | None = None, countries: list[str] | None = None) -> pd.DataFrame:
    """How many notable emigrants per domain (every domain of the vocabulary when ``domain`` is None), most
    first, with the domain's label and the sources of the people counted."""
    chosen = emigrants(ds, domain, countries)
    counts = chosen["domain"].value_counts().reindex(vocabulary(ds, "emigrants", "domain"), fill_value=0)
    counts = counts[counts.index == domain] if domain is not None else counts
    counts = counts.rename("emigrants").rename_axis("domain").sort_values(ascending=False, kind="stable").reset_index()
    counts["domain_label"] = counts["domain"].map(lambda code: code_label("domain", code))
    counts["source_ids"] = counts["domain"].map(lambda code: _ids(chosen.loc[chosen["domain"] == code, "source_id"]))
    return counts


def count_by_destination(ds: Dataset, domain: str | None = None, countries: list[str] | None = None) -> pd.DataFrame:
    """How many notable emigrants per destination country, with their names; unknown ones last."""
    chosen = emigrants(ds, domain, countries)
    grouped = chosen.groupby("destination", sort=True).agg(
        emigrants=("name", "size"),
        names=("name", lambda s: ", ".join(sorted(s))),
        country_code=("destination_code", "first"),
        source_ids=("destination_source_id", _ids),
    )
    grouped = grouped.reset_index().assign(is_known=lambda f: f["destination"] != constants.NOT_STATED)
    return _sorted(grouped, ["is_known", "emigrants", "destination"], [False, False, True]).drop(columns="is_known")


def emigrant_steps(ds: Dataset, people: pd.DataFrame) -> pd.DataFrame:
    """Events linked to the given emigrants, with the emigrant's name, by emigrant then date."""
    steps = ds.events[ds.events["emigrant_id"].isin(people["emigrant_id"])].copy()
    steps["name"] = steps["emigrant_id"].map(ds.emigrants.set_index("emigrant_id")["name"]).astype(str)
    return _sorted(steps, ["name", "event_date_first", "event_id"])


def departures_by_month(people: pd.DataFrame) -> pd.DataFrame:
    """Departures dated to a month or a day, counted by month (0 for months without one), with names and sources."""
    dated = people[people["left_date_precision"].isin(["month", "day"])]
    if dated.empty:
        return pd.DataFrame(columns=["month", "emigrants", "names", "source_ids"])
    month = dated["left_date_first"].dt.to_period("M")
    grouped = dated.groupby(month.astype(str)).agg(
        emigrants=("name", "size"),
        names=("name", lambda s: ", ".join(sorted(s))),
        source_ids=("destination_source_id", _ids),
    )
    out = grouped.reindex(pd.period_range(month.min(), month.max(), freq="M").astype(str))
    out["emigrants"] = out["emigrants"].fillna(0).astype(int)
    return out.rename_axis("month").reset_index().fillna("")


def departure_dating(people: pd.DataFrame) -> dict[str, int]:
    """How precisely the sources date the departures: to a month or day, a year, only "by" a report, or not."""
    precision = people["left_date_precision"].astype(object)
    return {
        "month or day": int(precision.isin(["month", "day"]).sum()),
        "year only": int((precision == "year").sum()),
        "only by a report's date": int((precision.isna() & people["left_by_date"].notna()).sum()),
        "not at all": int((precision.isna() & people["left_by_date"].isna()).sum()),
    }


def returns(people: pd.DataFrame) -> pd.DataFrame:
    """The people who returned to Russia, were deported or were handed over to it, by date."""
    back = people[people["return_kind"].notna()]
    return _sorted(back.assign(source_id=back["return_source_id"]), ["return_date_first", "name"])


def top_destinations(ds: Dataset) -> list[str]:
    """The destinations where most emigrants settled by The Bell's estimates (one method for many), largest first."""
    return list(settled_by_destination(ds)["country_code"])


def missing_destinations(ds: Dataset, covered: set[str], countries: list[str] | None = None) -> list[str]:
    """The names of the top destinations (in the selection) that ``covered`` lacks, largest first."""
    names = country_names(ds)
    return [str(names[c]) for c in settled_by_destination(ds, countries)["country_code"] if c not in covered]


# ---------------------------------------------------------------- 03 destination responses
def responses(ds: Dataset, countries: list[str] | None = None) -> pd.DataFrame:
    """Responses of states and institutions (only ``countries`` if given), oldest first, undated last."""
    frame = with_country_name(_of_countries(ds.events[ds.events["theme"] == "response"], countries), ds)
    # A response of an international body (no country) goes under the body's own name.
    frame["country_name"] = frame["country_name"].where(frame["country_code"].notna(), frame["actor"].astype(str))
    frame["stance_label"] = frame["stance"].astype(object).fillna(constants.NOT_STATED).astype(str)
    return _sorted(frame, ["event_date_first", "country_name", "event_id"])


def actors_without_country(ds: Dataset) -> list[str]:
    """The actors of responses without a country (international bodies, NGOs), sorted: a selection leaves them out."""
    frame = ds.events[(ds.events["theme"] == "response") & ds.events["country_code"].isna()]
    return sorted({str(a) for a in frame["actor"].dropna()})


def response_matrix(ds: Dataset, countries: list[str] | None = None) -> pd.DataFrame:
    """The dated responses as points: one row per response with its country, plotting date and stance."""
    frame = responses(ds, countries).dropna(subset=["event_date_first"])
    first, last = frame["event_date_first"], frame["event_date_last"]
    frame = frame.assign(plot_date=first + (last - first) / 2, row_label=frame["country_name"])
    return _sorted(frame, ["row_label", "plot_date", "event_id"])


def response_counts(ds: Dataset, countries: list[str] | None = None) -> pd.Series:
    """How many responses per stance label (every stance of the vocabulary, "not stated" last), zeros dropped."""
    order = [*vocabulary(ds, "events", "stance"), constants.NOT_STATED]
    counts = responses(ds, countries)["stance_label"].value_counts().reindex(order, fill_value=0)
    return counts[counts > 0]


def without_records(ds: Dataset, countries: list[str] | None) -> list[str]:
    """The selected countries with no row at all in events or estimates (their names, sorted)."""
    if countries is None:
        return []
    recorded = set(ds.events["country_code"].dropna()) | set(ds.estimates["country_code"].dropna())
    names = country_names(ds)
    return sorted(str(names[c]) for c in countries if c not in recorded)


def focus_people_estimates(ds: Dataset, country_code: str) -> pd.DataFrame:
    """The dated estimates in people about one destination, with a plotting date."""
    frame = destination_estimates(ds, country_code)
    frame = frame[(frame["unit"] == "people") & frame["as_of_date"].notna()]
    return frame.assign(plot_date=plot_dates(frame)).reset_index(drop=True)


def focus_left_out(ds: Dataset, country_code: str) -> dict[str, int]:
    """The estimates about one destination that its chart in people leaves out: a count per other unit
    (its label: 'trips', 'permits') and 'undated' for figures in people with no date."""
    frame = destination_estimates(ds, country_code)
    units = frame.loc[frame["unit"] != "people", "unit"].map(lambda u: code_label("unit", str(u)))
    out = {str(unit): int(n) for unit, n in sorted(units.value_counts().items()) if n}
    undated = int(((frame["unit"] == "people") & frame["as_of_date"].isna()).sum())
    return out | ({"undated": undated} if undated else {})


def within(frame: pd.DataFrame, column: str, start: date, end: date) -> pd.DataFrame:
    """Rows whose partial date ``column`` is known to fall inside [start, end]: a year-only date may not, so only
    month or day dates count (undated rows are left out)."""
    inside = (frame[f"{column}_first"] >= pd.Timestamp(start)) & (frame[f"{column}_last"] <= pd.Timestamp(end))
    return frame[inside & frame[f"{column}_precision"].isin(["month", "day"])]


def september_2022_closures(ds: Dataset, countries: list[str] | None = None) -> pd.DataFrame:
    """Visa restrictions, entry bans and refusals of refuge dated to a month or a day inside September and October
    2022 (see :func:`within`), and the refusals of refuge that have no date in the source but follow the
    mobilization (flagged in ``when``)."""
    frame = responses(ds, countries)
    frame = frame[frame["category"].isin(["visa_restriction", "entry_ban", "refuge_refused"])]
    dated = within(frame, "event_date", date(2022, 9, 1), date(2022, 10, 31))
    refusals = frame[frame["event_date"].isna() & (frame["category"] == "refuge_refused")]
    out = pd.concat([dated, refusals])
    out["when"] = out["event_date"].fillna(f"after {_day(mobilization_date(ds))} (no date in the source)")
    return _sorted(out, ["event_date_first", "country_name", "event_id"])


#: The kinds of actor that can take a stance (the Stance rule in data/README.md).
STANCE_ACTOR_TYPES = ("state", "governing_party", "international_body")


def state_responses(ds: Dataset, countries: list[str] | None = None) -> pd.DataFrame:
    """Responses of states, governing parties and international bodies (other actors take no stance by rule), with
    ``year`` and ``counted_as``: "stance" for a confirmed, dated response with a stance, else (in this order of
    precedence) "unconfirmed", "no date" or "no stance"."""
    frame = responses(ds, countries)
    frame = frame[frame["actor_type"].isin(STANCE_ACTOR_TYPES)].copy()
    frame["year"] = frame["event_date_first"].dt.year.astype("Int64")
    frame["counted_as"] = np.select(
        [frame["is_unconfirmed"].astype(bool), frame["year"].isna(), frame["stance"].isna()],
        ["unconfirmed", "no date", "no stance"],
        default="stance",
    )
    return frame


def responses_by_year(ds: Dataset, countries: list[str] | None = None) -> pd.DataFrame:
    """Confirmed, dated responses with a stance per year and stance (vocabulary order), with who and which sources."""
    frame = state_responses(ds, countries).query("counted_as == 'stance'")
    frame = frame.assign(stance_label=pd.Categorical(frame["stance_label"], vocabulary(ds, "events", "stance")))
    out = frame.groupby(["year", "stance_label"], observed=True).agg(
        responses=("event_id", "size"),
        countries=("country_name", lambda s: ", ".join(sorted(set(s)))),
        source_id=("source_id", _ids),
    )
    return out.reset_index().astype({"year": int, "stance_label": str})


def responses_set_apart(ds: Dataset, countries: list[str] | None = None) -> dict[str, int]:
    """How many responses of stance-taking actors :func:`responses_by_year` leaves out, and why."""
    counted = state_responses(ds, countries)["counted_as"].value_counts()
    return {why: int(counted.get(why, 0)) for why in ("unconfirmed", "no date", "no stance")}


def _stances(rows: pd.DataFrame) -> pd.DataFrame:
    """Per country or body: the date of ``rows``, every stance they take, and how many."""
    return rows.groupby("country_name").agg(
        date=("event_date", "first"),
        stance=("stance_label", lambda s: " and ".join(sorted(set(s)))),
        stances=("stance_label", "nunique"),
    )


def stance_turns(ds: Dataset, countries: list[str] | None = None) -> pd.DataFrame:
    """Per country or body: its first and latest confirmed, dated stance, and whether it changed. Responses are
    ordered by the first day their date may mean (a year-only date by 1 January); responses dated the same are a
    tie, never ordered by id: the tie names each stance ("neutral and welcoming")."""
    frame = state_responses(ds, countries).query("counted_as == 'stance'")
    frame = _sorted(frame, ["country_name", "event_date_first"])
    by = frame.groupby("country_name", sort=True)
    first = frame[frame["event_date"] == by["event_date"].transform("first")]
    latest = frame[frame["event_date"] == by["event_date"].transform("last")]
    out = pd.DataFrame({"country_code": by["country_code"].first(skipna=False), "responses": by.size()})
    out = out.join(_stances(first).add_prefix("first_")).join(_stances(latest).add_prefix("latest_"))
    out["is_tied"] = (out.pop("first_stances") > 1) | (out.pop("latest_stances") > 1)
    out["source_id"] = pd.concat([first, latest]).groupby("country_name")["source_id"].agg(_ids)
    return out.reset_index().assign(is_changed=lambda f: f["first_stance"] != f["latest_stance"])


def stance_shift(ds: Dataset, countries: list[str] | None = None) -> list[dict[str, object]]:
    """Responses with a stance up to the invasion's year and in the years after: per period with responses,
    ``years``, ``responses``, a count per stance and ``closed`` (restrictive and hostile together)."""
    counts = responses_by_year(ds, countries)
    out: list[dict[str, object]] = []
    for _, period in counts.groupby(counts["year"] > constants.INVASION_DATE.year):
        per_stance = period.groupby("stance_label")["responses"].sum()
        stances = {s: int(per_stance.get(s, 0)) for s in vocabulary(ds, "events", "stance")}
        years = period_text(period["year"].min(), period["year"].max())
        closed = stances["restrictive"] + stances["hostile"]
        out.append({"years": years, "responses": int(period["responses"].sum()), **stances, "closed": closed})
    return out


#: Measures read against another measure's figures for the same period: a share of all immigrants
#: implies a count of immigrants, so it is compared with the counts.
RELATED_MEASURES = {"share_of_immigrants": "immigrated_official", "entries_counter_unstated": "border_entries"}


def conflicting_estimates(ds: Dataset, countries: list[str] | None = None) -> pd.DataFrame:
    """Estimates of the same country, measure and period from different sources, all kept. The period runs from the
    first day of ``period_start_date`` (else of ``as_of_date``) to the last day of ``as_of_date``; a measure of
    :data:`RELATED_MEASURES` counts as the measure it is read against."""
    frame = _of_countries(ds.estimates[ds.estimates["country_code"].notna()], countries)
    family = frame["measure"].astype(str).replace(RELATED_MEASURES)
    start = frame["period_start_date_first"].fillna(frame["as_of_date_first"])
    period = [frame["country_code"], family, start, frame["as_of_date_last"]]
    sources = frame.groupby(period, dropna=False)["source_id"].transform("nunique")
    out = frame.assign(family=family)[(sources > 1) & frame["as_of_date_last"].notna()]
    out = with_estimate_labels(_with_publisher(with_country_name(out, ds), ds))
    return _sorted(out, ["country_name", "family", "as_of_date_first", "measure", "estimate_id"]).drop(columns="family")


def destination_estimates(ds: Dataset, country_code: str) -> pd.DataFrame:
    """Every estimate about one destination, by date."""
    frame = ds.estimates[ds.estimates["country_code"] == country_code]
    return _sorted(with_estimate_labels(_with_publisher(frame, ds)), ["as_of_date_first", "measure", "estimate_id"])


def settled_by_destination(ds: Dataset, countries: list[str] | None = None) -> pd.DataFrame:
    """The Bell's estimates of how many settled in each destination: one method, one unit (people)."""
    frame = _of_countries(ds.estimates[ds.estimates["measure"] == "settled"], countries)
    frame = _with_publisher(with_country_name(frame, ds), ds)
    return _sorted(frame, ["value", "country_name"], [False, True])


# ---------------------------------------------------------------- 04 vote results
def only_countries(ds: Dataset, countries: list[str] | None) -> Dataset:
    """The data with the stations and published results of ``countries`` only (None: all); all-abroad results stay."""
    if countries is None:
        return ds
    results, stations = ds.vote_results, _of_countries(ds.vote_abroad_stations, countries)
    kept = results[results["country_code"].isin(countries) | results["place_type"].eq("all_abroad")]
    return Dataset({**ds.tables, "vote_abroad_stations": stations, "vote_results": kept}, ds.descriptor, ds.path)


def missing_vote_data(ds: Dataset, countries: list[str] | None = None) -> dict[str, list[str]]:
    """The top destinations (in the selection) without an exit-poll station, an official result, or both."""
    results = ds.vote_results
    stations = set(ds.vote_abroad_stations["country_code"])
    official = set(results.loc[results["result_kind"] == "official", "country_code"].dropna())
    neither = missing_destinations(ds, stations | official, countries)
    return {
        "no exit-poll station and no official result": neither,
        "no exit-poll station": [n for n in missing_destinations(ds, stations, countries) if n not in neither],
        "no official result": [n for n in missing_destinations(ds, official, countries) if n not in neither],
    }


def answer_columns(ds: Dataset) -> list[str]:
    """The answer-share columns of the station table (the fields of its row-sum rule)."""
    rule = next(r for r in ds.resource("vote_abroad_stations")["x_rules"] if r["rule"] == "row_sum")
    return list(rule["fields"])


def station_results(ds: Dataset, min_respondents: int = 0) -> pd.DataFrame:
    """Stations with at least ``min_respondents`` respondents, highest Putin share first."""
    stations = ds.vote_abroad_stations
    frame = with_country_name(stations[stations["respondents"] >= min_respondents], ds)
    frame["label"] = frame["place"] + " (" + frame["station_id"].astype(str) + ")"
    return _sorted(frame, ["putin_pct", "station_id"], [False, True])


def dropped_stations(ds: Dataset, min_respondents: int = 0) -> pd.DataFrame:
    """Stations with fewer than ``min_respondents`` respondents, smallest first."""
    stations = ds.vote_abroad_stations
    return _sorted(stations[stations["respondents"] < min_respondents], ["respondents", "station_id"])


def weighted_shares(stations: pd.DataFrame, columns: list[str], by: tuple[str, ...] = ()) -> pd.Series | pd.DataFrame:
    """Respondent-weighted answer shares (with ``by``, a row per group); an unreported share is left out of its mean."""
    values = stations[columns].astype(float)
    weights = values.notna().mul(stations["respondents"].astype(float), axis=0)
    weighted = values * weights
    if by:
        weights, weighted = (frame.groupby([stations[n] for n in by], observed=True) for frame in (weights, weighted))
    totals = weights.sum()
    return weighted.sum() / totals.where(totals > 0)


def country_results(ds: Dataset, min_respondents: int = 0) -> pd.DataFrame:
    """Answer shares per country, weighted by respondents, over stations kept by ``min_respondents``."""
    stations = station_results(ds, min_respondents)
    columns = answer_columns(ds)
    by = stations.groupby("country_code", sort=True)
    frame = by.agg(
        label=("country_name", "first"),
        stations=("station_id", "size"),
        respondents=("respondents", "sum"),
        places=("place", lambda s: ", ".join(sorted(set(s)))),
        source_ids=("source_id", _ids),
    ).astype({"stations": int, "respondents": int})
    shares = weighted_shares(stations, columns, ("country_code",))
    return _sorted(frame.join(shares).reset_index(), ["putin_pct", "label"], [False, True])


def results(ds: Dataset, group_by: str = "station", min_respondents: int = 0) -> pd.DataFrame:
    """Exit-poll results per station or per country (``group_by``), highest Putin share first."""
    if group_by not in ("station", "country"):
        raise ValueError(f"group_by={group_by!r} is not valid; use 'station' or 'country'")
    return (station_results if group_by == "station" else country_results)(ds, min_respondents)


def _beside_exit_poll(published: pd.DataFrame, stations: pd.DataFrame, names: tuple[str, str]) -> pd.DataFrame:
    """Published Putin shares (``names[0]``) beside the station table's for the same place (``names[1]``: a
    city's stations or a whole country's, weighted by respondents), with the stations it rests on."""
    cities = weighted_shares(stations, ["putin_pct"], ("country_code", "place"))["putin_pct"]
    countries = weighted_shares(stations, ["putin_pct"], ("country_code",))["putin_pct"]
    basis = sorted(zip(*(stations[c] for c in ["country_code", "place", "station_id", "putin_pct"]), strict=True))
    rows = []
    for row in published.itertuples():
        city = row.place_type == "city"
        share = cities.get((row.country_code, row.place), np.nan) if city else countries.get(row.country_code, np.nan)
        chosen = [(c, i, p) for code, c, i, p in basis if code == row.country_code and (not city or c == row.place)]
        listed = ", ".join(f"{c} {i}: {p}%" for c, i, p in chosen)
        rows.append((row.place, row.place_type, row.putin_pct, share, row.putin_pct - share, listed, row.source_id))
    return pd.DataFrame(rows, columns=["place", "place_type", *names, "gap_pts", "stations", "source_id"])


def reconcile_seed(ds: Dataset) -> pd.DataFrame:
    """The seed article's eight Vote Abroad figures beside what the station table gives for the same place."""
    results = ds.vote_results
    seed = results[(results["source_id"] == constants.SEED_SOURCE_ID) & (results["result_kind"] == "exit_poll")]
    frame = _beside_exit_poll(seed, ds.vote_abroad_stations, ("article_pct", "station_table_pct"))
    return _sorted(frame.drop(columns="source_id"), ["article_pct", "place"])


def reconcile_summary(
    reconciled: pd.DataFrame, tolerance: float = constants.RECONCILED_WITHIN_PTS
) -> dict[str, object] | None:
    """How many article figures are within ``tolerance`` points of the station table, the largest gap (None: none)."""
    gaps = reconciled["gap_pts"].astype(float).abs()
    if gaps.notna().sum() == 0:
        return None
    return {
        "close": int((gaps <= tolerance).sum()),
        "compared": int(gaps.notna().sum()),
        "total": len(reconciled),
        "largest_gap_pts": float(gaps.max()),
        "largest_gap_place": str(reconciled.loc[gaps.idxmax(), "place"]),
    }


def official_vs_exit_poll(ds: Dataset, min_respondents: int = 0) -> pd.DataFrame:
    """Official CEC results beside the exit poll for the same city or country where both exist, one row per figure."""
    results = ds.vote_results
    official = results[(results["result_kind"] == "official") & (results["place_type"] != "all_abroad")]
    stations = station_results(ds, min_respondents)
    frame = _beside_exit_poll(official, stations, ("official_pct", "exit_poll_pct")).dropna(subset=["exit_poll_pct"])
    frame["source_ids"] = frame["source_id"].map(lambda source: _ids([source, *stations["source_id"]]))
    publisher = frame["source_id"].map(ds.sources.set_index("source_id")["publisher"]).astype(str)
    named = frame["place"] + " (" + publisher + ")"  # a place with two official figures: told apart by publisher
    frame["label"] = frame["place"].where(~frame["place"].duplicated(keep=False), named)
    return _sorted(frame, ["gap_pts", "place", "source_id"], [False, True, True])


def conflicting_results(ds: Dataset) -> pd.DataFrame:
    """Places with more than one published figure of the same kind (exit poll or official), all kept."""
    results = ds.vote_results
    repeated = results.groupby(["place", "result_kind"], observed=True)["result_id"].transform("size") > 1
    return _sorted(results[repeated], ["place", "result_kind", "putin_pct", "result_id"])


def declined_summary(
    ds: Dataset, min_respondents: int = 0, threshold: float = constants.DECLINED_THRESHOLD_PCT
) -> dict[str, object]:
    """The weighted share of respondents who declined to say, and the stations where it passes ``threshold``."""
    stations = station_results(ds, min_respondents)
    high = _sorted(stations[stations["declined_pct"] >= threshold], ["declined_pct", "station_id"], [False, True])
    return {
        "weighted_declined_pct": float(weighted_shares(stations, ["declined_pct"])["declined_pct"]),
        "stations_over_threshold": high[["label", "country_name", "respondents", "declined_pct"]],
    }


# ---------------------------------------------------------------- headline findings (one per notebook)
def estimate_text(row: pd.Series, top: bool = False) -> str:
    """One end of a spread of estimates with its qualifier: 'at least 200,000 (as of 2022-03)'."""
    when = f"as of {row['as_of_date']}" if pd.notna(row["as_of_date"]) else "undated"
    if row["bound"] == "range":
        value = row["value_high"] if top and pd.notna(row["value_high"]) else row["value"]
        return f"{float(value):,.0f} (the {'top' if top else 'bottom'} of a range, {when})"
    qualifier = "" if row["bound"] == "exact" else code_label("bound", str(row["bound"])) + " "
    return f"{qualifier}{float(row['value']):,.0f} ({when})"


def estimates_finding(ds: Dataset, start: date, end: date) -> str:
    """The spread of the estimates of how many left since the invasion, dated within [start, end]."""
    window = f"from {start.day} {start:%B %Y} to {end.day} {end:%B %Y}"
    totals = outflow_estimates(ds, start, end).query("counted_from == 'invasion'")
    if totals.empty:
        return f"The data records no estimate of how many left Russia since the invasion dated {window}."
    low = estimate_text(totals.loc[totals["value"].astype(float).idxmin()])
    high = estimate_text(totals.loc[totals["value_high"].fillna(totals["value"]).astype(float).idxmax()], top=True)
    what = "of how many people left Russia since the invasion"
    if len(totals) == 1:
        return f"The one published estimate {what} dated {window} is {low}."
    spread = f"all put it at {low}" if low == high else f"run from {low} to {high}"
    sources = totals["source_id"].nunique()
    return f"Published estimates {what}, dated {window}, {spread}, from {sources} source{'' if sources == 1 else 's'}."


def emigrants_finding(ds: Dataset, domain: str | None, countries: list[str] | None = None) -> str:
    """How many notable emigrants the sources name (in the selection), how many were forced out or went back."""
    people = emigrants(ds, domain, countries)
    where = f" in {code_label('domain', domain)}" if domain else ""
    where += "" if countries is None else " who went to the selected countries"
    if people.empty:
        return f"The sources name no notable emigrant{where}."
    top = people["domain"].astype(str).value_counts()
    largest = "" if domain else f"; the largest domain is {code_label('domain', top.index[0])} ({top.iloc[0]})"
    forced = int((people["departure_kind"] == "expelled_in_exchange").sum())
    back = int(people["return_kind"].notna().sum())
    return (
        f"The sources name {len(people)} notable emigrant{'s' if len(people) != 1 else ''}{where}{largest}; "
        f"{forced or 'none'} {'was' if forced == 1 else 'were'} expelled in the 2024 prisoner exchange and "
        f"{back or 'none'} went back to Russia, by choice or not."
    )


def responses_finding(ds: Dataset, countries: list[str] | None) -> str:
    """How many responses of states and institutions, by stance (for the selected countries when set)."""
    counts = response_counts(ds, countries)
    scope = "" if countries is None else " for the selected countries (" + ", ".join(country_names(ds)[countries]) + ")"
    if counts.empty:
        return f"The data records no response of states and institutions to the emigrants{scope}."
    listed = ", ".join(f"{n} {stance}" for stance, n in counts.items())
    noun = "response" if counts.sum() == 1 else "responses"
    return f"The data records {counts.sum()} {noun} of states and institutions to the emigrants{scope}: {listed}."


def vote_finding(ds: Dataset, min_respondents: int) -> str:
    """How Putin's official share abroad compares with the Vote Abroad exit poll, place by place."""
    compared = official_vs_exit_poll(ds, min_respondents)
    kept = f" with at least {min_respondents:,} respondents" if min_respondents else ""
    if compared.empty:
        return (
            f"No place has both an official result and an exit-poll station{kept}, "
            "so the official share abroad cannot be compared with the exit poll."
        )
    higher, places = int((compared["gap_pts"] > 0).sum()), compared["place"].nunique()
    at = "" if places == len(compared) else f" ({places} places; some have two official figures)"
    return (
        f"Where both exist, Putin's official share abroad is higher than the Vote Abroad exit poll's in {higher} of "
        f"{len(compared)} comparison{'' if len(compared) == 1 else 's'}{at}"
        f"{', counting only exit-poll stations' + kept if kept else ''}; "
        f"the median gap is {compared['gap_pts'].median():.1f} points."
    )
