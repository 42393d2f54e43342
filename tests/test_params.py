"""Parameters: one parser for the notebooks and the runner; every value works or says what would."""

from __future__ import annotations

from datetime import date

import pytest

from russian_emigration import analysis as an
from russian_emigration.params import ParameterError, parse_list, valid_values, validate


@pytest.mark.parametrize(
    "given",
    ["KAZ,KGZ", "kaz, kgz", '["KAZ", "KGZ"]', "[KAZ, KGZ]", "['KAZ','KGZ']", ["KGZ", "KAZ"], " KAZ,KGZ\u00a0"],
)
def test_countries_take_every_command_line_form(ds, given) -> None:
    assert validate(ds, countries=given) == {"countries": ["KAZ", "KGZ"]}


@pytest.mark.parametrize("given", [None, "all", "None", "none", "", "null"])
def test_every_word_for_all_means_all(ds, given) -> None:
    assert validate(ds, countries=given, domain=given) == {"countries": None, "domain": None}


@pytest.mark.parametrize(
    ("values", "says"),
    [
        ({"countries": "XXX"}, "no country has the code 'XXX'"),
        ({"countries": "Georgia"}, "(Georgia is GEO)"),
        ({"countries": "G\u0415O"}, "'\u0415' is U+0415 CYRILLIC CAPITAL LETTER IE"),
        ({"focus_country": "\u0131sr"}, "U+0131 LATIN SMALL LETTER DOTLESS I"),
        ({"focus_country": "RUS"}, "use one of the"),
        ({"focus_country": "Japan"}, "is not valid"),
        ({"domain": "painting"}, "use one of 'music'"),
        ({"min_respondents": "\u0665\u0660\u0660"}, "U+0665 ARABIC-INDIC DIGIT FIVE"),
        ({"min_respondents": "5.5"}, "use a whole number >= 0"),
        ({"min_respondents": 10**9}, "leaves no station; use at most"),
        ({"group_by": "COUNTRY"}, "use one of 'station', 'country'"),
        ({"start_date": "21/09/2022"}, "use an ISO date"),
        ({"start_date": "2022-02-30"}, "not a real calendar date"),
        ({"start_date": "2024", "end_date": "2022"}, "is after end_date='2022-12-31'; swap them"),
        ({"data_dir": "/etc"}, "a folder that holds a datapackage.json"),
        ({"no_such": 1}, "unknown parameter(s) 'no_such'"),
    ],
)
def test_a_bad_value_names_the_parameter_and_what_would_work(ds, values, says) -> None:
    with pytest.raises(ParameterError, match=None) as caught:
        validate(ds, **values)
    assert says in str(caught.value)


def test_the_country_error_lists_every_valid_code(ds) -> None:
    with pytest.raises(ParameterError) as caught:
        validate(ds, countries="XXX")
    assert all(repr(code) in str(caught.value) for code in valid_values(ds, "countries"))


@pytest.mark.parametrize(
    ("given", "first", "last"),
    [
        ("2022", date(2022, 1, 1), date(2022, 12, 31)),
        (2022, date(2022, 1, 1), date(2022, 12, 31)),
        ("2022-02", date(2022, 2, 1), date(2022, 2, 28)),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        ("2022-09-21", date(2022, 9, 21), date(2022, 9, 21)),
        ("0001", date(1, 1, 1), date(1, 12, 31)),
        (1, date(1, 1, 1), date(1, 12, 31)),
        ("9999-12", date(9999, 12, 1), date(9999, 12, 31)),
        ("9999-12-31", date(9999, 12, 31), date(9999, 12, 31)),
    ],
)
def test_every_documented_date_form_works_up_to_9999(ds, given, first, last) -> None:
    assert validate(ds, start_date=given, end_date=given) == {"start_date": first, "end_date": last}


def test_a_domain_by_its_code_or_its_label(ds) -> None:
    assert validate(ds, domain="Stage And Screen") == {"domain": "stage_and_screen"}
    assert validate(ds, domain="music") == {"domain": "music"}


def test_the_listed_values_are_what_the_validator_accepts(ds) -> None:
    for name in ("domain", "countries", "focus_country", "group_by"):
        for value in valid_values(ds, name):
            validate(ds, **{name: value})


def test_focus_country_takes_the_countries_that_have_something_to_profile(ds) -> None:
    profiled = set(valid_values(ds, "focus_country"))
    recorded = set(an.responses(ds)["country_code"].dropna()) | set(ds.estimates["country_code"].dropna())
    assert profiled == recorded - {"RUS"}


def test_min_respondents_on_an_empty_station_table_says_use_0(ds, monkeypatch) -> None:
    empty = ds.vote_abroad_stations.head(0)
    monkeypatch.setitem(ds.__dict__, "tables", {**ds.tables, "vote_abroad_stations": empty})
    with pytest.raises(ParameterError, match="the station table has no rows; use 0"):
        validate(ds, min_respondents=10)


def test_parse_list_leaves_a_list_as_it_is_and_refuses_a_broken_one() -> None:
    assert parse_list("countries", ["GEO"]) == ["GEO"]
    with pytest.raises(ParameterError, match="is not a list"):
        parse_list("countries", '["GEO", 1]')
