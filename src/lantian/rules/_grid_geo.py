"""Grid geometry for the clue-layer rules: distances in km and bucketed neighbour pairs.

Pure Ibis (DuckDB and Spark). Distances use the equirectangular approximation on the
WGS-84 mean radius (error well below 1 % over the few km compared here). Neighbour
searches never cross-join all cells: every cell falls into a lon/lat bucket at least as
wide as the search radius, so every pair within the radius lies in the same or one of the
8 adjacent buckets, and the join is an equi-join on the bucket key.

References
----------
.. [1] Snyder, J. P. (1987), *Map Projections — A Working Manual*, USGS Professional
   Paper 1395, equirectangular projection (km per degree: 111.32 × cos(lat) of longitude,
   110.574 of latitude on WGS-84).
"""

from __future__ import annotations

import math

import ibis
import ibis.expr.types as ir

KM_PER_DEG_LAT = 110.574
"""Kilometres per degree of latitude (WGS-84, mid latitudes) [km/°]."""
KM_PER_DEG_LON_EQUATOR = 111.320
"""Kilometres per degree of longitude at the equator [km/°]; × cos(lat) elsewhere."""
OFFSETS: tuple[tuple[int, int], ...] = tuple((dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1))


def distance_km(
    lon1: ir.NumericValue, lat1: ir.NumericValue, lon2: ir.NumericValue, lat2: ir.NumericValue
) -> ir.NumericValue:
    """Equirectangular distance between two WGS-84 points [km]."""
    mid = ((lat1 + lat2) / 2) * (math.pi / 180)
    dx = (lon2 - lon1) * KM_PER_DEG_LON_EQUATOR * mid.cos()
    dy = (lat2 - lat1) * KM_PER_DEG_LAT
    return (dx * dx + dy * dy).sqrt()


def bucket_sizes(grids: ir.Table, radius_cells: float) -> ir.Table:
    """One row: bucket width in degrees (``b_dlon``, ``b_dlat``) ≥ the largest search radius.

    The radius is ``radius_cells`` × the largest ``cell_km``; the longitude width is sized
    for the highest latitude of the grid (where a degree of longitude is shortest), so it
    covers the radius everywhere.
    """
    agg = grids.aggregate(_maxkm=grids.cell_km.max(), _maxlat=grids.lat.abs().max())
    r_km = agg._maxkm * radius_cells
    cos_min = ibis.greatest((agg._maxlat * (math.pi / 180)).cos(), 0.01)
    return agg.select(
        b_dlon=r_km / (KM_PER_DEG_LON_EQUATOR * cos_min) + 1e-9,
        b_dlat=r_km / KM_PER_DEG_LAT + 1e-9,
    )


def with_bucket(table: ir.Table, sizes: ir.Table, lon: str = "lon", lat: str = "lat") -> ir.Table:
    """``table`` plus integer bucket keys ``bx``, ``by`` of its point."""
    tb = table.cross_join(sizes)
    return tb.mutate(
        bx=(tb[lon] / tb.b_dlon).floor().cast("int64"),
        by=(tb[lat] / tb.b_dlat).floor().cast("int64"),
    ).drop("b_dlon", "b_dlat")


def expand_3x3(table: ir.Table) -> ir.Table:
    """Each row 9 times, with ``kx``, ``ky`` = its bucket and the 8 adjacent ones."""
    parts = [table.mutate(kx=table.bx + dx, ky=table.by + dy) for dx, dy in OFFSETS]
    out = parts[0]
    for p in parts[1:]:
        out = out.union(p, distinct=False)
    return out


def valid_grids(grids: ir.Table) -> ir.Table:
    """Grid cells with a centre and a positive ``cell_km``."""
    return grids.filter(
        grids.grid_id.notnull() & grids.lon.notnull() & grids.lat.notnull() & (grids.cell_km > 0)
    )


def ring_pairs(grids: ir.Table, radius_cells: float) -> ir.Table:
    """Neighbour pairs ``grid_id`` → ``n_id``: other cells whose centre lies within
    ``radius_cells`` × the cell's ``cell_km`` of its centre (1.5 → the 8 surrounding cells
    of a square grid) [pairs]."""
    g = valid_grids(grids).select("grid_id", "lon", "lat", "cell_km")
    sizes = bucket_sizes(g, radius_cells)
    gb = with_bucket(g, sizes)
    centre = expand_3x3(gb)
    nb = gb.select(n_id=gb.grid_id, n_lon=gb.lon, n_lat=gb.lat, n_bx=gb.bx, n_by=gb.by)
    j = centre.join(nb, [centre.kx == nb.n_bx, centre.ky == nb.n_by])
    j = j.filter(
        (j.grid_id != j.n_id)
        & (distance_km(j.lon, j.lat, j.n_lon, j.n_lat) <= j.cell_km * radius_cells)
    )
    return j.select("grid_id", "n_id")


def nearest_cell(points: ir.Table, key: list[str], grids: ir.Table) -> ir.Table:
    """For each point (``key`` unique, columns ``lon``, ``lat``): the nearest grid cell centre
    within that cell's ``cell_km`` → ``key`` + ``grid_id``, ``cell_dist_km``. Points with no
    such cell are dropped."""
    g = valid_grids(grids).select("grid_id", "lon", "lat", "cell_km")
    sizes = bucket_sizes(g, 1.0)
    gb = with_bucket(g, sizes).rename(g_lon="lon", g_lat="lat", g_bx="bx", g_by="by")
    pb = expand_3x3(with_bucket(points.select(*key, "lon", "lat"), sizes))
    j = pb.join(gb, [pb.kx == gb.g_bx, pb.ky == gb.g_by])
    j = j.mutate(cell_dist_km=distance_km(j.lon, j.lat, j.g_lon, j.g_lat))
    j = j.filter(j.cell_dist_km <= j.cell_km)
    w = ibis.window(group_by=key, order_by=[j.cell_dist_km, j.grid_id])
    j = j.mutate(_rk=ibis.row_number().over(w))
    return j.filter(j._rk == 0).select(*key, "grid_id", "cell_dist_km")
