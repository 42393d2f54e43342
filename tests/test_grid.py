"""The parameter grid: each notebook's own code, run in this process with other values, gives an honest
page: every chart and map has marks that link to sources or is one plain sentence, every empty table
says so, and the page names what it was asked for."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import nbformat
import pytest

from russian_emigration.charts import Chart, Note
from russian_emigration.execute import notebook_paths
from russian_emigration.notebook import Html, Prose, Table

NOTEBOOKS = {p.stem[3:]: p for p in notebook_paths(Path(__file__).resolve().parents[1] / "notebooks")}


def run(name: str, **values: Any) -> list[Any]:
    """Everything a notebook displays with ``values`` for its parameters (its cells run here, in order)."""
    shown: list[Any] = []
    namespace: dict[str, Any] = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("IPython.display.display", lambda obj, **_: shown.append(obj))
        patch.setattr("myst_nb.glue", lambda *a, **k: None)
        for cell in nbformat.read(NOTEBOOKS[name], as_version=4).cells:
            if cell.cell_type != "code":
                continue
            tree = ast.parse(cell.source)
            last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
            exec(compile(tree, name, "exec"), namespace)
            if "parameters" in cell.metadata.get("tags", []):
                namespace.update(values)
            elif (
                last is not None
                and (result := eval(compile(ast.Expression(last.value), name, "eval"), namespace)) is not None
            ):
                shown.append(result)
    return shown


def text(shown: list[Any]) -> str:
    """The page's words: sentences, notes and the parameter box."""
    return " ".join(o.text for o in shown if isinstance(o, Prose | Html))


GRID = [
    ("causes", {"start_date": "2022-09", "end_date": "2022-12"}),
    ("causes", {"start_date": "2030", "end_date": "2031"}),
    ("notable_emigrants", {"domain": "religion", "countries": "ISR,DEU"}),
    ("notable_emigrants", {"countries": "JPN"}),
    ("destination_responses", {"countries": "KAZ,KGZ,UZB", "focus_country": "KAZ"}),
    ("destination_responses", {"countries": "GEO", "focus_country": "GEO"}),
    ("vote_results", {"min_respondents": 1000, "group_by": "country", "countries": "KAZ,DEU,ISR,GEO"}),
]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "values"), GRID, ids=[f"{n}-{'-'.join(map(str, v.values()))}" for n, v in GRID])
def test_every_parameter_value_gives_an_honest_page(name, values) -> None:
    shown = run(name, **values)
    for output in shown:
        if isinstance(output, Chart):
            assert output.marks and len(output.alt) > len(output.title) + 10, output.title
            assert all(mark.source_ids for mark in output.marks if mark.url != "sources.html"), output.title
        elif isinstance(output, Note | Prose | Html):
            assert output.text.strip()
        elif isinstance(output, Table) and not len(output):
            assert output.empty.strip()
    words = text(shown)
    for value in values.values():
        assert str(value).split(",")[0] in words, f"the page does not say it was built for {value}"


@pytest.mark.slow
def test_a_selection_without_data_says_what_is_missing() -> None:
    japan = text(run("destination_responses", countries="JPN", focus_country="GEO"))
    assert "The data holds no record at all of Japan" in japan
    georgia = text(run("vote_results", countries="GEO"))
    assert "no exit-poll station and no official result for Georgia" in georgia
    nobody = run("notable_emigrants", countries="JPN")
    assert any(isinstance(o, Note) and "Japan" in o.text for o in nobody)


@pytest.mark.slow
def test_a_window_wider_than_the_data_draws_the_years_that_hold_data() -> None:
    (chart,) = [o for o in run("causes", start_date="0001", end_date="9999-12-31") if isinstance(o, Chart)][:1]
    low, high = chart.fig.axes[0].get_xlim()
    assert high - low < 365 * 10, "the timeline spans the data, not ten thousand years"
