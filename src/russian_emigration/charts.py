"""Chart style and source footnotes shared by the notebooks. matplotlib is imported only when used."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: One colour per stance toward emigrants (colour-blind-safe Okabe-Ito palette).
STANCE_COLORS = {
    "welcoming": "#009E73",
    "restrictive": "#E69F00",
    "hostile": "#D55E00",
    "mixed": "#CC79A7",
    "neutral": "#0072B2",
    "not stated": "#999999",
}
#: Marker per qualifier of an estimate: more than, about, up to, exact.
BOUND_MARKERS = {"at_least": "^", "approx": "o", "at_most": "v", "exact": "s", "range": "_"}
GREY = "#999999"
SERIES_COLORS = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]

STYLE: dict[str, Any] = {
    "figure.figsize": (9.0, 5.0),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "font.size": 10,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.prop_cycle": None,  # set in apply_style (needs matplotlib's cycler)
    "legend.frameon": False,
    "svg.hashsalt": "russian-emigration",
}


def apply_style() -> None:
    """Set the project's matplotlib style (deterministic output, readable defaults)."""
    import matplotlib as mpl
    from cycler import cycler

    style: dict[Any, Any] = dict(STYLE, **{"axes.prop_cycle": cycler(color=SERIES_COLORS)})
    mpl.rcParams.update(style)


def source_footnote(sources: pd.DataFrame, width: int = 150) -> str:
    """A footnote naming every source of the plotted rows: 'Sources: publisher [source_id]; ...'."""
    entries = [f"{row.publisher} [{row.source_id}]" for row in sources.sort_values("source_id").itertuples()]
    text = "Sources: " + ("; ".join(entries) if entries else "none") + ". Full references in 'Caveats and sources'."
    return textwrap.fill(text, width=width)


def finish(
    fig: Figure, ax: Axes, *, title: str, xlabel: str, ylabel: str, sources: pd.DataFrame, note: str = ""
) -> None:
    """Give a chart its title, axis labels (with units) and a footnote listing its sources."""
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    footnote = source_footnote(sources)
    if note:
        footnote = textwrap.fill(note, width=150) + "\n" + footnote
    lines = footnote.count("\n") + 1
    height = fig.get_size_inches()[1]
    bottom = min(0.45, (0.18 + 0.16 * lines) / height)
    fig.text(0.01, 0.01, footnote, fontsize=7, color="#444444", va="bottom", ha="left")
    fig.tight_layout(rect=(0, bottom, 1, 1))


def thousands(ax: Axes, axis: str = "y") -> None:
    """Format an axis's tick labels with thousands separators."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_locator(MaxNLocator(nbins=6))
    target.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
