"""What each chart, table and finding shows, on the real data: every figure checked by an independent route."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from russian_emigration import analysis as an
from russian_emigration import constants as c
from russian_emigration.constants import NOT_STATED


def test_overlapping_uses_the_whole_span_of_a_partial_date() -> None:
    frame = pd.DataFrame(
        {
            "d_first": pd.to_datetime(["2022-01-01", "2022-09-01", None]),
            "d_last": pd.to_datetime(["2022-12-31", "2022-09-30", None]),
        }
    )
    assert len(an.overlapping(frame, "d", date(2022, 9, 15), date(2022, 9, 20))) == 2
    assert len(an.overlapping(frame, "d", date(2023, 1, 1), None)) == 0


def test_counted_from_codes_have_fixed_colours(ds) -> None:
    from russian_emigration.charts import COUNTED_FROM_COLORS

    assert set(an.COUNTED_FROM) == set(COUNTED_FROM_COLORS)
    assert set(an.all_outflow_estimates(ds)["counted_from"]) <= set(an.COUNTED_FROM)


def test_outflow_estimates_are_people_who_left_in_date_order(ds) -> None:
    est = an.outflow_estimates(ds)
    assert set(est["measure"]) == {"left_russia"} and set(est["unit"]) == {"people"}
    assert est["plot_date"].is_monotonic_increasing
    increment = est.loc[est["estimate_id"] == "rus-left-sep-to-early-oct-2022", "counted_from"].item()
    since_mobilization = est.loc[est["estimate_id"] == "rus-left-since-mobilization-forbes", "counted_from"].item()
    assert "increment" in increment and since_mobilization.startswith("mobilization")
    march = est.loc[est["estimate_id"] == "rus-left-by-mid-march-2022", "plot_date"].item()
    assert march == pd.Timestamp("2022-03-16")


def test_all_outflow_estimates_add_the_undated_ones(ds) -> None:
    everything = an.all_outflow_estimates(ds)
    left = ds.estimates[ds.estimates["measure"] == "left_russia"]
    assert len(everything) == len(left)
    assert everything["counted_from"].notna().all()


def test_push_factors_are_dated_causes_in_range(ds) -> None:
    causes = an.push_factors(ds, date(2022, 9, 1), date(2022, 12, 31))
    assert set(causes["theme"]) == {"cause"} and causes["event_date"].notna().all()
    assert "fake-news-law" not in set(causes["event_id"])
    assert "desertion-decree" in set(an.undated_events(ds, "cause")["event_id"])


def test_counts_by_domain_and_destination_add_up(ds) -> None:
    by_domain = an.domain_counts(ds).set_index("domain")["emigrants"]
    assert by_domain.sum() == len(ds.emigrants)
    assert list(by_domain.index) != [] and (by_domain.diff().dropna() <= 0).all()
    assert list(an.domain_counts(ds, "music")["domain"]) == ["music"]
    by_destination = an.count_by_destination(ds)
    assert by_destination["emigrants"].sum() == len(ds.emigrants)
    assert by_destination["destination"].iloc[-1] == NOT_STATED
    assert (
        by_destination.loc[by_destination["destination"] == NOT_STATED, "emigrants"].item()
        == ds.emigrants["destination_code"].isna().sum()
    )


def test_departures_by_month_skip_year_only_dates(ds) -> None:
    months = an.departures_by_month(an.emigrants(ds))
    precise = ds.emigrants["left_date_precision"].isin(["month", "day"]).sum()
    assert months["emigrants"].sum() == precise
    assert months["month"].is_monotonic_increasing and (months["emigrants"] >= 0).all()
    assert len(months) == len(pd.period_range(months["month"].iloc[0], months["month"].iloc[-1], freq="M"))


def test_every_departure_is_dated_one_way_or_said_to_be_undated(ds) -> None:
    people = an.emigrants(ds)
    assert sum(an.departure_dating(people).values()) == len(people)
    by = people[people["left_by_date"].notna()]
    assert by["left_date"].isna().all() and by["left"].str.startswith("by ").all()


def test_returns_and_forced_exile_are_their_own_rows(ds) -> None:
    back = an.returns(an.emigrants(ds))
    assert len(back) == ds.emigrants["return_kind"].notna().sum() > 0
    assert back["source_id"].notna().all() and back["returned"].str.match(r"(returned|deported|handed over) ").all()
    exiled = ds.emigrants[ds.emigrants["departure_kind"] == "expelled_in_exchange"]
    assert len(exiled) > 0 and set(exiled["left_date"]) == {"2024-08-01"}


def test_the_missing_destinations_are_top_destinations_without_records(ds) -> None:
    top = an.top_destinations(ds)
    assert top and top == list(an.settled_by_destination(ds)["country_code"])
    names = an.country_names(ds)
    assert an.missing_destinations(ds, set(top)) == []
    assert an.missing_destinations(ds, set(top[1:])) == [names[top[0]]]
    gaps = an.missing_vote_data(ds)
    stations = set(ds.vote_abroad_stations["country_code"])
    for name in gaps["no exit-poll station and no official result"]:
        assert names[names == name].index[0] not in stations


def test_ties_are_named_never_broken_by_an_id(ds) -> None:
    turns = an.stance_turns(ds)
    state = an.state_responses(ds)
    state = state[state["counted_as"] == "stance"]
    for row in turns.itertuples():
        rows = state[state["country_name"] == row.country_name]
        first = rows[rows["event_date_first"] == rows["event_date_first"].min()]
        same_date = first[first["event_date"] == row.first_date]
        assert set(row.first_stance.split(" and ")) == set(same_date["stance_label"]), row.country_name
        assert row.is_tied == (same_date["stance_label"].nunique() > 1 or " and " in row.latest_stance)


def test_response_matrix_has_only_dated_responses_with_a_stance_label(ds) -> None:
    matrix = an.response_matrix(ds)
    assert matrix["plot_date"].notna().all() and set(matrix["theme"]) == {"response"}
    assert set(matrix["stance_label"]) <= {"welcoming", "restrictive", "hostile", "mixed", "neutral", NOT_STATED}
    assert "European Union" in set(matrix["row_label"])
    only = an.response_matrix(ds, ["KAZ"])
    assert set(only["country_code"]) == {"KAZ"}


def test_september_closures(ds) -> None:
    closures = an.september_2022_closures(ds)
    assert {"FIN", "POL", "EST", "LVA", "LTU", "CZE"} <= set(closures["country_code"].dropna())
    assert set(closures["category"]) <= {"visa_restriction", "entry_ban", "refuge_refused"}


def test_settled_compares_one_method_and_one_unit(ds) -> None:
    settled = an.settled_by_destination(ds)
    assert set(settled["measure"]) == {"settled"} and set(settled["unit"]) == {"people"}
    assert settled["value"].is_monotonic_decreasing


def test_the_focus_chart_accounts_for_every_figure_it_leaves_out(ds) -> None:
    for code in sorted(set(ds.estimates["country_code"].dropna())):
        total = an.destination_estimates(ds, code)
        drawn = an.focus_people_estimates(ds, code)
        left_out = an.focus_left_out(ds, code)
        assert len(drawn) + sum(left_out.values()) == len(total), code
        assert "people" not in left_out and all(n > 0 for n in left_out.values())
    assert an.focus_left_out(ds, "KAZ")["trips"] == int(
        ((ds.estimates["country_code"] == "KAZ") & (ds.estimates["unit"] == "trips")).sum()
    )


def test_weighted_shares_weight_by_respondents_and_skip_unreported() -> None:
    stations = pd.DataFrame({"respondents": [100, 300, 50], "a": pd.array([10, 20, None], dtype="Int64")})
    assert an.weighted_shares(stations, ["a"])["a"] == pytest.approx(17.5)


def test_country_results_match_a_direct_weighted_mean(ds) -> None:
    countries = an.country_results(ds)
    stations = ds.vote_abroad_stations
    for code in ("KAZ", "DEU", "ISR"):
        group = stations[stations["country_code"] == code]
        expected = np.average(group["putin_pct"].astype(float), weights=group["respondents"].astype(float))
        got = countries.loc[countries["country_code"] == code, "putin_pct"].item()
        assert got == pytest.approx(expected)
    assert countries["respondents"].sum() == stations["respondents"].sum()


def test_min_respondents_drops_thin_stations(ds) -> None:
    kept = an.results(ds, "station", 1000)
    assert (kept["respondents"] >= 1000).all()
    assert len(kept) == (ds.vote_abroad_stations["respondents"] >= 1000).sum()
    with pytest.raises(ValueError, match="group_by='city'"):
        an.results(ds, "city")
    assert an.results(ds, "station", 0)["putin_pct"].is_monotonic_decreasing


def test_reconcile_seed(ds) -> None:
    rec = an.reconcile_seed(ds)
    assert len(rec) == 8 and rec["station_table_pct"].notna().all()
    kaz = rec[rec["place"] == "Kazakhstan"].iloc[0]
    almaty = ds.vote_abroad_stations[ds.vote_abroad_stations["place"] == "Almaty"]
    assert kaz["station_table_pct"] == pytest.approx(
        np.average(almaty["putin_pct"].astype(float), weights=almaty["respondents"].astype(float))
    )
    assert kaz["gap_pts"] == pytest.approx(kaz["article_pct"] - kaz["station_table_pct"])
    assert kaz["gap_pts"] > 0


def test_official_vs_exit_poll_only_where_both_exist(ds) -> None:
    compared = an.official_vs_exit_poll(ds)
    assert "Riga" not in set(compared["place"])
    assert (compared["place"] == "Yerevan").sum() == 2
    assert (compared["gap_pts"] == compared["official_pct"] - compared["exit_poll_pct"]).all()


def test_conflicting_results_keep_every_published_figure(ds) -> None:
    conflicts = an.conflicting_results(ds)
    assert {"Yerevan", "Ankara"} <= set(conflicts["place"])
    assert (conflicts.groupby(["place", "result_kind"], observed=True).size() > 1).all()
    assert "Riga" not in set(conflicts["place"])


def test_declined_summary(ds) -> None:
    summary = an.declined_summary(ds, threshold=50)
    assert (summary["stations_over_threshold"]["declined_pct"] >= 50).all()
    assert 0 < summary["weighted_declined_pct"] < 100


def test_sources_for_follows_every_source_column(ds) -> None:
    people = ds.emigrants[ds.emigrants["emigrant_id"] == "olga-smirnova"]
    assert list(ds.sources_for(people)["source_id"]) == ["nltimes-smirnova", "wikipedia-seed"]


def test_within_keeps_only_dates_known_to_fall_in_the_window() -> None:
    frame = pd.DataFrame(
        {
            "d": ["2022", "2022-09", "2022-09-19", "2022-08", None],
            "d_first": pd.to_datetime(["2022-01-01", "2022-09-01", "2022-09-19", "2022-08-01", None]),
            "d_last": pd.to_datetime(["2022-12-31", "2022-09-30", "2022-09-19", "2022-08-31", None]),
            "d_precision": ["year", "month", "day", "month", None],
        }
    )
    kept = an.within(frame, "d", date(2022, 9, 1), date(2022, 10, 31))
    assert list(kept["d"]) == ["2022-09", "2022-09-19"]


def test_september_closures_leave_out_year_only_dates(ds) -> None:
    closures = an.september_2022_closures(ds)
    dated = closures[closures["event_date"].notna()]
    assert set(dated["event_date_precision"]) <= {"month", "day"}
    assert dated["event_date_first"].ge(pd.Timestamp("2022-09-01")).all()
    assert dated["event_date_last"].le(pd.Timestamp("2022-10-31")).all()
    undated = closures[closures["event_date"].isna()]
    assert set(undated["category"]) == {"refuge_refused"} and undated["when"].str.contains("no date").all()


def test_responses_by_year_counts_every_stance_taking_response_once(ds) -> None:
    counts = an.responses_by_year(ds)
    apart = an.responses_set_apart(ds)
    state = an.state_responses(ds)
    assert int(counts["responses"].sum()) + sum(apart.values()) == len(state)
    assert set(state["actor_type"]) <= set(an.STANCE_ACTOR_TYPES)
    assert NOT_STATED not in set(counts["stance_label"])
    counted = state[state["counted_as"] == "stance"]
    assert not counted["is_unconfirmed"].any() and counted["stance"].notna().all()
    by_year = counted.groupby("year").size()
    assert counts.groupby("year")["responses"].sum().to_dict() == {int(k): int(v) for k, v in by_year.items()}


def test_stance_shift_splits_at_the_invasion_year(ds) -> None:
    INVASION_DATE = c.INVASION_DATE
    shift = an.stance_shift(ds)
    counts = an.responses_by_year(ds)
    first = counts[counts["year"] == INVASION_DATE.year]
    assert shift[0]["years"] == str(INVASION_DATE.year) and shift[0]["responses"] == first["responses"].sum()
    assert sum(int(p["responses"]) for p in shift) == counts["responses"].sum()
    for period in shift:
        assert period["closed"] == period["restrictive"] + period["hostile"]


def test_stance_turns_take_the_first_and_latest_dated_stance(ds) -> None:
    turns = an.stance_turns(ds, ["SRB", "DEU"]).set_index("country_name")
    state = an.state_responses(ds, ["SRB", "DEU"])
    for name, row in turns.iterrows():
        rows = state[(state["country_name"] == name) & (state["counted_as"] == "stance")]
        rows = rows.sort_values(["event_date_first", "event_id"])
        assert row["first_stance"] == rows["stance_label"].iloc[0]
        assert row["latest_stance"] == rows["stance_label"].iloc[-1]
        assert row["responses"] == len(rows)
    assert an.stance_turns(ds, ["JPN"]).empty


def test_conflicting_estimates_keep_both_sides_with_their_sources(ds) -> None:
    conflicts = an.conflicting_estimates(ds)
    for code in ("TUR", "ARG", "ISR"):
        rows = conflicts[conflicts["country_code"] == code]
        assert rows["source_id"].nunique() >= 2, code
    israel = conflicts[conflicts["country_code"] == "ISR"]
    assert set(israel["measure"]) == {"immigrated_official", "share_of_immigrants"}
    assert set(an.conflicting_estimates(ds, ["ISR", "GEO"])["country_code"]) <= {"ISR", "GEO"}
    assert an.conflicting_estimates(ds, ["JPN"]).empty


# --- The judgement calls, each defined once (constants.py) -------------------------------------------


def test_a_count_starting_before_march_2022_is_counted_from_the_invasion(ds) -> None:
    everything = an.all_outflow_estimates(ds)
    since = everything["period_start_date_first"]
    assert (everything.loc[since < pd.Timestamp(c.COUNTED_FROM_INVASION_BEFORE), "counted_from"] == "invasion").all()
    after = everything[since >= pd.Timestamp(c.COUNTED_FROM_INVASION_BEFORE)]
    assert "invasion" not in set(after["counted_from"])
    assert c.COUNTED_FROM_INVASION_BEFORE > c.INVASION_DATE


def test_waves_are_found_in_the_sources_words(ds) -> None:
    found = an.wave_ordinals(an.waves(ds))
    assert found and set(found) <= set(c.WAVES)
    for wave in found:
        assert an.waves(ds)["summary"].str.contains(f"{wave} wave", case=False).any()


def test_the_declined_threshold_splits_the_stations(ds) -> None:
    over = an.declined_summary(ds)["stations_over_threshold"]
    stations = ds.vote_abroad_stations
    assert len(over) == (stations["declined_pct"] >= c.DECLINED_THRESHOLD_PCT).sum() > 0
    assert over["declined_pct"].is_monotonic_decreasing


def test_the_one_point_tolerance_counts_the_reconciled_figures(ds) -> None:
    reconciled = an.reconcile_seed(ds)
    summary = an.reconcile_summary(reconciled)
    assert summary["close"] == (reconciled["gap_pts"].abs() <= c.RECONCILED_WITHIN_PTS).sum()
    assert summary["largest_gap_pts"] == reconciled["gap_pts"].abs().max()


# --- The headline findings the landing page pastes ------------------------------------------------


def test_the_estimates_finding_names_the_lowest_and_the_highest_total(ds) -> None:
    start, end = date(2022, 1, 1), date(2024, 12, 31)
    totals = an.outflow_estimates(ds, start, end).query("counted_from == 'invasion'")
    sentence = an.estimates_finding(ds, start, end)
    assert f"{totals['value'].min():,.0f}" in sentence
    assert f"{totals['value_high'].fillna(totals['value']).max():,.0f}" in sentence
    assert f"from {totals['source_id'].nunique()} sources" in sentence
    assert "no estimate" in an.estimates_finding(ds, date(2030, 1, 1), date(2030, 12, 31))


def test_the_emigrants_finding_follows_the_domain(ds) -> None:
    everyone = an.emigrants_finding(ds, None)
    assert everyone.startswith(f"The sources name {len(ds.emigrants)} notable emigrants; the largest domain is ")
    exiled = (ds.emigrants["departure_kind"] == "expelled_in_exchange").sum()
    assert f"{exiled} were expelled in the 2024 prisoner exchange" in everyone
    music = int((ds.emigrants["domain"] == "music").sum())
    assert an.emigrants_finding(ds, "music").startswith(f"The sources name {music} notable emigrants in music; ")
    assert "; none were expelled in the 2024 prisoner exchange and none went back" in an.emigrants_finding(ds, "music")


def test_the_responses_finding_counts_each_stance(ds) -> None:
    sentence = an.responses_finding(ds, ["KAZ", "KGZ"])
    chosen = an.responses(ds, ["KAZ", "KGZ"])
    assert f"records {len(chosen)} responses" in sentence and "(Kazakhstan, Kyrgyzstan)" in sentence
    for stance, n in chosen["stance_label"].value_counts().items():
        assert f"{n} {stance}" in sentence


def test_the_vote_finding_compares_place_by_place(ds) -> None:
    compared = an.official_vs_exit_poll(ds)
    sentence = an.vote_finding(ds, 0)
    places = compared["place"].nunique()
    assert f"in {(compared['gap_pts'] > 0).sum()} of {len(compared)} comparisons ({places} places;" in sentence
    assert places < len(compared), "a place with two official figures is one place, two comparisons"
    assert f"median gap is {compared['gap_pts'].median():.1f} points" in sentence
    largest = int(ds.vote_abroad_stations["respondents"].max())
    assert "cannot be compared" in an.vote_finding(ds, largest + 1)
    assert f"counting only exit-poll stations with at least {largest:,} respondents" in an.vote_finding(
        ds, largest
    ) or ("cannot be compared" in an.vote_finding(ds, largest))
