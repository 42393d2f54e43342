"""What a reader sees in a notebook: escaped prose with a plain-text twin, tables for people."""

from __future__ import annotations

import base64
import io
import json
import re
from html import unescape

import nbformat
import pandas as pd
import pytest

from russian_emigration.notebook import escape_markdown, prose, table
from tests.conftest import bundled_dataset
from tests.notebook_helpers import NOTEBOOKS

DS = bundled_dataset()
PAYLOADS = [
    "<script>alert(1)</script>",
    '<img src="x" onerror="alert(1)">',
    "<svg onload=alert(1)>",
    '<iframe srcdoc="<script>alert(1)</script>">',
    "<details open ontoggle=alert(1)>",
    "[click](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_values_from_the_data_are_inert_in_prose(payload: str) -> None:
    shown = prose("Version **{v}**.", v=payload)
    bundle = shown._repr_mimebundle_()
    assert bundle["text/plain"] == f"Version {payload}."
    markdown = bundle["text/markdown"]
    assert markdown.startswith("Version **") and "<" not in markdown.replace("&lt;", "")
    assert "](" not in markdown


@pytest.mark.parametrize("payload", PAYLOADS)
def test_values_from_the_data_are_inert_in_tables(payload: str) -> None:
    frame = pd.DataFrame({"place": [payload], "url": ["javascript:alert(1)"], "source_id": [payload]})
    html = table(frame, ["place", "url", "source_id"], name="t")._repr_html_()
    assert "<script" not in html and "onerror=" not in html.replace("onerror=&quot;", "") or "&lt;" in html
    assert not re.search(r"<(script|img|svg|iframe|details)\b", html)
    assert 'href="javascript' not in html


def test_escape_markdown_keeps_plain_words() -> None:
    assert escape_markdown("Kazakhstan") == "Kazakhstan"
    assert escape_markdown("a_b *c* $5") == r"a\_b \*c\* \$5"


def test_tables_are_for_people() -> None:
    frame = pd.DataFrame(
        {
            "event_date": ["2022-09-21"],
            "category": ["visa_restriction"],
            "measure": ["share_settled_in_destination"],
            "putin_pct": [59.0],
            "gap_pts": [1.25],
            "summary": ["x" * 300],
            "url": ["https://example.org/" + "a" * 200],
            "source_id": ["wikipedia-seed"],
        }
    )
    shown = table(frame, list(frame.columns), name="people")
    html = shown._repr_html_()
    assert "visa restriction" in html and "share settled in the destination" in html
    assert ">59<" in html and "59.00" not in html and ">1.25<" in html
    assert "x" * 300 in html, "nothing is cut"
    assert f'<a href="{frame.url[0]}">{frame.url[0]}</a>' in html
    assert '<a href="sources.html#wikipedia-seed">wikipedia-seed</a>' in html
    assert "white-space:nowrap" in html.split("2022-09-21")[0].rsplit("<td", 1)[1]
    assert "text-align:left" in html and "<th" in html
    payload = html.split("base64,")[1].split('"')[0]
    csv = pd.read_csv(io.StringIO(base64.b64decode(payload).decode()))
    assert len(csv) == 1 and csv["source_id"][0] == "wikipedia-seed"
    assert shown._repr_mimebundle_()["text/plain"].startswith("  ")


def test_short_dates_stay_on_one_line_and_long_date_texts_wrap() -> None:
    # A long "when" text kept on one line made its column 285 px wide and cut the table off at 1280 px.
    frame = pd.DataFrame(
        {"when": ["2022-09-21", "after 21 September 2022 (no date in the source)"], "what": ["Argentina", "b"]}
    )
    html = table(frame, ["when", "what"], name="dates")._repr_html_()
    assert '<td style="text-align:left;white-space:nowrap">2022-09-21</td>' in html
    long = "after 21 September 2022 (no date in the source)"
    assert f'<td style="text-align:left;overflow-wrap:anywhere">{long}</td>' in html, "a long text wraps"
    assert '<td style="text-align:left">Argentina</td>' in html, "a short word never breaks mid-word"


def test_nullable_integer_and_boolean_columns_read_as_numbers_and_yes_no() -> None:
    # Rows of Int64/boolean columns come out as numpy scalars, not Python int/bool.
    frame = pd.DataFrame(
        {"respondents": pd.array([1076], dtype="Int64"), "is_place_filled_from_row_above": pd.array([True])}
    )
    html = table(frame, list(frame.columns), name="numbers")._repr_html_()
    assert '<td style="text-align:right;white-space:nowrap">1,076</td>' in html
    assert ">yes<" in html and "True" not in html


def test_each_of_several_source_ids_in_a_cell_links_to_its_own_entry() -> None:
    frame = pd.DataFrame({"source_id": ["babel-estonia-voting; tass-baltic-poland-ban"]})
    html = table(frame, ["source_id"], name="joined")._repr_html_()
    assert (
        '<a href="sources.html#babel-estonia-voting">babel-estonia-voting</a>; '
        '<a href="sources.html#tass-baltic-poland-ban">tass-baltic-poland-ban</a>'
    ) in html


def test_an_empty_table_is_a_sentence() -> None:
    shown = table(pd.DataFrame({"a": []}), ["a"], empty="The data records no response of Armenia.")
    assert shown._repr_mimebundle_() == {
        "text/markdown": "The data records no response of Armenia\\.",
        "text/plain": "The data records no response of Armenia.",
    }


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebooks_read_well_anywhere(path) -> None:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert "hide-input" in cell.metadata.get("tags", []), "the site hides code by this tag"
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            assert "text/plain" in data, "every rich output has a plain-text fallback"
            assert "object>" not in data["text/plain"]
            if "text/markdown" in data:
                assert "IPython" not in data["text/plain"]
            if "image/png" in data:
                assert output["metadata"]["image/png"]["alt"] == data["text/plain"]
                caption = cell.outputs[cell.outputs.index(output) + 1].data["text/html"]
                assert 'href="sources.html#' in caption and "data:text/csv" in caption
    text = json.dumps(nb)
    assert not re.search(r"(src|href)=\\\"(https?:)?//(?!)", text)
    assert "cdn." not in text.lower() and "<script src" not in text


def test_long_tables_are_sortable_and_filterable_offline() -> None:
    from russian_emigration.notebook import INTERACTIVE_ROWS

    long = table(DS.vote_abroad_stations, ["place", "respondents", "source_id"], name="stations")._repr_html_()
    short = table(DS.vote_abroad_stations.head(3), ["place", "respondents"], name="few")._repr_html_()
    assert len(DS.vote_abroad_stations) > INTERACTIVE_ROWS
    assert "<script>" in long and "Filter rows" in long
    assert 'createElement("button")' in long and "aria-sort" in long, "headings become buttons that say the sort"
    assert "<script" not in short
    assert not re.search(r"<script[^>]*\bsrc=", long) and "http" not in long.split("<script>")[1]
    static = long.split("<script>")[0]
    assert "<button" not in static and '<th scope="col" style="text-align:left">place</th>' in static, (
        "without scripts (a code host) the headings are plain headings, no dead buttons"
    )


def _sortable_page(tmp_path, after: str) -> str:
    """A page with one long table and ``after`` (a script run once the table's own script has run)."""
    frame = pd.DataFrame({"place": [f"Town{i}" for i in range(20)], "respondents": [i * 137 % 1000 for i in range(20)]})
    page = tmp_path / "t.html"
    page.write_text(
        "<html><body>" + table(frame, ["place", "respondents"], name="t")._repr_html_() + after + "</body></html>",
        encoding="utf-8",
    )
    return page.as_uri()


@pytest.mark.slow
def test_the_sortable_script_works_in_a_real_browser(tmp_path) -> None:
    import shutil
    import subprocess

    browser = shutil.which("chromium")
    if browser is None:
        pytest.skip("no chromium on this machine (make browser-check installs it)")
    uri = _sortable_page(
        tmp_path,
        "<script>var box=document.querySelector('.re-table'); var inp=box.querySelector('input');"
        "inp.value='town1'; inp.dispatchEvent(new Event('input'));"
        "var b=box.querySelectorAll('th')[2].querySelector('button'); b.click(); var first=[...box.querySelectorAll"
        "('th')].map(t=>t.getAttribute('aria-sort')+':'+t.textContent.trim()).join(';'); b.click();"
        "document.body.setAttribute('data-result', [...box.querySelectorAll('tbody tr')].filter(r=>!r.hidden)"
        ".map(r=>r.cells[2].textContent).join('|'));"
        "document.body.setAttribute('data-first', first); document.body.setAttribute('data-second',"
        "[...box.querySelectorAll('th')].map(t=>t.getAttribute('aria-sort')).join(';'));</script>",
    )
    done = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", uri],
        capture_output=True,
        text=True,
        timeout=120,
    )
    result = re.search(r'data-result="([^"]*)"', done.stdout).group(1).split("|")
    values = [int(v.replace(",", "")) for v in result]
    assert values == sorted(values, reverse=True) and len(result) == 11, "a second click sorts descending"
    first = unescape(re.search(r'data-first="([^"]*)"', done.stdout).group(1)).split(";")
    assert first == ["null:# \u2195", "null:place \u2195", "ascending:respondents \u25b2"], first
    second = re.search(r'data-second="([^"]*)"', done.stdout).group(1).split(";")
    assert second == ["", "", "descending"], second


@pytest.mark.slow
def test_the_sortable_headings_work_from_the_keyboard(tmp_path) -> None:
    """Tab reaches each heading from the filter box; Enter and Space sort; aria-sort and the arrow follow."""
    import os
    from pathlib import Path

    sync_api = pytest.importorskip("playwright.sync_api", reason="make browser-check installs Playwright")
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"no {chromium} (make browser-check installs it)")
        pytest.skip(f"no {chromium} (make browser-check installs it)")
    uri = _sortable_page(tmp_path, "")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), headless=True, args=["--no-sandbox"])
        page = browser.new_page()
        page.goto(uri)
        page.focus("input[type=search]")
        for expected in ("#", "place", "respondents"):
            page.keyboard.press("Tab")
            assert page.evaluate("() => document.activeElement.tagName") == "BUTTON"
            assert page.evaluate("() => document.activeElement.closest('th').innerText").startswith(expected)
        page.keyboard.press("Enter")
        column = "() => [...document.querySelectorAll('tbody tr')].map(r => +r.cells[2].textContent.replace(',', ''))"
        values = page.evaluate(column)
        assert values == sorted(values) and values != sorted(values, reverse=True)
        assert page.get_attribute("th:nth-child(3)", "aria-sort") == "ascending"
        assert "\u25b2" in page.inner_text("th:nth-child(3)")
        page.keyboard.press(" ")
        assert page.evaluate(column) == sorted(values, reverse=True)
        assert page.get_attribute("th:nth-child(3)", "aria-sort") == "descending"
        assert "\u25bc" in page.inner_text("th:nth-child(3)")
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Enter")
        assert page.get_attribute("th:nth-child(3)", "aria-sort") is None, "only the sorted column carries aria-sort"
        assert page.get_attribute("th:nth-child(2)", "aria-sort") == "ascending"
        status = page.locator(".re-table [aria-live]")
        page.fill("input[type=search]", "town1")
        assert status.inner_text() == "11 of 20 rows"
        page.fill("input[type=search]", "no-such-town")
        assert status.inner_text().startswith("No rows match"), "a filter matching nothing says so"
        page.fill("input[type=search]", "")
        assert status.inner_text() == "" and page.locator("tbody tr:visible").count() == 20
        browser.close()


def test_computed_shares_show_one_decimal_on_every_row() -> None:
    from russian_emigration.layouts import TABLES

    columns = sorted(set(TABLES["exit-poll-by-country"]) | set(TABLES["exit-poll-by-station"]))
    frame = pd.DataFrame({c: [59.0, 30.6634] if c.endswith("_pct") else ["a", "b"] for c in columns})
    csv = table(frame, "exit-poll-by-country").csv_frame()
    assert list(csv["Putin %"]) == ["59.0", "30.7"]
    html = table(frame, "exit-poll-by-country")._repr_html_()
    assert ">59.0<" in html and ">30.7<" in html
    assert table(frame, "exit-poll-by-station").csv_frame()["Putin %"].iloc[0] == "59", "published shares stay as given"


def test_chart_file_names_are_cut_at_a_word_boundary() -> None:
    from russian_emigration.charts import file_stem

    stem = file_stem("Push factors and estimates of how many had left Russia, as estimated by many sources")
    assert len(stem) <= 60 and stem.endswith("left-russia-as"), stem
    assert file_stem("Short title") == "short-title"
    assert file_stem("") == "chart"


def test_a_source_link_can_read_as_its_publisher_and_the_csv_keeps_both() -> None:
    frame = pd.DataFrame(
        {
            "value_as_published": ["about 25,000"],
            "source_id": ["ibtimes-left"],
            "publisher": ["<b>International Business Times</b>"],
        }
    )
    from russian_emigration.notebook import Table

    columns = {"value_as_published": "figure", "source_id": "source"}
    shown = Table(frame, columns, name="t", empty="none", link_text={"source_id": "publisher"})
    markup = shown._repr_html_()
    assert (
        '<a href="sources.html#ibtimes-left" title="ibtimes-left">&lt;b&gt;International Business Times&lt;/b&gt;</a>'
        in markup
    ), "the publisher, escaped, is the link's text; the id its tooltip"
    assert markup.count("<th ") == 3, "no separate publisher column"
    payload = markup.split("base64,")[1].split('"')[0]
    csv = pd.read_csv(io.StringIO(base64.b64decode(payload).decode()))
    assert list(csv.columns) == ["figure", "source", "publisher"]
    assert csv["source"][0] == "ibtimes-left"


def test_the_estimate_tables_of_page_03_label_their_links_by_publisher() -> None:
    from russian_emigration import analysis as an
    from russian_emigration.layouts import LINK_TEXT, TABLES

    for name in ("focus-estimates", "conflicting-estimates"):
        assert LINK_TEXT[name] == {"source_id": "publisher"}
        assert {"measure_unit", "period", "source_id", "value_as_published"} <= set(TABLES[name])
        assert "publisher" not in TABLES[name] and "unit" not in TABLES[name]
    shown = table(an.destination_estimates(DS, "GEO"), "focus-estimates")
    markup = shown._repr_html_()
    assert '<div class="re-table-scroll"><table class="dataframe re-table" id="focus-estimates">' in markup
    assert markup.count("<th ") == len(TABLES["focus-estimates"]) + 1


@pytest.mark.parametrize(
    ("start", "end", "text"),
    [
        ("2022-02", "2023-02", "2022-02 to 2023-02"),
        ("2022-09", "2022-09", "2022-09"),
        (None, "2024-07-16", "as of 2024-07-16"),
        ("2022-02", None, "from 2022-02"),
        (None, None, ""),
    ],
)
def test_an_estimate_period_reads_as_one_phrase(start, end, text) -> None:
    from russian_emigration.analysis import period_text

    assert period_text(start, end) == text


def test_a_period_breaks_between_its_dates_only_and_a_measure_between_words() -> None:
    frame = pd.DataFrame(
        {"measure_unit": ["humanitarian admissions (people) of a long measure"], "period": ["2022-09-21 to 2022-11-13"]}
    )
    markup = table(frame, ["measure_unit", "period"], name="p")._repr_html_()
    assert (
        '<span style="white-space:nowrap">2022-09-21</span> to <span style="white-space:nowrap">2022-11-13</span>'
        in (markup)
    )
    assert "overflow-wrap:anywhere" not in markup
