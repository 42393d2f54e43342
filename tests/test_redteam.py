"""The red-team findings of issue 11, one test each: hostile or odd inputs give a DatasetError naming
the file and the rule, in bounded time; no other exception escapes load_dataset()."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import russian_emigration.fields
from russian_emigration import DatasetError, data_dir, load_dataset
from tests.conftest import edit_lines, set_cell

DESCRIPTOR = "data/datapackage.json"


def problems_of(folder: Path, **kwargs: Any) -> list[tuple[str, str, str]]:
    """Load ``folder``; it must fail with DatasetError. Returns (file, rule, message) of each problem."""
    with pytest.raises(DatasetError) as caught:
        load_dataset(folder, **kwargs)
    return [(p.file, p.rule, p.message) for p in caught.value.problems]


def edit_descriptor(folder: Path, change: Callable[[dict], None]) -> None:
    path = folder / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    change(descriptor)
    path.write_text(json.dumps(descriptor), encoding="utf-8")


def resource(descriptor: dict, name: str) -> dict:
    return next(r for r in descriptor["resources"] if r["name"] == name)


def field(descriptor: dict, table: str, name: str) -> dict:
    return next(f for f in resource(descriptor, table)["schema"]["fields"] if f["name"] == name)


def has(problems: list[tuple[str, str, str]], file: str, rule: str, *words: str) -> bool:
    return any(f == file and r == rule and all(w in m for w in words) for f, r, m in problems)


# --- other exceptions escaped instead of DatasetError ---


def test_nul_byte_in_a_resource_path(data_copy: Path) -> None:
    edit_descriptor(data_copy, lambda d: d["resources"][2].update(path="events\x00.csv"))
    assert has(problems_of(data_copy), DESCRIPTOR, "safe_path")


def test_descriptor_nested_5000_deep(data_copy: Path) -> None:
    path = data_copy / "datapackage.json"
    text = path.read_text(encoding="utf-8")
    path.write_text('{"title": ' + "[" * 5000 + "]" * 5000 + ", " + text.lstrip()[1:], encoding="utf-8")
    assert has(problems_of(data_copy), DESCRIPTOR, "depth_limit")


def test_descriptor_nested_a_little_too_deep(data_copy: Path) -> None:
    edit_descriptor(data_copy, lambda d: d.update(keywords=json.loads("[" * 30 + "]" * 30)))
    assert has(problems_of(data_copy), DESCRIPTOR, "depth_limit")


@pytest.mark.parametrize("literal", ["1e400", "1" + "0" * 400, "9" * 5000])
def test_huge_limits(data_copy: Path, literal: str) -> None:
    path = data_copy / "datapackage.json"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"maximum": 100', f'"maximum": {literal}', 1), encoding="utf-8")
    assert has(problems_of(data_copy), DESCRIPTOR, "finite_number")


def test_foreign_key_to_a_field_the_parent_lacks(data_copy: Path) -> None:
    edit_descriptor(
        data_copy, lambda d: resource(d, "events")["schema"]["foreignKeys"][0]["reference"].update(fields=["nope"])
    )
    assert has(problems_of(data_copy), DESCRIPTOR, "descriptor_structure", "'nope'")


@pytest.mark.parametrize(
    "rule",
    [
        {"rule": "row_sum", "fields": ["country_code", "place"], "min": 0, "max": 1},
        {"rule": "not_less_than", "field": "country_code", "other": "source_id"},
    ],
    ids=["row_sum over text", "not_less_than on text"],
)
def test_rules_on_fields_of_the_wrong_type(data_copy: Path, rule: dict) -> None:
    edit_descriptor(data_copy, lambda d: resource(d, "vote_abroad_stations")["x_rules"].append(rule))
    assert has(problems_of(data_copy), DESCRIPTOR, "descriptor_structure", rule["rule"])


def test_datetime_format_that_is_no_format(data_copy: Path) -> None:
    edit_descriptor(data_copy, lambda d: field(d, "vote_abroad_stations", "station_close_time_cet").update(format="%Q"))
    assert has(problems_of(data_copy), DESCRIPTOR, "descriptor_structure", "%Q")


def test_list_separator_that_can_be_part_of_an_item(data_copy: Path) -> None:
    edit_descriptor(
        data_copy, lambda d: field(d, "events", "refs").update(x_list={"separator": "-", "item_type": "integer"})
    )
    set_cell(data_copy / "events.csv", 1, "refs", "1--2")
    assert has(problems_of(data_copy), DESCRIPTOR, "descriptor_structure", "separator")


def test_empty_list_items_are_refused(data_copy: Path) -> None:
    set_cell(data_copy / "events.csv", 1, "refs", "1;;2")
    assert has(problems_of(data_copy), "data/events.csv", "list")


# --- invalid descriptors were accepted silently ---


def test_duplicate_json_keys(data_copy: Path) -> None:
    path = data_copy / "datapackage.json"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"resources": [', '"resources": [], "resources": [', 1), encoding="utf-8")
    assert has(problems_of(data_copy), DESCRIPTOR, "duplicate_key", "'resources'")


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_limits_that_are_not_numbers(data_copy: Path, constant: str) -> None:
    path = data_copy / "datapackage.json"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"maximum": 100', f'"maximum": {constant}', 1), encoding="utf-8")
    assert has(problems_of(data_copy), DESCRIPTOR, "finite_number", constant)


@pytest.mark.parametrize(
    ("where", "keyword", "known"),
    [
        ("constraints", "minLength", "required"),
        ("field", "missingValues", "constraints"),
        ("schema", "missingValues", "primaryKey"),
        ("resource", "bytes", "x_rules"),
    ],
)
def test_unknown_keywords_are_named(data_copy: Path, where: str, keyword: str, known: str) -> None:
    """The message names the keyword and lists the ones the loader knows in that place."""

    def change(d: dict) -> None:
        target = {
            "constraints": field(d, "events", "summary")["constraints"],
            "field": field(d, "events", "summary"),
            "schema": resource(d, "events")["schema"],
            "resource": resource(d, "events"),
        }[where]
        target[keyword] = 1

    edit_descriptor(data_copy, change)
    assert has(
        problems_of(data_copy), DESCRIPTOR, "unknown_keyword", f"does not implement {keyword!r}", "(known: ", known
    )


# --- digits ---


@pytest.mark.parametrize(("table", "column"), [("vote_abroad_stations", "respondents"), ("estimates", "value")])
def test_digits_other_than_ascii(data_copy: Path, table: str, column: str) -> None:
    set_cell(data_copy / f"{table}.csv", 1, column, "٣٤٥")
    problems = problems_of(data_copy)
    assert has(problems, f"data/{table}.csv", "type_integer" if column == "respondents" else "type_number")


@pytest.mark.parametrize("digits", ["9" * 400, "-" + "9" * 400, "1e400"])
def test_a_number_too_large_for_a_float_is_a_problem_not_an_overflow(data_copy: Path, digits: str) -> None:
    # Found by the fuzz test: a column of 400-digit integers made pandas raise OverflowError.
    set_cell(data_copy / "estimates.csv", 1, "value_high", digits)
    assert has(problems_of(data_copy, cache=False), "data/estimates.csv", "type_number", "too large")


# --- keys compared after typing ---


@pytest.mark.slow
def test_station_08010_beside_8010_is_a_duplicate(data_copy: Path) -> None:
    edit_lines(data_copy / "vote_abroad_stations.csv", lambda lines: [*lines, "0" + lines[1]])
    assert lines_start_with(data_copy / "vote_abroad_stations.csv", "8010,", "08010,")
    assert has(problems_of(data_copy), "data/vote_abroad_stations.csv", "primary_key")
    frictionless = pytest.importorskip("frictionless")
    assert not frictionless.validate(str(data_copy / "datapackage.json")).valid


def lines_start_with(path: Path, *prefixes: str) -> bool:
    lines = path.read_text(encoding="utf-8").splitlines()
    return all(any(line.startswith(p) for line in lines) for p in prefixes)


# --- inputs that could hang ---


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_is_refused_not_read(data_copy: Path) -> None:
    (data_copy / "events.csv").unlink()
    os.mkfifo(data_copy / "events.csv")
    assert has(problems_of(data_copy), "data/events.csv", "regular_file")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_descriptor_is_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "datapackage.json")
    assert has(problems_of(tmp_path), f"{tmp_path.name}/datapackage.json", "regular_file")


@pytest.mark.slow
def test_100000_header_columns_take_linear_time(data_copy: Path) -> None:
    edit_lines(data_copy / "countries.csv", lambda lines: [lines[0] + "".join(f",c{i}" for i in range(100_000))])
    start = time.perf_counter()
    problems = problems_of(data_copy)
    assert time.perf_counter() - start < 20
    assert has(problems, "data/countries.csv", "header_known")


@pytest.mark.slow
def test_a_million_extra_cells_in_the_first_row(data_copy: Path) -> None:
    edit_lines(data_copy / "countries.csv", lambda lines: [lines[0], lines[1] + ",x" * 1_000_000, *lines[2:]])
    start = time.perf_counter()
    problems = problems_of(data_copy)
    assert time.perf_counter() - start < 20
    assert has(problems, "data/countries.csv", "cell_count")


def test_a_backtracking_pattern_is_bounded(data_copy: Path) -> None:
    edit_descriptor(
        data_copy, lambda d: field(d, "events", "actor").setdefault("constraints", {}).update(pattern="(a|a)*b")
    )
    set_cell(data_copy / "events.csv", 1, "actor", "a" * 30)
    start = time.perf_counter()
    problems = problems_of(data_copy)
    assert time.perf_counter() - start < 20
    assert has(problems, "data/events.csv", "pattern")


@pytest.mark.slow
def test_a_pattern_that_runs_out_of_time_is_named(data_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(russian_emigration.fields, "PATTERN_SECONDS", 0.0)
    # cache=False: a setting changed at run time is not part of the cache key (the code is).
    assert has(problems_of(data_copy, cache=False), "data/sources.csv", "pattern_time")


# --- every problem at once ---


def test_one_problem_in_each_table_all_reported_at_once(data_copy: Path) -> None:
    set_cell(data_copy / "sources.csv", 1, "kind", "blog")
    set_cell(data_copy / "countries.csv", 1, "is_eu_member", "maybe")
    set_cell(data_copy / "events.csv", 1, "source_id", "no-such-source")  # a foreign key, beside other problems
    set_cell(data_copy / "emigrants.csv", 1, "name", "")
    set_cell(data_copy / "estimates.csv", 1, "value", "-5")
    set_cell(data_copy / "vote_abroad_stations.csv", 1, "putin_pct", "101")
    set_cell(data_copy / "vote_results.csv", 1, "result_kind", "guess")
    found = {(f, r) for f, r, _ in problems_of(data_copy)}
    assert {
        ("data/sources.csv", "enum"),
        ("data/countries.csv", "type_boolean"),
        ("data/events.csv", "foreign_key"),
        ("data/emigrants.csv", "required"),
        ("data/estimates.csv", "minimum"),
        ("data/vote_abroad_stations.csv", "maximum"),
        ("data/vote_results.csv", "enum"),
    } <= found


# --- other findings ---


def test_a_table_named_items_is_an_attribute(tmp_path: Path) -> None:
    descriptor = {"resources": [{"name": "items", "path": "items.csv", "schema": {"fields": [{"name": "x"}]}}]}
    (tmp_path / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    (tmp_path / "items.csv").write_text("x\na\n", encoding="utf-8")
    ds = load_dataset(tmp_path)
    assert ds.items is ds["items"] and ds.items["x"].tolist() == ["a"]


@pytest.mark.parametrize("name", ["tables", "resource", "sources_for", "Has-Dash"])
def test_table_names_that_would_shadow_the_api_are_refused(tmp_path: Path, name: str) -> None:
    descriptor = {"resources": [{"name": name, "path": "t.csv", "schema": {"fields": [{"name": "x"}]}}]}
    (tmp_path / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    (tmp_path / "t.csv").write_text("x\na\n", encoding="utf-8")
    assert any(r == "table_name" for _, r, _ in problems_of(tmp_path))


def test_the_bundled_data_loads_as_of_the_day_before_it_was_created() -> None:
    created = datetime.fromisoformat(
        json.loads((data_dir() / "datapackage.json").read_text(encoding="utf-8"))["created"]
    )
    ds = load_dataset(today=created.date() - timedelta(days=1))
    assert len(ds.sources) > 0


def test_a_date_after_today_and_the_creation_day_is_refused(data_copy: Path) -> None:
    created = datetime.fromisoformat(
        json.loads((data_copy / "datapackage.json").read_text(encoding="utf-8"))["created"]
    )
    set_cell(data_copy / "sources.csv", 1, "accessed_date", (created.date() + timedelta(days=1)).isoformat())
    assert has(problems_of(data_copy, today=created.date()), "data/sources.csv", "date_range")


def test_a_resource_name_that_is_not_text(data_copy: Path) -> None:
    """Found by the fuzz test: a list as a resource's name is reported, not counted as a name."""
    edit_descriptor(data_copy, lambda d: d["resources"][0].update(name=[]))
    assert has(problems_of(data_copy), DESCRIPTOR, "table_name", "resource 1, 'name'")


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links on this system")
def test_a_symbolic_link_out_of_the_package_is_refused(data_copy: Path) -> None:
    outside = data_copy.parent / "outside.csv"
    outside.write_bytes((data_copy / "events.csv").read_bytes())
    (data_copy / "events.csv").unlink()
    os.symlink(outside, data_copy / "events.csv")
    assert has(problems_of(data_copy), DESCRIPTOR, "safe_path", "'events'", "symbolic link")


def _drop(target: dict, key: str) -> None:
    del target[key]


def _rename(target: dict, old: str, new: str) -> None:
    target[new] = target.pop(old)


#: Mistakes made editing datapackage.json by hand: each is one message, in words that say what to write.
HAND_EDITS: list[tuple[str, Callable[[dict], None], str]] = [
    ("a missing name", lambda d: _drop(field(d, "vote_results", "place"), "name"), "field 2: needs 'name'"),
    (
        "a misspelt key",
        lambda d: _rename(field(d, "vote_results", "putin_pct")["constraints"], "maximum", "maximun"),
        "does not implement 'maximun'; did you mean 'maximum'?",
    ),
    (
        "a misspelt required key",
        lambda d: _rename(resource(d, "sources"), "schema", "shcema"),
        "does not implement 'shcema'; did you mean 'schema'?",
    ),
    (
        "a misspelt key field",
        lambda d: resource(d, "vote_results")["schema"].update(primaryKey="results_id"),
        "'primaryKey' names 'results_id', not a field of the schema; did you mean 'result_id'?",
    ),
    (
        "a misspelt referenced field",
        lambda d: resource(d, "vote_results")["schema"]["foreignKeys"][0]["reference"].update(fields="sourceid"),
        "a foreign key's reference names 'sourceid', not a field of 'sources'; did you mean 'source_id'?",
    ),
    (
        "an unknown type",
        lambda d: field(d, "vote_results", "putin_pct").update(type="int"),
        "'type': \"int\" is not one of string, integer, number",
    ),
    (
        "a quoted number",
        lambda d: field(d, "vote_results", "putin_pct")["constraints"].update(maximum="100"),
        "constraint 'maximum': must be a number, without quotes, not \"100\"",
    ),
    (
        "a quoted boolean",
        lambda d: field(d, "vote_results", "putin_pct")["constraints"].update(required="yes"),
        "constraint 'required': must be true or false, without quotes, not \"yes\"",
    ),
    (
        "an enum as one text",
        lambda d: field(d, "vote_results", "result_kind")["constraints"].update(enum="exit_poll, official"),
        'constraint \'enum\': must be a list in square brackets, such as ["a", "b"], not "exit_poll, official"',
    ),
    (
        "no fields",
        lambda d: resource(d, "sources")["schema"].update(fields=[]),
        "resource 'sources', 'fields': must list at least 1 value",
    ),
    (
        "an empty enum",
        lambda d: field(d, "vote_results", "result_kind")["constraints"].update(enum=[]),
        "constraint 'enum': must list at least 1 value",
    ),
    (
        "an enum value twice",
        lambda d: field(d, "vote_results", "result_kind")["constraints"].update(enum=["official", "official"]),
        "constraint 'enum': lists \"official\" more than once",
    ),
]


@pytest.mark.parametrize(("mistake", "change", "says"), HAND_EDITS, ids=[m for m, _, _ in HAND_EDITS])
def test_a_hand_edited_descriptor_mistake_is_one_plain_message(
    data_copy: Path, mistake: str, change: Callable[[dict], None], says: str
) -> None:
    edit_descriptor(data_copy, change)
    problems = problems_of(data_copy)
    assert [m for _, _, m in problems if says in m], f"{mistake}: {problems}"
    assert len(problems) == 1, f"{mistake}: one mistake, one message: {problems}"
    assert "of type" not in problems[0][2] and "implement  (" not in problems[0][2]


def test_a_comma_after_the_last_item_is_pointed_at(data_copy: Path) -> None:
    path = data_copy / "datapackage.json"
    path.write_text(path.read_text(encoding="utf-8").replace('"today"\n', '"today",\n', 1), encoding="utf-8")
    (problem,) = problems_of(data_copy)
    assert problem[1] == "valid_json" and "no comma after the last item" in problem[2], problem


def test_a_key_refused_in_its_own_table_is_pointed_at_from_the_rows_that_use_it(data_copy: Path) -> None:
    countries = data_copy / "countries.csv"
    line = next(i for i, row in enumerate(countries.read_text(encoding="utf-8").splitlines()) if row.startswith("ARG,"))
    set_cell(countries, line, "country_code", "ARG ")
    set_cell(data_copy / "vote_results.csv", 1, "country_code", "XXX")  # a key that is simply missing
    problems = problems_of(data_copy)
    keys = [m for _, rule, m in problems if rule == "foreign_key"]
    assert len([m for m in keys if m.endswith("its row there has a problem of its own")]) >= 2, keys
    assert [m for m in keys if m == "is not a value of countries.country_code"], "a missing key is said plainly"
    assert has(problems, "data/countries.csv", "no_stray_whitespace")


def test_a_value_that_is_not_a_date_is_not_also_reported_as_missing_the_pattern(data_copy: Path) -> None:
    set_cell(data_copy / "events.csv", 1, "event_date", "21/09/2022")
    problems = problems_of(data_copy)
    assert [rule for _, rule, _ in problems] == ["partial_date"], problems


def test_a_row_with_a_cell_too_many_says_how_many(data_copy: Path) -> None:
    edit_lines(data_copy / "countries.csv", lambda lines: [*lines[:2], lines[2] + ",extra", *lines[3:]])
    (problem,) = problems_of(data_copy)
    header = (data_copy / "countries.csv").read_text(encoding="utf-8").splitlines()[0].count(",") + 1
    assert problem[1] == "cell_count" and f"the header has {header} cells" in problem[2], problem


def test_a_pattern_no_value_matches_points_at_the_descriptor(data_copy: Path) -> None:
    edit_descriptor(
        data_copy, lambda d: field(d, "vote_results", "country_code")["constraints"].update(pattern="[A-Z]{3")
    )
    problems = problems_of(data_copy)
    assert has(
        problems, "data/vote_results.csv", "pattern", "no value matches the pattern: check it in datapackage.json"
    )
    assert has(problems, "data/vote_results.csv", "pattern", "does not match the pattern [A-Z]{3"), "rows still named"
