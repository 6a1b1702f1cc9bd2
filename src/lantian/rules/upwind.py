"""Upwind candidates (溯源): which enterprises could explain a hot spot.

For every hot-spot lead (families :data:`HOTSPOT_FAMILIES`) the engine adds
``evidence.candidates = [{enterprise_id, distance_km, bearing_deg, score, off_wind_deg,
emission, emission_level, basis}, ...]``, best first, at most ``max_candidates``
(contract v2: "Hotspot leads … carry in evidence.candidates the enterprises that could
explain them").

Location of the hot spot (the receptor): an AMBIENT_HOTSPOT lead's station (stations
lon/lat); a GRID_HOTSPOT / MOBILE_HOTSPOT lead's evidence ``lon``/``lat``, else the centre of
its grid cell (grids table). A lead that cannot be located gets no ``candidates`` key (not
judged); a located lead with no enterprise in range, upwind and emitting gets ``[]``.

Wind: the vector mean of ``met`` rows (wind_dir = where the wind blows FROM, degrees from
north; wind_speed m/s) of the nearest ``met_stations`` stations within ``met_max_km`` of the
receptor during the lead's window. The source of a hot spot lies upwind, i.e. in the
direction the wind comes from: an enterprise is a candidate when its bearing from the
receptor (``bearing_deg``, 0 = north, clockwise) is within ± ``sector_deg`` of the mean
wind direction and it is within ``range_km``.

Calm or missing wind (mean speed below ``calm_ms``, no met station near, no rows in the
window): every direction is allowed (``basis = "calm"``), the angle term is replaced by
``calm_factor`` (a lower score: direction gives no support).

Emitting at the time (``emission``):

- ``on``: production meters of the enterprise were on (kW ≥ ``on_fraction`` × rated kW,
  or > 0 when no rating) for at least ``min_on_share`` of their samples in the hours
  overlapping the window (``emission_level`` = that on-share), or, without power data,
  CEMS values of particulate matter, SO2 or NOx above zero in those hours
  (``emission_level`` = 1); the backend aggregates both per enterprise and hour;
- ``off``: power data show production off (on-share below ``min_on_share``), or CEMS rows
  exist and all are zero: **not a candidate**;
- ``unknown``: no power and no CEMS data in the window: a candidate with the emission term
  ``unknown_factor`` (lower than any emitting enterprise at the same place).

Score (0..1) = distance term × angle term × emission term, with distance term
``1 − 0.7 × d / range_km``, angle term ``1 − 0.7 × |off-wind angle| / sector_deg`` (or
``calm_factor``), emission term ``0.5 + 0.5 × emission_level`` (or ``unknown_factor``).

The hook (:func:`add_candidates`) runs in :func:`lantian.rules.engine.run_rules` on the
finished leads, so ``lantian detect``, the Spark path and the platform run share it; it
reads the few rows it needs from the inputs (any Ibis backend) and ranks in Python.

References
----------
.. [1] HJ 2.2-2018《环境影响评价技术导则 大气环境》: 静风 = wind speed ≤ 0.5 m/s
   (unverified; default of ``calm_ms``).
.. [2] 生态环境部《大气污染源排查溯源技术指南》-style 上风向排查 practice (unverified): look
   for sources upwind of a receptor within a few kilometres. The sector, range and score
   weights are this project's choice [M].
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

import ibis
import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from lantian.rules.engine import LeadRecord
    from lantian.rules.inputs import Inputs

HOTSPOT_FAMILIES: tuple[str, ...] = ("AMBIENT_HOTSPOT", "GRID_HOTSPOT", "MOBILE_HOTSPOT")
"""Lead families that get upwind candidates."""

EMISSION_POLLUTANTS: tuple[str, ...] = ("a34013", "a21026", "a21002")
"""HJ 212-2017 codes whose CEMS values show an enterprise emitting (PM, SO2, NOx)."""

M_PER_DEG_LAT = 110_574.0
"""Metres per degree of latitude (WGS-84, mean)."""
M_PER_DEG_LON_EQ = 111_320.0
"""Metres per degree of longitude at the equator (× cos latitude elsewhere)."""


@dataclass(frozen=True)
class UpwindParams:
    """Parameters of the upwind candidate search (``[upwind]`` of the rules TOML)."""

    range_km: float = 10.0
    """Enterprises farther than this from the hot spot are not candidates [km]."""
    sector_deg: float = 45.0
    """Half-width of the upwind sector around the wind direction [degrees]."""
    calm_ms: float = 0.5
    """Mean wind speed below this is calm: all directions, lower score [m/s] (HJ 2.2)."""
    calm_factor: float = 0.5
    """Angle term when the wind is calm or missing [0..1]."""
    met_stations: int = 3
    """Wind is the vector mean of at most this many nearest met stations [count]."""
    met_max_km: float = 30.0
    """Met stations farther than this from the hot spot are not used [km]."""
    on_fraction: float = 0.1
    """A production meter is on at kW ≥ this × its rated kW [ratio]."""
    min_on_share: float = 0.25
    """An enterprise emits when its production meters are on ≥ this share of samples."""
    unknown_factor: float = 0.4
    """Emission term of an enterprise without power and CEMS data [0..1]."""
    max_candidates: int = 5
    """At most this many candidates per lead [count]."""


@dataclass(frozen=True)
class Site:
    """An enterprise as a possible source: position and emission state in the window."""

    enterprise_id: str
    lon: float
    lat: float
    emission: str = "unknown"
    """``on``, ``off`` or ``unknown``."""
    emission_level: float | None = None
    """0..1 (on-share of production, or 1 from CEMS) when known."""


@dataclass(frozen=True)
class Wind:
    """Mean wind at the hot spot: direction it blows FROM [degrees], speed [m/s]."""

    dir_deg: float
    speed_ms: float


def distance_bearing(lon0: float, lat0: float, lon1: float, lat1: float) -> tuple[float, float]:
    """Distance [km] and bearing [degrees from north, clockwise] from point 0 to point 1.

    Equirectangular approximation on WGS-84 degrees (error well below 1 % within tens of km).
    """
    mid = math.cos(math.radians((lat0 + lat1) / 2))
    dx = (lon1 - lon0) * mid * M_PER_DEG_LON_EQ
    dy = (lat1 - lat0) * M_PER_DEG_LAT
    dist_km = math.hypot(dx, dy) / 1000.0
    bearing = math.degrees(math.atan2(dx, dy)) % 360.0
    return dist_km, bearing


def angle_off(a_deg: float, b_deg: float) -> float:
    """Smallest absolute difference of two directions [degrees, 0..180]."""
    d = abs(a_deg - b_deg) % 360.0
    return 360.0 - d if d > 180.0 else d


def mean_wind(dirs_deg: Sequence[float], speeds_ms: Sequence[float]) -> Wind | None:
    """Vector mean of wind observations (direction FROM, speed); None when there are none."""
    u = v = 0.0
    n = 0
    for d, s in zip(dirs_deg, speeds_ms, strict=True):
        if d is None or s is None or math.isnan(d) or math.isnan(s):
            continue
        # components of the direction the wind comes from (unit vector × speed)
        u += s * math.sin(math.radians(d))
        v += s * math.cos(math.radians(d))
        n += 1
    if n == 0:
        return None
    u, v = u / n, v / n
    return Wind(math.degrees(math.atan2(u, v)) % 360.0, math.hypot(u, v))


def rank_candidates(
    lon: float, lat: float, wind: Wind | None, sites: Sequence[Site], p: UpwindParams
) -> list[dict[str, Any]]:
    """Rank enterprises that could explain a hot spot at (lon, lat), best first.

    Parameters
    ----------
    lon, lat
        The hot spot (receptor), WGS-84 degrees.
    wind
        Mean wind at the hot spot in the lead's window, or None when missing.
    sites
        Enterprises with position and emission state (``off`` ones are never candidates).
    p
        Range, sector, calm speed, factors, maximum count.

    Returns
    -------
    ``[{enterprise_id, distance_km, bearing_deg, score, off_wind_deg, emission,
    emission_level, basis}]``, at most ``p.max_candidates``, sorted by score (then distance,
    id). ``off_wind_deg`` is None and ``basis`` is ``calm`` when the wind is calm or missing.
    """
    calm = wind is None or wind.speed_ms < p.calm_ms
    out: list[dict[str, Any]] = []
    for s in sites:
        if s.emission == "off":
            continue
        dist, bearing = distance_bearing(lon, lat, s.lon, s.lat)
        if dist > p.range_km:
            continue
        if calm or wind is None:
            off: float | None = None
            a_term = p.calm_factor
        else:
            off = angle_off(bearing, wind.dir_deg)
            if off > p.sector_deg:
                continue
            a_term = 1.0 - 0.7 * off / p.sector_deg if p.sector_deg > 0 else 1.0
        d_term = 1.0 - 0.7 * dist / p.range_km if p.range_km > 0 else 1.0
        if s.emission == "on":
            level = 1.0 if s.emission_level is None else min(1.0, max(0.0, s.emission_level))
            e_term = 0.5 + 0.5 * level
        else:
            e_term = p.unknown_factor
        out.append(
            {
                "enterprise_id": s.enterprise_id,
                "distance_km": round(dist, 2),
                "bearing_deg": round(bearing, 1),
                "score": round(d_term * a_term * e_term, 3),
                "off_wind_deg": None if off is None else round(off, 1),
                "emission": s.emission,
                "emission_level": None
                if s.emission_level is None
                else round(float(s.emission_level), 3),
                "basis": "calm" if calm else "wind",
            }
        )
    out.sort(key=lambda c: (-c["score"], c["distance_km"], c["enterprise_id"]))
    return out[: max(0, p.max_candidates)]


# -- the hook --------------------------------------------------------------------------------


def _t(iso: str) -> int:
    from lantian.rules.engine import iso_to_t

    return iso_to_t(datetime.fromisoformat(iso))


def _num(v: Any) -> float | None:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def _points(table: Any, key: str) -> dict[str, tuple[float, float]]:
    df = table.select(key, "lon", "lat").execute()
    keys = [None if k is None else str(k) for k in df[key].astype(object).tolist()]
    lons = pd.to_numeric(df["lon"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    lats = pd.to_numeric(df["lat"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    ok = ~(np.isnan(lons) | np.isnan(lats))
    return {
        k: (float(x), float(y))
        for k, x, y, good in zip(keys, lons, lats, ok, strict=True)
        if good and k is not None
    }


def _receptor(
    ld: LeadRecord, stations: dict[str, tuple[float, float]], grids: dict[str, tuple[float, float]]
) -> tuple[float, float] | None:
    if ld.family == "AMBIENT_HOTSPOT":
        return stations.get(ld.subject_id)
    x, y = _num(ld.evidence.get("lon")), _num(ld.evidence.get("lat"))
    if x is not None and y is not None:
        return x, y
    return grids.get(ld.subject_id)


def _within(
    rec: tuple[float, float], ids: list[str], lon: Any, lat: Any, range_km: float
) -> list[str]:
    """Ids of the points within ``range_km`` of ``rec`` (vectorised equirectangular)."""
    if not ids:
        return []
    mid = np.cos(np.radians((lat + rec[1]) / 2))
    dx = (lon - rec[0]) * mid * M_PER_DEG_LON_EQ
    dy = (lat - rec[1]) * M_PER_DEG_LAT
    ok = np.hypot(dx, dy) / 1000.0 <= range_km
    return [ids[k] for k in np.flatnonzero(ok)]


def _emission_states(
    inputs: Inputs, ids: list[str], lo: int, hi: int, p: UpwindParams
) -> dict[str, pd.DataFrame]:
    """Hourly emission evidence of the enterprises ``ids`` in [lo, hi), aggregated by the
    backend (rows per enterprise-hour, not per sample).

    ``power``: enterprise_id, t (hour start), n (production-meter samples), n_on (samples
    on); ``cems``: enterprise_id, t (hour start), n (PM/SO2/NOx values), n_pos (values > 0).
    """
    m = inputs.meters
    meters = m.filter(m.enterprise_id.isin(ids) & (m.role.lower() == "production")).select(
        "meter_id", "enterprise_id", "rated_kw"
    )
    pw = inputs.power.filter((inputs.power.t >= lo) & (inputs.power.t < hi))
    pw = pw.join(meters, "meter_id")
    thr = ibis.ifelse(
        pw.rated_kw.notnull() & (pw.rated_kw > 0), pw.rated_kw * p.on_fraction, ibis.literal(0.0)
    )
    pw = pw.mutate(on=(pw.kw > thr).cast("int64"), t=(pw.t // 3600) * 3600)
    power = pw.group_by(["enterprise_id", "t"]).aggregate(n=pw.count(), n_on=pw.on.sum()).execute()
    o = inputs.outlets.filter(inputs.outlets.enterprise_id.isin(ids)).select(
        "outlet_id", "enterprise_id"
    )
    c = inputs.cems.filter(
        (inputs.cems.t >= lo)
        & (inputs.cems.t < hi)
        & inputs.cems.pollutant.isin(list(EMISSION_POLLUTANTS))
        & inputs.cems.value.notnull()
    )
    c = c.join(o, "outlet_id")
    c = c.mutate(pos=(c.value > 0).cast("int64"), t=(c.t // 3600) * 3600)
    cems = c.group_by(["enterprise_id", "t"]).aggregate(n=c.count(), n_pos=c.pos.sum()).execute()
    return {"power": power, "cems": cems}


Series = tuple[Any, Any, Any]
"""(sorted hour starts, counts, positive counts) of one enterprise."""


def _by_enterprise(df: pd.DataFrame, pos: str) -> dict[str, Series]:
    """enterprise_id → :data:`Series` for fast window look-ups."""
    out: dict[str, Series] = {}
    if df.empty:
        return out
    df = df.sort_values(["enterprise_id", "t"])
    for eid, g in df.groupby("enterprise_id", sort=False):
        out[str(eid)] = (
            g["t"].to_numpy(dtype="int64"),
            g["n"].to_numpy(dtype="float64"),
            g[pos].to_numpy(dtype="float64"),
        )
    return out


def _window(series: Series | None, lo: int, hi: int) -> tuple[float, float] | None:
    """(count, positive count) over the hours overlapping [lo, hi), None without data."""
    if series is None:
        return None
    ts, n, k = series
    a = np.searchsorted(ts, (lo // 3600) * 3600, "left")
    b = np.searchsorted(ts, hi, "left")
    total = float(n[a:b].sum()) if b > a else 0.0
    return (total, float(k[a:b].sum())) if total > 0 else None


def _site(
    eid: str,
    pos: tuple[float, float],
    power: dict[str, Series],
    cems: dict[str, Series],
    lo: int,
    hi: int,
    p: UpwindParams,
) -> Site:
    on = _window(power.get(eid), lo, hi)
    if on is not None:
        share = on[1] / on[0]
        return Site(eid, pos[0], pos[1], "on" if share >= p.min_on_share else "off", share)
    cm = _window(cems.get(eid), lo, hi)
    if cm is not None:
        emitting = cm[1] > 0
        return Site(eid, pos[0], pos[1], "on" if emitting else "off", 1.0 if emitting else 0.0)
    return Site(eid, pos[0], pos[1], "unknown", None)


def add_candidates(
    leads: list[LeadRecord], inputs: Inputs, p: UpwindParams | None = None
) -> list[LeadRecord]:
    """Hot-spot leads with ``evidence.candidates`` added (other leads unchanged, same order)."""
    p = p or UpwindParams()
    hot = [i for i, ld in enumerate(leads) if ld.family in HOTSPOT_FAMILIES]
    if not hot:
        return leads
    stations = _points(inputs.stations, "station_id")
    grids = _points(inputs.grids, "grid_id")
    ents = _points(inputs.enterprises, "enterprise_id")
    e_ids = list(ents)
    e_lon = np.array([ents[e][0] for e in e_ids], dtype="float64")
    e_lat = np.array([ents[e][1] for e in e_ids], dtype="float64")
    jobs: list[tuple[int, tuple[float, float], int, int, list[str]]] = []
    for i in hot:
        ld = leads[i]
        rec = _receptor(ld, stations, grids)
        if rec is None:  # not located: no candidates key (nothing was judged)
            continue
        lo, hi = _t(ld.start), _t(ld.end)
        near = _within(rec, e_ids, e_lon, e_lat, p.range_km)
        jobs.append((i, rec, lo, hi, near))
    live = [j for j in jobs if j[4]]
    all_ids = sorted({e for j in live for e in j[4]})
    power: dict[str, Series] = {}
    cems: dict[str, Series] = {}
    met = pd.DataFrame(columns=["station_id", "t", "wind_dir", "wind_speed"])
    if live:
        lo_all, hi_all = min(j[2] for j in live), max(j[3] for j in live)
        data = _emission_states(inputs, all_ids, lo_all, hi_all, p)
        power, cems = _by_enterprise(data["power"], "n_on"), _by_enterprise(data["cems"], "n_pos")
        mt = inputs.met
        met = (
            mt.filter((mt.t >= lo_all) & (mt.t < hi_all))
            .select("station_id", "t", "wind_dir", "wind_speed")
            .execute()
        )
    met_ix = _met_index(met, stations)
    out = list(leads)
    for i, rec, lo, hi, near in jobs:
        ld = leads[i]
        cands: list[dict[str, Any]] = []
        if near:
            wind = _wind_at(rec, met_ix, lo, hi, p)
            sites = [_site(e, ents[e], power, cems, lo, hi, p) for e in near]
            cands = rank_candidates(rec[0], rec[1], wind, sites, p)
        out[i] = replace(ld, evidence={**ld.evidence, "candidates": cands})
    return out


@dataclass(frozen=True)
class _Met:
    """Wind observations per met station, for fast per-lead look-ups."""

    ids: list[str]
    lon: Any
    lat: Any
    series: dict[str, tuple[Any, Any, Any]]
    """station → (sorted t, wind_dir, wind_speed) arrays."""


def _met_index(met: pd.DataFrame, stations: dict[str, tuple[float, float]]) -> _Met:
    series: dict[str, tuple[Any, Any, Any]] = {}
    if not met.empty:
        m = met.assign(station_id=met["station_id"].astype(object).astype(str))
        m = m.sort_values(["station_id", "t"])
        for sid, g in m.groupby("station_id", sort=False):
            if str(sid) in stations:
                series[str(sid)] = (
                    g["t"].to_numpy(dtype="int64"),
                    pd.to_numeric(g["wind_dir"]).to_numpy(dtype="float64", na_value=np.nan),
                    pd.to_numeric(g["wind_speed"]).to_numpy(dtype="float64", na_value=np.nan),
                )
    ids = sorted(series)
    lon = np.array([stations[i][0] for i in ids], dtype="float64")
    lat = np.array([stations[i][1] for i in ids], dtype="float64")
    return _Met(ids, lon, lat, series)


def _wind_at(rec: tuple[float, float], met: _Met, lo: int, hi: int, p: UpwindParams) -> Wind | None:
    """Vector-mean wind of the nearest met stations in [lo, hi), or None."""
    if not met.ids:
        return None
    mid = np.cos(np.radians((met.lat + rec[1]) / 2))
    dist = np.hypot((met.lon - rec[0]) * mid * M_PER_DEG_LON_EQ, (met.lat - rec[1]) * M_PER_DEG_LAT)
    order = [k for k in np.argsort(dist, kind="stable") if dist[k] <= p.met_max_km * 1000]
    dirs: list[float] = []
    speeds: list[float] = []
    for k in order[: max(0, p.met_stations)]:
        ts, d, v = met.series[met.ids[k]]
        a, b = np.searchsorted(ts, lo, "left"), np.searchsorted(ts, hi, "left")
        dirs.extend(d[a:b].tolist())
        speeds.extend(v[a:b].tolist())
    return mean_wind(dirs, speeds)
