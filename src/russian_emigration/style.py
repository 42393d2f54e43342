"""The charts' matplotlib style: one place, applied by ``setup_notebook()`` and usable on its own."""

from __future__ import annotations

from typing import Any

#: Charts are this wide (inches); a phone 390 px wide shows them about 340 px wide, so text of MIN_TEXT_PT
#: points stays at 9 CSS pixels or more. All text is font.size (matplotlib's default text sizes are "medium").
WIDTH = 5.0
MIN_TEXT_PT = 10
STYLE: dict[str, Any] = {
    "figure.figsize": (WIDTH, 4.0),
    "font.size": MIN_TEXT_PT,
    "font.sans-serif": ["DejaVu Sans", "Verdana", "Arial"],
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,  # gridlines under the marks: a mark takes the pointer everywhere on it
    "grid.alpha": 0.3,
    "text.parse_math": False,  # text from the data is drawn literally: a "$" is a dollar sign
    "svg.fonttype": "none",  # real text: crisp, searchable, read by screen readers
    "svg.hashsalt": "russian-emigration",  # stable ids, so outputs are byte for byte the same
}


def apply_style() -> None:
    """Start from matplotlib's own defaults (a user's matplotlibrc changes nothing), then the project's style."""
    from matplotlib import style  # heavy: loaded only when a notebook sets up its charts

    style.use(["default", STYLE])
