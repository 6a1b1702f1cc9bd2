"""Plausible district boundaries of a simulated city, as GeoJSON (for the map page).

The generator (:mod:`lantian.demo.registry`) places each district's townships around the
district centre and gives every enterprise and station the district of its nearest
township (distance with longitudes scaled by 0.8). The boundaries drawn here follow the
same rule: the Voronoi cells of the townships (same scaling), merged per district and
clipped to an irregular outline around the city. Every enterprise located by the
nearest-township rule therefore lies inside its own district's polygon. They are
synthetic, like the city: ``properties.synthetic`` is true.

:func:`write_district_boundaries` writes them to :data:`BOUNDARIES_FILE` under
``LANTIAN_HOME``, where the map reads boundaries from (an operator may put official ones
there instead).
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from lantian.demo.config import CityConfig

BOUNDARIES_FILE = Path("geo") / "districts.geojson"
"""Where the map reads district boundaries from, relative to ``LANTIAN_HOME``."""

LON_SCALE = 0.8
"""Longitude scaling of the generator's nearest-township distance (0.8² = 0.64)."""

Point = tuple[float, float]
Edge = tuple[Point, Point, int]
"""(start, end, neighbour township index, or -1 on the city outline)."""


def _outline(centre: Point, radius: float, seed: int, n: int = 72) -> list[Point]:
    """An irregular closed outline (counter-clockwise) around ``centre`` in scaled units."""
    rng = np.random.default_rng(seed)
    phases = rng.uniform(0, 2 * math.pi, 3)
    amps = (0.10, 0.06, 0.03)
    out = []
    for k in range(n):
        a = 2 * math.pi * k / n
        r = radius * (
            1
            + sum(
                amp * math.sin((i + 2) * a + ph)
                for i, (amp, ph) in enumerate(zip(amps, phases, strict=True))
            )
        )
        out.append((centre[0] + r * math.cos(a), centre[1] + r * math.sin(a)))
    return out


def _clip(poly: list[tuple[Point, int]], p: Point, q: Point, j: int) -> list[tuple[Point, int]]:
    """Clip a convex polygon (vertices with the tag of the edge leaving them) to the half
    plane nearer ``p`` than ``q``; the new edge on the bisector gets tag ``j``."""
    nx, ny = q[0] - p[0], q[1] - p[1]
    c = (q[0] ** 2 + q[1] ** 2 - p[0] ** 2 - p[1] ** 2) / 2

    def inside(v: Point) -> bool:
        return nx * v[0] + ny * v[1] <= c

    def cut(a: Point, b: Point) -> Point:
        da, db = nx * a[0] + ny * a[1] - c, nx * b[0] + ny * b[1] - c
        t = da / (da - db)
        return (a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]))

    out: list[tuple[Point, int]] = []
    for i, (a, tag) in enumerate(poly):
        b = poly[(i + 1) % len(poly)][0]
        ia, ib = inside(a), inside(b)
        if ia and ib:
            out.append((a, tag))
        elif ia:
            out.append((a, tag))
            out.append((cut(a, b), j))
        elif ib:
            out.append((cut(a, b), tag))
    return out


def _key(v: Point) -> tuple[int, int]:
    return (round(v[0] * 1e7), round(v[1] * 1e7))


def _rings(edges: list[Edge]) -> list[list[Point]] | None:
    """Chain directed boundary edges into closed rings (``None`` if they do not close)."""
    nxt: dict[tuple[int, int], list[Edge]] = defaultdict(list)
    for e in edges:
        nxt[_key(e[0])].append(e)
    used: set[int] = set()
    rings = []
    for e0 in edges:
        if id(e0) in used:
            continue
        ring = [e0[0]]
        e = e0
        for _ in range(len(edges) + 1):
            used.add(id(e))
            ring.append(e[1])
            if _key(e[1]) == _key(e0[0]):
                break
            options = [x for x in nxt.get(_key(e[1]), []) if id(x) not in used]
            if not options:
                return None
            e = options[0]
        else:
            return None
        rings.append(ring)
    return rings


def district_boundaries(cfg: CityConfig) -> dict[str, Any]:
    """GeoJSON FeatureCollection: one (Multi)Polygon per district of the city ``cfg`` makes.

    Properties: ``city``, ``district``, ``synthetic`` (true).
    """
    from lantian.demo.registry import _geography

    rng = np.random.default_rng(np.random.SeedSequence(cfg.seed).spawn(4)[0])
    city, centre, districts = _geography(rng)
    towns = [(d.name, t[1] * LON_SCALE, t[2]) for d in districts for t in d.townships]
    c = (centre[0] * LON_SCALE, centre[1])
    radius = max(math.hypot(x - c[0], y - c[1]) for _n, x, y in towns) + 0.1
    outline = _outline(c, radius, cfg.seed)
    edges: dict[str, list[Edge]] = defaultdict(list)
    for i, (name, x, y) in enumerate(towns):
        cell: list[tuple[Point, int]] = [(v, -1) for v in outline]
        for j, (_other, ox, oy) in enumerate(towns):
            if j != i and cell:
                cell = _clip(cell, (x, y), (ox, oy), j)
        for k, (a, tag) in enumerate(cell):
            if tag == -1 or towns[tag][0] != name:
                edges[name].append((a, cell[(k + 1) % len(cell)][0], tag))
    features = []
    for d in districts:
        rings = _rings(edges[d.name])
        if not rings:
            continue
        coords = [[[round(x / LON_SCALE, 6), round(y, 6)] for x, y in ring] for ring in rings]
        geometry: dict[str, Any] = (
            {"type": "Polygon", "coordinates": coords}
            if len(coords) == 1
            else {"type": "MultiPolygon", "coordinates": [[r] for r in coords]}
        )
        features.append(
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {"city": city, "district": d.name, "synthetic": True},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def write_district_boundaries(home: Path, cfg: CityConfig) -> Path:
    """Write :func:`district_boundaries` of ``cfg`` to ``home`` / :data:`BOUNDARIES_FILE`."""
    path = home / BOUNDARIES_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(district_boundaries(cfg), ensure_ascii=False), encoding="utf-8")
    return path


__all__ = ["BOUNDARIES_FILE", "district_boundaries", "write_district_boundaries"]
