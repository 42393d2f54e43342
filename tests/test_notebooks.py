"""The notebooks: structure, stored outputs, parameters, and other values for all of them.

The committed outputs are checked byte for byte against a fresh build in tests/test_report.py. Other
values: one runner build on skeleton notebooks carries them into kernels (the parameter_build
fixture); what the notebooks show for them is checked by running their code in this process.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import nbformat
import pytest

from russian_emigration.params import ParameterError, validate
from russian_emigration.report import plan
from tests.conftest import EMIGRANTS, OTHER_VALUES, RECEIVED, RENAMED, Build, bundled_dataset, renamed_data
from tests.notebook_exec import run_cells
from tests.notebook_exec import shown_text as text_of
from tests.notebook_helpers import NOTEBOOKS, executed, images, shown_text

DS = bundled_dataset()


def test_four_numbered_notebooks() -> None:
    assert [p.name[:3] for p in NOTEBOOKS] == ["01_", "02_", "03_", "04_"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_outputs_exist_and_ran_in_order(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1)), "re-run with `make notebooks`"
    assert all(c.outputs for c in code[1:]), "a cell after the parameters has no stored output"
    assert not any(o.get("output_type") == "error" for c in code for o in c.outputs)
    assert not any(o.get("name") == "stderr" for c in code for o in c.outputs), "warnings on stderr"
    assert nb.metadata["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_skeleton(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    assert "**Question.**" in nb.cells[0].source
    headings = [c.source.splitlines()[0] for c in nb.cells if c.cell_type == "markdown"]
    assert headings[-1] == "## Caveats and sources"
    assert images(nb) >= 2
    charts = [c for c in nb.cells if any("image/png" in o.get("data", {}) for o in c.get("outputs", []))]
    assert all('href="sources.html#' in c.outputs[-1].data["text/html"] for c in charts), "a linked source footnote"
    assert nb.metadata["russian_emigration"]["summary"]


def parameter_cell(path: Path) -> tuple[nbformat.NotebookNode, ast.Module]:
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code")
    assert "parameters" in cell.metadata.get("tags", []), "the first code cell must be tagged parameters"
    return cell, ast.parse(cell.source)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_parameters_are_annotated_literals_with_help(path: Path) -> None:
    import papermill

    cell, tree = parameter_cell(path)
    names = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            assert node.module == "typing"
            continue
        assert isinstance(node, ast.AnnAssign), ast.dump(node)
        ast.literal_eval(node.value)
        names.append(node.target.id)
    lines = {line.split(":")[0]: line for line in cell.source.splitlines() if ":" in line and "=" in line}
    assert all("  # " in lines[n] for n in names), "every parameter needs a trailing # help comment"
    inspected = papermill.inspect_notebook(str(path))
    assert list(inspected) == names, "papermill must see every parameter (it cannot parse X | None)"
    assert all(p["help"] for p in inspected.values())
    assert "data_dir" in names


def test_every_notebook_checks_its_parameters_before_using_them() -> None:
    """The validator tests below cover the notebooks because each passes every parameter to it."""
    for path in NOTEBOOKS:
        cell, tree = parameter_cell(path)
        names = [node.target.id for node in tree.body if isinstance(node, ast.AnnAssign)]
        nb = nbformat.read(path, as_version=4)
        setup = next(c for c in nb.cells if c.cell_type == "code" and c is not cell and "validate(" in c.source)
        for name in names:
            expected = 'check_data_dir("data_dir", data_dir)' if name == "data_dir" else f"{name}={name}"
            assert expected in setup.source, f"{path.name}: {name} is not validated"


def other_values(data: Path) -> dict[str, dict[str, Any]]:
    """The typed values of :data:`OTHER_VALUES` with ``data`` as data_dir, per notebook, as the runner plans them."""
    return {path.stem: values for path, values in plan({**OTHER_VALUES, "data_dir": str(data)}, NOTEBOOKS).items()}


@pytest.mark.slow
def test_each_kernel_gets_the_typed_values_and_reads_the_data_copy(parameter_build: Build) -> None:
    """The runner's values reach every notebook's kernel through papermill, typed, and the kernel validates
    them and reads the data copy given with --data-dir (the skeleton notebooks print what they got)."""
    data = parameter_build.index.parent.parent / "data"
    expected = {
        "01_causes": "Timeline: 1 September 2022 to 31 December 2022.",
        "02_notable_emigrants": "Domain: music.",
        "03_destination_responses": "Countries: Kazakhstan, Kyrgyzstan. Profiled in depth: Kazakhstan.",
        "04_vote_results": "Stations with at least 1,000 respondents, grouped by country.",
    }
    typed = other_values(data.resolve())
    assert sorted(typed) == sorted(expected)
    for stem, values in typed.items():
        nb = executed(parameter_build.index, f"{stem}.ipynb")
        printed = {
            line.split(" ", 1)[0]: json.loads(line.split(" ", 1)[1])
            for c in nb.cells
            for o in c.get("outputs", [])
            if o.get("name") == "stdout"
            for line in o["text"].splitlines()
            if line.startswith((RECEIVED, EMIGRANTS))
        }
        assert printed[RECEIVED.strip()] == json.loads(json.dumps(values)), stem
        assert RENAMED in printed[EMIGRANTS.strip()], f"{stem} did not read the data copy"
        assert expected[stem] in shown_text(nb), stem


@pytest.fixture(scope="module")
def other(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """What each notebook shows for :data:`OTHER_VALUES` on a data copy with a renamed musician (run here)."""
    data = renamed_data(tmp_path_factory.mktemp("other") / "data")
    return {stem: text_of(run_cells(stem, **values)) for stem, values in other_values(data).items()}


@pytest.mark.slow  # the `other` fixture runs the four notebooks' code
def test_causes_with_a_narrower_timeline(other: dict[str, str]) -> None:
    text = other["01_causes"]
    assert "Timeline: 1 September 2022 to 31 December 2022" in text
    assert "partial mobilization" in text
    march_law = DS.events.loc[DS.events["event_id"] == "fake-news-law", "summary"].item()
    assert march_law[:60] not in text.split("push factor(s) in the data carry no date")[0]


@pytest.mark.slow  # the `other` fixture runs the four notebooks' code
def test_emigrants_for_one_domain_from_another_data_copy(other: dict[str, str]) -> None:
    text = other["02_notable_emigrants"]
    musicians = DS.emigrants.loc[DS.emigrants["domain"] == "music", "name"]
    politicians = DS.emigrants.loc[DS.emigrants["domain"] == "politics", "name"]
    assert len(musicians) > 1 and len(politicians)
    assert RENAMED in text, "the notebook read the data copy given as data_dir"
    assert all(name in text for name in musicians.iloc[1:])
    assert not any(name in text for name in politicians)
    assert f"{len(musicians)} notable emigrants shown" in text


@pytest.mark.slow  # the `other` fixture runs the four notebooks' code
def test_responses_for_chosen_countries(other: dict[str, str]) -> None:
    text = other["03_destination_responses"]
    assert "Countries: Kazakhstan, Kyrgyzstan. Profiled in depth: Kazakhstan." in text
    assert "Tokayev" in text and "Kyrgyz" in text
    assert "Zourabichvili" not in text and "Georgian Dream" not in text


@pytest.mark.slow  # the `other` fixture runs the four notebooks' code
def test_votes_without_thin_stations_by_country(other: dict[str, str]) -> None:
    text = other["04_vote_results"]
    stations = DS.vote_abroad_stations
    kept = stations[stations["respondents"] >= 1000]
    thin = stations[stations["respondents"] < 1000]
    assert f"{len(kept)} of {len(stations)} stations kept" in text
    assert all(f"{r.place} ({r.respondents})" in text for r in thin.itertuples())
    assert "grouped by country" in text


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"start_date": "2022-13-01"}, "start_date='2022-13-01' is not a real calendar date"),
        ({"start_date": "2022-1-01"}, "start_date='2022-1-01' is not valid; use an ISO date"),
        ({"start_date": "2023-01-01", "end_date": "2022-01-01"}, "is after end_date"),
        ({"domain": "sport"}, "domain='sport' is not valid; use one of 'music'"),
        ({"focus_country": "XXX"}, "focus_country='XXX' is not valid; use one of"),
        ({"focus_country": "RUS"}, "focus_country='RUS' is not valid; use one of"),
        ({"countries": "GEO;KAZ"}, "countries='GEO;KAZ' is not valid; give a non-empty list"),
        ({"countries": ["GEO", "XXX"]}, "countries=['GEO', 'XXX'] is not valid: no country has the code 'XXX'"),
        ({"group_by": "city"}, "group_by='city' is not valid; use one of 'station', 'country'"),
        ({"min_respondents": -1}, "min_respondents=-1 is not valid; use a whole number >= 0"),
        ({"min_respondents": True}, "min_respondents=True is not valid; use a whole number"),
        ({"min_respondents": 10**9}, "leaves no station; use at most"),
        ({"data_dir": "/nonexistent"}, "data_dir='/nonexistent' is not valid"),
        ({"no_such": 1}, "no validator for parameter(s) no_such"),
    ],
)
def test_invalid_values_raise_a_clear_error(values: dict, message: str) -> None:
    with pytest.raises(ParameterError) as caught:
        validate(DS, **values)
    assert message in str(caught.value)


def test_valid_values_are_normalised() -> None:
    checked = validate(DS, start_date="2022-09-01", countries=["KAZ", "GEO", "KAZ"], domain=None, min_respondents=0)
    assert checked["start_date"].isoformat() == "2022-09-01"
    assert checked["countries"] == ["GEO", "KAZ"]
    assert checked["domain"] is None and checked["min_respondents"] == 0
