"""Clue map layers (issue #17): grid cells, mobile tracks, camera alarms, gate records.

Queries behind ``/api/layers/*`` (:mod:`lantian.web.api.layers`). Officers only (the
router refuses enterprise accounts); each layer is limited to the caller's jurisdiction:

* grid cells by their ``city``/``district`` (DB table ``grids``) with the region rule of
  :func:`lantian.auth.scope.region_clause` (a province work group: the cities of its
  province, as for stations);
* alarms and gate records of an enterprise by :func:`lantian.auth.visibility.visible`
  ``"enterprise"``; alarms without an enterprise and track points by position: inside the
  bounding box of the grid cells, enterprises and stations the caller sees, padded by
  :data:`BBOX_PAD_DEG` (an approximation of the jurisdiction; an unlimited caller gets
  everything).

Every response is bounded (``limit`` arguments, at most the ``MAX_*`` constants). Times
in responses are ISO 8601 in China Standard Time; concentrations in µg/m³.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from lantian.auth.scope import UserLike, region_clause
from lantian.auth.visibility import cities_of_province, visible
from lantian.lake import Lake
from lantian.registry.models import Alert, Enterprise, Grid, Measure, Station
from lantian.timeutil import CST, isoformat_cst

MAX_GRID_CELLS = 5000
"""At most this many grid cells per hour."""
MAX_HOURS = 168
"""At most this many available hours are listed (the latest ones)."""
MAX_TRACK_POINTS = 20000
"""At most this many track points per day (evenly thinned per vehicle beyond that)."""
MAX_ALARMS = 2000
"""At most this many alarm markers per request (the latest ones)."""
MAX_GATES = 2000
"""At most this many gate aggregates per request."""
MAX_WINDOW_DAYS = 31
"""Longest ``from``..``to`` window of the alarm and gate layers [days]."""
BBOX_PAD_DEG = 0.05
"""Padding of the jurisdiction bounding box [degrees] (about 5 km)."""


def _unlimited(user: UserLike) -> bool:
    return user.role == "admin" or (
        user.role == "work_group" and not user.province and not user.city
    )


def visible_grids(db: Session, user: UserLike, limit: int = MAX_GRID_CELLS) -> list[Grid]:
    """The grid cells in ``user``'s region (officers; nothing for other roles)."""
    if user.role not in ("admin", "work_group", "city_officer", "district_officer"):
        return []
    cond = region_clause(
        user,
        city=Grid.city,
        district=Grid.district,
        province=lambda p: Grid.city.in_(cities_of_province(p)),
    )
    return list(db.scalars(select(Grid).where(cond).order_by(Grid.grid_id).limit(limit)))


@dataclass(frozen=True)
class BBox:
    """A lon/lat box [degrees]."""

    west: float
    south: float
    east: float
    north: float

    def contains(self, lon: float | None, lat: float | None) -> bool:
        """True if the point is inside (a point without position is not)."""
        if lon is None or lat is None:
            return False
        return self.west <= lon <= self.east and self.south <= lat <= self.north


def jurisdiction_bbox(db: Session, user: UserLike) -> BBox | None:
    """Bounding box of what ``user`` sees, padded; None when unlimited. A caller who sees
    nothing with a position gets an empty box (nothing is inside)."""
    if _unlimited(user):
        return None
    lons: list[float] = []
    lats: list[float] = []
    for g in visible_grids(db, user):
        lons.append(g.lon)
        lats.append(g.lat)
    for model, kind in ((Enterprise, "enterprise"), (Station, "station")):
        row: Any = db.execute(
            select(
                func.min(model.lon), func.min(model.lat), func.max(model.lon), func.max(model.lat)
            ).where(visible(user, kind), model.lon.is_not(None), model.lat.is_not(None))
        ).one()
        if row[0] is not None:
            lons += [float(row[0]), float(row[2])]
            lats += [float(row[1]), float(row[3])]
    if not lons:
        return BBox(0.0, 0.0, -1.0, -1.0)
    p = BBOX_PAD_DEG
    return BBox(min(lons) - p, min(lats) - p, max(lons) + p, max(lats) + p)


def _rows(lake: Lake, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` on a shared DuckDB cursor; an empty or unreadable lake gives []."""
    if not lake.root.exists():
        return []
    from lantian.lake.store import shared_cursor

    con = shared_cursor()
    try:
        return [tuple(r) for r in con.execute(sql, list(params)).fetchall()]
    finally:
        with contextlib.suppress(Exception):
            con.close()


def _iso(t: Any) -> str:
    return isoformat_cst(t) if isinstance(t, datetime) else str(t)


def _num(v: Any) -> float | None:
    return None if v is None else float(v)


def grid_layer(
    db: Session, lake: Lake, user: UserLike, at: datetime | None, limit: int = MAX_GRID_CELLS
) -> dict[str, Any]:
    """Grid cells with PM2.5/PM10 [µg/m³] of one hour, and the available hours.

    ``at`` (aware; naive = CST) is truncated to its hour; None = the latest available hour
    of the caller's cells. ``hours`` lists the latest :data:`MAX_HOURS` hours with data.
    """
    grids = {g.grid_id: g for g in visible_grids(db, user, min(limit, MAX_GRID_CELLS))}
    out: dict[str, Any] = {"time": None, "hours": [], "cells": []}
    if not grids:
        return out
    ids = sorted(grids)
    src = lake.scan_sql("grid_hourly", ids=ids)
    hours = [
        r[0]
        for r in _rows(
            lake, f"SELECT DISTINCT time FROM {src} ORDER BY time DESC LIMIT {MAX_HOURS}"
        )
    ]
    out["hours"] = [_iso(h) for h in reversed(hours)]
    if at is None:
        if not hours:
            return out
        start = hours[0]
    else:
        start = (at if at.tzinfo else at.replace(tzinfo=CST)).replace(
            minute=0, second=0, microsecond=0
        )
    end = start + timedelta(hours=1)
    rows = _rows(
        lake,
        f"SELECT grid_id, pm25, pm10 FROM {lake.scan_sql('grid_hourly', start, end, ids=ids)}"
        " ORDER BY grid_id",
    )
    out["time"] = _iso(start)
    out["cells"] = [
        {
            "grid_id": gid,
            "lon": grids[gid].lon,
            "lat": grids[gid].lat,
            "cell_km": grids[gid].cell_km,
            "pm25": _num(pm25),
            "pm10": _num(pm10),
        }
        for gid, pm25, pm10 in rows
        if gid in grids
    ][:limit]
    return out


def day_window(day: date) -> tuple[datetime, datetime]:
    """00:00 CST of ``day`` and of the next day."""
    start = datetime.combine(day, time(0), CST)
    return start, start + timedelta(days=1)


def tracks_layer(
    db: Session, lake: Lake, user: UserLike, day: date, limit: int = MAX_TRACK_POINTS
) -> dict[str, Any]:
    """Mobile monitoring (走航) points of one CST day per vehicle, in the caller's area.

    Each vehicle: ``points = [[lon, lat, value, time], ...]`` in time order per pollutant
    (value µg/m³). Beyond ``limit`` points in all, each vehicle's points are thinned
    evenly (``thinned`` is then true).
    """
    limit = max(1, min(limit, MAX_TRACK_POINTS))
    start, end = day_window(day)
    box = jurisdiction_bbox(db, user)
    src = lake.scan_sql("mobile_track", start, end)
    where = ""
    params: list[Any] = []
    if box is not None:
        where = " WHERE lon BETWEEN ? AND ? AND lat BETWEEN ? AND ?"
        params = [box.west, box.east, box.south, box.north]
    rows = _rows(
        lake,
        f"SELECT vehicle_id, pollutant, time, lon, lat, value FROM {src}{where}"
        " ORDER BY vehicle_id, pollutant, time",
        params,
    )
    step = max(1, -(-len(rows) // limit))
    tracks: dict[tuple[str, str], list[list[Any]]] = {}
    for i, (vid, pol, t, lon, lat, value) in enumerate(rows):
        if i % step:
            continue
        tracks.setdefault((vid, pol), []).append([lon, lat, _num(value), _iso(t)])
    return {
        "date": day.isoformat(),
        "thinned": step > 1,
        "tracks": [
            {"vehicle_id": vid, "pollutant": pol, "points": pts}
            for (vid, pol), pts in tracks.items()
        ],
    }


def check_window(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """``start``..``end`` (naive = CST) if ordered and at most :data:`MAX_WINDOW_DAYS` long.

    Raises
    ------
    ValueError
        End not after start, or the window too long.
    """
    start = start if start.tzinfo else start.replace(tzinfo=CST)
    end = end if end.tzinfo else end.replace(tzinfo=CST)
    if end <= start:
        raise ValueError("to must be after from")
    if end - start > timedelta(days=MAX_WINDOW_DAYS):
        raise ValueError(f"the window is at most {MAX_WINDOW_DAYS} days")
    return start, end


def _visible_enterprises(db: Session, user: UserLike) -> dict[str, Enterprise]:
    return {
        e.enterprise_id: e
        for e in db.scalars(select(Enterprise).where(visible(user, "enterprise", session=db)))
    }


def alarms_layer(
    db: Session, lake: Lake, user: UserLike, start: datetime, end: datetime, limit: int = MAX_ALARMS
) -> dict[str, Any]:
    """Camera / drone / thermal / patrol alarm markers in ``start``..``end``, latest first.

    An alarm about an enterprise is shown if the caller sees the enterprise (its position
    defaults to the enterprise's); one without an enterprise if its position lies in the
    caller's area (:func:`jurisdiction_bbox`).
    """
    limit = max(1, min(limit, MAX_ALARMS))
    start, end = check_window(start, end)
    ents = _visible_enterprises(db, user)
    box = jurisdiction_bbox(db, user)
    rows = _rows(
        lake,
        "SELECT alarm_id, time, alarm_source, camera_id, lon, lat, kind, confidence,"
        f" enterprise_id FROM {lake.scan_sql('camera_alarms', start, end)}"
        " ORDER BY time DESC, alarm_id",
    )
    out: list[dict[str, Any]] = []
    for aid, t, source, cam, lon, lat, kind, conf, eid in rows:
        ent = ents.get(eid) if eid else None
        if eid and ent is None:
            continue
        if ent is None and box is not None and not box.contains(lon, lat):
            continue
        if (lon is None or lat is None) and ent is not None:
            lon, lat = ent.lon, ent.lat
        if lon is None or lat is None:
            continue
        out.append(
            {
                "alarm_id": aid,
                "time": _iso(t),
                "source": source,
                "camera_id": cam,
                "lon": lon,
                "lat": lat,
                "kind": kind,
                "confidence": _num(conf),
                "enterprise_id": eid,
                "enterprise_name": ent.name if ent is not None else None,
            }
        )
        if len(out) >= limit:
            break
    return {"from": _iso(start), "to": _iso(end), "alarms": out, "truncated": len(out) >= limit}


def gates_layer(
    db: Session, lake: Lake, user: UserLike, start: datetime, end: datetime, limit: int = MAX_GATES
) -> dict[str, Any]:
    """Gate (门禁) records in ``start``..``end`` per enterprise and gate of the caller's
    enterprises: passages, entries, diesel heavy-truck entries, of those the entries below
    国V (``emission_standard`` < 5), the lowest standard seen, and ``violations``: entries
    during an alert of the enterprise's city below the measure's ``truck_min_standard``
    (:func:`restricted_intervals`; as rule GATE-VIOLATION). Positioned at the enterprise.
    """
    limit = max(1, min(limit, MAX_GATES))
    start, end = check_window(start, end)
    ents = _visible_enterprises(db, user)
    if not ents:
        return {"from": _iso(start), "to": _iso(end), "gates": []}
    src = lake.scan_sql("gate_records", start, end, ids=sorted(ents))
    heavy = "(vehicle_type = 'heavy_truck' AND fuel = 'diesel' AND direction = 'in')"
    rows = _rows(
        lake,
        "SELECT enterprise_id, coalesce(gate_id, ''), count(*),"
        " count(*) FILTER (WHERE direction = 'in'),"
        f" count(*) FILTER (WHERE {heavy}),"
        f" count(*) FILTER (WHERE {heavy} AND emission_standard < 5),"
        f" min(emission_standard) FILTER (WHERE {heavy})"
        f" FROM {src} GROUP BY 1, 2 ORDER BY 1, 2",
    )
    violations = _violations(lake, src, heavy, restricted_intervals(db, ents, start, end))
    gates: list[dict[str, Any]] = []
    for eid, gate, n, n_in, n_heavy, n_low, min_std in rows:
        ent = ents.get(eid)
        if ent is None or ent.lon is None or ent.lat is None:
            continue
        gates.append(
            {
                "enterprise_id": eid,
                "enterprise_name": ent.name,
                "gate_id": gate or None,
                "lon": ent.lon,
                "lat": ent.lat,
                "passages": int(n),
                "entries": int(n_in),
                "heavy_diesel_entries": int(n_heavy),
                "below_china5_entries": int(n_low),
                "min_standard": _num(min_std),
                "violations": violations.get((eid, gate), 0),
            }
        )
        if len(gates) >= limit:
            break
    return {"from": _iso(start), "to": _iso(end), "gates": gates}


LEVEL_RANK = {"yellow": 1, "orange": 2, "red": 3}
"""Alert levels, mildest first (蓝 is not a measure level)."""
MAX_INTERVALS = 2000
"""At most this many (enterprise, alert) intervals are checked for violations."""


def required_standard(measures: Sequence[Measure], level: str) -> float | None:
    """The lowest emission standard a diesel heavy truck needs to enter at alert ``level``:
    per line the measure of that level with a ``truck_min_standard``, else that of the
    highest lower level; over the lines the strictest (highest). None = no restriction.

    References
    ----------
    .. [1] 环办大气函〔2020〕340号 (运输管控 during alerts), as rule GATE-VIOLATION.
    """
    rank = LEVEL_RANK.get(level, 0)
    best: dict[str, tuple[int, float]] = {}
    for m in measures:
        r = LEVEL_RANK.get(m.level, 0)
        if m.truck_min_standard is None or r == 0 or r > rank:
            continue
        cur = best.get(m.line_id)
        if cur is None or r > cur[0]:
            best[m.line_id] = (r, float(m.truck_min_standard))
    return max((v for _r, v in best.values()), default=None)


def restricted_intervals(
    db: Session, ents: dict[str, Enterprise], start: datetime, end: datetime
) -> list[tuple[str, datetime, datetime, float]]:
    """(enterprise, from, to, required standard) of the alerts of the enterprises' cities
    overlapping ``start``..``end`` (clipped to it), for enterprises with a restriction."""
    if not ents:
        return []
    measures: dict[str, list[Measure]] = {}
    for m in db.scalars(
        select(Measure).where(
            Measure.enterprise_id.in_(list(ents)), Measure.truck_min_standard.is_not(None)
        )
    ):
        measures.setdefault(m.enterprise_id, []).append(m)
    if not measures:
        return []
    cities = {ents[e].city for e in measures if ents[e].city}
    alerts = list(
        db.scalars(
            select(Alert).where(
                Alert.city.in_(cities),
                Alert.start < end,
                or_(Alert.end.is_(None), Alert.end > start),
            )
        )
    )
    out: list[tuple[str, datetime, datetime, float]] = []
    for eid, ms in measures.items():
        for a in alerts:
            if a.city != ents[eid].city:
                continue
            req = required_standard(ms, a.level)
            if req is None:
                continue
            lo = max(a.start, start)
            hi = min(a.end, end) if a.end is not None else end
            if lo < hi:
                out.append((eid, lo, hi, req))
    return out[:MAX_INTERVALS]


def _violations(
    lake: Lake, src: str, heavy: str, intervals: Sequence[tuple[str, datetime, datetime, float]]
) -> dict[tuple[str, str], int]:
    if not intervals:
        return {}
    values = ", ".join("(?, ?::TIMESTAMPTZ, ?::TIMESTAMPTZ, ?::DOUBLE)" for _ in intervals)
    params: list[Any] = [x for iv in intervals for x in iv]
    rows = _rows(
        lake,
        "SELECT g.enterprise_id, coalesce(g.gate_id, ''), count(DISTINCT g.record_id)"
        f" FROM {src} g JOIN (VALUES {values}) v(eid, lo, hi, req)"
        " ON g.enterprise_id = v.eid AND g.time >= v.lo AND g.time < v.hi"
        f" WHERE {heavy}"
        " AND g.emission_standard < v.req GROUP BY 1, 2",
        params,
    )
    return {(str(e), str(g)): int(n) for e, g, n in rows}
