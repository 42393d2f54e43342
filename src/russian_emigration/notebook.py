"""What a reader sees inside a notebook: prose with escaped data, tables for people, one-call setup.

Every string that comes from the data is escaped (HTML and Markdown) before it lands in an output;
every rich output carries a ``text/plain`` fallback with the same text.
"""

from __future__ import annotations

import base64
import html
import numbers
import re
import string
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from russian_emigration.labels import code_label, is_code_column

PANDAS_OPTIONS = {
    "display.max_columns": 30,
    "display.max_rows": 500,
    "display.width": 160,
    "display.precision": 2,
    "display.max_colwidth": None,
    "display.show_dimensions": False,
}
#: Where the site puts its Sources page, relative to a notebook page.
SOURCES_PAGE = "sources.html"
_MARKDOWN_SPECIAL = set("\\`*_{}[]()#+-.!|~$:")
_URL = re.compile(r"https?://\S+\Z")
#: Tables longer than this get a filter box and sortable headers (inline script, no CDN, no request).
INTERACTIVE_ROWS = 12
#: Progressive enhancement: without JavaScript (a code host) the plain table stays as it is. With it,
#: each heading becomes a button (reached with Tab, pressed with Enter or Space, or clicked) that
#: sorts the rows; the sorted heading carries ``aria-sort`` and a visible arrow (▲ ascending,
#: ▼ descending); the others show ↕ (sortable). The row-number heading restores the first order.
INTERACTIVE_SCRIPT = """<script>
(function (box) {
  if (!box) return;
  var table = box.querySelector("table"), body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var input = document.createElement("input");
  input.type = "search"; input.placeholder = "Filter rows"; input.setAttribute("aria-label", "Filter rows");
  var status = document.createElement("p");
  status.className = "re-filter-status"; status.setAttribute("aria-live", "polite");
  status.style.cssText = "margin:0.2rem 0;font-size:0.85em";
  input.oninput = function () {
    var q = input.value.toLowerCase(), shown = 0;
    rows.forEach(function (r) {
      r.hidden = q !== "" && r.textContent.toLowerCase().indexOf(q) < 0;
      if (!r.hidden) shown += 1;
    });
    status.textContent = q === "" ? "" : shown === 0 ? "No rows match \u201c" + input.value + "\u201d"
      + " (0 of " + rows.length + " rows)" : shown + " of " + rows.length + " rows";
  };
  box.insertBefore(status, box.firstChild);
  box.insertBefore(input, box.firstChild);
  var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var number = /^-?[0-9][0-9,]*(\\.[0-9]+)?$/;
  heads.forEach(function (th, i) {
    var text = th.textContent.trim(), label = text || "Row number";
    var button = document.createElement("button");
    button.type = "button"; button.className = "re-sort";
    button.style.cssText = "font:inherit;font-weight:bold;color:inherit;background:none;border:0;"
      + "padding:0;margin:0;cursor:pointer;text-align:inherit";
    button.textContent = (text || "#") + " ";
    if (!text) button.setAttribute("aria-label", label);
    var arrow = document.createElement("span");
    arrow.className = "re-sort-arrow"; arrow.setAttribute("aria-hidden", "true");
    arrow.textContent = "\\u2195"; arrow.style.opacity = "0.45";
    button.appendChild(arrow);
    button.title = "Sort by " + label;
    th.textContent = ""; th.appendChild(button); th.scope = "col";
    button.onclick = function () {
      var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
      heads.forEach(function (other) {
        other.removeAttribute("aria-sort");
        var mark = other.querySelector(".re-sort-arrow");
        if (mark) { mark.textContent = "\\u2195"; mark.style.opacity = "0.45"; }
      });
      th.setAttribute("aria-sort", dir > 0 ? "ascending" : "descending");
      arrow.textContent = dir > 0 ? "\\u25b2" : "\\u25bc"; arrow.style.opacity = "1";
      rows.sort(function (a, b) {
        var x = a.cells[i].textContent.trim(), y = b.cells[i].textContent.trim();
        var nx = parseFloat(x.replace(/,/g, "")), ny = parseFloat(y.replace(/,/g, ""));
        if (number.test(x) && number.test(y)) return dir * (nx - ny);
        return dir * x.localeCompare(y);
      });
      rows.forEach(function (r) { body.appendChild(r); });
    };
  });
})(document.currentScript && document.currentScript.parentElement);
</script>"""


def setup_notebook() -> None:
    """Set pandas display options and the charts' matplotlib style (from matplotlib's defaults)."""
    for key, value in PANDAS_OPTIONS.items():
        pd.set_option(key, value)
    from russian_emigration.charts import apply_style

    apply_style()


# ---------------------------------------------------------------- escaping
def escape_markdown(text: str) -> str:
    """Text from the data made inert in Markdown and in HTML: entities for HTML, backslashes for Markdown."""
    out = []
    for char in str(text):
        if char in "&<>\"'":
            out.append(html.escape(char, quote=True))
        elif char in _MARKDOWN_SPECIAL:
            out.append("\\" + char)
        elif char in "\r\n":
            out.append(" ")
        else:
            out.append(char)
    return "".join(out)


class _Formatter(string.Formatter):
    """str.format that passes every formatted value through ``escape``."""

    def __init__(self, escape: Any) -> None:
        self.escape = escape

    def format_field(self, value: Any, format_spec: str) -> str:
        return self.escape(super().format_field(value, format_spec))


class Prose:
    """A sentence from the project's Markdown template with values from the data, escaped."""

    def __init__(self, template: str, **values: Any) -> None:
        self.markdown = _Formatter(escape_markdown).format(template, **values)
        self.text = _Formatter(str).format(template, **values).replace("**", "")

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/markdown": self.markdown, "text/plain": self.text}

    def __repr__(self) -> str:
        return self.text


def prose(template: str, **values: Any) -> Prose:
    """The template (Markdown, the project's own) with ``{name}`` fields filled from ``values``, escaped."""
    return Prose(template, **values)


def show(template: str, **values: Any) -> None:
    """Display a sentence: ``template`` is Markdown, every value is escaped (see :func:`prose`)."""
    from IPython.display import display

    display(Prose(template, **values))


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """'1 notable emigrant', '2 notable emigrants' (``plural_form`` for irregular nouns)."""
    return f"{count:,} {noun if count == 1 else plural_form or noun + 's'}"


def listing(items: list[str], conjunction: str = "and") -> str:
    """'A', 'A and B', 'A, B and C'."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {conjunction} " + items[-1]


# ---------------------------------------------------------------- values for people
def long_date(day: Any) -> str:
    """A day as a reader writes it in a sentence: '1 January 2022' (no leading zero)."""
    return f"{day.day} {day:%B %Y}"


def format_value(value: Any, column: str = "", decimals: int | None = None) -> str:
    """A cell as a reader reads it: blanks for missing, integers without decimals, labels for codes.

    With ``decimals``, a number always shows exactly that many decimals (a computed share: 59.0, 30.7).
    """
    if value is None or (not isinstance(value, list | tuple) and pd.isna(value)):
        return ""
    if isinstance(value, list | tuple):
        return "; ".join(format_value(v, column, decimals) for v in value)
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if _is_number(value) and decimals is not None:
        return f"{float(value):,.{decimals}f}"
    if _is_number(value):
        if float(value).is_integer():
            return f"{int(value)}" if column.endswith("_id") else f"{int(value):,}"
        return f"{float(value):,.2f}".rstrip("0").rstrip(".")
    text = str(value)
    return code_label(column, text) if is_code_column(column) else text


def _is_number(value: Any) -> bool:
    """A number of any kind (Python's or numpy's, as a table's rows yield them), not a yes/no."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


#: A date text up to this long ("2022-09-21", "Sep 2022") stays on one line; a longer one ("after 21 Sep
#: 2022 (no date in the source)") wraps like any text, so its column does not push the table wider.
SHORT_DATE_CHARS = 12
#: A cell longer than this (a note, a title, a long description) may break inside a word when its
#: column is narrow, so its longest word does not set the table's width; it still breaks at spaces
#: and hyphens first. Shorter cells ("Argentina", "applications") never break mid-word.
LONG_TEXT_CHARS = 25
#: Columns of short words ("humanitarian admissions (people)") that break between words only, however long.
WHOLE_WORD_COLUMNS = {"measure_unit", "period"}


def _nowrap(column: str, text: str) -> bool:
    """Whether a cell stays on one line: a short date (a long date text wraps like any other text)."""
    is_date = column.endswith("_date") or column in {"when", "month", "as_of", "date"}
    return is_date and len(text) <= SHORT_DATE_CHARS


def csv_link(frame: pd.DataFrame, name: str, text: str = "Download these rows as CSV") -> str:
    """An HTML link that downloads ``frame`` (exactly its rows) as a CSV file, with no server."""
    payload = base64.b64encode(frame.to_csv(index=False, lineterminator="\n").encode("utf-8")).decode("ascii")
    return (
        f'<a class="csv-download" download="{html.escape(name)}.csv" '
        f'href="data:text/csv;charset=utf-8;base64,{payload}">{html.escape(text)}</a>'
    )


def source_link(source_id: str, text: str = "") -> str:
    """A source id as a link to its entry on the site's Sources page; with ``text`` (a publisher's name),
    the link reads ``text`` and shows the id as its tooltip."""
    sid = html.escape(str(source_id))
    if text:
        return f'<a href="{SOURCES_PAGE}#{sid}" title="{sid}">{html.escape(text)}</a>'
    return f'<a href="{SOURCES_PAGE}#{sid}">{sid}</a>'


def _cell_html(value: Any, column: str, decimals: int | None = None, text: str = "") -> str:
    if column in ("source_id", "source_ids") or column.endswith("_source_id"):
        # One id, or several joined by "; " (a row that sums up rows): each its own link.
        if not isinstance(value, str):
            return ""
        return "; ".join(source_link(v, text if "; " not in value else "") for v in value.split("; ") if v)
    if column == "period" and isinstance(value, str):  # '2022-09-21 to 2022-11-13' breaks between its dates only
        return " to ".join(f'<span style="white-space:nowrap">{html.escape(d)}</span>' for d in value.split(" to "))
    if column == "url" and isinstance(value, str) and _URL.match(value):
        return f'<a href="{html.escape(value)}">{html.escape(value)}</a>'
    return html.escape(format_value(value, column, decimals))


class Table:
    """A table for people: escaped HTML (links, labels, no truncation), a CSV download, a plain-text twin."""

    def __init__(
        self,
        frame: pd.DataFrame,
        columns: Mapping[str, str],
        *,
        name: str,
        empty: str,
        source: str = "",
        decimals: Mapping[str, int] | None = None,
        link_text: Mapping[str, str] | None = None,
    ):
        self.link_text = dict(link_text or {})
        extra = [c for c in self.link_text.values() if c not in columns]
        self.frame = frame[list(columns) + extra].reset_index(drop=True)
        self.decimals = dict(decimals or {})
        self.columns = dict(columns)
        self.name = name
        self.empty = empty
        self.source = source

    def csv_frame(self) -> pd.DataFrame:
        """Exactly the rows shown, headed as shown, with a source column."""
        out = pd.DataFrame(
            {
                title: [format_value(v, raw, self.decimals.get(raw)) for v in self.frame[raw]]
                for raw, title in self.columns.items()
            }
        )
        for column in self.link_text.values():  # the link's text (a publisher), in a column of its own
            if column not in self.columns:
                out[column] = [format_value(v, column) for v in self.frame[column]]
        if "source_id" not in self.columns and "source_ids" not in self.columns:
            out["source"] = self.source
        return out

    def plain(self) -> str:
        """The table as aligned plain text (the fallback for viewers without HTML)."""
        if self.frame.empty:
            return self.empty
        shown = self.csv_frame()
        shown.index = range(1, len(shown) + 1)
        return shown.to_string()

    def _repr_html_(self) -> str:
        if self.frame.empty:
            return f"<p>{html.escape(self.empty)}</p>"
        head = "".join(f'<th scope="col" style="text-align:left">{html.escape(t)}</th>' for t in self.columns.values())
        rows = []
        for i, record in enumerate(self.frame.to_dict("records"), start=1):
            cells = [f'<td style="text-align:right">{i}</td>']
            for raw in self.columns:
                label = record[self.link_text[raw]] if raw in self.link_text else ""
                cells.append(self._cell(record[raw], raw, format_value(label)))
            rows.append("<tr>" + "".join(cells) + "</tr>")
        # The table scrolls inside its own box (sideways on a phone, down when it is long), so its
        # headings can stay at the top of the box (sticky, in the site's stylesheet) while it scrolls.
        return (
            f'<div class="re-table"><div class="re-table-scroll">'
            f'<table class="dataframe re-table" id="{html.escape(self.name)}">'
            '<thead><tr><th scope="col"></th>'
            f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
            f"<p>{csv_link(self.csv_frame(), self.name)}</p>"
            f"{INTERACTIVE_SCRIPT if len(self.frame) > INTERACTIVE_ROWS else ''}</div>"
        )

    def _cell(self, value: Any, raw: str, link_text: str = "") -> str:
        """One ``<td>``: numbers right-aligned on one line, short dates on one line, other text wraps."""
        decimals = self.decimals.get(raw)
        if _is_number(value) and not raw.endswith("_id"):
            style = "text-align:right;white-space:nowrap"
        elif _nowrap(raw, text := link_text or format_value(value, raw, decimals)):
            style = "text-align:left;white-space:nowrap"
        elif len(text) > LONG_TEXT_CHARS and raw not in WHOLE_WORD_COLUMNS:
            style = "text-align:left;overflow-wrap:anywhere"
        else:
            style = "text-align:left"
        return f'<td style="{style}">{_cell_html(value, raw, decimals, link_text)}</td>'

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        if self.frame.empty:
            return {"text/markdown": escape_markdown(self.empty), "text/plain": self.empty}
        return {"text/html": self._repr_html_(), "text/plain": self.plain()}

    def __len__(self) -> int:
        return len(self.frame)


def table(
    frame: pd.DataFrame,
    columns: str | Mapping[str, str] | list[str],
    *,
    name: str = "",
    empty: str = "",
    source: str = "",
) -> Table:
    """Pick and rename columns for display; ``empty`` is the sentence shown when there are no rows.

    ``columns`` is the name of a layout in :data:`russian_emigration.layouts.TABLES` (which also names
    the CSV download), a mapping of column to heading, or a list of columns. ``source`` fills the
    CSV's source column when the rows carry no ``source_id``.
    """
    from russian_emigration.layouts import DECIMALS, LINK_TEXT, TABLES

    decimals = DECIMALS.get(columns, {}) if isinstance(columns, str) else {}
    link_text = LINK_TEXT.get(columns, {}) if isinstance(columns, str) else {}
    if isinstance(columns, str):
        name, mapping = name or columns, TABLES[columns]
    else:
        mapping = dict(columns) if isinstance(columns, Mapping) else {c: c for c in columns}
    return Table(
        frame,
        mapping,
        name=name or "table",
        empty=empty or "No rows match this selection.",
        source=source,
        decimals=decimals,
        link_text=link_text,
    )
