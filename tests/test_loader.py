"""The loader, as a data editor meets it: every mistake one message naming file, row, column, value and
rule; every problem of every table at once; spreadsheet saves accepted; nothing typed silently into NA."""

from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from russian_emigration import DatasetError, load_dataset
from russian_emigration.dataset import data_dir
from russian_emigration.errors import Problem


def problems(folder: Path) -> list[Problem]:
    with pytest.raises(DatasetError) as caught:
        load_dataset(folder)
    return list(caught.value.problems)


def replace(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {name}: the test no longer edits anything"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def edit_descriptor(folder: Path, change) -> None:
    path = folder / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    change(descriptor)
    path.write_text(json.dumps(descriptor, indent=2), encoding="utf-8")


def field(descriptor: dict, table: str, name: str) -> dict:
    resource = next(r for r in descriptor["resources"] if r["name"] == table)
    return next(f for f in resource["schema"]["fields"] if f["name"] == name)


#: One editing mistake each, all in one copy (distinct rows): (file, cell text, new text, column, rule).
MISTAKES = [
    ("events.csv", "2022-09-21", "2022-13-21", "event_date", "partial_date"),
    ("events.csv", "2022-09-19", "19/09/2022", "event_date", "partial_date"),
    ("events.csv", "wikipedia-seed", "wikipedia-sed", "source_id", "foreign_key"),
    ("estimates.csv", "17283", "17 283", "value", "type_number"),
    ("estimates.csv", "700000", "-700000", "value", "minimum"),
    ("estimates.csv", "73500", "1e400", "value", "type_number"),
    ("vote_abroad_stations.csv", "8015", "8010", "station_id", "unique"),
    ("vote_abroad_stations.csv", "8016", "08010", "station_id", "unique"),
    ("vote_abroad_stations.csv", "2024-03-17T10:00", "2024-03-17 10:00", "station_close_time_cet", "type_datetime"),
    ("vote_results.csv", "exit_poll", "exitpoll", "result_kind", "enum"),
    ("vote_results.csv", "5", "5%", "putin_pct", "type_number"),
    ("countries.csv", "Georgia", " Georgia", "country_name", "no_stray_whitespace"),
    ("countries.csv", "Kazakhstan", "Kaza\u200bkhstan", "country_name", "no_invisible"),
    ("countries.csv", "Armenia", "=HYPERLINK(1)", "country_name", "no_formula"),
    ("countries.csv", "false", "no", "is_eu_member", "type_boolean"),
    ("sources.csv", "dw-dolin", "DW-Dolin", "source_id", "pattern"),
    ("sources.csv", "2026-11-27", "today", "accessed_date", "type_date"),  # pandas reads 'today' whatever the format
    ("emigrants.csv", "2022-04", "2022-4", "left_date", "partial_date"),
]


def _edit_cell(folder: Path, name: str, old: str, new: str) -> int:
    """Change the first cell of ``name`` that holds exactly ``old``; return its spreadsheet row."""
    path = folder / name
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    for number, row in enumerate(rows[1:], start=2):
        if old in row:
            row[row.index(old)] = new
            with path.open("w", encoding="utf-8", newline="") as out:
                csv.writer(out, lineterminator="\n").writerows(rows)
            return number
    raise AssertionError(f"no cell {old!r} in {name}: the test no longer edits anything")


@pytest.fixture(scope="module")
def mistakes(tmp_path_factory) -> tuple[list[int], list[Problem]]:
    """The rows edited and the problems of one copy holding every mistake of MISTAKES."""
    folder = Path(shutil.copytree(data_dir(), tmp_path_factory.mktemp("broken") / "data"))
    rows = [_edit_cell(folder, name, old, new) for name, old, new, _, _ in MISTAKES]
    return rows, problems(folder)


@pytest.mark.parametrize("number", range(len(MISTAKES)), ids=[f"{m[4]}-{m[1]}" for m in MISTAKES])
def test_each_editing_mistake_is_named_precisely_and_all_at_once(mistakes, number) -> None:
    name, _, new, column, rule = MISTAKES[number]
    rows, found = mistakes
    there = [p for p in found if (p.file, p.row, p.rule) == (f"data/{name}", rows[number], rule)]
    assert there, f"no {rule} problem at data/{name} row {rows[number]}"
    assert there[0].column == column
    assert new in (there[0].value or "")
    assert str(there[0]).startswith(f"data/{name}, row {rows[number]}, column {column!r}: value ")


def test_a_value_is_reported_for_the_first_rule_it_breaks(data_copy) -> None:
    replace(data_copy, "events.csv", "2022-09-21", "21/09/2022")
    assert [p.rule for p in problems(data_copy) if p.column == "event_date"] == ["partial_date"]


def test_every_problem_of_every_table_is_reported_at_once(data_copy) -> None:
    replace(data_copy, "events.csv", ",response,", ",respons,")
    replace(data_copy, "countries.csv", "Georgia", " Georgia")
    replace(data_copy, "vote_results.csv", "exit_poll", "exitpoll")
    files = {p.file for p in problems(data_copy)}
    assert {"data/events.csv", "data/countries.csv", "data/vote_results.csv"} <= files


def test_a_required_empty_cell_is_named(data_copy) -> None:
    rows = list(csv.reader(io.StringIO((data_copy / "sources.csv").read_text(encoding="utf-8"))))
    rows[5][rows[0].index("publisher")] = ""
    with (data_copy / "sources.csv").open("w", encoding="utf-8", newline="") as out:
        csv.writer(out, lineterminator="\n").writerows(rows)
    (problem,) = problems(data_copy)
    assert (problem.row, problem.column, problem.rule) == (6, "publisher", "required")


def test_a_key_refused_in_its_own_table_is_pointed_at_from_the_rows_that_use_it(data_copy) -> None:
    replace(data_copy, "sources.csv", "wikipedia-seed,", "wikipedia-seed ,")
    message = [str(p) for p in problems(data_copy) if p.rule == "foreign_key"][0]
    assert "its row there has a problem of its own" in message


def test_a_pattern_no_value_matches_points_at_the_descriptor(data_copy) -> None:
    edit_descriptor(
        data_copy, lambda d: field(d, "countries", "country_code")["constraints"].update(pattern="[a-z]{3}")
    )
    assert any("check it in datapackage.json" in str(p) for p in problems(data_copy))


@pytest.mark.parametrize(
    ("header", "rule"),
    [("country_code,country_name,is_eu_member,is_schengen_member,borders_russia", "header_complete"),
     ("country_name,country_code,is_eu_member,is_schengen_member,borders_russia,region", "header_order"),
     ("country_code,country_name,is_eu_member,is_schengen_member,borders_russia,region,extra", "header_known"),
     ("country_code;country_name;is_eu_member;is_schengen_member;borders_russia;region", "delimiter")],
)  # fmt: skip
def test_a_header_mistake_is_one_message(data_copy, header, rule) -> None:
    path = data_copy / "countries.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    if rule == "delimiter":
        lines = [line.replace(",", ";") for line in lines]
    path.write_text("\n".join([header, *lines[1:]]) + "\n", encoding="utf-8")
    assert {p.rule for p in problems(data_copy)} == {rule}


def test_a_stray_comma_says_how_many_cells(data_copy) -> None:
    replace(data_copy, "countries.csv", "Georgia", "Georgia,")
    (problem,) = problems(data_copy)
    assert problem.rule == "cell_count" and "has 7 cells and the header 6" in problem.message


def test_a_file_in_another_encoding_is_named(data_copy) -> None:
    path = data_copy / "countries.csv"
    path.write_bytes(path.read_text(encoding="utf-8").replace("Türkiye", "Türkiye").encode("latin-1"))
    (problem,) = problems(data_copy)
    assert problem.file == "data/countries.csv" and problem.rule == "utf8" and "save it as UTF-8" in problem.message


def test_a_missing_folder_names_the_descriptor(tmp_path) -> None:
    (problem,) = problems(tmp_path / "nowhere")
    assert (problem.file, problem.rule) == ("nowhere/datapackage.json", "file_exists")


def test_dataset_error_is_a_value_error_and_lists_a_capped_number_of_problems(data_copy) -> None:
    path = data_copy / "events.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",response,", ",respons,"), encoding="utf-8")
    with pytest.raises(ValueError) as caught:
        load_dataset(data_copy)
    found = caught.value.problems
    assert len([p for p in found if p.rule == "enum"]) == 21  # 20 listed, then "in N more rows not listed"
    assert "more rows not listed" in str(found[20])


# --- Spreadsheet saves ---------------------------------------------------------------------------


def excel_save(path: Path) -> None:
    """Rewrite a CSV as Excel's "CSV UTF-8" does: BOM, CRLF, every field quoted, no final newline, TRUE/FALSE."""
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    rows = [[{"true": "TRUE", "false": "FALSE"}.get(cell, cell) for cell in row] for row in rows]
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
    path.write_bytes(b"\xef\xbb\xbf" + out.getvalue().rstrip("\r\n").encode("utf-8"))


def test_a_spreadsheet_round_trip_loads_equal_frames(data_copy, ds) -> None:
    for path in data_copy.glob("*.csv"):
        excel_save(path)
    saved = load_dataset(data_copy)
    for name, frame in ds.tables.items():
        pd.testing.assert_frame_equal(saved.tables[name], frame, check_exact=True)


def test_blank_lines_and_empty_columns_a_spreadsheet_adds_at_the_end_are_ignored(data_copy, ds) -> None:
    path = data_copy / "countries.csv"
    path.write_text("\n".join(line + ",," for line in path.read_text(encoding="utf-8").splitlines()) + "\n\n\n")
    pd.testing.assert_frame_equal(load_dataset(data_copy).countries, ds.countries)


def test_the_committed_csv_files_stay_lf_without_a_byte_order_mark() -> None:
    for path in data_dir().glob("*.csv"):
        data = path.read_bytes()
        assert not data.startswith(b"\xef\xbb\xbf") and b"\r\n" not in data and data.endswith(b"\n"), path.name


# --- Typing ----------------------------------------------------------------------------------------


def test_partial_dates_keep_their_precision_and_span(ds) -> None:
    law = ds.events.set_index("event_id").loc["fake-news-law"]
    assert (law["event_date"], law["event_date_precision"]) == ("2022-03", "month")
    assert (law["event_date_first"], law["event_date_last"]) == (pd.Timestamp("2022-03-01"), pd.Timestamp("2022-03-31"))


def test_types_come_from_the_descriptor(ds) -> None:
    stations = ds.vote_abroad_stations
    assert str(stations["respondents"].dtype) == "Int64" and str(stations["putin_pct"].dtype) == "Float64"
    assert str(ds.events["theme"].dtype) == "category"
    assert list(ds.events["theme"].cat.categories)[:3] == ["cause", "wave", "response"]
    assert ds.events.loc[ds.events["event_id"] == "desertion-decree", "refs"].item() == (59, 60)
    assert str(ds.countries["is_eu_member"].dtype) == "boolean"


def test_nothing_is_typed_silently_into_a_missing_value(ds) -> None:
    """Every cell that holds text in a file holds a value once typed (and the reverse)."""
    for resource in ds.descriptor["resources"]:
        text = pd.read_csv(ds.path / resource["path"], dtype=str, keep_default_na=False)
        typed = ds.tables[resource["name"]][text.columns]
        assert ((text != "").to_numpy() == typed.notna().to_numpy()).all(), resource["name"]


def test_a_date_after_today_is_refused_unless_the_package_was_created_later(data_copy) -> None:
    replace(data_copy, "vote_abroad_stations.csv", "2024-03-17,536", "2099-03-17,536")
    assert {p.rule for p in problems(data_copy)} == {"date_range"}


def test_the_bundled_package_loads_on_the_day_it_was_created_in_every_time_zone() -> None:
    """West of UTC, the local date is still the day before the package's 'created' day (red-team M2)."""
    created = json.loads((data_dir() / "datapackage.json").read_text("utf-8"))["created"]
    assert len(load_dataset(today=date.fromisoformat(created[:10]) - timedelta(days=1)).sources) > 0


def test_a_created_day_well_in_the_future_is_refused(data_copy) -> None:
    edit_descriptor(data_copy, lambda d: d.update(created="2062-12-07T00:00:00Z"))
    (problem,) = problems(data_copy)
    assert "'created' '2062-12-07T00:00:00Z' is in the future" in problem.message


# --- The descriptor, edited by hand --------------------------------------------------------------

DESCRIPTOR_MISTAKES = [
    ('"constraints"', '"contraints"', "unknown_keyword", "did you mean 'constraints'?"),
    ('"type": "integer"', '"type": "integr"', "descriptor_structure", "did you mean 'integer'?"),
    ('"minimum": 0', '"minimum": "0"', "descriptor_structure", "must be a number, without quotes"),
    ('"minimum": 0', '"minimum": NaN', "valid_json", "NaN, which is not a number"),
    ('"version": "0.1.0",', '"version": "0.1.0", "version": "0.1.1",', "valid_json", "repeats the key(s) 'version'"),
    ('"required": true\n', '"required": true,\n', "valid_json", "no comma after the last item"),
    ('"station_id"\n', '"station_idd"\n', "descriptor_structure", "did you mean 'station_id'?"),
    ('"%Y-%m-%dT%H:%M"', '"%Y-%m-%dT%H:%Q"', "descriptor_structure", "is not a valid date and time format"),
    ('"format": "uri"', '"format": "email"', "descriptor_structure", "must be default or uri (no other is checked)"),
]


@pytest.mark.parametrize(("old", "new", "rule", "says"), DESCRIPTOR_MISTAKES)
def test_a_hand_edited_descriptor_mistake_is_one_plain_message(data_copy, old, new, rule, says) -> None:
    replace(data_copy, "datapackage.json", old, new)
    found = problems(data_copy)
    assert found[0].file == "data/datapackage.json" and found[0].rule == rule
    assert says in found[0].message


def test_an_enum_written_as_one_text_says_what_to_write(data_copy) -> None:
    edit_descriptor(data_copy, lambda d: field(d, "countries", "region")["constraints"].update(enum="a, b"))
    (problem,) = problems(data_copy)
    assert "resource 'countries', field 'region', constraint 'enum': must be a list in square brackets" in str(problem)


def test_the_standard_part_is_checked_by_frictionless(data_copy) -> None:
    edit_descriptor(data_copy, lambda d: d["licenses"][0].pop("name") and d["licenses"][0].pop("path"))
    assert problems(data_copy)[0].rule == "table_schema"


def test_a_resource_path_outside_the_folder_is_refused(data_copy) -> None:
    edit_descriptor(data_copy, lambda d: d["resources"][1].update(path="../countries.csv"))
    (problem,) = problems(data_copy)
    assert problem.rule == "table_schema" and 'path "../countries.csv" is not safe' in str(problem)


@pytest.mark.parametrize(
    ("table", "rule", "fields"),
    [("vote_abroad_stations", "row_sum", ["putin_pct", "place"]), ("estimates", "not_less_than", ["measure"])],
)
def test_a_rule_over_columns_it_cannot_compare_is_refused_in_the_descriptor(data_copy, table, rule, fields) -> None:
    def change(descriptor: dict) -> None:
        resource = next(r for r in descriptor["resources"] if r["name"] == table)
        chosen = next(r for r in resource["x_rules"] if r["rule"] == rule)
        chosen.update(fields=fields) if rule == "row_sum" else chosen.update(other=fields[0])

    edit_descriptor(data_copy, change)
    (problem,) = problems(data_copy)
    assert problem.file == "data/datapackage.json"
    assert f"resource {table!r}, rule {rule!r}: must compare numbers or dates of one type" in problem.message
