"""Composite index (空气质量综合指数) and ranking of areas over a period, from the lake.

The index itself is computed by the Ibis expressions of :mod:`lantian.rules.ambient_index`
(the same code as ``lantian ambient index``/``rank``). This module adds what an officer's
page needs around it:

- **Period validity** (:func:`required_valid_days`): an area's period statistic of a
  pollutant counts only with enough valid daily values (GB 3095-2012 Table 4: a monthly
  mean needs ≥ 27 daily means, ≥ 25 in February; an annual mean ≥ 324). An area lacking
  them for any of the six pollutants is listed as 数据不足 and not ranked.
- **Ranking among valid areas** within their city (rank 1 = cleanest; ties share a rank),
  by the weighted composite index (equal weights by default).
- **Scope**: with a user, only the stations that user sees (``auth/visibility.py``) count,
  so a district officer ranks the townships of their district.
- **Areas without data**: every area of the visible stations is listed, those without
  valid data as 无数据, so silence is never mistaken for clean air.

References
----------
.. [1] HJ 663-2013 环境空气质量评价技术规范（试行）, §5–§6.
.. [2] GB 3095-2012 环境空气质量标准, Table 4 (数据统计的有效性规定): 年平均 ≥ 324 个日平均
   浓度值; 月平均 ≥ 27 个日平均浓度值（二月至少 25 个）.
.. [3] 城市环境空气质量排名技术规定 (环办监测〔2018〕19号): 指数越小排名越前, 数值相同并列.
   Other periods than a calendar month or year have no count in the standard; this module
   scales the annual count (324 of 365 days) to the period's length — a local convention,
   marked as such on the page.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.timeutil import CST

LEVELS: tuple[str, ...] = ("township", "district", "city", "station")
"""Area levels offered on the page (as in :data:`lantian.rules.ambient_index.LEVELS`)."""

MONTH_MIN_DAYS = 27
"""GB 3095-2012 Table 4: valid daily means a monthly mean needs."""
FEBRUARY_MIN_DAYS = 25
"""GB 3095-2012 Table 4: valid daily means a February mean needs."""
YEAR_MIN_DAYS = 324
"""GB 3095-2012 Table 4: valid daily means an annual mean needs."""


@dataclass(frozen=True)
class Validity:
    """How many valid days each pollutant needs in a period, and why."""

    days: int
    basis: str
    """``month``, ``february``, ``year`` (GB 3095-2012 Table 4) or ``scaled`` (local)."""


def required_valid_days(start: date, end: date) -> Validity:
    """Valid daily values each pollutant needs over ``[start, end)`` (CST calendar days).

    A calendar month needs 27 (February 25), a calendar year 324 (GB 3095-2012 Table 4);
    any other period needs ``ceil(n_days × 324 / 365)``, at least 1 (local convention).

    Raises
    ------
    ValueError
        If ``end`` is not after ``start``.
    """
    if end <= start:
        raise ValueError("the period's end must be after its start")
    n_days = (end - start).days
    if start.day == 1 and end == _next_month(start):
        if start.month == 2:
            return Validity(FEBRUARY_MIN_DAYS, "february")
        return Validity(MONTH_MIN_DAYS, "month")
    if start.month == 1 and start.day == 1 and end == date(start.year + 1, 1, 1):
        return Validity(YEAR_MIN_DAYS, "year")
    return Validity(max(1, math.ceil(n_days * YEAR_MIN_DAYS / 365)), "scaled")


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def month_bounds(month: str) -> tuple[date, date]:
    """``YYYY-MM`` → (first day, first day of the next month).

    Raises
    ------
    ValueError
        If ``month`` is not ``YYYY-MM``.
    """
    try:
        first = datetime.strptime(month, "%Y-%m").date()
    except ValueError as exc:
        raise ValueError(f"month must be YYYY-MM, not {month!r}") from exc
    return first, _next_month(first)


@dataclass
class AreaIndex:
    """One area's composite index over the period, its validity and its rank."""

    level: str
    key: tuple[str, ...]
    name: str
    city: str | None
    district: str | None = None
    township: str | None = None
    composite_index: float | None = None
    weighted_index: float | None = None
    primary_pollutant: str | None = None
    single: dict[str, float | None] = field(default_factory=dict)
    """Pollutant → single index I_i = C_i / S_i."""
    concentration: dict[str, float | None] = field(default_factory=dict)
    """Pollutant → C_i (µg/m³; CO mg/m³)."""
    valid_days: dict[str, int] = field(default_factory=dict)
    short: list[str] = field(default_factory=list)
    """Pollutants with fewer valid days than required."""
    n_exceeding: int = 0
    rank: int | None = None
    rank_worst: int | None = None
    n_ranked: int | None = None
    lon: float | None = None
    lat: float | None = None

    @property
    def status(self) -> str:
        """``ranked``, ``insufficient`` (数据不足) or ``no_data`` (无数据)."""
        if self.composite_index is None:
            return "no_data"
        return "ranked" if not self.short else "insufficient"


@dataclass
class AreaRanking:
    """The areas of one level over a period."""

    level: str
    start: date
    end: date
    validity: Validity
    weights: dict[str, float]
    areas: list[AreaIndex]


def rank_valid(areas: Sequence[AreaIndex]) -> None:
    """Set ``rank``/``rank_worst``/``n_ranked`` of the areas without a data shortfall.

    Ranked within the city by the weighted index (rank 1 = smallest index; equal values
    share the smaller rank, as SQL ``RANK``); the others keep ``None``.
    """
    by_city: dict[str | None, list[AreaIndex]] = {}
    for a in areas:
        a.rank = a.rank_worst = a.n_ranked = None
        if a.status == "ranked" and a.weighted_index is not None:
            by_city.setdefault(a.city, []).append(a)
    for group in by_city.values():
        values = sorted(a.weighted_index for a in group if a.weighted_index is not None)
        for a in group:
            w = a.weighted_index
            assert w is not None
            a.rank = 1 + sum(1 for v in values if v < w)
            a.rank_worst = 1 + sum(1 for v in values if v > w)
            a.n_ranked = len(group)


def _num(value: Any) -> float | None:
    if value is None:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def area_ranking(
    session: Session,
    lake: Any,
    level: str,
    start: date,
    end: date,
    *,
    user: Any | None = None,
    weights: Mapping[str, float] | None = None,
) -> AreaRanking:
    """Composite index of every area of ``level`` over ``[start, end)`` (CST days).

    Parameters
    ----------
    session
        Registry database (stations).
    lake
        :class:`lantian.lake.Lake` holding ``ambient_hourly``.
    level
        ``township``, ``district``, ``city`` or ``station``.
    start, end
        The period, calendar days in CST, ``end`` exclusive.
    user
        Limit the stations to those this user sees (None: all).
    weights
        Pollutant → ranking weight (default equal).

    Raises
    ------
    ValueError
        Unknown level, empty period or unknown pollutant in ``weights``.
    """
    import ibis

    from lantian.registry.models import Station
    from lantian.rules.ambient_index import (
        COLUMN_OF,
        DEFAULT_WEIGHTS,
        KEYS,
        POLLUTANTS,
        Period,
        ambient_index,
    )
    from lantian.rules.platform import lake_ambient

    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}")
    validity = required_valid_days(start, end)
    w = dict(DEFAULT_WEIGHTS) | dict(weights or {})
    t0 = datetime(start.year, start.month, start.day, tzinfo=CST)
    t1 = datetime(end.year, end.month, end.day, tzinfo=CST)

    stmt = select(Station)
    if user is not None:
        from lantian.auth.visibility import visible

        stmt = stmt.where(visible(user, "station", session=session))
    stations = list(session.scalars(stmt.order_by(Station.station_id)))
    key_cols = ["station_id"] if level == "station" else KEYS[level]

    def key_of(row: Mapping[str, Any]) -> tuple[str, ...]:
        return tuple(str(row.get(c) or "") for c in key_cols)

    areas: dict[tuple[str, ...], AreaIndex] = {}
    coords: dict[tuple[str, ...], list[tuple[float, float]]] = {}
    for st in stations:
        row = {c: getattr(st, c, None) for c in ("station_id", "city", "district", "township")}
        if level != "station" and not row.get(key_cols[-1]):
            continue  # a station without a township counts only at coarser levels
        key = key_of(row)
        if key not in areas:
            areas[key] = AreaIndex(
                level=level,
                key=key,
                name=st.name if level == "station" else key[-1],
                city=st.city,
                district=st.district if level in ("district", "township", "station") else None,
                township=st.township if level in ("township", "station") else None,
            )
        if st.lon is not None and st.lat is not None:
            coords.setdefault(key, []).append((st.lon, st.lat))
    for key, points in coords.items():  # an area's marker: the mean of its stations
        areas[key].lon = sum(p[0] for p in points) / len(points)
        areas[key].lat = sum(p[1] for p in points) / len(points)
    ids = [st.station_id for st in stations]
    if ids:
        con = ibis.duckdb.connect()
        ambient, st_table = lake_ambient(lake, session, t0, t1, backend=con)
        st_table = st_table.filter(st_table.station_id.isin(ids))
        expr = ambient_index(
            ambient,
            st_table,
            level,  # type: ignore[arg-type]
            Period(t0, t1),
            w,
        )
        for rec in con.execute(expr).to_dict("records"):
            key = key_of(rec)
            area = areas.get(key)
            if area is None:
                continue
            area.composite_index = _num(rec.get("composite_index"))
            area.weighted_index = _num(rec.get("weighted_index"))
            area.primary_pollutant = rec.get("primary_pollutant") or None
            area.n_exceeding = int(_num(rec.get("n_exceeding")) or 0)
            for name in POLLUTANTS:
                col = COLUMN_OF[name]
                area.single[name] = _num(rec.get(f"i_{col}"))
                area.concentration[name] = _num(rec.get(f"c_{col}"))
                days = int(_num(rec.get(f"days_{col}")) or 0)
                area.valid_days[name] = days
                if days < validity.days:
                    area.short.append(name)
    out = list(areas.values())
    rank_valid(out)
    out.sort(
        key=lambda a: (
            a.city or "",
            {"ranked": 0, "insufficient": 1, "no_data": 2}[a.status],
            a.rank or 0,
            a.weighted_index if a.weighted_index is not None else math.inf,
            a.name,
        )
    )
    return AreaRanking(level, start, end, validity, w, out)


def as_json(ranking: AreaRanking) -> dict[str, Any]:
    """The ranking as a JSON-ready dict (API and tests)."""
    return {
        "level": ranking.level,
        "start": ranking.start.isoformat(),
        "end": ranking.end.isoformat(),
        "required_valid_days": ranking.validity.days,
        "validity_basis": ranking.validity.basis,
        "weights": ranking.weights,
        "areas": [
            {
                "name": a.name,
                "key": list(a.key),
                "city": a.city,
                "district": a.district,
                "township": a.township,
                "status": a.status,
                "rank": a.rank,
                "rank_worst": a.rank_worst,
                "n_ranked": a.n_ranked,
                "composite_index": a.composite_index,
                "weighted_index": a.weighted_index,
                "primary_pollutant": a.primary_pollutant,
                "n_exceeding": a.n_exceeding,
                "single_index": a.single,
                "concentration": a.concentration,
                "valid_days": a.valid_days,
                "short_of_days": a.short,
                "lon": a.lon,
                "lat": a.lat,
            }
            for a in ranking.areas
        ],
    }


def default_month(today: date) -> str:
    """The month shown by default: the previous month until the 5th, then the current one."""
    first = today.replace(day=1)
    if today.day <= 5:
        first = (first - timedelta(days=1)).replace(day=1)
    return first.strftime("%Y-%m")


__all__ = [
    "LEVELS",
    "AreaIndex",
    "AreaRanking",
    "Validity",
    "area_ranking",
    "as_json",
    "default_month",
    "month_bounds",
    "rank_valid",
    "required_valid_days",
]
