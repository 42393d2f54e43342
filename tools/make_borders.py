"""Make src/russian_emigration/geo/countries-110m.json, the country borders the maps draw.

The borders are Natural Earth's 1:110m countries (public domain), as the npm package world-atlas
(ISC licence) bundles them in TopoJSON, keyed there by ISO 3166-1 numeric codes; pycountry gives the
alpha-3 codes this project uses. Run once, where npm and pycountry are at hand:

    npm install --prefix build/npm world-atlas@2
    pip install pycountry
    python tools/make_borders.py build/npm/node_modules/world-atlas/countries-110m.json

Output: {alpha-3 code: [ring, ...]}, each ring a flat list lon, lat, lon, lat, ... (two decimals);
geometries without an ISO code (Kosovo, Northern Cyprus, ...) under "" so that no land is missing.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pycountry

OUT = Path(__file__).resolve().parents[1] / "src" / "russian_emigration" / "geo" / "countries-110m.json"


def decode(topology: dict) -> dict[str, list[list[float]]]:
    scale, translate = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:  # delta-encoded, quantised positions
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * scale[0] + translate[0], y * scale[1] + translate[1]))
        arcs.append(points)

    def ring(indexes: list[int]) -> list[float]:
        points: list[tuple[float, float]] = []
        for i in indexes:
            part = arcs[i] if i >= 0 else arcs[~i][::-1]
            points += part[1:] if points else part
        return [round(v, 2) for point in points for v in point]

    out: dict[str, list[list[float]]] = {}
    for geometry in topology["objects"]["countries"]["geometries"]:
        polygons = geometry.get("arcs", [])
        polygons = [polygons] if geometry["type"] == "Polygon" else polygons
        country = pycountry.countries.get(numeric=geometry.get("id")) if geometry.get("id") else None
        code = country.alpha_3 if country else ""
        out.setdefault(code, []).extend(ring(r) for polygon in polygons for r in polygon)
    return out


if __name__ == "__main__":
    borders = decode(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8")))
    OUT.write_text(json.dumps(borders, separators=(",", ":"), sort_keys=True) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(borders)} countries, {OUT.stat().st_size:,} bytes")
