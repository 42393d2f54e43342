"""The charts readers see: legible SVG with real text, every mark linked to a real source, alt text,
a readable CSV of exactly what is drawn, one sentence instead of an empty chart, fixed colours."""

from __future__ import annotations

import base64
import csv
import io
import re
import warnings
from datetime import date

import pandas as pd
import pytest

from russian_emigration import analysis as an
from russian_emigration import charts as ch
from russian_emigration.notebook import setup_notebook, spreadsheet_safe
from russian_emigration.style import MIN_TEXT_PT


def vocabulary(ds, table: str, column: str) -> list[str]:
    field = next(f for f in ds.resource(table)["schema"]["fields"] if f["name"] == column)
    return list(field["constraints"]["enum"])


@pytest.fixture(scope="module")
def charts(ds) -> dict[str, ch.Chart]:
    """One chart of each kind, drawn from the real data as the notebooks draw them."""
    setup_notebook()
    start, end = date(2022, 1, 1), date(2024, 12, 31)
    drawn = {
        "timeline": ch.timeline(ds, an.outflow_estimates(ds, start, end), events=an.push_factors(ds, start, end),
                                start=start, end=end, color_by="counted_from", title="Estimates", ylabel="", empty=""),
        "rows": ch.estimate_rows(ds, an.survey_shares(ds), label="label", color_by="measure", percent=True,
                                 title="Surveys", xlabel="share (%)", empty=""),
        "bars": ch.bars(ds, an.count_by_destination(ds), label="destination", value="emigrants", title="Where",
                        xlabel="people", empty="", single="", grey=["not stated"]),
        "dots": ch.response_dots(ds, an.response_matrix(ds), title="Responses", empty=""),
        "years": ch.stance_years(ds, an.responses_by_year(ds), title="Per year", empty=""),
        "shares": ch.dot_rows(ds, an.official_vs_exit_poll(ds), label="label", link=("exit_poll_pct", "official_pct"),
                              series={"exit_poll_pct": "exit poll", "official_pct": "official"}, title="Vote",
                              colors={"exit_poll_pct": "#000000", "official_pct": "#D55E00"}, xlabel="%", empty=""),
    }  # fmt: skip
    assert all(isinstance(chart, ch.Chart) for chart in drawn.values())
    return drawn


def test_fixed_colour_maps_cover_exactly_the_vocabularies(ds) -> None:
    assert set(ch.STANCE_COLORS) == {*vocabulary(ds, "events", "stance"), "not stated"}
    assert set(vocabulary(ds, "estimates", "measure")) <= set(ch.MEASURE_COLORS)
    assert set(ch.COUNTED_FROM_COLORS) == set(an.COUNTED_FROM)
    assert set(ch.ANSWER_COLORS) == set(an.answer_columns(ds))


def test_every_mark_links_to_a_row_of_the_sources_page_and_says_what_it_is(ds, charts) -> None:
    known = set(ds.sources["source_id"])
    for name, chart in charts.items():
        svg = chart.svg
        assert chart.marks, name
        assert svg.count('class="re-mark"') == svg.count("<a aria-label=") == len(chart.marks), name
        for link in re.findall(r'<a href="sources\.html#([^"]*)"', svg):
            ids = link[len("ids=") :].split(",") if link.startswith("ids=") else [link]
            assert set(ids) <= known, (name, link)
        assert all(mark.tip.strip() for mark in chart.marks), name


def test_chart_text_is_real_text_never_smaller_than_the_minimum(charts) -> None:
    for name, chart in charts.items():
        svg = chart.svg
        sizes = [float(size) for size in re.findall(r"font-size: ([0-9.]+)px", svg)]
        assert sizes and min(sizes) >= MIN_TEXT_PT, name
        assert "<path" in svg and "<text" in svg, name


def test_a_chart_is_the_same_svg_every_time(ds, charts) -> None:
    again = ch.stance_years(ds, an.responses_by_year(ds), title="Per year", empty="")
    assert again.svg == charts["years"].svg
    ids = re.findall(r'id="([^"]+)"', charts["years"].svg)
    assert len(ids) == len(set(ids)) and all(i.startswith("per-year-") for i in ids)


def test_the_csv_is_for_readers(ds, charts) -> None:
    for name, chart in charts.items():
        rows = list(csv.DictReader(io.StringIO(chart.data.to_csv(index=False))))
        assert rows and {"source_id", "publisher", "url"} <= set(rows[0]), name
        text = chart.data.to_csv(index=False)
        assert not re.search(r"\d{4}-\d{2}-\d{2} 00:00:00", text), f"{name}: a synthetic datetime"
        assert all(r["url"].startswith("http") for r in rows if r["source_id"]), name
        numbers = [v for r in rows for k, v in r.items() if "as published" not in k]
        assert not [v for v in numbers if re.fullmatch(r"\d{1,3}(,\d{3})+", v)], (
            f"{name}: a number a spreadsheet reads as text"
        )
    timeline = charts["timeline"].data
    assert "the invasion" in set(timeline["series"]) and "invasion" not in set(timeline["series"])
    assert set(timeline["as of"]) >= {"2022-03"}


def test_the_caption_links_each_publisher_once_and_keeps_long_lists_one_click_away(ds, charts) -> None:
    sources = charts["dots"].sources
    caption = charts["dots"].caption_html()
    publishers = sources["publisher"].nunique()
    assert publishers > ch.CAPTION_SOURCES and publishers < len(sources)
    assert caption.count('href="sources.html#') == publishers
    assert f"and {publishers - ch.CAPTION_SOURCES} more</summary>" in caption
    assert ".</details> <a " in caption, "the list's full stop ends the list, not a line of its own under it"
    linked = re.findall(r'href="sources\.html#(?:ids=)?([^"]+)"', caption)
    assert sorted(i for ids in linked for i in ids.split(",")) == sorted(sources["source_id"])
    payload = re.search(r"base64,([A-Za-z0-9+/=]+)", caption)[1]
    assert base64.b64decode(payload).startswith(b"\xef\xbb\xbf"), "a byte-order mark, for Excel"
    assert base64.b64decode(payload).decode("utf-8-sig") == spreadsheet_safe(charts["dots"].data).to_csv(
        index=False, lineterminator="\n"
    )


def test_alt_text_says_what_the_chart_shows(charts) -> None:
    assert charts["years"].alt.startswith("Per year. 2022: ")
    assert "bars. The longest is" in charts["bars"].alt
    assert "ranges from" in charts["shares"].alt


def test_nothing_to_draw_is_one_sentence(ds) -> None:
    none = ch.bars(
        ds,
        an.count_by_destination(ds).head(0),
        label="destination",
        value="emigrants",
        title="t",
        xlabel="",
        empty="Nothing here.",
        single="",
    )
    one = ch.bars(
        ds,
        an.settled_by_destination(ds, ["GEO"]),
        label="country_name",
        value="value",
        title="t",
        xlabel="",
        empty="",
        single="Settled in {label}: {value_as_published}.",
    )
    assert isinstance(none, ch.Note) and none.text == "Nothing here."
    assert isinstance(one, ch.Note) and one.text.startswith("Settled in Georgia: ")
    assert isinstance(ch.response_dots(ds, an.response_matrix(ds, ["JPN"]), title="t", empty="None."), ch.Note)


def test_a_timeline_of_any_span_has_a_handful_of_ticks(ds) -> None:
    for start, end in [(date(1, 1, 1), date(9999, 12, 31)), (date(2022, 9, 20), date(2022, 9, 22))]:
        chart = ch.timeline(ds, an.outflow_estimates(ds, start, end), start=start, end=end, color_by="counted_from",
                            title="t", ylabel="people", empty="")  # fmt: skip
        ticks = chart.fig.axes[0].get_xticks()
        assert 1 <= len(ticks) <= 8, (start, end, len(ticks))


def test_text_from_the_data_is_drawn_literally(ds) -> None:
    counts = pd.DataFrame({"label": ["US$5 $\\alpha$", "b"], "n": [2, 1], "source_id": ["wikipedia-seed"] * 2})
    chart = ch.bars(ds, counts, label="label", value="n", title="t", xlabel="", empty="", single="")
    assert "US$5 $\\alpha$" in chart.svg and "longest is US$5 $\\alpha$ (2)" in chart.svg  # text and alt text


def test_a_formula_in_a_csv_download_is_quoted_away() -> None:
    frame = pd.DataFrame({"a": ["=HYPERLINK(1)", "+cmd", "-2+3", "@SUM(1)", "plain", "-"]})
    assert list(spreadsheet_safe(frame)["a"]) == ["'=HYPERLINK(1)", "'+cmd", "'-2+3", "'@SUM(1)", "plain", "'-"]


def test_a_map_of_places_beyond_europe_and_central_asia_draws_without_an_empty_panel(ds) -> None:
    """A selection with no place in the region map (Tokyo's station alone) is the world panel only."""
    from russian_emigration import maps

    tokyo = an.station_results(an.only_countries(ds, ["JPN"]), 0)
    assert list(tokyo["place"]) == ["Tokyo"], "the test needs the data's one station in Japan"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns when a panel collapses to nothing
        chart = maps.stations_map(ds, tokyo, title="Japan", empty="")
        assert isinstance(chart, ch.Chart) and chart.svg.count('class="re-mark"') == len(chart.marks) == 1
