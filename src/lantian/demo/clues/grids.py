"""Demo 千里眼 grid (``registry/grids.csv``): 3 km cells covering the city, stable ids.

Cells are laid on a lattice anchored at the city centre: cell ``G{row:02d}{col:02d}`` has its
centre ``(row - 50) × 3 km`` north and ``(col - 50) × 3 km`` east of the centre, so a cell's id
does not depend on how far the city's enterprises happen to spread. The grid covers every
enterprise and station with at least one cell of margin (at least ±30 km).

Also the geometry the other clue layers share: kilometre offsets, bearings, the cell of a
point, and the choice of a cell downwind of a source (where its plume is seen).

References
----------
.. [1] 生态环境部 大气污染防治"千里眼计划" (3 km × 3 km grid cells ranked by satellite
   PM2.5; unverified here: the cell size is the one published for the plan, the lattice and
   ids are this project's choice).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from lantian.demo.bundle import write_csv_rows
from lantian.demo.noise import F64
from lantian.demo.registry import Registry

CELL_KM = 3.0
"""Edge of a grid cell [km]."""
MIN_HALF_KM = 30.0
"""The grid reaches at least this far from the city centre [km]."""
KM_PER_DEG_LAT = 111.2
"""Kilometres per degree of latitude (spherical Earth)."""
ANCHOR = 50
"""Row/column index of the cell at the city centre (ids stay positive)."""


def km_per_deg_lon(lat: float) -> float:
    """Kilometres per degree of longitude at latitude ``lat`` [degrees]."""
    return KM_PER_DEG_LAT * math.cos(math.radians(lat))


def bearing_deg(dx_km: float, dy_km: float) -> float:
    """Bearing of the offset (east ``dx_km``, north ``dy_km``) [degrees, 0 = north, clockwise]."""
    return math.degrees(math.atan2(dx_km, dy_km)) % 360.0


def angle_diff(a: float, b: float) -> float:
    """Smallest absolute difference of two directions [degrees, 0..180]."""
    return abs((a - b + 180.0) % 360.0 - 180.0)


def steady_direction(dirs: list[float], max_dev_deg: float) -> float | None:
    """Circular mean of the directions ``dirs`` [degrees] when none of them is more than
    ``max_dev_deg`` from it (a steady wind carries a plume one way), else None."""
    mean = (
        math.degrees(
            math.atan2(
                sum(math.sin(math.radians(d)) for d in dirs),
                sum(math.cos(math.radians(d)) for d in dirs),
            )
        )
        % 360.0
    )
    if max(angle_diff(d, mean) for d in dirs) > max_dev_deg:
        return None
    return mean


@dataclass(frozen=True)
class Grid:
    """The city's grid cells (flat arrays, one entry per cell)."""

    ids: list[str]
    row: NDArray[np.int64]
    col: NDArray[np.int64]
    lon: F64
    lat: F64
    centre: tuple[float, float]
    half: int
    """Cells from the centre to the edge (the lattice is ``2 half + 1`` cells wide)."""

    @property
    def size(self) -> int:
        """Number of cells."""
        return len(self.ids)

    def km(self, lon: float, lat: float) -> tuple[float, float]:
        """Offset of a point from the city centre [km east, km north]."""
        c_lon, c_lat = self.centre
        return (lon - c_lon) * km_per_deg_lon(c_lat), (lat - c_lat) * KM_PER_DEG_LAT

    def point(self, x_km: float, y_km: float) -> tuple[float, float]:
        """The point ``x_km`` east and ``y_km`` north of the centre (lon, lat)."""
        c_lon, c_lat = self.centre
        return c_lon + x_km / km_per_deg_lon(c_lat), c_lat + y_km / KM_PER_DEG_LAT

    def cell_xy(self, k: int) -> tuple[float, float]:
        """Centre of cell ``k`` [km east, km north of the city centre]."""
        return (
            (int(self.col[k]) - ANCHOR) * CELL_KM,
            (int(self.row[k]) - ANCHOR) * CELL_KM,
        )

    def index_of(self, lon: float, lat: float) -> int | None:
        """Index of the cell containing the point, or None outside the grid."""
        x, y = self.km(lon, lat)
        c = round(x / CELL_KM)
        r = round(y / CELL_KM)
        if abs(c) > self.half or abs(r) > self.half:
            return None
        width = 2 * self.half + 1
        return (r + self.half) * width + (c + self.half)

    def interior(self, k: int) -> bool:
        """Whether cell ``k`` has its full ring of eight neighbours."""
        r = int(self.row[k]) - ANCHOR
        c = int(self.col[k]) - ANCHOR
        return abs(r) < self.half and abs(c) < self.half

    def ring(self, k: int) -> list[int]:
        """Indices of the (up to eight) neighbours of cell ``k``."""
        width = 2 * self.half + 1
        r = int(self.row[k]) - ANCHOR + self.half
        c = int(self.col[k]) - ANCHOR + self.half
        out = []
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                if (dr or dc) and 0 <= r + dr < width and 0 <= c + dc < width:
                    out.append((r + dr) * width + c + dc)
        return out


def build_grid(reg: Registry) -> Grid:
    """The grid covering the city's enterprises and stations (pure)."""
    c_lon, c_lat = reg.centre
    kx = km_per_deg_lon(c_lat)
    reach = MIN_HALF_KM
    for lon, lat in [(e.lon, e.lat) for e in reg.enterprises] + [
        (s.lon, s.lat) for s in reg.stations
    ]:
        reach = max(
            reach, abs(lon - c_lon) * kx + CELL_KM, abs(lat - c_lat) * KM_PER_DEG_LAT + CELL_KM
        )
    half = math.ceil(reach / CELL_KM)
    offs = np.arange(-half, half + 1)
    rr, cc = np.meshgrid(offs, offs, indexing="ij")
    rows = (rr.ravel() + ANCHOR).astype(np.int64)
    cols = (cc.ravel() + ANCHOR).astype(np.int64)
    lons: F64 = np.asarray(c_lon + (cols - ANCHOR) * CELL_KM / kx, dtype=np.float64)
    lats: F64 = np.asarray(c_lat + (rows - ANCHOR) * CELL_KM / KM_PER_DEG_LAT, dtype=np.float64)
    ids = [f"G{r:02d}{c:02d}" for r, c in zip(rows, cols, strict=True)]
    return Grid(ids, rows, cols, lons, lats, (c_lon, c_lat), half)


def nearest_place(reg: Registry, lon: float, lat: float) -> tuple[str, str]:
    """District and township (nearest seat) of a point."""
    best = ("", "", math.inf)
    for d in reg.districts:
        places = d.townships or [(d.name, d.lon, d.lat)]
        for name, tlon, tlat in places:
            dist = (tlon - lon) ** 2 + (tlat - lat) ** 2
            if dist < best[2]:
                best = (d.name, name if d.townships else "", dist)
    return best[0], best[1]


def write_grids(root: Path, reg: Registry, grid: Grid) -> int:
    """Write ``registry/grids.csv``; rows written."""
    rows = []
    for k, gid in enumerate(grid.ids):
        district, township = nearest_place(reg, float(grid.lon[k]), float(grid.lat[k]))
        rows.append(
            {
                "grid_id": gid,
                "lon": f"{grid.lon[k]:.5f}",
                "lat": f"{grid.lat[k]:.5f}",
                "cell_km": f"{CELL_KM:g}",
                "city": reg.city,
                "district": district,
                "township": township or None,
            }
        )
    write_csv_rows(
        root / "registry" / "grids.csv",
        ["grid_id", "lon", "lat", "cell_km", "city", "district", "township"],
        rows,
    )
    return len(rows)


def downwind_cell(
    grid: Grid,
    reg: Registry,
    source: int,
    to_deg: float,
    min_km: float = 1.5,
    max_km: float = 4.5,
    max_angle: float = 15.0,
) -> int | None:
    """A cell whose centre lies downwind of enterprise ``source`` (where its plume is seen).

    The nearest interior cell whose centre is ``min_km``..``max_km`` from the source with a
    bearing within ``max_angle`` of the direction the wind blows TO; and the source must be
    the nearest or second-nearest enterprise inside the upwind sector (±30°) of that centre,
    so that a look upwind from the cell finds it among the first candidates. None if no cell
    qualifies.
    """
    ent = reg.enterprises[source]
    sx, sy = grid.km(ent.lon, ent.lat)
    best: tuple[float, int] | None = None
    for k in range(grid.size):
        if not grid.interior(k):
            continue
        cx, cy = grid.cell_xy(k)
        dist = math.hypot(cx - sx, cy - sy)
        if not min_km <= dist <= max_km:
            continue
        if angle_diff(bearing_deg(cx - sx, cy - sy), to_deg) > max_angle:
            continue
        if best is None or dist < best[0]:
            best = (dist, k)
    if best is None:
        return None
    k = best[1]
    cx, cy = grid.cell_xy(k)
    upwind = (to_deg + 180.0) % 360.0
    closer = 0
    for j, e in enumerate(reg.enterprises):
        if j == source:
            continue
        ex, ey = grid.km(e.lon, e.lat)
        d = math.hypot(ex - cx, ey - cy)
        if d <= best[0] + 1.5 and angle_diff(bearing_deg(ex - cx, ey - cy), upwind) <= 35.0:
            closer += 1
    return k if closer <= 1 else None


def emitting(plan: object, ent_lines: list[str], hours: range) -> bool:
    """Whether one of the lines produces for at least 90 % of each of ``hours``."""
    hourly = getattr(plan, "hourly", {})
    for h in hours:
        if not any(
            ln in hourly and h < len(hourly[ln].producing) and hourly[ln].producing[h] >= 0.9
            for ln in ent_lines
        ):
            return False
    return True
