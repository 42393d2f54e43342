"""The notebooks' charts: each function takes tidy frames from ``analysis`` and returns a chart or a sentence.

A :class:`Chart` displays as a 150 dpi PNG with alt text computed from the data, a source footnote of
clickable links and a CSV download of exactly the rows it draws. When a selection has nothing to
draw (or a bar chart would have one bar), the function returns a :class:`Note` instead: one plain
sentence saying what is missing for which selection. Colours, markers and labels come from fixed
maps keyed by the descriptor's vocabularies, so a category keeps its colour in every chart.
"""

from __future__ import annotations

import html
import io
import re
import textwrap
from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import pandas as pd

from russian_emigration.labels import code_label
from russian_emigration.notebook import SOURCES_PAGE, Prose, csv_link, escape_markdown, plural

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.text import Text

    from russian_emigration.loader import Dataset

#: One colour per stance toward emigrants (colour-blind-safe Okabe-Ito palette), plus "not stated".
STANCE_COLORS = {
    "welcoming": "#009E73",
    "restrictive": "#E69F00",
    "hostile": "#D55E00",
    "mixed": "#CC79A7",
    "neutral": "#0072B2",
    "not stated": "#999999",
}
#: Marker per qualifier of an estimate: more than, about, up to, exact; a range is a bar.
BOUND_MARKERS = {"at_least": "^", "approx": "o", "at_most": "v", "exact": "s", "range": "|"}
BOUND_NOTE = "Markers: ▲ at least, ● about, ▼ at most, ■ exact; bars are ranges."
#: One colour per measure of the estimates table (fixed, so a measure has one colour everywhere).
MEASURE_COLORS = {
    "left_russia": "#0072B2",
    "left_russia_it_specialists": "#56B4E9",
    "remained_abroad": "#004C7A",
    "emigrated_official": "#7F7F7F",
    "entered": "#E69F00",
    "left_destination": "#CC79A7",
    "remained": "#009E73",
    "settled": "#D55E00",
    "immigrated_official": "#000000",
    "net_migration_official": "#8C564B",
    "residence_permits": "#9467BD",
    "asylum_applications": "#BCBD22",
    "humanitarian_admissions": "#17BECF",
    "citizenship_granted": "#F0E442",
    "border_exits": "#AEC7E8",
    "border_entries": "#FFBB78",
    "share_fearing_repression": "#D55E00",
    "share_left_mainly_for_mobilization": "#0072B2",
    "share_returned": "#009E73",
    "share_settled_in_destination": "#CC79A7",
    "net_border_entries": "#C49C94",
    "entered_it_specialists": "#FFD166",
    "resident_population": "#2CA02C",
    "registered_residents": "#98DF8A",
    "residence_permit_holders": "#C5B0D5",
    "residence_applications": "#E377C2",
    "citizenship_applications": "#DBDB8D",
    "stay_extensions": "#9EDAE5",
    "immigration_applications": "#393B79",
    "returned_to_russia": "#843C39",
    "share_of_immigrants": "#637939",
}
#: One colour per starting point of a count of people who left (see ``analysis.COUNTED_FROM``).
COUNTED_FROM_COLORS = {"invasion": "#0072B2", "mobilization": "#E69F00", "increment": "#999999"}
#: One colour per kind of published vote figure, and per answer of the exit poll.
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
BAR_COLOR = "#0072B2"
GREY = "#999999"
DPI = 150
#: Every chart is this wide (inches): the report shows charts about 688 px wide, so at this width one
#: point of type is about 1.3 px on screen (688 / (WIDTH * 72)).
WIDTH = 7.5
#: Type sizes in points: about 12-13 px on screen for labels and ticks, 10 px for footnotes.
TICK_SIZE = 9.5
NOTE_SIZE = 8.0

STYLE: dict[str, Any] = {
    "figure.figsize": (WIDTH, 4.5),
    "figure.dpi": 100,
    "savefig.dpi": DPI,
    "font.size": 10,
    "xtick.labelsize": TICK_SIZE,
    "ytick.labelsize": TICK_SIZE,
    "legend.fontsize": TICK_SIZE,
    "legend.title_fontsize": TICK_SIZE,
    "axes.labelsize": 10,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.frameon": False,
    "text.parse_math": False,  # text from the data is drawn literally: a "$" is a dollar sign
    "svg.hashsalt": "russian-emigration",
}


def apply_style() -> None:
    """Start from matplotlib's own defaults (a user's matplotlibrc changes nothing), then the project's style."""
    import matplotlib as mpl

    mpl.rcdefaults()
    style: dict[Any, Any] = dict(STYLE)
    mpl.rcParams.update(style)


# ---------------------------------------------------------------- outputs
class Note(Prose):
    """One plain sentence shown instead of a chart or table that would have nothing (or one bar) to show."""

    def __init__(self, sentence: str) -> None:
        super().__init__("{sentence}", sentence=sentence)


def file_stem(title: str, limit: int = 60) -> str:
    """A file name stem from ``title``: lower-case words joined by '-', cut at a word boundary within ``limit``."""
    words = re.sub(r"[^a-z0-9]+", " ", title.lower()).split()
    stem = ""
    for word in words:
        longer = f"{stem}-{word}" if stem else word
        if len(longer) > limit:
            break
        stem = longer
    return stem or (words[0][:limit] if words else "chart")


class Chart:
    """A drawn figure with its alt text, the rows it draws (for the CSV) and its sources."""

    def __init__(self, fig: Figure, *, alt: str, data: pd.DataFrame, sources: pd.DataFrame, name: str = "") -> None:
        self.fig, self.alt, self.data, self.sources = fig, alt, data, sources
        title = fig.axes[0].get_title(loc="left") or fig.axes[0].get_title() if fig.axes else ""
        self.name = name or file_stem(title)

    def png(self) -> bytes:
        """The figure as a PNG at :data:`DPI`, without a timestamp or software stamp."""
        buffer = io.BytesIO()
        self.fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
        return buffer.getvalue()

    def footnote_html(self) -> str:
        """The sources as links to their entries on the Sources page, and to the publisher's page."""
        parts = []
        for row in self.sources.itertuples():
            sid = html.escape(str(row.source_id))
            publisher = html.escape(str(row.publisher))
            url = str(row.url) if isinstance(row.url, str) and row.url.startswith(("http://", "https://")) else ""
            name = f'<a href="{html.escape(url)}">{publisher}</a>' if url else publisher
            parts.append(f'{name} [<a href="{SOURCES_PAGE}#{sid}">{sid}</a>]')
        return "Sources: " + "; ".join(parts) + "."

    def bundles(self) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """The two outputs a chart displays: the image with its alt text, then its linked sources and CSV.

        Two outputs, so that every viewer draws the image from ``image/png`` (a code host, nbconvert,
        MyST-NB, which read the alt text from the output's metadata) and the caption from HTML.
        """
        import base64

        png = base64.b64encode(self.png()).decode("ascii")
        image = ({"image/png": png, "text/plain": self.alt}, {"image/png": {"alt": self.alt}})
        caption = (
            f'<p class="re-chart-caption" style="font-size:0.85em">{self.footnote_html()} '
            f"{csv_link(self.data, self.name, 'Download the data behind this chart as CSV')}</p>"
        )
        plain = "Sources: " + "; ".join(f"{r.publisher} [{r.source_id}]" for r in self.sources.itertuples()) + "."
        return [image, ({"text/html": caption, "text/plain": plain}, {})]

    def _ipython_display_(self) -> None:
        from IPython.display import display

        for data, metadata in self.bundles():
            display(data, raw=True, metadata=metadata)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> tuple[dict[str, Any], dict[str, Any]]:
        return self.bundles()[0]

    def __repr__(self) -> str:
        return self.alt


Shown = Chart | Note


# ---------------------------------------------------------------- shared pieces
def _figure(height: float) -> tuple[Figure, Axes]:
    """A figure :data:`WIDTH` inches wide and ``height`` inches tall, with one axes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH, height))
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


#: Up to this many sources are named inside a chart's image; more would be unreadably small there.
MAX_SOURCES_IN_IMAGE = 8


#: Characters of footnote text per line: the figure's width over an average character at NOTE_SIZE.
FOOTNOTE_CHARS = int((WIDTH - 0.2) * 72 / (NOTE_SIZE * 0.58))


def source_footnote(sources: pd.DataFrame, width: int = FOOTNOTE_CHARS) -> str:
    """The footnote drawn in the image: 'Sources: publisher [source_id]; ...'.

    A chart with more than ``MAX_SOURCES_IN_IMAGE`` sources says how many there are instead: the
    linked list printed under every chart names them all.
    """
    if len(sources) > MAX_SOURCES_IN_IMAGE:
        return (
            f"Sources: {len(sources)} publications, each named and linked under this chart "
            "and in 'Caveats and sources'."
        )
    entries = [f"{row.publisher} [{row.source_id}]" for row in sources.sort_values("source_id").itertuples()]
    return textwrap.fill("Sources: " + "; ".join(entries) + ". Full references in 'Caveats and sources'.", width)


def finish(
    fig: Figure, ax: Axes, *, title: str, xlabel: str, ylabel: str, sources: pd.DataFrame, note: str = ""
) -> None:
    """Give a chart its title, axis labels (with units) and a footnote listing its sources."""
    # y=1.0 is where matplotlib's automatic placement puts it (no axis of ours has ticks or an offset
    # text on top); given, matplotlib does not measure every y tick label again at each layout and draw.
    heading = ax.set_title(title, y=1.0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    footnote = source_footnote(sources)
    if note:
        footnote = textwrap.fill(note, width=FOOTNOTE_CHARS) + "\n" + footnote
    lines = footnote.count("\n") + 1
    below = 0.12 + NOTE_SIZE * 1.25 / 72 * lines  # inches kept for the footnote
    below += _legend_below(fig, ax, below)
    height = fig.get_size_inches()[1]
    fig.text(0.01, 0.06 / height, footnote, fontsize=NOTE_SIZE, color="#444444", va="bottom", ha="left")
    _fit_title(fig, heading)
    _tight_layout(fig, ax, rect=(0, below / height, 1, 1))
    for _ in range(3):  # widening the axis for its value labels can bring a wider tick label: lay out again
        if not _room_for_annotations(fig, ax):
            break
        _tight_layout(fig, ax, rect=(0, below / height, 1, 1))
    # The title starts at the figure's left edge, like the footnote, not after the longest tick label.
    heading.set_x(-(ax.bbox.x0 - 0.01 * fig.bbox.width) / ax.bbox.width)
    # tight_layout leaves a placeholder layout engine, which makes savefig draw the whole figure once
    # more before drawing it; the layout is applied already, so drop the engine (the image is the same).
    fig.set_layout_engine(None)


def _tight_layout(fig: Figure, ax: Axes, rect: tuple[float, float, float, float]) -> None:
    """``fig.tight_layout(rect=rect)``, measuring the axes once.

    Given a ``rect``, matplotlib computes the layout twice from the axes' tight box, measuring every
    tick label, title and axis label both times though nothing moves in between; the second pass gets
    the box the first one measured, so the layout is the same.
    """
    real = ax.get_tightbbox
    measured: dict[tuple[Any, ...], Any] = {}

    def once(renderer: Any = None, *args: Any, **kwargs: Any) -> Any:
        key = (id(renderer), args, tuple(sorted(kwargs.items())))
        if key not in measured:
            measured[key] = real(renderer, *args, **kwargs)
        return measured[key].frozen()

    ax.get_tightbbox = once  # type: ignore[method-assign]
    try:
        fig.tight_layout(rect=rect)
    finally:
        del ax.get_tightbbox


def _legend_below(fig: Figure, ax: Axes, above: float) -> float:
    """Move the axes' legend under the plot, ``above`` inches from the bottom, in as many columns as fit.

    The figure grows by the legend's height, so the plot keeps its size; returns that height (inches).
    A legend beside the plot would take a third of a chart this narrow.
    """
    legend = ax.get_legend()
    if legend is None:
        return 0.0
    handles, labels = ax.get_legend_handles_labels()
    title = legend.get_title().get_text() or None
    legend.remove()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    width, height = fig.get_size_inches()
    for ncols in range(len(labels), 0, -1):
        placed = fig.legend(handles, labels, title=title, ncols=ncols, loc="lower left", alignment="left")
        box = placed.get_window_extent(renderer)
        if box.width <= fig.bbox.width * 0.97 or ncols == 1:
            break
        placed.remove()
    extra = box.height / fig.dpi + 0.05
    fig.set_size_inches(width, height + extra)
    placed.set_bbox_to_anchor((0.0, above / (height + extra)), transform=fig.transFigure)
    return extra


def _room_for_annotations(fig: Figure, ax: Axes) -> bool:
    """Widen a numeric x axis until every value label written beside a bar or marker ends inside the figure.

    Returns whether the axis was widened.
    """
    from matplotlib.dates import DateFormatter

    if not ax.texts or isinstance(ax.xaxis.get_major_formatter(), DateFormatter):
        return False
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    for step in range(12):
        right = max(t.get_window_extent(renderer).x1 for t in ax.texts)
        if right <= fig.bbox.width - 6:
            return step > 0
        lo, hi = ax.get_xlim()
        ax.set_xlim(lo, lo + (hi - lo) * 1.12)
    return True


def _fit_title(fig: Figure, title: Text) -> None:
    """Wrap the title onto more lines while it is wider than the figure (it starts at the figure's left edge)."""
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    text = title.get_text()
    room = fig.bbox.width * 0.97
    for width in range(len(text), 20, -4):
        title.set_text(textwrap.fill(text, width))
        if title.get_window_extent(renderer).width <= room:
            return


def thousands(ax: Axes, axis: str = "y", nbins: int = 6) -> None:
    """Format an axis's tick labels with thousands separators (never "-0")."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_locator(MaxNLocator(nbins=nbins))
    target.set_major_formatter(FuncFormatter(lambda v, _pos: f"{abs(v) if v == 0 else v:,.0f}"))


def date_axis(ax: Axes, start: pd.Timestamp, end: pd.Timestamp) -> None:
    """Show [start, end] on the x axis with ticks made for that span: always a year, never hours."""
    from matplotlib import dates as mdates

    if end <= start:  # a one-day window: show that whole day
        end = start + pd.Timedelta(days=1)
    days = (end - start).days
    if days <= 45:
        locator: Any = mdates.DayLocator(bymonthday=[1, 8, 15, 22])
        fmt = "%d %b %Y"
    elif days <= 200:
        locator, fmt = mdates.MonthLocator(), "%b %Y"
    elif days <= 550:
        locator, fmt = mdates.MonthLocator(bymonth=[1, 4, 7, 10]), "%b %Y"
    elif days <= 1100:
        locator, fmt = mdates.MonthLocator(bymonth=[1, 7]), "%b %Y"
    else:
        locator, fmt = mdates.YearLocator(), "%Y"
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.DateFormatter(fmt))
    ax.xaxis.set_minor_locator(mdates.MonthLocator() if days > 45 else mdates.DayLocator())
    ax.set_xlim(start, end)


def data_window(dates: pd.Series, start: date | None, end: date | None) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The window to show: the given one, or the data's span padded by a month (at least two months wide)."""
    if start is not None and end is not None:
        return pd.Timestamp(start), pd.Timestamp(end)
    first, last = pd.Timestamp(dates.min()), pd.Timestamp(dates.max())
    pad = max(pd.Timedelta(days=30), (last - first) * 0.05)
    return (pd.Timestamp(start) if start else (first - pad).normalize(), pd.Timestamp(end) if end else last + pad)


def _span(dates: pd.Series) -> str:
    first, last = pd.Timestamp(dates.min()), pd.Timestamp(dates.max())
    if first.to_period("M") == last.to_period("M"):
        return f"in {first:%B %Y}"
    return f"from {first:%B %Y} to {last:%B %Y}"


def _number(value: Any) -> str:
    """A number as a reader reads it: 110,000 (not 110,000.0), 45.5."""
    value = float(value)
    return f"{value:,.0f}" if value.is_integer() else f"{value:,.1f}"


def _range(low: Any, high: Any, unit: str) -> str:
    if float(low) == float(high):
        return f"{_number(low)}{unit}"
    return f"from {_number(low)}{unit} to {_number(high)}{unit}"


def _drawn(frame: pd.DataFrame, columns: Sequence[str], **extra: Any) -> pd.DataFrame:
    """The rows a chart draws, for its CSV: the given columns (those present) and a source column."""
    present = [c for c in columns if c in frame.columns]
    out = frame[present].copy()
    for key, value in extra.items():
        out[key] = value
    if "source_id" in frame.columns:
        out = out.drop(columns="source_id", errors="ignore").assign(source_id=frame["source_id"].to_numpy())
    return out.reset_index(drop=True)


def _sources(ds: Dataset, *frames: pd.DataFrame) -> pd.DataFrame:
    return ds.sources_for(*frames)


# ---------------------------------------------------------------- estimates over time
def plot_estimates(
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
    name: str = "",
) -> Shown:
    """Estimates at their ``plot_date``: colour by ``color_by`` (counted_from or measure), marker by bound.

    ``events`` (optional) are drawn as dotted vertical lines labelled by category.
    """
    events = events if events is not None else pd.DataFrame(columns=["event_date_first", "category"])
    if estimates.empty and events.empty:
        return Note(empty)
    colors = COUNTED_FROM_COLORS if color_by == "counted_from" else MEASURE_COLORS
    dates = pd.concat([estimates["plot_date"], events["event_date_first"]])
    lo, hi = data_window(dates, start, end)
    fig, ax = _figure(4.8)
    for group in [g for g in colors if g in set(estimates[color_by])]:
        rows = estimates[estimates[color_by] == group]
        color = colors[group]
        for row in rows.itertuples():
            if row.bound == "range":
                ax.vlines(row.plot_date, row.value, row.value_high, color=color, linewidth=3)
            else:
                ax.scatter(row.plot_date, row.value, marker=BOUND_MARKERS[row.bound], color=color, s=45, zorder=3)
        label = rows["counted_from_label"].iloc[0] if color_by == "counted_from" else code_label("measure", group)
        ax.plot([], [], color=color, linewidth=3, label=label)
    _event_lines(ax, events, lo, hi)
    ax.set_ylim(bottom=0, top=max(1.0, float(estimates[["value", "value_high"]].max().max() or 0)) * 1.1)
    thousands(ax)
    date_axis(ax, lo, hi)
    if not estimates.empty:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), title=None)
    sources = _sources(ds, estimates, events)
    finish(fig, ax, title=title, xlabel="date the figure refers to", ylabel=ylabel, sources=sources, note=note)
    alt = f"{title}: a timeline {_span(pd.Series([lo, hi]))}. " + _estimates_alt(estimates, color_by)
    if not events.empty:
        alt += f" Dotted lines mark {len(events)} dated events."
    data = pd.concat(
        [
            _drawn(estimates, ["estimate_id", "plot_date", "value", "value_high", "bound", color_by], drawn_as="point"),
            _drawn(events, ["event_id", "event_date_first", "category"], drawn_as="dotted line"),
        ],
        ignore_index=True,
    )
    return Chart(fig, alt=alt, data=data, sources=sources, name=name)


def _estimates_alt(estimates: pd.DataFrame, color_by: str) -> str:
    if estimates.empty:
        return "No estimate falls in this window."
    parts = []
    for group, rows in estimates.groupby(color_by, sort=True, observed=True):
        label = rows["counted_from_label"].iloc[0] if color_by == "counted_from" else code_label("measure", group)
        top = rows["value_high"].fillna(rows["value"]).max()
        if color_by == "counted_from":
            head = f"{len(rows)} counted since {label}"
        else:
            head = f"{label}: {plural(len(rows), 'estimate')}"
        parts.append(f"{head}, {_span(rows['plot_date'])}, " + _range(rows["value"].min(), top, " people"))
    return "Estimates: " + "; ".join(parts) + "."


def _event_lines(ax: Axes, events: pd.DataFrame, lo: pd.Timestamp, hi: pd.Timestamp) -> None:
    """Dotted lines for dated events; labels of events close together are merged, so none overlap."""
    close = (hi - lo) / 40
    groups: list[list[Any]] = []
    for row in events.sort_values("event_date_first").itertuples():
        ax.axvline(row.event_date_first, color="#777777", linestyle=":", linewidth=1)
        label = code_label("category", row.category)
        if groups and row.event_date_first - groups[-1][0] <= close:
            if label not in groups[-1][1]:
                groups[-1][1].append(label)
        else:
            groups.append([row.event_date_first, [label]])
    for when, labels in groups:
        ax.annotate(
            ", ".join(labels),
            (when, 1),
            xycoords=("data", "axes fraction"),
            rotation=90,
            va="top",
            ha="right",
            fontsize=NOTE_SIZE,
            color="#555555",
        )


# ---------------------------------------------------------------- one row per estimate
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
    name: str = "",
) -> Shown:
    """One row per estimate (``label`` names it): a marker for its qualifier, a bar for a range."""
    if estimates.empty:
        return Note(empty)
    colors = COUNTED_FROM_COLORS if color_by == "counted_from" else MEASURE_COLORS
    fig, ax = _figure(max(3.5, 0.3 * len(estimates) + 2.4))
    for y, row in enumerate(estimates.itertuples()):
        color = colors[getattr(row, color_by)]
        if row.bound == "range":
            ax.hlines(y, row.value, row.value_high, color=color, linewidth=6)
        else:
            ax.scatter(row.value, y, marker=BOUND_MARKERS[row.bound], color=color, s=50, zorder=3)
        ax.annotate(
            str(row.value_as_published),
            (row.value_high if row.bound == "range" else row.value, y),
            xytext=(6, 0),
            textcoords="offset points",
            va="center",
            fontsize=NOTE_SIZE,
        )
    for group in [g for g in colors if g in set(estimates[color_by])]:
        rows = estimates[estimates[color_by] == group]
        text = rows["counted_from_label"].iloc[0] if color_by == "counted_from" else code_label("measure", group)
        ax.plot([], [], color=colors[group], linewidth=6, label=text)
    ax.set_yticks(range(len(estimates)), estimates[label])
    ax.set_ylim(len(estimates) - 0.5, -0.5)
    top = float(estimates["value_high"].fillna(estimates["value"]).max())
    ax.set_xlim(0, 100 if percent else top * 1.5)
    if not percent:
        thousands(ax, "x", nbins=4)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    sources = _sources(ds, estimates)
    finish(fig, ax, title=title, xlabel=xlabel, ylabel="", sources=sources, note=note)
    unit = "%" if percent else " people"
    alt = f"{title}: {len(estimates)} rows, one per estimate, " + _range(estimates["value"].min(), top, unit) + "."
    data = _drawn(estimates, ["estimate_id", label, "value", "value_high", "bound", color_by, "value_as_published"])
    return Chart(fig, alt=alt, data=data, sources=sources, name=name)


# ---------------------------------------------------------------- counts
def bar_counts(
    ds: Dataset,
    counts: pd.DataFrame,
    *,
    label: str,
    value: str,
    title: str,
    xlabel: str,
    ylabel: str,
    empty: str,
    single: str,
    source_frames: Sequence[pd.DataFrame] = (),
    annotate: str | None = None,
    grey: Sequence[str] = (),
    note: str = "",
    noun: tuple[str, str] = ("", ""),
    name: str = "",
) -> Shown:
    """Horizontal bars, one per row of ``counts``; one row becomes the sentence ``single``, none ``empty``.

    ``single`` is formatted with the one row's columns, ``label``, ``value`` and ``count`` (the value
    with ``noun``, singular or plural: "1 notable emigrant").
    """
    from russian_emigration.notebook import plural

    shown = counts[counts[value] > 0]
    if shown.empty:
        return Note(empty)
    if len(shown) == 1:
        row = shown.iloc[0].to_dict()
        count = plural(int(row[value]), noun[0], noun[1]) if noun[0] else f"{row[value]:,}"
        return Note(single.format(**{**row, "label": row[label], "value": row[value], "count": count}))
    fig, ax = _figure(max(3.0, 0.3 * len(shown) + 2.2))
    colors = [GREY if v in grey else BAR_COLOR for v in shown[label]]
    ax.barh(list(range(len(shown))), shown[value].to_numpy(dtype=float), color=colors)
    ax.set_yticks(range(len(shown)), list(shown[label]))
    ax.set_ylim(len(shown) - 0.5, -0.5)
    integer = pd.api.types.is_integer_dtype(shown[value])
    if integer:
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(nbins="auto", steps=[1, 2, 2.5, 5, 10], integer=True))
    else:
        thousands(ax, "x", nbins=4)
    ax.set_xlim(0, float(shown[value].max()) * 1.15)
    for y, row in enumerate(shown.itertuples()):
        text = str(getattr(row, annotate)) if annotate else f"{getattr(row, value):,}"
        ax.annotate(
            text, (getattr(row, value), y), xytext=(4, 0), textcoords="offset points", va="center", fontsize=NOTE_SIZE
        )
    sources = _sources(ds, shown, *source_frames)
    finish(fig, ax, title=title, xlabel=xlabel, ylabel=ylabel, sources=sources, note=note)
    top, bottom = shown.loc[shown[value].idxmax()], shown.loc[shown[value].idxmin()]
    alt = (
        f"{title}: {len(shown)} bars. The longest is {top[label]} ({_number(top[value])}); "
        f"the shortest is {bottom[label]} ({_number(bottom[value])})."
    )
    data = shown[[label, value, *([annotate] if annotate else [])]].copy()
    data["source_id"] = "; ".join(sources["source_id"])
    return Chart(fig, alt=alt, data=data, sources=sources, name=name)


# ---------------------------------------------------------------- responses over time
def response_dots(ds: Dataset, matrix: pd.DataFrame, *, title: str, empty: str, note: str = "") -> Shown:
    """One row per country or body, one dot per dated response at its date, coloured by stance."""
    if matrix.empty:
        return Note(empty)
    rows = sorted(matrix["row_label"].unique())
    lo, hi = data_window(matrix["plot_date"], None, None)
    fig, ax = _figure(max(3.5, 0.3 * len(rows) + 2.4))
    for stance in [s for s in STANCE_COLORS if s in set(matrix["stance_label"])]:
        part = matrix[matrix["stance_label"] == stance]
        y = part["row_label"].map(rows.index)
        ax.scatter(part["plot_date"], y, color=STANCE_COLORS[stance], s=60, label=stance, edgecolor="white", zorder=3)
    ax.set_yticks(range(len(rows)), rows)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    date_axis(ax, lo, hi)
    ax.legend(title="stance toward emigrants", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    sources = _sources(ds, matrix)
    finish(fig, ax, title=title, xlabel="date of the response", ylabel="country or body", sources=sources, note=note)
    counts = matrix["stance_label"].value_counts()
    alt = (
        f"{title}: {plural(len(matrix), 'dated response')} of "
        f"{plural(len(rows), 'country or body', 'countries or bodies')}, {_span(matrix['plot_date'])}; "
        + ", ".join(f"{counts[s]} {s}" for s in STANCE_COLORS if s in counts.index)
        + "."
    )
    data = _drawn(matrix, ["event_id", "row_label", "event_date", "plot_date", "stance_label"])
    return Chart(fig, alt=alt, data=data, sources=sources)


def stance_years(ds: Dataset, counts: pd.DataFrame, *, title: str, empty: str, note: str = "") -> Shown:
    """Stacked bars, one per year, split by stance with the fixed :data:`STANCE_COLORS`.

    ``counts`` is ``analysis.responses_by_year``: one row per year and stance with ``responses``.
    """
    if counts.empty:
        return Note(empty)
    from matplotlib.ticker import MaxNLocator

    table = counts.pivot_table(index="year", columns="stance_label", values="responses", aggfunc="sum", fill_value=0)
    years = list(range(int(table.index.min()), int(table.index.max()) + 1))
    table = table.reindex(years, fill_value=0)
    sources = _sources(ds, counts.assign(source_id=counts["source_id"].str.split("; ")).explode("source_id"))
    lines = source_footnote(sources).count("\n") + 3  # the footnote, the note and the axis label
    fig, ax = _figure(3.2 + NOTE_SIZE * 1.25 / 72 * lines)
    bottom = pd.Series(0, index=table.index)
    for stance in [s for s in STANCE_COLORS if s in table.columns]:
        ax.bar([str(y) for y in years], table[stance], bottom=bottom, color=STANCE_COLORS[stance], label=stance)
        bottom = bottom + table[stance]
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(0, float(bottom.max()) * 1.1)
    ax.grid(axis="x", visible=False)
    ax.legend(title="stance toward emigrants", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    finish(fig, ax, title=title, xlabel="year of the response", ylabel="responses", sources=sources, note=note)
    parts = [
        f"{y}: "
        + ", ".join(f"{int(table.loc[y, s])} {s}" for s in STANCE_COLORS if s in table.columns and table.loc[y, s])
        for y in years
        if bottom[y]
    ]
    alt = f"{title}. " + "; ".join(parts) + "."
    data = _drawn(counts, ["year", "stance_label", "responses", "countries", "source_id"])
    return Chart(fig, alt=alt, data=data, sources=sources)


# ---------------------------------------------------------------- shares per row
def dot_rows(
    ds: Dataset,
    frame: pd.DataFrame,
    *,
    label: str,
    series: Mapping[str, str],
    colors: Mapping[str, str],
    title: str,
    xlabel: str,
    ylabel: str,
    empty: str,
    link: tuple[str, str] | None = None,
    source_frames: Sequence[pd.DataFrame] = (),
    note: str = "",
    name: str = "",
) -> Shown:
    """One row per ``label``; a dot per column of ``series`` (column -> legend text) on a 0-100 % axis.

    ``link`` joins two columns of a row with a grey line (e.g. exit poll to official result).
    """
    if frame.empty:
        return Note(empty)
    n = len(frame)
    fig, ax = _figure(max(3.5, 0.25 * n + 2.4))
    ys = list(range(n))
    if link is not None:
        ax.hlines(ys, frame[link[0]].astype(float), frame[link[1]].astype(float), color="#BBBBBB", linewidth=2)
    for column, text in series.items():
        ax.scatter(frame[column].astype(float), ys, color=colors[column], s=28, label=text, zorder=3)
    ax.set_yticks(ys, list(frame[label]))
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_xlim(0, 100)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    sources = _sources(ds, frame, *source_frames)
    finish(fig, ax, title=title, xlabel=xlabel, ylabel=ylabel, sources=sources, note=note)
    first = list(series)[0]
    top, bottom = frame.loc[frame[first].idxmax()], frame.loc[frame[first].idxmin()]
    alt = (
        f"{title}: {n} rows. {series[first]} ranges from {bottom[first]:.1f}% ({bottom[label]}) "
        f"to {top[first]:.1f}% ({top[label]})."
    )
    data = _drawn(frame, [label, *series])
    if "source_id" not in data.columns:
        data["source_id"] = "; ".join(sources["source_id"])
    return Chart(fig, alt=alt, data=data, sources=sources, name=name)


# ---------------------------------------------------------------- sources
def sources_table(ds: Dataset, *frames: pd.DataFrame) -> Any:
    """The sources of every given frame: id (a link to the Sources page), publisher, title, date, full URL."""
    from russian_emigration.notebook import table

    return table(
        ds.sources_for(*frames),
        {
            "source_id": "source",
            "publisher": "publisher",
            "title": "title",
            "published_date": "published",
            "url": "address",
        },
        name="sources",
        empty="Nothing shown on this page has a source in the data.",
    )


def labels_overlap(fig: Figure) -> list[tuple[str, str]]:
    """Pairs of tick labels on the same axis whose drawn boxes overlap (for tests)."""
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    pairs = []
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            ticks = axis._update_ticks()  # type: ignore[union-attr]  # where labels go, without drawing
            labels = [t.label1 for t in ticks if t.label1.get_visible() and t.label1.get_text()]
            boxes = [t.get_window_extent(renderer) for t in labels]
            for i in range(len(boxes) - 1):
                if boxes[i].overlaps(boxes[i + 1]):
                    pairs.append((labels[i].get_text(), labels[i + 1].get_text()))
    return pairs


__all__ = [
    "Chart",
    "Note",
    "apply_style",
    "bar_counts",
    "date_axis",
    "dot_rows",
    "escape_markdown",
    "estimate_rows",
    "plot_estimates",
    "response_dots",
    "sources_table",
]
