"""What a reader sees inside a notebook: one-call setup, sentences, findings, tables. Text from the data is escaped
(HTML and Markdown) before it lands in an output; every rich output has a ``text/plain`` twin with the same text."""

from __future__ import annotations

import base64
import html
import numbers
import string
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from russian_emigration.labels import code_label, is_code_column
from russian_emigration.layouts import DECIMALS, LINK_TEXT, TABLES
from russian_emigration.style import apply_style

#: Where the site puts its Sources page, relative to a notebook page.
SOURCES_PAGE = "sources.html"
#: Markdown's special characters get a backslash, HTML's an entity; line breaks become spaces.
_INERT = {ord(c): "\\" + c for c in "\\`*_{}[]()#+-.!|~$:"} | {ord(c): html.escape(c) for c in "&<>\"'"}
_INERT |= {ord("\r"): " ", ord("\n"): " "}
#: A first character that makes a spreadsheet read a cell as a formula; CSV downloads quote it away.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def setup_notebook() -> None:
    """Set pandas display options and the charts' matplotlib style (from matplotlib's defaults)."""
    pd.set_option("display.max_columns", 30, "display.max_rows", 500, "display.width", 160, "display.precision", 2)
    pd.set_option("display.max_colwidth", None, "display.show_dimensions", False)
    apply_style()


# --- Sentences ---------------------------------------------------------------------------------


def escape_markdown(text: Any) -> str:
    """Text from the data made inert in Markdown and HTML: entities for HTML, backslashes for Markdown."""
    return str(text).translate(_INERT)


class _Escaping(string.Formatter):
    """str.format that passes every formatted value through ``escape``."""

    def __init__(self, escape: Any) -> None:
        self.escape = escape

    def format_field(self, value: Any, format_spec: str) -> str:
        return self.escape(super().format_field(value, format_spec))


class Prose:
    """A sentence from the project's Markdown template with values from the data, escaped."""

    def __init__(self, template: str, **values: Any) -> None:
        self.markdown = _Escaping(escape_markdown).format(template, **values)
        self.text = _Escaping(str).format(template.replace("**", ""), **values)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/markdown": self.markdown, "text/plain": self.text}

    def __repr__(self) -> str:
        return self.text


def show(template: str, **values: Any) -> None:
    """Display a sentence: ``template`` is the project's Markdown, every value is escaped."""
    from IPython.display import display

    display(Prose(template, **values))


class Html:
    """An HTML output with its plain-text twin (what nbval compares and a terminal shows)."""

    def __init__(self, markup: str, text: str) -> None:
        self.markup, self.text = markup, text

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/html": self.markup, "text/plain": self.text}


def finding(key: str, sentence: str) -> None:
    """Display a headline finding with the anchor ``key`` and glue it under ``key`` for the landing page,
    where MyST-NB pastes the same text, so it reads there exactly as here."""
    from IPython.display import display

    text = html.escape(sentence)
    display(Html(f'<p class="re-finding" id="{key}"><strong>{text}</strong></p>', sentence))
    try:
        from myst_nb import glue
    except ImportError:  # the helpers without the report tools: nothing to glue into
        return
    glue(key, Html(f'<p class="re-finding" id="{key}">{text}</p>', sentence), display=False)


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """'1 notable emigrant', '2 notable emigrants' (``plural_form`` for irregular nouns)."""
    return f"{count:,} {noun if count == 1 else plural_form or noun + 's'}"


def listing(items: list[Any], conjunction: str = "and") -> str:
    """'A', 'A and B', 'A, B and C'."""
    items = [str(i) for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" {conjunction} " + items[-1] if items else ""


def long_date(day: Any) -> str:
    """A day as a reader writes it in a sentence: '1 January 2022' (no leading zero)."""
    return f"{day.day} {day:%B %Y}"


def parameter_box(values: Mapping[str, Any], notes: Mapping[str, str] | None = None, note: str = "") -> None:
    """Display the parameters this page was built with, what a None means for each, and a closing ``note``."""
    from IPython.display import display

    notes = dict(notes or {})
    rows = []
    for name, value in values.items():
        shown = "None" if value is None else ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        rows.append((name, shown + (f" ({notes[name]})" if name in notes else "")))
    body = "".join(f"<li><code>{html.escape(n)}</code> = {html.escape(v)}</li>" for n, v in rows)
    plain = "Built with: " + "; ".join(f"{n} = {v}" for n, v in rows) + (f". {note}" if note else "")
    after = f"<p>{html.escape(note)}</p>" if note else ""
    display(Html(f'<div class="re-parameters"><p>Built with:</p><ul>{body}</ul>{after}</div>', plain))


# --- Values and tables for people ----------------------------------------------------------------


def format_value(value: Any, column: str = "", decimals: int | None = None, grouping: bool = True) -> str:
    """A cell as a reader reads it: blanks for missing, integers without decimals, labels for codes; thousands
    separators unless ``grouping`` is False (CSV files: numbers a spreadsheet reads as numbers), ids and years."""
    if isinstance(value, list | tuple):
        return "; ".join(format_value(v, column, decimals, grouping) for v in value)
    if value is None or pd.isna(value):
        return ""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, numbers.Real):
        sep = "," if grouping and not column.endswith("_id") and column != "year" else ""
        if decimals is not None:
            return f"{float(value):{sep}.{decimals}f}"
        if float(value).is_integer():
            return f"{int(float(value)):{sep}}"
        return f"{float(value):{sep}.2f}".rstrip("0").rstrip(".")
    return code_label(column, str(value)) if is_code_column(column) else str(value)


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell that a spreadsheet would run as a formula quoted with a leading '."""
    return frame.apply(
        lambda col: col.map(lambda v: f"'{v}" if isinstance(v, str) and v.startswith(FORMULA_START) else v)
    )


def csv_link(frame: pd.DataFrame, name: str, text: str = "Download these rows as CSV") -> str:
    """An HTML link that downloads ``frame`` (exactly its rows, formulas quoted away) as a CSV file."""
    # With a byte-order mark, which tells Excel the file is UTF-8 (Türkiye stays Türkiye).
    data = spreadsheet_safe(frame).to_csv(index=False, lineterminator="\n").encode("utf-8-sig")
    payload = base64.b64encode(data).decode("ascii")
    return (
        f'<a class="csv-download" download="{html.escape(name)}.csv" '
        f'href="data:text/csv;charset=utf-8;base64,{payload}">{html.escape(text)}</a>'
    )


def source_link(source_id: str | list[str], text: str = "") -> str:
    """A link to a source's row on the site's Sources page (several ids: the page showing just those), reading
    ``text`` (a publisher) or the ids."""
    ids = [str(source_id)] if isinstance(source_id, str) else [str(i) for i in source_id]
    href = f"{SOURCES_PAGE}#{ids[0]}" if len(ids) == 1 else f"{SOURCES_PAGE}#ids={','.join(ids)}"
    names = html.escape(", ".join(ids))
    return f'<a href="{html.escape(href)}" title="{names}">{html.escape(text) if text else names}</a>'


class Table:
    """A table for people: escaped HTML (links, labels), a CSV download and a plain-text twin."""

    def __init__(self, frame: pd.DataFrame, columns: Mapping[str, str], *, name: str, empty: str, source: str = ""):
        self.columns, self.name, self.empty, self.source = dict(columns), name, empty, source
        self.decimals, self.link_text = DECIMALS.get(name, {}), LINK_TEXT.get(name, {})
        self.frame = frame[list(dict.fromkeys([*columns, *self.link_text.values()]))].reset_index(drop=True)

    def csv_frame(self) -> pd.DataFrame:
        """Exactly the rows shown, headed as shown, with the publisher behind a link and a source column."""
        out = pd.DataFrame(
            {
                title: [format_value(v, raw, self.decimals.get(raw), grouping=False) for v in self.frame[raw]]
                for raw, title in self.columns.items()
            }
        )
        for column in self.link_text.values():
            if column not in self.columns:
                out[column] = [format_value(v, column, grouping=False) for v in self.frame[column]]
        if not {"source_id", "source_ids"} & set(self.columns):
            out["source"] = self.source
        return out

    def _cell(self, record: Mapping[str, Any], raw: str) -> str:
        value = record[raw]
        if raw in ("source_id", "source_ids") or raw.endswith("_source_id"):
            ids = [v for v in str(value).split("; ") if v] if isinstance(value, str) else []
            text = format_value(record[self.link_text[raw]]) if raw in self.link_text and len(ids) == 1 else ""
            inner = "; ".join(source_link(v, text) for v in ids)
        elif raw == "url" and isinstance(value, str) and value.startswith(("http://", "https://")):
            inner = f'<a href="{html.escape(value)}">{html.escape(value)}</a>'
        else:
            inner = html.escape(format_value(value, raw, self.decimals.get(raw)))
        number = isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_) and not raw.endswith("_id")
        return f'<td class="{"re-number" if number else "re-text"}">{inner}</td>'

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        if self.frame.empty:
            return {"text/markdown": escape_markdown(self.empty), "text/plain": self.empty}
        head = "".join(f'<th scope="col">{html.escape(t)}</th>' for t in self.columns.values())
        rows = "".join(
            "<tr>" + "".join(self._cell(record, raw) for raw in self.columns) + "</tr>"
            for record in self.frame.to_dict("records")
        )
        markup = (
            f'<div class="re-table"><div class="re-table-scroll" tabindex="0" role="region" '
            f'aria-label="{html.escape(self.name.replace("-", " "))}">'
            f'<table id="{html.escape(self.name)}"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>'
            f"<p>{csv_link(self.csv_frame(), self.name)}</p></div>"
        )
        plain = self.csv_frame()
        plain.index = range(1, len(plain) + 1)
        return {"text/html": markup, "text/plain": plain.to_string()}

    def __len__(self) -> int:
        return len(self.frame)


def table(frame: pd.DataFrame, layout: str, *, empty: str = "No rows match this selection.", source: str = "") -> Table:
    """Show ``frame`` with the columns and headings of ``layout`` (a key of ``layouts.TABLES``, which
    also names the CSV download); ``empty`` is the sentence shown when there are no rows and ``source``
    fills the CSV's source column when the rows carry no ``source_id``."""
    return Table(frame, TABLES[layout], name=layout, empty=empty, source=source)
