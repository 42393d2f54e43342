"""Data tests: the curated package is complete, consistent and traceable to its sources."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from russian_emigration import data_dir, load_dataset
from russian_emigration.constants import SEED_SOURCE_ID
from tests.conftest import SHARED, bundled_dataset

DATA = data_dir()
DESCRIPTOR = json.loads((DATA / "datapackage.json").read_text(encoding="utf-8"))
SEED = sorted((SHARED / "seed").glob("*.txt")) if (SHARED / "seed").is_dir() else []


@pytest.fixture(scope="module")
def ds():
    return bundled_dataset()


def fact_tables(ds) -> dict[str, pd.DataFrame]:
    return {name: frame for name, frame in ds.tables.items() if "source_id" in frame.columns and name != "sources"}


def test_every_table_is_an_attribute_and_in_tables(ds) -> None:
    names = [r["name"] for r in DESCRIPTOR["resources"]]
    assert list(ds.tables) == names
    for name in names:
        assert getattr(ds, name) is ds.tables[name] is ds[name]
    with pytest.raises(AttributeError, match="tables: sources"):
        _ = ds.no_such_table


def test_stations_table_is_complete(ds) -> None:
    assert ds.vote_abroad_stations.shape[0] == 62


def test_every_field_is_documented() -> None:
    for resource in DESCRIPTOR["resources"]:
        assert resource.get("description"), resource["name"]
        for field in resource["schema"]["fields"]:
            assert field.get("description"), (resource["name"], field["name"])


def test_naming_conventions() -> None:
    """snake_case everywhere; _code for codes; booleans start with is_ or read as a predicate."""
    for resource in DESCRIPTOR["resources"]:
        for field in resource["schema"]["fields"]:
            name = field["name"]
            assert re.fullmatch(r"[a-z][a-z0-9_]*", name), name
            if field.get("constraints", {}).get("pattern") == "[A-Z]{3}":
                assert name.endswith("_code"), name
            if field.get("type") == "boolean":
                assert name.startswith(("is_", "borders_")), name


def test_every_source_is_used(ds) -> None:
    cited = set(ds.sources_for(*fact_tables(ds).values())["source_id"])
    assert cited == set(ds.sources["source_id"])


def test_conflicting_sources_are_kept_as_rows(ds) -> None:
    turkey_2022 = ds.estimates.query(
        "country_code == 'TUR' and measure == 'residence_permits' and as_of_date == '2022-12'"
    )
    assert turkey_2022["source_id"].nunique() == 2
    yerevan = ds.vote_results.query("place == 'Yerevan' and result_kind == 'official'")
    assert yerevan["putin_pct"].nunique() == 2


def test_new_conflicts_are_kept_as_rows(ds) -> None:
    """Türkiye's 2022 permits, Argentina's entries and Israel's 2022 immigration each keep every source."""
    est = ds.estimates
    turkey = est[(est["country_code"] == "TUR") & (est["as_of_date"] == "2022-12")]
    assert set(turkey["measure"]) == {"residence_permits", "residence_permit_holders"}
    assert turkey["source_id"].nunique() == 3
    # The AP figure names no counter, so it is entries_counter_unstated (Units rule); both are trips.
    argentina = est[
        (est["country_code"] == "ARG") & est["measure"].isin({"border_entries", "entries_counter_unstated"})
    ]
    assert argentina["value"].nunique() == 2 and argentina["source_id"].nunique() == 2
    assert set(argentina["unit"]) == {"trips"}
    israel = est[
        (est["country_code"] == "ISR") & (est["period_start_date"] == "2022-01") & (est["as_of_date"] == "2022-12")
    ]
    assert set(israel["measure"]) == {"immigrated_official", "share_of_immigrants"}


@pytest.mark.parametrize("country", ["ARM", "TUR", "SRB", "ISR"])
def test_top_destinations_have_dated_responses_and_a_series(ds, country) -> None:
    responses = ds.events[(ds.events["theme"] == "response") & (ds.events["country_code"] == country)]
    dated = responses.dropna(subset=["event_date"])
    assert len(dated) >= 3 and dated["stance"].notna().any(), country
    people = ds.estimates[(ds.estimates["country_code"] == country) & (ds.estimates["unit"] == "people")]
    assert people["as_of_date"].dropna().nunique() >= 3, country


def test_seed_vote_figures_are_all_there(ds) -> None:
    seed = ds.vote_results[ds.vote_results["source_id"] == SEED_SOURCE_ID]
    assert len(seed) == 8
    assert set(seed["refs"]) == {(67,)}


def test_two_step_story_is_linked(ds) -> None:
    steps = ds.events[ds.events["emigrant_id"] == "pavel-filatyev"].sort_values("event_date")
    assert list(steps["event_date"]) == ["2022-08-30", "2023-07-18"]
    assert steps["source_id"].nunique() == 2


@pytest.mark.skipif(not SEED, reason="the seed excerpt (../shared/seed) is not beside this checkout")
def test_seed_emigrants_are_named_with_their_occupation(ds) -> None:
    text = " ".join(p.read_text(encoding="utf-8") for p in SEED)
    seed_rows = ds.emigrants[ds.emigrants["source_id"] == SEED_SOURCE_ID]
    assert len(seed_rows) == 24
    for row in seed_rows.itertuples():
        assert row.name in text, row.name
        assert row.occupation in text, (row.name, row.occupation)
        assert row.refs, row.name
        assert all(f"[{n}]" in text for n in row.refs), (row.name, row.refs)


@pytest.mark.skipif(
    not (SHARED / "sources" / "vote_abroad_2024_stations.csv").is_file(),
    reason="../shared/sources not beside this checkout",
)
def test_stations_match_the_shared_source_table(ds) -> None:
    source = pd.read_csv(SHARED / "sources" / "vote_abroad_2024_stations.csv", dtype=str, keep_default_na=False)
    ours = pd.read_csv(DATA / "vote_abroad_stations.csv", dtype=str, keep_default_na=False).set_index("station_id")
    for row in source.itertuples():
        mine = ours.loc[row.station_id]
        for column in [
            "respondents",
            "putin_pct",
            "davankov_pct",
            "kharitonov_pct",
            "slutsky_pct",
            "spoiled_pct",
            "declined_pct",
            "ballot_removed_pct",
            "voters_counted_at_exit",
            "surveyed_share_pct",
            "voters_stopped_by_closure",
            "station_close_time_cet",
            "volunteers",
            "footnote",
        ]:
            assert mine[column] == getattr(row, column), (row.station_id, column)
        assert mine["place"] == row.city, row.station_id


@pytest.mark.slow
def test_frictionless_validates_the_package() -> None:
    frictionless = pytest.importorskip("frictionless")
    report = frictionless.validate(str(DATA / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_package_metadata() -> None:
    for key in ("name", "title", "description", "version", "created", "licenses", "contributors", "sources"):
        assert DESCRIPTOR.get(key), key


def test_loader_keeps_every_row(ds) -> None:
    for resource in DESCRIPTOR["resources"]:
        with (DATA / resource["path"]).open(encoding="utf-8", newline="") as fh:
            rows = sum(1 for _ in csv.reader(fh)) - 1
        assert len(ds.tables[resource["name"]]) == rows


def test_load_from_a_copy_elsewhere(data_copy: Path, ds) -> None:
    copy = load_dataset(data_copy / "datapackage.json")
    pd.testing.assert_frame_equal(copy.events, ds.events)
