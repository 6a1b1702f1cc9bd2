"""The jurisdiction of an import: where clue-layer coordinates may lie.

There is no configured boundary polygon or bounding-box setting in Lantian, so the
jurisdiction is *derived from the registry*: the bounding box of every enterprise,
ambient station and grid cell with coordinates (those in the database plus those of the
bundle's earlier files), widened on each side by :data:`MARGIN_KM`. A grid cell's
centre is widened by a further half cell so the whole cell is inside. Registry files
(``grids.csv`` included) define the jurisdiction and are not checked against it; the
positioned data files (``mobile_track``, ``camera_alarms``) are. When the registry
holds no coordinates at all, no jurisdiction is known and coordinates are only checked
against their WGS-84 ranges (``io.formats``).

The margin is a tolerance for points just outside the outermost registered site (a
mobile monitoring vehicle driving round the edge of an industrial park, a drone over a
neighbouring field); it is not a province-dependent number.

References
----------
.. [1] Lantian exchange formats, v2 additions (``contracts/exchange-formats.md``):
   coordinates are WGS-84 degrees.
.. [2] Issue #17 "Clue layers beyond the stack", section "Bad input": coordinates
   outside the jurisdiction are refused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MARGIN_KM = 10.0
"""How far beyond the registry's bounding box a point is still inside [km]."""
KM_PER_DEG_LAT = 111.32
"""Length of one degree of latitude [km] (mean, WGS-84; good to 1 % for a margin)."""


@dataclass(frozen=True)
class BBox:
    """A lon/lat box in degrees (WGS-84)."""

    lon_min: float
    lat_min: float
    lon_max: float
    lat_max: float

    def union(self, other: BBox | None) -> BBox:
        """The smallest box holding both."""
        if other is None:
            return self
        return BBox(
            min(self.lon_min, other.lon_min),
            min(self.lat_min, other.lat_min),
            max(self.lon_max, other.lon_max),
            max(self.lat_max, other.lat_max),
        )

    def widened(self, km: float) -> BBox:
        """This box widened by ``km`` kilometres on every side."""
        dlat = km / KM_PER_DEG_LAT
        widest = max(abs(self.lat_min), abs(self.lat_max))
        dlon = km / (KM_PER_DEG_LAT * max(math.cos(math.radians(min(widest, 89.0))), 0.01))
        return BBox(
            self.lon_min - dlon, self.lat_min - dlat, self.lon_max + dlon, self.lat_max + dlat
        )

    def contains(self, lon: float, lat: float) -> bool:
        """Whether (lon, lat) in degrees lies in the box (edges included)."""
        return self.lon_min <= lon <= self.lon_max and self.lat_min <= lat <= self.lat_max

    def describe(self) -> str:
        """``lon a..b, lat c..d`` with 4 decimals, for error messages."""
        return (
            f"lon {self.lon_min:.4f}..{self.lon_max:.4f}, "
            f"lat {self.lat_min:.4f}..{self.lat_max:.4f}"
        )


def bbox_of(
    lons: list[float | None], lats: list[float | None], pad_km: list[float] | None = None
) -> BBox | None:
    """Bounding box of the points with both coordinates, each widened by its ``pad_km``.

    Returns ``None`` when no point has both coordinates.
    """
    box: BBox | None = None
    for i, (lon, lat) in enumerate(zip(lons, lats, strict=True)):
        if lon is None or lat is None or math.isnan(lon) or math.isnan(lat):
            continue
        point = BBox(lon, lat, lon, lat)
        pad = pad_km[i] if pad_km is not None else 0.0
        if pad:
            point = point.widened(pad)
        box = point.union(box)
    return box
