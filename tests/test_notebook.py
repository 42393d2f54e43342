"""What a reader sees inside a notebook: text from the data stays text, tables read well and download."""

from __future__ import annotations

import base64
import html
import re
from html.parser import HTMLParser

import pandas as pd
import pytest

from russian_emigration.notebook import (
    Prose,
    escape_markdown,
    finding,
    format_value,
    parameter_box,
    setup_notebook,
    table,
)

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(2)>",
    "[link](javascript:alert(3))",
    "**bold** _it_ `code` {eval}`x`",
    "$\\alpha$ | # heading",
]


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def elements(markup: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Elements()
    parser.feed(markup)
    return parser.tags


@pytest.mark.parametrize("payload", PAYLOADS)
def test_text_from_the_data_is_inert_in_sentences(payload) -> None:
    prose = Prose("Seen: {x}.", x=payload)
    assert prose.text == f"Seen: {payload}."
    assert "<" not in prose.markdown, "no HTML element can form"
    unescaped = re.sub(r"\\(.)", r"\1", prose.markdown)
    assert html.unescape(unescaped) == prose.text, "every mark escaped, nothing lost"
    assert not re.search(r"(?<!\\)[\[\]`*_{}]", prose.markdown), "no Markdown mark left live"


def test_escape_markdown_keeps_plain_words() -> None:
    assert escape_markdown("Georgia and Armenia") == "Georgia and Armenia"
    assert escape_markdown("a_b [c]") == "a\\_b \\[c\\]"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_text_from_the_data_is_inert_in_tables(payload) -> None:
    frame = pd.DataFrame(
        {"source_id": ["wikipedia-seed"], "publisher": [payload], "title": [payload], "published_date": [None],
         "url": ["javascript:alert(1)"]}
    )  # fmt: skip
    markup = table(frame, "sources")._repr_mimebundle_()["text/html"]
    found = elements(markup)
    assert {tag for tag, _ in found} <= {"div", "table", "thead", "tbody", "tr", "th", "td", "a", "p"}
    hrefs = [attrs.get("href", "") for tag, attrs in found if tag == "a"]
    assert all(h.startswith(("sources.html#", "data:text/csv")) for h in hrefs), hrefs
    assert html.escape(payload, quote=False) in markup


def test_a_table_reads_well(ds) -> None:
    shown = table(ds.events.head(3), "push-factors")
    html = shown._repr_mimebundle_()["text/html"]
    headings = re.findall(r"<th[^>]*>([^<]*)</th>", html)
    assert headings == ["date", "actor", "category", "what happened", "source", "article footnotes"]
    assert all(headings), "no empty table heading"
    assert 'role="region"' in html and 'tabindex="0"' in html  # a scrolling box a keyboard reaches
    csv_frame = shown.csv_frame()
    assert list(csv_frame.columns) == headings
    assert csv_frame["article footnotes"].iloc[0] == "10"
    payload = re.search(r"base64,([A-Za-z0-9+/=]+)", html)[1]
    assert base64.b64decode(payload).decode("utf-8-sig").splitlines()[0] == ",".join(headings)


def test_an_empty_table_is_a_sentence() -> None:
    shown = table(pd.DataFrame(columns=["name", "quote", "source_id"]), "in-their-words", empty="No quote given.")
    assert shown._repr_mimebundle_() == {"text/markdown": "No quote given\\.", "text/plain": "No quote given."}


def test_values_read_as_people_read_them() -> None:
    assert format_value(12500.0) == "12,500" and format_value(8010, "station_id") == "8010"
    assert format_value(pd.NA) == "" and format_value(True) == "yes" and format_value((59, 60)) == "59; 60"
    assert format_value("at_least", "bound") == "at least" and format_value(pd.Timestamp("2022-03-01")) == "2022-03-01"


def test_a_finding_is_shown_and_glued_with_the_same_words_and_an_anchor(monkeypatch) -> None:
    shown: list = []
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: shown.append(obj))
    monkeypatch.setattr("myst_nb.glue", lambda key, obj, display: shown.append((key, obj)))
    finding("finding-x", "Four <b>countries</b> did so.")
    on_page = shown[0]._repr_mimebundle_()
    assert on_page["text/plain"] == "Four <b>countries</b> did so."
    assert on_page["text/html"] == (
        '<p class="re-finding" id="finding-x"><strong>Four &lt;b&gt;countries&lt;/b&gt; did so.</strong></p>'
    )
    key, glued = shown[1]
    assert key == "finding-x" and glued._repr_mimebundle_() == {
        "text/html": '<p class="re-finding" id="finding-x">Four &lt;b&gt;countries&lt;/b&gt; did so.</p>',
        "text/plain": "Four <b>countries</b> did so.",
    }


def test_the_parameter_box_escapes_values_and_says_what_none_means(monkeypatch) -> None:
    shown: list = []
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: shown.append(obj))
    parameter_box({"domain": None, "countries": ["GEO", "<b>"]}, {"domain": "all domains"}, note="No <i>filter</i>.")
    bundle = shown[0]._repr_mimebundle_()
    assert "<code>domain</code> = None (all domains)" in bundle["text/html"] and "GEO, &lt;b&gt;" in bundle["text/html"]
    assert bundle["text/html"].endswith("<p>No &lt;i&gt;filter&lt;/i&gt;.</p></div>")
    assert bundle["text/plain"].endswith("countries = GEO, <b>. No <i>filter</i>.")


def test_setup_sets_display_options_that_cut_nothing() -> None:
    setup_notebook()
    assert pd.get_option("display.max_colwidth") is None and pd.get_option("display.max_columns") == 30
