"""The chart functions outside a kernel: fixed maps keyed by the vocabularies, literal text, the style."""

from __future__ import annotations

import html
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from russian_emigration import analysis as an
from russian_emigration import charts as ch
from russian_emigration.constants import NOT_STATED
from russian_emigration.labels import CODE_COLUMNS, LABELS, code_label
from tests.conftest import bundled_dataset
from tests.notebook_exec import run_cells

DS = bundled_dataset()


def _vocabularies() -> dict[tuple[str, str], list[str]]:
    return {
        (r["name"], f["name"]): f["constraints"]["enum"]
        for r in DS.descriptor["resources"]
        for f in r["schema"]["fields"]
        if "enum" in f.get("constraints", {})
    }


@pytest.mark.parametrize(
    ("colors", "table", "column", "extra"),
    [
        (ch.STANCE_COLORS, "events", "stance", {NOT_STATED}),
        (ch.BOUND_MARKERS, "estimates", "bound", set()),
        (ch.MEASURE_COLORS, "estimates", "measure", set()),
        (ch.RESULT_KIND_COLORS, "vote_results", "result_kind", set()),
    ],
)
def test_fixed_maps_cover_exactly_the_vocabulary(colors, table, column, extra) -> None:
    assert set(colors) == set(an.vocabulary(DS, table, column)) | extra, "a new vocabulary value needs a colour"


def test_answer_colours_cover_every_answer_column() -> None:
    assert set(an.answer_columns(DS)) <= set(ch.ANSWER_COLORS)


def test_labels_are_keyed_by_the_descriptors_vocabularies() -> None:
    vocabularies = _vocabularies()
    assert {column for _, column in vocabularies} == set(CODE_COLUMNS)
    for column, labels in LABELS.items():
        codes = {c for (_, col), values in vocabularies.items() if col == column for c in values}
        assert set(labels) <= codes, f"labels for codes that {column} does not have"
    for (_, column), values in vocabularies.items():
        shown = [code_label(column, v) for v in values]
        assert len(set(shown)) == len(shown) and not any("_" in s for s in shown)


@pytest.mark.slow
def test_a_category_keeps_its_colour_whatever_else_is_drawn() -> None:
    few = ch.response_dots(DS, an.response_matrix(DS, ["KAZ"]), title="t", empty="e")
    many = ch.response_dots(DS, an.response_matrix(DS), title="t", empty="e")
    colour = {}
    for chart in (few, many):
        for handle, text in zip(*chart.fig.axes[0].get_legend_handles_labels(), strict=True):
            colour.setdefault(text, set()).add(tuple(handle.get_facecolor()[0]))
    assert all(len(c) == 1 for c in colour.values())


@pytest.mark.slow
def test_a_dollar_in_a_publisher_is_drawn_literally(data_copy: Path) -> None:
    from tests.conftest import set_cell

    # Two dollars around "x^", which is no valid math: drawn as math text, the PNG would fail to draw
    # (the earlier "$ Markets $x^2$" drew as math without an error wherever a line held an even number).
    for line in range(1, len(DS.sources) + 1):  # every publisher, so charts that name few sources show it
        set_cell(data_copy / "sources.csv", line, "publisher", "Money $x^$ Markets")
    shown = run_cells("01_causes", data_dir=str(data_copy))
    charts = [s for s in shown if isinstance(s, ch.Chart)]
    named = [c for c in charts if "Money $x^$ Markets" in c.fig.texts[0].get_text().replace("\n", " ")]
    assert named, "no chart of 01 names its sources in the image"
    assert all(chart.png().startswith(b"\x89PNG") for chart in charts)
    assert all("Money $x^$ Markets" in chart.footnote_html() for chart in charts)


@pytest.mark.slow
def test_the_style_starts_from_matplotlibs_defaults(tmp_path: Path) -> None:
    (tmp_path / "matplotlibrc").write_text(
        "font.size: 30\naxes.facecolor: red\ntext.usetex: True\nlines.linewidth: 9\n"
    )
    code = (
        "import matplotlib as mpl; from russian_emigration.charts import apply_style; apply_style();"
        "print(mpl.rcParams['font.size'], mpl.rcParams['axes.facecolor'], mpl.rcParams['text.usetex'],"
        " mpl.rcParams['lines.linewidth'], mpl.rcParams['text.parse_math'])"
    )
    env = {"MPLCONFIGDIR": str(tmp_path), "MATPLOTLIBRC": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["10.0", "white", "False", "1.5", "False"]


def test_empty_selections_become_one_sentence() -> None:
    empty = an.outflow_estimates(DS).iloc[0:0]
    note = ch.plot_estimates(DS, empty, color_by="counted_from", title="t", ylabel="y", empty="Nothing for X.")
    assert isinstance(note, ch.Note) and note.text == "Nothing for X."
    one = pd.DataFrame({"d": ["military"], "n": [1]})
    single = ch.bar_counts(
        DS,
        one,
        label="d",
        value="n",
        title="t",
        xlabel="x",
        ylabel="y",
        empty="e",
        single="Domain of the {count}: {label}.",
        noun=("person", "people"),
    )
    assert isinstance(single, ch.Note) and single.text == "Domain of the 1 person: military."


@pytest.mark.slow
def test_a_month_estimate_counted_from_a_later_day_is_drawn_after_it() -> None:
    chart = ch.plot_estimates(
        DS,
        an.outflow_estimates(DS),
        color_by="counted_from",
        title="t",
        ylabel="y",
        empty="e",
        events=an.push_factors(DS),
    )
    drawn = chart.data[chart.data["counted_from"] == "mobilization"]
    assert (pd.to_datetime(drawn["plot_date"]) >= pd.Timestamp(an.mobilization_date(DS))).all()


@pytest.mark.slow
def test_a_chart_is_drawn_once_when_saved(monkeypatch: pytest.MonkeyPatch) -> None:
    from matplotlib.figure import Figure

    chart = ch.plot_estimates(DS, an.outflow_estimates(DS), color_by="counted_from", title="t", ylabel="y", empty="e")
    draws = []
    real = Figure.draw
    monkeypatch.setattr(Figure, "draw", lambda fig, renderer: draws.append(fig) or real(fig, renderer))
    first = chart.png()
    assert len(draws) == 1, "the layout is done before saving: savefig must not draw the figure twice"
    assert chart.png() == first


@pytest.mark.slow
def test_date_axes_never_show_hours_and_always_a_year() -> None:
    import matplotlib.dates as mdates

    for days in (0, 1, 10, 40, 120, 400, 900, 2000):
        fig, ax = ch._figure(4)
        ax.plot([pd.Timestamp("2022-09-25")], [1])
        ch.date_axis(ax, pd.Timestamp("2022-09-25"), pd.Timestamp("2022-09-25") + pd.Timedelta(days=days))
        labels = [t.label1.get_text() for t in ax.xaxis._update_ticks() if t.label1.get_text()]
        assert labels and all(":" not in t and any(ch.isdigit() for ch in t[-4:]) for t in labels), (days, labels)
        assert isinstance(ax.xaxis.get_major_formatter(), mdates.DateFormatter)
        assert not ch.labels_overlap(fig), (days, labels)


@pytest.mark.slow
def test_every_chart_has_alt_text_a_csv_and_linked_sources() -> None:
    import base64
    import io

    shown = run_cells("04_vote_results")
    charts = [s for s in shown if isinstance(s, ch.Chart)]
    assert charts
    for chart in charts:
        (data, metadata), (caption, _) = chart.bundles()
        assert data["text/plain"] == chart.alt == metadata["image/png"]["alt"] and len(chart.alt) > 40
        payload = caption["text/html"].split("data:text/csv;charset=utf-8;base64,")[1].split('"')[0]
        csv = pd.read_csv(io.StringIO(base64.b64decode(payload).decode()))
        assert len(csv) == len(chart.data) and "source_id" in csv.columns
        for sid in chart.sources["source_id"]:
            assert f'href="sources.html#{html.escape(sid)}"' in caption["text/html"]
            assert f"[{sid}]" in caption["text/plain"]
        from PIL import Image

        png = Image.open(io.BytesIO(base64.b64decode(data["image/png"])))
        assert png.info.get("dpi", (0,))[0] >= 149 and "Software" not in png.info


def test_a_stations_table_with_zero_rows_does_not_break_notebook_04(data_copy: Path) -> None:
    from tests.conftest import edit_lines

    edit_lines(data_copy / "vote_abroad_stations.csv", lambda lines: lines[:1])
    shown = run_cells("04_vote_results", data_dir=str(data_copy))
    texts = [getattr(s, "text", "") for s in shown]
    assert "0 of 0 stations kept, 0 respondents. No station dropped." in texts
    assert "The station table has no station with at least 0 respondents." in texts
    assert json.dumps(texts)
