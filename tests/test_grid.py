"""The parameter space, walked fast: every notebook's own code runs in this process (no kernel) for a
grid of values, and every chart, table and sentence it shows is checked.

For each value: no exception; no axes without data; no "Sources: none"; no tick label in hours or
"-0", and a year on every date tick; no overlapping tick labels; no "None" or "nan" in a title or
label; and every date drawn inside the window.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from typing import Any
from unittest import mock

import pandas as pd
import pytest

import russian_emigration
from russian_emigration import analysis as an
from russian_emigration import load_dataset
from russian_emigration.charts import Chart, Note, labels_overlap
from russian_emigration.notebook import Prose, Table
from russian_emigration.params import ParameterError, _profiled_countries, validate
from tests.conftest import bundled_dataset
from tests.notebook_exec import run_cells

DS = bundled_dataset()
FOCUS = _profiled_countries(DS)
RECORDED = set(DS.events["country_code"].dropna()) | set(DS.estimates["country_code"].dropna())
UNRECORDED = sorted(set(DS.countries["country_code"]) - RECORDED)
LARGEST = int(DS.vote_abroad_stations["respondents"].max())
MIDDLE = int(DS.vote_abroad_stations["respondents"].median())
WINDOWS = [
    ("2022-01-01", "2024-12-31"),  # the default
    ("2022-09", "2022-09"),  # one month, in the data's own partial form
    ("2022-09-01", "2022-09-30"),
    ("2022-09-21", "2022-09-21"),  # one day
    ("2019-01-01", "2019-12-31"),  # no data at all
    ("2020-01", "2026-12"),
]
COUNTRY_LISTS: list[Any] = [
    None,
    ["GEO", "KAZ", "ARM"],
    ["ARM", "TUR", "SRB", "ISR"],
    ["FIN", "EST", "LVA", "LTU", "POL"],
    "KAZ,KGZ",
    UNRECORDED[:2],  # no record at all
    ["ARG"],  # one response
]

#: The cells each swept parameter changes (see run_cells); every notebook also runs whole once.
WINDOW_CELLS = ("window",)
COUNTRY_CELLS = ("selected", "scope", "chosen")
FOCUS_CELLS = ("an.responses(ds, [focus])", "destination_estimates(ds, focus)", "focus_people_estimates")
CASES = (
    [("01_causes", {"start_date": "2022-01-01", "end_date": "2024-12-31"})]
    + [("01_causes", {"start_date": s, "end_date": e, "only": WINDOW_CELLS}) for s, e in WINDOWS[1:]]
    + [("02_notable_emigrants", {"domain": d}) for d in [None, *an.vocabulary(DS, "emigrants", "domain")]]
    + [("02_notable_emigrants", {"domain": "stage and screen"})]
    + [("03_destination_responses", {"focus_country": f, "only": FOCUS_CELLS}) for f in FOCUS]
    + [
        ("03_destination_responses", {"countries": c, "focus_country": "GEO", "only": COUNTRY_CELLS})
        for c in COUNTRY_LISTS[1:]
    ]
    + [("03_destination_responses", {"countries": None, "focus_country": "GEO"})]
    + [("03_destination_responses", {"countries": ["JPN"], "focus_country": "MNG"})]
    + [("03_destination_responses", {"countries": ["JPN"], "focus_country": "GEO"})]
    + [("04_vote_results", {"min_respondents": m, "group_by": "station"}) for m in (0, MIDDLE, LARGEST)]
    + [("04_vote_results", {"min_respondents": MIDDLE, "group_by": "country"})]
)
HOURS = re.compile(r"\d{1,2}:\d{2}|^\d{2}-\d{2} \d{2}$")


@cache
def _dataset(path: Any = None) -> Any:
    return bundled_dataset() if path is None else load_dataset(path)


def _ids(case: tuple[str, dict[str, Any]]) -> str:
    name, params = case
    return name[:2] + "-" + "-".join(f"{k}={v}" for k, v in params.items())


def _texts(fig: Any) -> list[str]:
    texts = [t.get_text() for t in fig.texts]
    texts += [t.get_text() for legend in fig.legends for t in [*legend.get_texts(), legend.get_title()]]
    for ax in fig.axes:
        texts += [ax.get_title(loc) for loc in ("left", "center", "right")] + [ax.get_xlabel(), ax.get_ylabel()]
        texts += [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels()]
        legend = ax.get_legend()
        if legend is not None:
            texts += [t.get_text() for t in legend.get_texts()]
    return texts


def _window(params: dict[str, Any]) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    if "start_date" not in params:
        return None
    checked = validate(DS, start_date=params["start_date"], end_date=params["end_date"])
    return pd.Timestamp(checked["start_date"]), pd.Timestamp(checked["end_date"]) + pd.Timedelta(days=1)


#: The report shows a chart this many CSS pixels wide on a desktop screen.
SHOWN_PX = 688
#: The smallest type a reader can read there: labels and ticks, and the footnote and value labels.
MIN_LABEL_PX, MIN_NOTE_PX = 11.0, 9.0


def _all_text(fig: Any) -> list[Any]:
    items = list(fig.texts) + [t for legend in fig.legends for t in [*legend.get_texts(), legend.get_title()]]
    for ax in fig.axes:
        items += [ax.title, ax._left_title, ax.xaxis.label, ax.yaxis.label, *ax.texts]
        items += [t.label1 for axis in (ax.xaxis, ax.yaxis) for t in axis._update_ticks()]  # the ticks drawn
        if ax.get_legend() is not None:
            items += ax.get_legend().get_texts()
    return [t for t in items if t.get_visible() and t.get_text()]


def check_readable(chart: Chart) -> None:
    """Every text of the chart is big enough at the size the report shows it, and inside the image."""
    from russian_emigration.charts import DPI

    fig = chart.fig
    width_px = round(fig.get_figwidth() * DPI)  # the PNG's width (tests/test_charts.py checks its DPI)
    assert width_px >= SHOWN_PX, "at least as sharp as shown"
    scale = SHOWN_PX / (fig.get_figwidth() * 72)  # screen pixels per point of type
    # Place every text as the PNG's draw does, at DPI, without painting a pixel (painting the glyphs
    # would add a third to this test's time and change no position).
    fig.set_dpi(DPI)
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    bounds = fig.bbox
    for text in _all_text(fig):
        smallest = MIN_NOTE_PX if text in fig.texts or text in fig.axes[0].texts else MIN_LABEL_PX
        shown = text.get_fontsize() * scale
        assert shown >= smallest, f"{text.get_text()[:40]!r} is {shown:.1f} px on screen in {chart.alt[:60]}"
        box = text.get_window_extent(renderer)
        inside = box.x0 >= -1 and box.y0 >= -1 and box.x1 <= bounds.x1 + 1 and box.y1 <= bounds.y1 + 1
        assert inside, f"{text.get_text()[:40]!r} is cut off at the edge of {chart.alt[:60]}"


def check_chart(chart: Chart, window: tuple[pd.Timestamp, pd.Timestamp] | None) -> None:
    import matplotlib.dates as mdates  # here, not at collection: matplotlib loads only where a chart is drawn

    fig = chart.fig
    assert not labels_overlap(fig), f"overlapping tick labels in {chart.alt[:60]}"
    check_readable(chart)
    for ax in fig.axes:
        assert ax.has_data(), f"axes without data: {chart.alt[:80]}"
        for label in ax.get_xticklabels() + ax.get_yticklabels():
            text = label.get_text().replace("\u2212", "-")
            assert text not in ("-0", "-0.0"), f"a '-0' tick in {chart.alt[:60]}"
            assert not HOURS.search(text), f"an hour tick {text!r} in {chart.alt[:60]}"
        if isinstance(ax.xaxis.get_major_formatter(), mdates.DateFormatter):
            assert all(re.search(r"\d{4}", t.get_text()) for t in ax.get_xticklabels() if t.get_text())
    texts = _texts(fig)
    missing = [t for t in texts if re.search(r"\bNone\b|\bnan\b|\bNaT\b", t)]
    assert not missing, f"'None', 'nan' or 'NaT' drawn in {chart.alt[:60]}: {missing}"
    assert not any("Sources: none" in t for t in texts)
    assert chart.sources.shape[0] > 0 and "source_id" in chart.data.columns
    assert chart.alt and "None" not in chart.alt
    assert not re.search(r"\b1 (\w+ )?(responses|countries|emigrants|sources|stations|comparisons)\b", chart.alt)
    if window is not None:
        for column in ("plot_date", "event_date_first"):
            if column in chart.data.columns:
                dates = pd.to_datetime(chart.data[column]).dropna()
                assert dates.between(*window).all(), f"{column} outside {window}: {list(dates)}"
        ax = fig.axes[0]
        if isinstance(ax.xaxis.get_major_formatter(), mdates.DateFormatter):
            lo, hi = (mdates.num2date(v).date() for v in ax.get_xlim())
            assert lo >= window[0].date() and hi <= window[1].date()


def _responses_once() -> Any:
    """``analysis.responses`` computed once per dataset and selection for this module, a fresh copy each
    call: every case selects from the same responses, and a copy is what the function returns anyway."""
    real = an.responses
    computed: dict[tuple[int, tuple[str, ...] | None], tuple[Any, pd.DataFrame]] = {}

    def responses(ds: Any, countries: list[str] | None = None) -> pd.DataFrame:
        key = (id(ds), None if countries is None else tuple(countries))
        if key not in computed:
            computed[key] = (ds, real(ds, countries))  # the dataset is kept, so its id is not reused
        return computed[key][1].copy()

    return responses


@pytest.fixture(scope="module", autouse=True)
def _shared_dataset():
    with (
        mock.patch.object(russian_emigration, "load_dataset", _dataset),
        mock.patch.object(an, "responses", _responses_once()),
    ):
        yield


@pytest.mark.slow  # each case runs a notebook's code; together about 20 CPU-seconds
@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_every_parameter_value_gives_an_honest_page(case: tuple[str, dict[str, Any]]) -> None:
    name, params = case
    shown = run_cells(name, **params)
    window = _window(params)
    charts = [s for s in shown if isinstance(s, Chart)]
    for chart in charts:
        try:
            check_chart(chart, window)
        finally:
            import matplotlib.pyplot as plt

            plt.close(chart.fig)
    for item in shown:
        text = item.text if isinstance(item, Prose) else item.plain() if isinstance(item, Table) else ""
        assert "Sources: none" not in text
        assert not re.search(r"\bNone\b|\(total 0\)|: +\(", text), text
        assert not re.search(r"\b1 \w+ (emigrants|sources|stations|comparisons)\b", text), text
    notes = [s for s in shown if isinstance(s, Note)]
    assert all(n.text.strip().endswith(".") for n in notes)
    said = _sentences(shown)
    assert not [s for s in set(said) if said.count(s) > 1], "a page says each thing once"


def _sentences(shown: list[Any]) -> list[str]:
    """What a page says in words: its sentences, notes and the sentences of its empty tables."""
    return [s.text for s in shown if isinstance(s, Prose | Note)] + [
        t.empty for t in shown if isinstance(t, Table) and not len(t)
    ]


@pytest.mark.parametrize("code", UNRECORDED[:2])
def test_a_focus_country_without_data_is_refused_with_the_valid_ones(code: str) -> None:
    with pytest.raises(
        ParameterError,
        match=rf"focus_country='{code}' is not valid; use one of the {len(FOCUS)} countries with a response",
    ):
        validate(DS, focus_country=code)


@pytest.mark.slow
def test_a_window_with_no_data_says_so() -> None:
    shown = run_cells("01_causes", start_date="2019-01-01", end_date="2019-12-31")
    notes = [s.text for s in shown if isinstance(s, Note)] + [
        t.empty for t in shown if isinstance(t, Table) and not len(t)
    ]
    assert any("no estimate of how many left Russia and no dated push factor from 1 January 2019" in n for n in notes)


@pytest.mark.slow
def test_a_selected_country_without_records_is_named_at_the_top() -> None:
    shown = run_cells("03_destination_responses", countries=["JPN"], focus_country="MNG")
    texts = [s.text for s in shown if isinstance(s, Prose)]
    assert "Note. The data holds no record at all of Japan" in texts[1]
    assert "The data records no response of Japan." in texts


def test_one_domain_counts_agree_in_number() -> None:
    shown = run_cells("02_notable_emigrants", domain="military")
    texts = [s.text for s in shown if isinstance(s, Prose)]
    assert any(t.startswith("1 notable emigrant shown;") for t in texts), texts
    assert not [s for s in shown if isinstance(s, Chart)], "one-bar charts become sentences"
    assert "Domain of the 1 notable emigrant shown: military." in texts


@pytest.mark.slow
def test_a_selection_without_responses_says_so_once_and_says_zero_as_zero() -> None:
    shown = run_cells("03_destination_responses", countries=["JPN"], focus_country="GEO")
    said = _sentences(shown)
    about_japan = [s for s in said if "response" in s and "Japan" in s]
    assert about_japan == [
        "Note. The data holds no record at all of Japan: no response and no estimate, so it appears nowhere below.",
        "The data records no response of Japan.",  # section 1, once: no chart, no table of undated ones
        "The data records no established, dated response with a stance of Japan.",  # section 2, once
    ], about_japan
    assert not any("no more than one" in s or "other response" in s for s in said), said
    names = {t.name for t in shown if isinstance(t, Table)}
    assert not names & {"undated-responses", "stance-turns"}, names
    assert not [c for c in shown if isinstance(c, Chart) and "Responses to Russian emigration" in c.alt]
    (by_country,) = [t for t in shown if isinstance(t, Table) and t.name == "responses-by-country"]
    assert by_country.empty == "No response to list here: see section 1."


@pytest.mark.slow
def test_one_selected_country_is_said_by_name_with_its_count() -> None:
    turns = an.stance_turns(DS)
    single = str(turns.loc[turns["responses"] == 1, "country_name"].iloc[0])
    code = {name: code for code, name in an.country_names(DS).items()}[single]
    shown = run_cells("03_destination_responses", only=("stance_turns",), countries=[code], focus_country="GEO")
    (empty,) = [t for t in shown if isinstance(t, Table) and t.name == "stance-turns"]
    assert not len(empty) and empty.empty == f"{single} has a single such response: there is nothing to compare."
    several = str(turns.loc[turns["responses"] > 1, "country_name"].iloc[0])
    code = {name: code for code, name in an.country_names(DS).items()}[several]
    shown = run_cells("03_destination_responses", only=("stance_turns",), countries=[code], focus_country="GEO")
    texts = [s.text for s in shown if isinstance(s, Prose)]
    assert any(t.startswith(f"{several} has ") and " such responses; " in t for t in texts), texts
    assert not any(t.startswith("Of the 1 ") for t in texts), texts


@pytest.mark.slow
def test_the_settled_chart_for_countries_without_figures_is_a_sentence() -> None:
    shown = run_cells("03_destination_responses", countries=["FIN", "EST", "LVA", "LTU", "POL"], focus_country="FIN")
    texts = [s.text for s in shown if isinstance(s, Prose)]
    sentence = "No settlement estimate in the data covers Estonia, Finland, Latvia, Lithuania or Poland."
    assert sentence in texts
    said = texts + [t.empty for t in shown if isinstance(t, Table) and not len(t)]
    assert said.count(sentence) == 1, "the chart says it; the table below does not repeat it"


def test_a_focus_country_outside_the_selection_is_said_at_the_top() -> None:
    shown = run_cells("03_destination_responses", only=("no_such_cell",), countries=["KAZ"], focus_country="GEO")
    texts = [s.text for s in shown if isinstance(s, Prose)]
    assert "Profiled in depth: Georgia, which is not among the selected countries." in texts[0]
    shown = run_cells("03_destination_responses", only=("no_such_cell",), countries=["KAZ", "GEO"], focus_country="GEO")
    assert [s.text for s in shown if isinstance(s, Prose)][0].endswith("Profiled in depth: Georgia.")


def test_the_stance_turns_table_lists_what_its_sentence_counts() -> None:
    shown = run_cells("03_destination_responses", only=("stance_turns",))
    (sentence,) = [s.text for s in shown if isinstance(s, Prose) and s.text.startswith("Of the ")]
    (turns,) = [t for t in shown if isinstance(t, Table) and t.name == "stance-turns"]
    assert sentence.startswith(f"Of the {len(turns)} countries or bodies with more than one such response"), sentence


WITHOUT_RESPONSES = sorted(set(FOCUS) - set(an.responses(DS)["country_code"].dropna()))


@pytest.mark.slow
@pytest.mark.parametrize("code", WITHOUT_RESPONSES or ["none"])
def test_focus_tables_without_rows_say_so(code: str) -> None:
    if code == "none":
        pytest.skip("every profiled country has a response in this data")
    shown = run_cells("03_destination_responses", only=FOCUS_CELLS, focus_country=code)
    empties = [t for t in shown if isinstance(t, Table) and not len(t)]
    name = an.country_names(DS)[code]
    assert [t.empty for t in empties] == [f"The data records no response of {name}."]
    bundle = empties[0]._repr_mimebundle_()
    assert bundle == {
        "text/markdown": bundle["text/markdown"],
        "text/plain": f"The data records no response of {name}.",
    }


def test_mobilization_count_is_drawn_no_earlier_than_the_mobilization() -> None:
    estimates = an.outflow_estimates(DS)
    since = estimates[estimates["counted_from"] == "mobilization"]
    assert len(since)
    assert (since["plot_date"] >= pd.Timestamp(an.mobilization_date(DS))).all()
    assert (since["plot_date"] <= since["as_of_date_last"]).all()


def test_window_clips_plot_dates() -> None:
    estimates = an.outflow_estimates(DS, date(2022, 9, 1), date(2022, 9, 30))
    assert estimates["plot_date"].between(pd.Timestamp("2022-09-01"), pd.Timestamp("2022-09-30")).all()


TURN_CELLS = ("stance_shift", "stance_years", "stance_turns", "conflicting_estimates")


@pytest.mark.slow
def test_the_turn_section_counts_what_it_says_and_says_when_there_is_nothing() -> None:
    from russian_emigration.constants import INVASION_DATE

    shown = run_cells("03_destination_responses", only=TURN_CELLS)
    texts = [s.text for s in shown if isinstance(s, Prose)]
    assert any(t.startswith(f"{INVASION_DATE.year}: ") for t in texts), texts
    assert any(t.startswith("Counted apart from these: ") for t in texts), texts
    (chart,) = [s for s in shown if isinstance(s, Chart)]
    assert chart.data["responses"].sum() == an.responses_by_year(DS)["responses"].sum()
    check_chart(chart, None)
    tables = {t.name: t for t in shown if isinstance(t, Table)}
    assert len(tables["conflicting-estimates"]) and len(tables["stance-turns"])
    empty = run_cells("03_destination_responses", only=TURN_CELLS, countries=["JPN"], focus_country="MNG")
    texts = [s.text for s in empty if isinstance(s, Prose)]
    assert "The data records no established, dated response with a stance of Japan." in texts
    assert not [s for s in empty if isinstance(s, Chart)]
    assert all(not len(t) for t in empty if isinstance(t, Table) and t.name != "undated-responses")


@pytest.mark.parametrize(
    ("group_by", "said", "not_said"),
    [("station", "unweighted", "weighted means"), ("country", "respondent-weighted", "unweighted")],
)
@pytest.mark.slow
def test_the_exit_poll_note_is_true_for_each_grouping(group_by: str, said: str, not_said: str) -> None:
    shown = run_cells("04_vote_results", only=("station_results", "an.results("), group_by=group_by)
    (chart,) = [s for s in shown if isinstance(s, Chart)]
    drawn = " ".join(t.get_text() for t in chart.fig.texts).replace("\n", " ")
    assert said in drawn and not_said not in drawn, drawn


@pytest.mark.slow
def test_a_country_selection_leaves_out_actors_without_a_country_everywhere_and_says_so() -> None:
    shown = run_cells("03_destination_responses", countries=["KAZ", "KGZ"], focus_country="KAZ")
    texts = [s.text for s in shown if isinstance(s, Prose)]
    stateless = an.actors_without_country(DS)
    assert stateless and any(t.startswith("A country selection shows those countries only") for t in texts)
    tables = {t.name: t for t in shown if isinstance(t, Table)}
    for name in ("closures-september-2022", "undated-responses", "stance-turns", "responses-by-country"):
        assert not any(actor in tables[name].plain() for actor in stateless), name
    # The closures sentence is computed: with none in the selection there is none, and the table says why.
    assert not any(t.endswith("the table gives each date.") for t in texts)
    assert "by Kazakhstan or Kyrgyzstan in September or October 2022" in tables["closures-september-2022"].empty
    everything = run_cells("03_destination_responses", only=("closures",))
    (closures,) = [t for t in everything if isinstance(t, Table) and t.name == "closures-september-2022"]
    said = [s.text for s in everything if isinstance(s, Prose) and s.text.endswith("the table gives each date.")]
    assert said and said[0].startswith(f"{len(closures)} such measures by ")


def test_the_vote_page_header_says_all_stations_and_prints_thousands() -> None:
    header = run_cells("04_vote_results", only=("no_such_cell",), min_respondents=0)
    assert [s.text for s in header if isinstance(s, Prose)][0].endswith("All stations, grouped by station.")
    shown = run_cells("04_vote_results", only=("dropped",), min_respondents=1000)
    texts = [s.text for s in shown if isinstance(s, Prose)]
    assert texts[0].endswith("Stations with at least 1,000 respondents, grouped by station.")
    assert "Dropped for fewer than 1,000 respondents: " in texts[1]


@pytest.mark.slow
def test_the_alt_text_of_a_chart_by_measure_names_each_measure_with_its_count() -> None:
    shown = run_cells("03_destination_responses", only=FOCUS_CELLS, focus_country="GEO")
    (chart,) = [s for s in shown if isinstance(s, Chart)]
    from russian_emigration.labels import code_label
    from russian_emigration.notebook import plural

    counts = an.focus_people_estimates(DS, "GEO")["measure"].astype(str).value_counts()
    assert len(counts) > 1
    for measure, n in counts.items():
        assert f"{code_label('measure', measure)}: {plural(int(n), 'estimate')}, " in chart.alt, chart.alt
    assert " of entered" not in chart.alt
