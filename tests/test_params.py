"""Parameter validation, called directly: every message names the parameter and what would work."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from russian_emigration import load_dataset
from russian_emigration.params import ParameterError, parse_list, validate
from tests.conftest import bundled_dataset

DS = bundled_dataset()


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"start_date": "2022-13-01"}, "start_date='2022-13-01' is not a real calendar date"),
        ({"start_date": "2022-13"}, "start_date='2022-13' is not a real calendar date"),
        ({"start_date": "01/09/2022"}, "start_date='01/09/2022' is not valid; use an ISO date such as '2022-09-21'"),
        (
            {"start_date": "2023-01-01", "end_date": "2022-01-01"},
            "start_date='2023-01-01' is after end_date='2022-01-01'",
        ),
        ({"domain": "sport"}, "domain='sport' is not valid; use one of 'music'"),
        ({"focus_country": "XXX"}, "focus_country='XXX' is not valid; use one of the 27 countries with a response"),
        ({"focus_country": "JPN"}, "focus_country='JPN' is not valid; use one of"),
        ({"focus_country": "Georgia"}, "focus_country='Georgia' is not valid (Georgia is GEO); use one of the 27"),
        ({"focus_country": "japan"}, "focus_country='japan' is not valid (Japan is JPN, not one of the valid codes)"),
        ({"countries": "GEO;KAZ"}, "countries='GEO;KAZ' is not valid; give a non-empty list of ISO alpha-3 codes"),
        ({"countries": ["GEO", "XXX"]}, "countries=['GEO', 'XXX'] is not valid: no country has the code 'XXX'; use"),
        (
            {"countries": "geo,Armenia"},
            "countries='geo,Armenia' is not valid: no country has the code 'Armenia' (Armenia is ARM)",
        ),
        ({"countries": []}, "countries=[] is not valid; give a non-empty list"),
        ({"group_by": "city"}, "group_by='city' is not valid; use one of 'station', 'country'"),
        ({"min_respondents": -1}, "min_respondents=-1 is not valid; use a whole number >= 0"),
        ({"min_respondents": "5"}, "min_respondents='5' is not valid; use a whole number"),
        ({"min_respondents": 10**6}, "min_respondents=1000000 leaves no station; use at most"),
        ({"data_dir": "/nonexistent"}, "data_dir='/nonexistent' is not valid"),
        ({"colour": "red"}, "no validator for parameter(s) colour"),
    ],
)
def test_invalid_values_raise_a_clear_error(parameters: dict, message: str) -> None:
    with pytest.raises(ParameterError) as caught:
        validate(DS, **parameters)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("GEO,KAZ", ["GEO", "KAZ"]),
        ("GEO, KAZ", ["GEO", "KAZ"]),
        ('["KAZ","KGZ"]', ["KAZ", "KGZ"]),
        ('["KAZ", "KGZ", "UZB"]', ["KAZ", "KGZ", "UZB"]),
        ("[KAZ, KGZ]", ["KAZ", "KGZ"]),
        ("KAZ", ["KAZ"]),
        ("None", None),
        (["KAZ"], ["KAZ"]),
        (None, None),
    ],
)
def test_countries_accept_every_command_line_form(raw, expected) -> None:
    assert parse_list(raw) == expected
    assert validate(DS, countries=raw)["countries"] == (sorted(expected) if expected else None)


@pytest.mark.parametrize(
    "parameters", [{"countries": ["GEO", "XXX"]}, {"countries": "GEO;KAZ"}, {"focus_country": "XXX"}]
)
def test_country_errors_list_every_valid_code_and_say_what_the_list_is(parameters: dict) -> None:
    """Both country parameters: the value as given, then what the list is, its size and every code in it."""
    from russian_emigration.params import valid_values

    (name,) = parameters
    with pytest.raises(ParameterError) as caught:
        validate(DS, **parameters)
    message = str(caught.value)
    assert message.startswith(f"{name}={parameters[name]!r} is not valid"), message
    valid = valid_values(DS, name)
    assert valid and message.endswith(
        ", ".join(repr(c) for c in valid) + ("; or None for all" if name == "countries" else "")
    )
    what = (
        "countries of the data's country table" if name == "countries" else "countries with a response or an estimate"
    )
    assert f" {len(valid)} {what}" in message, message


def test_country_codes_are_case_insensitive() -> None:
    assert validate(DS, countries="geo,kaz", focus_country="kaz") == {
        "countries": ["GEO", "KAZ"],
        "focus_country": "KAZ",
    }


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("stage and screen", "stage_and_screen"),
        ("stage_and_screen", "stage_and_screen"),
        ("Music", "music"),
        (None, None),
    ],
)
def test_domain_accepts_its_code_or_its_label(value, code) -> None:
    assert validate(DS, domain=value)["domain"] == code


@pytest.mark.parametrize(
    ("start", "end", "first", "last"),
    [
        ("2022-09", "2022-09", date(2022, 9, 1), date(2022, 9, 30)),
        ("2024-02", "2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        ("2022", "2023", date(2022, 1, 1), date(2023, 12, 31)),
        (2022, 2022, date(2022, 1, 1), date(2022, 12, 31)),  # papermill -p passes a bare year as an int
        ("2022-09-21", "2022-12", date(2022, 9, 21), date(2022, 12, 31)),
    ],
)
def test_dates_accept_the_partial_forms_the_data_uses(start, end, first, last) -> None:
    checked = validate(DS, start_date=start, end_date=end)
    assert (checked["start_date"], checked["end_date"]) == (first, last)


def test_min_respondents_on_an_empty_station_table_is_a_clean_error(data_copy: Path) -> None:
    from tests.conftest import edit_lines

    edit_lines(data_copy / "vote_abroad_stations.csv", lambda lines: lines[:1])
    empty = load_dataset(data_copy)
    assert empty.vote_abroad_stations.empty
    assert validate(empty, min_respondents=0) == {"min_respondents": 0}
    with pytest.raises(
        ParameterError,
        match=r"min_respondents=5 cannot apply: the station table \(vote_abroad_stations\) has no rows; use 0",
    ):
        validate(empty, min_respondents=5)


def test_the_runner_checks_the_same_way_before_any_kernel(tmp_path: Path) -> None:
    from russian_emigration.report import notebook_paths, notebooks_dir, plan

    typed = plan(
        {"countries": "GEO,KAZ", "domain": "stage and screen", "start_date": "2022-09"}, notebook_paths(notebooks_dir())
    )
    for params in typed.values():
        validate(DS, strict=False, **params)
    values = {k: v for params in typed.values() for k, v in params.items()}
    assert values["countries"] == ["GEO", "KAZ"]


def test_the_domain_error_shows_a_label_that_differs_from_its_code() -> None:
    with pytest.raises(ParameterError) as caught:
        validate(DS, domain="sport")
    example = str(caught.value).split("its label, e.g. ")[1].split(")")[0].strip("'")
    assert " " in example and example.replace(" ", "_") in DS.emigrants["domain"].astype(str).unique(), example


def test_the_runner_echoes_a_country_name_as_typed_and_gives_its_code(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`report -p focus_country Georgia`: the error quotes 'Georgia', not 'GEORGIA', and says Georgia is GEO."""
    from russian_emigration.__main__ import main

    assert main(["report", "-p", "focus_country", "Georgia", "--output-dir", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "focus_country='Georgia' is not valid (Georgia is GEO); use one of the " in err and "GEORGIA" not in err
    assert main(["report", "-p", "countries", "JPN,Armenia", "--output-dir", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "no country has the code 'Armenia' (Armenia is ARM); use one or more of the " in err, err
    assert not (tmp_path / "r").exists()
