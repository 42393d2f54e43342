"""The notebooks' charts, from ``analysis``'s tidy frames: a :class:`Chart` (an inline SVG of real text whose
marks link to their sources, alt text, a caption of sources, a CSV of what it draws) or a :class:`Note` sentence."""

from __future__ import annotations

import functools
import html
import io
import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

import pandas as pd
from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from russian_emigration.dataset import Dataset
from russian_emigration.labels import code_label
from russian_emigration.notebook import SOURCES_PAGE, Prose, csv_link, format_value, plural, source_link, table
from russian_emigration.style import WIDTH

#: One colour per stance toward emigrants (colour-blind-safe Okabe-Ito palette), plus "not stated".
STANCE_COLORS = {
    "welcoming": "#009E73",
    "neutral": "#0072B2",
    "mixed": "#CC79A7",
    "restrictive": "#E69F00",
    "hostile": "#D55E00",
    "not stated": "#999999",
}
#: Marker per qualifier of an estimate: more than, about, up to, exact; a range is a bar.
BOUND_MARKERS = {"at_least": "^", "approx": "o", "at_most": "v", "exact": "s", "range": "|"}
BOUND_NOTE = "Markers: ▲ at least, ● about, ▼ at most, ■ exact; bars are ranges."
#: One colour per measure of the estimates table (a measure has one colour everywhere).
# fmt: off
MEASURE_COLORS = {
    "left_russia": "#0072B2", "left_russia_it_specialists": "#56B4E9", "remained_abroad": "#004C7A",
    "emigrated_official": "#7F7F7F", "entered": "#E69F00", "left_destination": "#CC79A7", "remained": "#009E73",
    "settled": "#D55E00", "immigrated_official": "#000000", "net_migration_official": "#8C564B",
    "residence_permits": "#9467BD", "asylum_applications": "#BCBD22", "humanitarian_admissions": "#17BECF",
    "citizenship_granted": "#F0E442", "border_exits": "#AEC7E8", "border_entries": "#FFBB78",
    "share_fearing_repression": "#D55E00", "share_left_mainly_for_mobilization": "#0072B2",
    "share_returned": "#009E73", "share_settled_in_destination": "#CC79A7", "net_border_entries": "#C49C94",
    "entered_it_specialists": "#FFD166", "resident_population": "#2CA02C", "registered_residents": "#98DF8A",
    "residence_permit_holders": "#C5B0D5", "residence_applications": "#E377C2", "citizenship_applications": "#DBDB8D",
    "stay_extensions": "#9EDAE5", "immigration_applications": "#393B79", "returned_to_russia": "#843C39",
    "share_of_immigrants": "#637939", "entries_counter_unstated": "#BC80BD",
}
# fmt: on
#: One colour per starting point of a count of people who left (see ``analysis.COUNTED_FROM``).
COUNTED_FROM_COLORS = {"invasion": "#0072B2", "mobilization": "#E69F00", "increment": "#999999"}
RESULT_KIND_COLORS = {"exit_poll": "#0072B2", "official": "#D55E00"}
ANSWER_COLORS = {
    "putin_pct": "#0072B2",
    "davankov_pct": "#E69F00",
    "kharitonov_pct": "#56B4E9",
    "slutsky_pct": "#CC79A7",
    "spoiled_pct": "#009E73",
    "declined_pct": "#999999",
    "ballot_removed_pct": "#000000",
}
BAR_COLOR, GREY = "#0072B2", "#999999"
#: Publishers named in a chart's caption before "and N more" (the full list opens under it).
CAPTION_SOURCES = 10
#: The CSV columns of an estimate, after its date or its name.
ESTIMATE_COLUMNS = {
    "value_as_published": "figure, as published",
    "value": "value",
    "value_high": "top of range",
    "bound": "qualifier",
}


class Note(Prose):
    """One plain sentence shown instead of a chart that would have nothing (or one bar) to show."""

    def __init__(self, sentence: str) -> None:
        super().__init__("{sentence}", sentence=sentence)


def file_stem(title: str, limit: int = 60) -> str:
    """A name from ``title``: lower-case words joined by '-', cut at a word boundary within ``limit``."""
    words = re.sub(r"[^a-z0-9]+", " ", title.lower())
    return textwrap.shorten(words, limit, placeholder="", break_long_words=False).replace(" ", "-") or "chart"


class Mark(NamedTuple):
    """One drawn mark: its sources, its tooltip, its link (their row on the Sources page, or the page filtered)."""

    source_ids: list[str]
    tip: str
    url: str


@dataclass
class Chart:
    """A drawn figure with its title, alt text, the rows it draws (for the CSV) and its sources."""

    fig: Figure
    title: str
    alt: str
    data: pd.DataFrame
    sources: pd.DataFrame
    marks: list[Mark] = field(default_factory=list)
    note: str = ""
    #: A map: shown as wide as the page's column allows (its text is larger than a chart's).
    wide: bool = False

    @property
    def name(self) -> str:
        """The chart's anchor on its page and the stem of its CSV file."""
        return file_stem(self.title)

    @functools.cached_property
    def svg(self) -> str:
        """The figure as inline SVG, drawn once (layout moves a little at each draw): ids prefixed, tooltips."""
        buffer = io.StringIO()
        self.fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
        svg = buffer.getvalue()
        svg = re.sub(r"\s*<metadata>.*?</metadata>|\s*<style.*?</style>", "", svg[svg.index("<svg") :], flags=re.S)
        prefix = f"{self.name}-"
        svg = re.sub(r'id="([^"]+)"', rf'id="{prefix}\1"', svg).replace(' target="_blank"', "")
        svg = svg.replace("url(#", f"url(#{prefix}").replace('xlink:href="#', f'href="#{prefix}')
        svg = svg.replace("xlink:href=", "href=").replace(' xmlns:xlink="http://www.w3.org/1999/xlink"', "")

        def tooltip(mark: re.Match[str]) -> str:  # a mark's tooltip and its link's accessible name: the same words
            tip = html.escape(self.marks[int(mark[2])].tip)
            return f'{mark[1]} class="re-mark"><title>{tip}</title>{mark[3]}<a aria-label="{tip}" '

        svg = re.sub(rf'(<g id="{re.escape(prefix)}mark-(\d+)"[^>]*)>(.*?)<a ', tooltip, svg, flags=re.S)
        named = f'role="group" aria-label="{html.escape(self.alt)}"'  # a function: a backslash in it stays one
        return re.sub(r'<svg (.*?)width="[^"]*" height="[^"]*"', lambda m: f"<svg {m[1]}{named}", svg, count=1)

    def caption_html(self) -> str:
        """A link per publisher (the first :data:`CAPTION_SOURCES` inline, the rest one click away), then the CSV."""
        by_publisher = self.sources.groupby("publisher", sort=False)["source_id"].agg(list)
        links = [source_link(ids, p if len(ids) == 1 else f"{p} ({len(ids)})") for p, ids in by_publisher.items()]
        listed, more = "; ".join(links[:CAPTION_SOURCES]), f"and {len(links) - CAPTION_SOURCES} more"
        rest = f' <details class="re-more"><summary>{more}</summary>{"; ".join(links[CAPTION_SOURCES:])}.</details>'
        listed += rest if len(links) > CAPTION_SOURCES else "."  # the full stop inside: a block follows
        note = f"{html.escape(self.note)} " if self.note else ""
        return f"{note}Sources: {listed} {csv_link(self.data, self.name, 'Download the data behind this chart (CSV)')}"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        markup = (
            f'<figure class="re-chart{" re-map" if self.wide else ""}" id="{self.name}">'
            f'<p class="re-chart-title">{html.escape(self.title)}</p>'
            f'<div class="re-chart-svg">{self.svg}</div><figcaption>{self.caption_html()}</figcaption></figure>'
        )
        sources = "; ".join(f"{r.publisher} [{r.source_id}]" for r in self.sources.itertuples())
        return {"text/html": markup, "text/plain": f"{self.alt}\nSources: {sources}."}

    def __repr__(self) -> str:
        return self.alt


@dataclass
class _Drawing:
    """A figure being drawn: its panels (a map may have two; the first holds the legend) and its marks so far."""

    fig: Figure
    axes: list[Axes]
    wide: bool = False
    marks: list[Mark] = field(default_factory=list)

    def mark(self, artist: Any, row: Any, tip: str) -> None:
        """Make ``artist`` a linked mark with a tooltip, citing the ``source_ids`` (or ``source_id``) of ``row``."""
        cited = getattr(row, "source_ids", getattr(row, "source_id", None))
        ids = [s for s in cited.split("; ") if s] if isinstance(cited, str) else []
        listed = ",".join(sorted(set(ids)))
        url = f"{SOURCES_PAGE}#ids={listed}" if "," in listed else f"{SOURCES_PAGE}#{listed}" if ids else SOURCES_PAGE
        artist.set_gid(f"mark-{len(self.marks)}")
        artist.set_urls([url]) if hasattr(artist, "set_urls") else artist.set_url(url)
        self.marks.append(Mark(ids, tip, url))

    def chart(self, ds: Dataset, title: str, alt: str, data: pd.DataFrame, note: str = "", legend: str = "") -> Chart:
        """The chart, with the sources its marks cite and the legend under the plot, in as many columns as fit."""
        handles, labels = self.axes[0].get_legend_handles_labels()
        if handles:
            ncols = 1 if max(len(label) for label in labels) > 28 else min(len(labels), 2)
            self.fig.legend(handles, labels, title=legend, loc="outside lower center", ncols=ncols)
        cited = ds.sources["source_id"].isin({s for mark in self.marks for s in mark.source_ids})
        sources = ds.sources[cited].sort_values("publisher", key=lambda s: s.str.lower(), ignore_index=True)
        publisher = ds.sources.set_index("source_id")["publisher"]
        marks = [m._replace(tip=_cited(m.tip, [publisher.get(i, i) for i in m.source_ids])) for m in self.marks]
        return Chart(self.fig, title, f"{title}. {alt}", data, sources, marks, note, self.wide)


def _cited(tip: str, publishers: list[str]) -> str:
    """A mark's tooltip that names its sources (the first two publishers), unless it already does."""
    names = list(dict.fromkeys(publishers))
    if not names or any(name in tip for name in names):
        return tip
    more = f" and {len(names) - 2} more" if len(names) > 2 else ""
    return f"{tip}; source{'s' if len(names) > 1 else ''}: {', '.join(names[:2])}{more}"


def _figure(rows: Sequence[str] = (), height: float = 4.0, counts: bool = False, **axes: Any) -> tuple[_Drawing, Axes]:
    """A figure :data:`WIDTH` wide, axes set to ``axes``, a row per label of ``rows``; ``counts``: integer y ticks."""
    fig = Figure(figsize=(WIDTH, max(height, 0.32 * len(rows) + 1.6)), layout="constrained")
    ax = fig.add_subplot(**axes)
    if len(rows):
        ax.set(yticks=range(len(rows)), yticklabels=rows, ylim=(len(rows) - 0.5, -0.5))
    if counts:
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(axis="x", visible=False)
    return _Drawing(fig, [ax]), ax


def thousands(axis: Axis, bins: int = 5) -> None:
    """Tick labels with thousands separators, at most ``bins`` + 1 of them."""
    axis.set_major_locator(MaxNLocator(nbins=bins))
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{abs(v) if v == 0 else v:,.0f}"))


def date_axis(ax: Axes, start: pd.Timestamp, end: pd.Timestamp) -> None:
    """Show [start, end] on the x axis: at most about six ticks whatever the span, always a year, never hours."""
    end = max(end, start + pd.Timedelta(days=1))
    days = (end - start).days
    if days <= 200:
        ax.xaxis.set_major_locator(mdates.MonthLocator(interval=days // 150 + 1))
    elif days <= 1100:
        ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=[1, 7]))
    else:
        ax.xaxis.set_major_locator(mdates.YearLocator(base=max(1, round(days / 365.25 / 5))))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y" if days > 1100 else "%b %Y"))
    ax.set_xlim(start, end)


def data_window(dates: pd.Series, start: date | None, end: date | None) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The span a timeline shows: the given window narrowed to the data in it, padded (never empty centuries)."""
    first, last = pd.Timestamp(dates.min()), pd.Timestamp(dates.max())
    pad = max(pd.Timedelta(days=31), (last - first) * 0.05)
    lo = first - pad if start is None else max(first - pad, pd.Timestamp(start))
    hi = last + pad if end is None else min(last + pad, pd.Timestamp(end))
    return lo.normalize(), hi


def _span(dates: pd.Series) -> str:
    first, last = pd.Timestamp(dates.min()), pd.Timestamp(dates.max())
    return f"in {first:%B %Y}" if first.to_period("M") == last.to_period("M") else f"from {first:%B %Y} to {last:%B %Y}"


def _number(value: Any) -> str:
    value = float(value)
    return f"{value:,.0f}" if value.is_integer() else f"{value:,.1f}"


def _range(low: Any, high: Any, unit: str) -> str:
    same = float(low) == float(high)
    return f"{_number(low)}{unit}" if same else f"from {_number(low)}{unit} to {_number(high)}{unit}"


def _wrap(text: Any, width: int = 30) -> str:
    """A long tick label on two lines (never more), so it does not take half the chart."""
    lines = textwrap.wrap(str(text), width)
    return "\n".join(lines[:1] + [" ".join(lines[1:])]) if len(lines) > 1 else str(text)


def readable(ds: Dataset, frame: pd.DataFrame, columns: Mapping[str, str]) -> pd.DataFrame:
    """What a chart draws, for its CSV: ``columns`` as readers read them, then each row's sources and addresses."""
    out = pd.DataFrame(
        {title: [format_value(v, raw, grouping=False) for v in frame[raw]] for raw, title in columns.items()}
    )
    cited = frame[[c for c in frame.columns if c == "source_id" or c.endswith("source_ids")]].astype(str)
    ids = [sorted({s for cell in row for s in cell.split("; ") if s and s != "nan"}) for row in cited.to_numpy()]
    sources = ds.sources.set_index("source_id")
    out["source_id"] = ["; ".join(i) for i in ids]
    for column in ("publisher", "url"):
        out[column] = ["; ".join(str(sources.at[s, column]) for s in i if s in sources.index) for i in ids]
    return out


def _draw_estimates(drawn: _Drawing, ax: Axes, estimates: pd.DataFrame, color_by: str, label: str = "") -> pd.DataFrame:
    """Each estimate a linked marker (a line for a range) at its date, or on its ``label`` row; a legend entry per
    ``color_by`` (counted_from or measure). Returns the estimates with their ``series`` as readers read it."""
    if color_by == "counted_from":
        colors, series = COUNTED_FROM_COLORS, estimates["counted_from_label"]
    else:
        colors, series = MEASURE_COLORS, [code_label("measure", code) for code in estimates["measure"]]
    estimates = estimates.assign(series=series)
    artist: Any
    for place, row in enumerate(estimates.itertuples()):
        color = colors[getattr(row, color_by)]
        if row.bound != "range":
            x, y = (row.value, place) if label else (row.plot_date, row.value)
            (artist,) = ax.plot([x], [y], BOUND_MARKERS[row.bound], color=color, markersize=7)
        elif label:
            artist = ax.hlines(place, row.value, row.value_high, color=color, linewidth=6)
        else:
            artist = ax.vlines(row.plot_date, row.value, row.value_high, color=color, linewidth=3)
        when = f"as of {row.as_of_date}" if isinstance(row.as_of_date, str) else "no date"
        name, source = getattr(row, label) if label else row.series, getattr(row, "publisher", row.source_id)
        drawn.mark(artist, row, f"{row.value_as_published} ({name}), {when}; {source}")
    legend = dict(zip(estimates[color_by], estimates["series"], strict=True))
    for group in [g for g in colors if g in legend]:
        ax.plot([], [], color=colors[group], linewidth=6 if label else 3, label=legend[group])
    return estimates


def timeline(
    ds: Dataset,
    estimates: pd.DataFrame,
    *,
    color_by: str,
    title: str,
    ylabel: str,
    empty: str,
    start: date | None = None,
    end: date | None = None,
    events: pd.DataFrame | None = None,
    note: str = "",
) -> Chart | Note:
    """Estimates at their ``plot_date``, coloured by ``color_by``, marked by bound; ``events`` as dotted lines."""
    events = events if events is not None else pd.DataFrame(columns=["event_date_first", "category", "source_id"])
    if estimates.empty and events.empty:
        return Note(empty)
    lo, hi = data_window(pd.concat([estimates["plot_date"], events["event_date_first"]]), start, end)
    top = float(pd.concat([estimates["value"], estimates["value_high"], pd.Series([1.0])]).max())
    drawn, ax = _figure(height=4.2, ylabel=ylabel, ylim=(0, top * 1.1))
    estimates = _draw_estimates(drawn, ax, estimates, color_by)
    _event_lines(drawn, ax, events)
    thousands(ax.yaxis)
    date_axis(ax, lo, hi)
    parts = [
        f"{series}: {plural(len(rows), 'estimate')}, {_span(rows['plot_date'])}, "
        + _range(rows["value"].min(), rows["value_high"].fillna(rows["value"]).max(), " people")
        for series, rows in estimates.groupby("series", sort=True)
    ]
    alt = f"A timeline {_span(pd.Series([lo, hi]))}. "
    alt += f"Estimates: {'; '.join(parts)}." if parts else "No estimate falls in this window."
    alt += f" Dotted lines mark {plural(len(events), 'dated event')}." if len(events) else ""
    data = readable(ds, estimates, {"as_of_date": "as of", **ESTIMATE_COLUMNS, "series": "series"})
    if len(events):
        lines = readable(ds, events, {"event_date": "as of", "category": "series", "summary": "figure, as published"})
        data = pd.concat([data.assign(drawn_as="marker"), lines.assign(drawn_as="dotted line")], ignore_index=True)
    return drawn.chart(ds, title, alt, data, note)


def _event_lines(drawn: _Drawing, ax: Axes, events: pd.DataFrame) -> None:
    """Dotted lines for dated events, each a linked mark; the labels of one month are merged, so none overlap."""
    if events.empty:
        return
    for _, rows in events.groupby(events["event_date_first"].dt.to_period("M"), sort=True):
        for row in rows.itertuples():
            artist = ax.axvline(row.event_date_first, color="#777777", linestyle=":", linewidth=1.2)
            drawn.mark(artist, row, f"{row.event_date}: {code_label('category', row.category)}. {row.summary}")
        text = ", ".join(dict.fromkeys(code_label("category", c) for c in rows["category"]))
        where = (rows["event_date_first"].min(), 1)
        ax.annotate(text, where, xycoords=("data", "axes fraction"), rotation=90, va="top", ha="right", color="#555555")


def months(
    ds: Dataset, counts: pd.DataFrame, *, events: pd.DataFrame, title: str, ylabel: str, empty: str, note: str = ""
) -> Chart | Note:
    """Bars of ``counts`` (``analysis.departures_by_month``) per month, dotted lines for the dated ``events``."""
    if int(counts["emigrants"].sum()) == 0:
        return Note(empty)
    starts = pd.PeriodIndex(counts["month"], freq="M").to_timestamp()
    end = starts.max() + pd.offsets.MonthEnd(1)
    drawn, ax = _figure(height=3.6, counts=True, ylabel=ylabel)
    for start, row in zip(starts, counts.itertuples(), strict=True):
        if row.emigrants:
            (bar,) = ax.bar([start + pd.Timedelta(days=15)], [row.emigrants], width=24, color=BAR_COLOR)
            drawn.mark(bar, row, f"{row.month}: {plural(row.emigrants, 'departure')} ({row.names})")
    _event_lines(drawn, ax, events[events["event_date_first"].between(starts.min(), end)])
    date_axis(ax, starts.min(), end)
    busiest = counts.loc[counts["emigrants"].idxmax()]
    alt = f"Departures by month, {_span(starts)}; the most in {busiest['month']} ({busiest['emigrants']})."
    data = readable(ds, counts[counts["emigrants"] > 0], {"month": "month", "emigrants": "departures", "names": "who"})
    return drawn.chart(ds, title, alt, data, note)


def estimate_rows(
    ds: Dataset,
    estimates: pd.DataFrame,
    *,
    label: str,
    color_by: str,
    title: str,
    xlabel: str,
    empty: str,
    percent: bool = False,
    note: str = BOUND_NOTE,
) -> Chart | Note:
    """One row per estimate, named by ``label`` and its wording: a marker for its qualifier, a bar for a range."""
    if estimates.empty:
        return Note(empty)
    top = float(estimates["value_high"].fillna(estimates["value"]).max())
    named = estimates[label].astype(str) + ": " + estimates["value_as_published"].astype(str)
    rows = ["\n".join(textwrap.wrap(text, 32)) for text in named]
    height = 0.55 * len(rows) + 1.6  # a row's label is its source and the figure as worded, on up to three lines
    drawn, ax = _figure(rows, height, xlabel=xlabel, xlim=(0, 100 if percent else top * 1.05))
    _draw_estimates(drawn, ax, estimates, color_by, label)
    if not percent:
        thousands(ax.xaxis, bins=3)  # the plot is narrow beside its labels
    unit = "%" if percent else " people"
    alt = f"{len(estimates)} rows, one per estimate, {_range(estimates['value'].min(), top, unit)}."
    data = readable(ds, estimates, {label: "estimate", **ESTIMATE_COLUMNS, "as_of_date": "as of"})
    return drawn.chart(ds, title, alt, data, note)


def bars(
    ds: Dataset,
    counts: pd.DataFrame,
    *,
    label: str,
    value: str,
    title: str,
    xlabel: str,
    empty: str,
    single: str,
    annotate: str | None = None,
    grey: Sequence[str] = (),
    noun: tuple[str, str] = ("", ""),
    note: str = "",
) -> Chart | Note:
    """A bar per row of ``counts`` (sources in ``source_id`` or ``source_ids``); no row gives the sentence ``empty``,
    one row ``single`` formatted with its columns, ``label``, ``value`` and ``count`` (with ``noun``: "1 person")."""
    shown = counts[counts[value] > 0].reset_index(drop=True)
    if shown.empty:
        return Note(empty)
    if len(shown) == 1:
        row = shown.iloc[0].to_dict()
        count = plural(int(row[value]), *noun) if noun[0] else f"{row[value]:,}"
        return Note(single.format(**{**row, "label": row[label], "value": row[value], "count": count}))
    drawn, ax = _figure([_wrap(v) for v in shown[label]], xlabel=xlabel, xlim=(0, float(shown[value].max()) * 1.25))
    for y, (row, name, number) in enumerate(zip(shown.itertuples(), shown[label], shown[value], strict=True)):
        (bar,) = ax.barh([y], [float(number)], color=GREY if name in grey else BAR_COLOR)
        text = str(getattr(row, annotate)) if annotate else f"{number:,}"
        drawn.mark(bar, row, f"{name}: {text}")
        ax.annotate(text, (float(number), y), xytext=(4, 0), textcoords="offset points", va="center")
    if pd.api.types.is_integer_dtype(shown[value]):
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    else:
        thousands(ax.xaxis)
    top, bottom = shown.loc[shown[value].idxmax()], shown.loc[shown[value].idxmin()]
    alt = f"{len(shown)} bars. The longest is {top[label]} ({_number(top[value])}); "
    alt += f"the shortest is {bottom[label]} ({_number(bottom[value])})."
    columns = {label: xlabel if label == "label" else label.replace("_", " ")}
    columns[value] = "count" if noun[0] else value.replace("_", " ")
    columns.update({annotate: annotate.replace("_", " ")} if annotate else {})
    return drawn.chart(ds, title, alt, readable(ds, shown, columns), note)


def response_dots(ds: Dataset, matrix: pd.DataFrame, *, title: str, empty: str, note: str = "") -> Chart | Note:
    """One row per country or body, one dot per dated response at its date, coloured by stance."""
    if matrix.empty:
        return Note(empty)
    rows = sorted(matrix["row_label"].unique())
    drawn, ax = _figure(rows)
    for row in matrix.itertuples():
        y, color = rows.index(row.row_label), STANCE_COLORS[row.stance_label]
        (dot,) = ax.plot([row.plot_date], [y], "o", color=color, markersize=8, markeredgecolor="white")
        drawn.mark(dot, row, f"{row.row_label}, {row.event_date}: {row.stance_label}. {row.summary}")
    for stance in [s for s in STANCE_COLORS if s in set(matrix["stance_label"])]:
        ax.plot([], [], "o", color=STANCE_COLORS[stance], label=stance)
    date_axis(ax, *data_window(matrix["plot_date"], None, None))
    counts = matrix["stance_label"].value_counts()
    stances = ", ".join(f"{counts[s]} {s}" for s in STANCE_COLORS if s in counts.index)
    bodies = plural(len(rows), "country or body", "countries or bodies")
    alt = f"{plural(len(matrix), 'dated response')} of {bodies}, {_span(matrix['plot_date'])}; {stances}."
    columns = {"row_label": "country or body", "event_date": "date", "stance_label": "stance"}
    data = readable(ds, matrix, {**columns, "category": "category", "summary": "what happened"})
    return drawn.chart(ds, title, alt, data, note, "stance toward emigrants")


def stance_years(ds: Dataset, counts: pd.DataFrame, *, title: str, empty: str, note: str = "") -> Chart | Note:
    """Stacked bars, one per year, split by stance: ``counts`` is ``analysis.responses_by_year``."""
    if counts.empty:
        return Note(empty)
    years = list(range(int(counts["year"].min()), int(counts["year"].max()) + 1))
    drawn, ax = _figure(height=3.6, counts=True, ylabel="responses")
    bottom = dict.fromkeys(years, 0)
    for stance in [s for s in STANCE_COLORS if s in set(counts["stance_label"])]:
        for row in counts[counts["stance_label"] == stance].itertuples():
            (bar,) = ax.bar([str(row.year)], [row.responses], bottom=[bottom[row.year]], color=STANCE_COLORS[stance])
            bottom[row.year] += row.responses
            drawn.mark(bar, row, f"{row.year}: {plural(row.responses, stance + ' response')} ({row.countries})")
        ax.bar([str(years[0])], [0], color=STANCE_COLORS[stance], label=stance)
    ax.set_xticks(range(len(years)), [str(y) for y in years])
    said = counts["responses"].astype(str) + " " + counts["stance_label"]
    alt = "; ".join(f"{year}: {', '.join(words)}" for year, words in said.groupby(counts["year"]))
    columns = {"year": "year", "stance_label": "stance", "responses": "responses", "countries": "countries or bodies"}
    return drawn.chart(ds, title, alt + ".", readable(ds, counts, columns), note, "stance toward emigrants")


def dot_rows(
    ds: Dataset,
    frame: pd.DataFrame,
    *,
    label: str,
    series: Mapping[str, str],
    colors: Mapping[str, str],
    title: str,
    xlabel: str,
    empty: str,
    link: tuple[str, str] | None = None,
    note: str = "",
    row_name: str = "row",
) -> Chart | Note:
    """A row per ``label`` (``row_name`` heads it in the CSV), a dot per ``series`` column (to its legend text) at its
    %; ``link`` joins two in grey."""
    if frame.empty:
        return Note(empty)
    drawn, ax = _figure(list(frame[label]), xlabel=xlabel, xlim=(0, 100))
    for y, row in enumerate(frame.itertuples()):
        if link is not None:
            ax.plot([getattr(row, link[0]), getattr(row, link[1])], [y, y], color="#BBBBBB", linewidth=2, zorder=1)
        for column, text in series.items():
            share = getattr(row, column)
            if pd.notna(share):
                (dot,) = ax.plot([float(share)], [y], "o", color=colors[column], markersize=6, zorder=3)
                drawn.mark(dot, row, f"{getattr(row, label)}: {text} {float(share):.1f}%")
    for column, text in series.items():
        ax.plot([], [], "o", color=colors[column], label=text)
    first = next(iter(series))
    top, bottom = frame.loc[frame[first].idxmax()], frame.loc[frame[first].idxmin()]
    alt = f"{len(frame)} rows. {series[first]} ranges from {bottom[first]:.1f}% ({bottom[label]}) "
    alt += f"to {top[first]:.1f}% ({top[label]})."
    data = readable(ds, frame, {label: row_name, **{c: f"{t} (%)" for c, t in series.items()}})
    return drawn.chart(ds, title, alt, data, note)


def sources_table(ds: Dataset, *frames: pd.DataFrame) -> Any:
    """The sources of every given frame: id (a link to the Sources page), publisher, title, date, full address."""
    return table(ds.sources_for(*frames), "sources", empty="Nothing shown on this page has a source in the data.")
