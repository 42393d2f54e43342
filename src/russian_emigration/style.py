"""The charts' matplotlib style: one place, applied by ``setup_notebook()`` and usable on its own."""

from __future__ import annotations

from typing import Any

#: Charts are this wide (inches); the site never shows them wider, and a phone 390 px wide shows
#: them about 340 px wide, so text of MIN_TEXT_PT points stays at 9 CSS pixels or more there.
WIDTH = 5.0
MIN_TEXT_PT = 10
STYLE: dict[str, Any] = {
    "figure.figsize": (WIDTH, 4.0),
    "font.size": MIN_TEXT_PT,
    "font.sans-serif": ["DejaVu Sans", "Verdana", "Arial"],
    "axes.labelsize": MIN_TEXT_PT,
    "xtick.labelsize": MIN_TEXT_PT,
    "ytick.labelsize": MIN_TEXT_PT,
    "legend.fontsize": MIN_TEXT_PT,
    "legend.title_fontsize": MIN_TEXT_PT,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "text.parse_math": False,  # text from the data is drawn literally: a "$" is a dollar sign
    "svg.fonttype": "none",  # real text: crisp, searchable, read by screen readers
    "svg.hashsalt": "russian-emigration",  # stable ids, so outputs are byte for byte the same
}


def apply_style() -> None:
    """Start from matplotlib's own defaults (a user's matplotlibrc changes nothing), then the project's style."""
    import matplotlib as mpl

    mpl.rcdefaults()
    mpl.rcParams.update(dict[Any, Any](STYLE))
