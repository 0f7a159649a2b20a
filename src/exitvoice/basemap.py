"""The world's coastlines and borders under the maps of the report and the dashboard, offline.

`web/world-110m.json` is Natural Earth's country boundaries at 1:110m as TopoJSON (`web/world-110m.txt` says where
it comes from). It gives the maps two things no country pack holds: the outlines to draw under the points, and a
place for each destination country, found by its name in the pack (`destinations.csv` `name`): a point inside the
country's largest polygon. A destination the basemap does not name (Abkhazia, a city state too small for 1:110m)
has no place there; the map places it by its land crossings, or not at all.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

import numpy as np

ALIASES = {"türkiye": "turkey", "united states": "united states of america", "czech republic": "czechia",
           "bosnia and herzegovina": "bosnia and herz.", "north macedonia": "macedonia",
           "democratic republic of the congo": "dem. rep. congo", "central african republic": "central african rep.",
           "south sudan": "s. sudan", "dominican republic": "dominican rep.", "eswatini": "eswatini",
           "côte d'ivoire": "côte d'ivoire", "ivory coast": "côte d'ivoire"}
"""Other names of a country in a pack, by the name the basemap gives it (lower case)."""


@lru_cache(maxsize=1)
def _topology() -> tuple[list[np.ndarray], dict[str, list[list[list[int]]]]]:
    """The arcs (each an [n, 2] array of lon, lat) and each country's polygons (rings of arc indices), by name."""
    topo = json.loads((resources.files("exitvoice") / "web" / "world-110m.json").read_text(encoding="utf-8"))
    scale, shift = np.asarray(topo["transform"]["scale"]), np.asarray(topo["transform"]["translate"])
    arcs = [np.cumsum(np.asarray(a, dtype=float), axis=0) * scale + shift for a in topo["arcs"]]
    countries = {}
    for g in topo["objects"]["countries"]["geometries"]:
        polys = g.get("arcs", [])
        if g["type"] == "Polygon":
            polys = [polys]
        countries[g["properties"]["name"].lower()] = polys
    return arcs, countries


def _ring(arcs: list[np.ndarray], ring: list[int]) -> np.ndarray:
    """A polygon ring's points from its arcs (a negative index ~i is arc i reversed)."""
    parts = [arcs[i] if i >= 0 else arcs[~i][::-1] for i in ring]
    return np.concatenate([p if k == 0 else p[1:] for k, p in enumerate(parts)])


def _area_centroid(xy: np.ndarray) -> tuple[float, float, float]:
    """Area (absolute, in square degrees) and centroid of a closed ring."""
    x, y = xy[:, 0], xy[:, 1]
    cross = x[:-1] * y[1:] - x[1:] * y[:-1]
    a = cross.sum() / 2
    if abs(a) < 1e-12:
        return 0.0, float(x.mean()), float(y.mean())
    return abs(a), float(((x[:-1] + x[1:]) * cross).sum() / (6 * a)), float(((y[:-1] + y[1:]) * cross).sum() / (6 * a))


def _inside(x: float, y: float, xy: np.ndarray) -> bool:
    """Whether (x, y) is inside the ring (even-odd rule)."""
    xs, ys = xy[:, 0], xy[:, 1]
    x0, y0, x1, y1 = xs[:-1], ys[:-1], xs[1:], ys[1:]
    crosses = ((y0 > y) != (y1 > y)) & (x < (x1 - x0) * (y - y0) / np.where(y1 == y0, 1e-12, y1 - y0) + x0)
    return bool(crosses.sum() % 2)


def country_point(name: str, near: tuple[float, float] | None = None) -> tuple[float, float] | None:
    """(lon, lat) of a point inside the country, by the country's name; None if the basemap does not name it.

    The point is in the country's largest polygon or, with `near` (a lon, lat), in the polygon nearest to it among
    those at least a quarter as large (peninsular Malaysia seen from Myanmar, not Borneo): its centroid when it
    lies inside it, else the middle of the widest stretch of the polygon on the centroid's latitude (a crescent's
    centroid can fall outside it).
    """
    arcs, countries = _topology()
    key = name.strip().lower()
    polys = countries.get(ALIASES.get(key, key))
    if not polys:
        return None
    rings = [_ring(arcs, p[0]) for p in polys if p]
    sized = [(_area_centroid(r), r) for r in rings]
    largest = max(a for (a, _, _), _ in sized)
    if near is None:
        outer = max(sized, key=lambda s: s[0][0])[1]
    else:
        big = [s for s in sized if s[0][0] >= 0.25 * largest]
        outer = min(big, key=lambda s: (s[0][1] - near[0]) ** 2 + (s[0][2] - near[1]) ** 2)[1]
    _, cx, cy = _area_centroid(outer)
    if _inside(cx, cy, outer):
        return cx, cy
    xs, ys = outer[:, 0], outer[:, 1]
    x0, y0, x1, y1 = xs[:-1], ys[:-1], xs[1:], ys[1:]
    hit = (y0 > cy) != (y1 > cy)
    cuts = np.sort(x0[hit] + (cy - y0[hit]) * (x1[hit] - x0[hit]) / (y1[hit] - y0[hit]))
    pairs = cuts.reshape(-1, 2) if len(cuts) % 2 == 0 and len(cuts) else np.array([[cx, cx]])
    widest = pairs[np.argmax(pairs[:, 1] - pairs[:, 0])]
    return float(widest.mean()), cy


def _wrapped(xy: np.ndarray, east: float) -> np.ndarray:
    """An arc or ring that reaches the antimeridian from the west drawn a turn east (+360°), when the view passes 180°E.

    Natural Earth cuts shapes at the antimeridian, so Chukotka's east end lies at -180°..-169° (and Russia's ring
    holds points at both ±180°): a view of the Russian Far East draws them beside the rest. Only shapes that reach
    west of -150° move, and only their points west of -90°; a shape on both sides of the antimeridian always does
    (else a line would cross the whole map).
    """
    straddles = xy[:, 0].min() < -150 and xy[:, 0].max() > 150
    if not straddles and (east <= 180 or xy[:, 0].min() >= -150):
        return xy
    out = xy.copy()
    out[:, 0] = np.where(out[:, 0] < -90, out[:, 0] + 360, out[:, 0])
    return out


def outlines(lon: tuple[float, float], lat: tuple[float, float], digits: int = 2) -> tuple[list, list]:
    """Coastlines and borders within a lon/lat box, as x and y lists for one plotly line (None between arcs).

    Each arc (a stretch of coast or border) is drawn once; an arc that only partly lies in the box is drawn whole,
    and the chart's axes clip it.
    """
    arcs, _ = _topology()
    xs: list = []
    ys: list = []
    for a in arcs:
        a = _wrapped(a, lon[1])
        inside = (a[:, 0] >= lon[0]) & (a[:, 0] <= lon[1]) & (a[:, 1] >= lat[0]) & (a[:, 1] <= lat[1])
        if not inside.any():
            continue
        xs += [*np.round(a[:, 0], digits).tolist(), None]
        ys += [*np.round(a[:, 1], digits).tolist(), None]
    return xs, ys


def country_outline(name: str, east: float = 180.0, digits: int = 2) -> tuple[list, list] | None:
    """The outer rings of a country's polygons (x and y lists, None between rings), to fill it; None if unknown.

    `east`: the east edge of the view (past 180°E, rings of the western hemisphere are drawn a turn east, as
    `outlines` does).
    """
    arcs, countries = _topology()
    key = name.strip().lower()
    polys = countries.get(ALIASES.get(key, key))
    if not polys:
        return None
    xs: list = []
    ys: list = []
    for p in polys:
        if p:
            r = _wrapped(_ring(arcs, p[0]), east)
            xs += [*np.round(r[:, 0], digits).tolist(), None]
            ys += [*np.round(r[:, 1], digits).tolist(), None]
    return xs, ys
