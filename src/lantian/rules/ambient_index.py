"""Ambient air-quality composite index (空气质量综合指数) and area ranking, as Ibis expressions.

The composite index of an area over an assessment period is

    I_sum = Σ_i I_i,   I_i = C_i / S_i

over the six basic pollutants of GB 3095-2012, where C_i is the period statistic of
pollutant *i* and S_i its Grade II limit (:data:`GRADE_II_LIMITS`):

* SO2, NO2, PM10, PM2.5: the period mean of the valid daily means (µg/m³), compared with
  the annual Grade II limit;
* CO: the 95th percentile of the valid daily means (mg/m³), compared with the 24-h limit;
* O3: the 90th percentile of the valid daily maximum 8-h moving means (µg/m³), compared
  with the 8-h limit.

The primary pollutant (首要污染物) of the composite index is the pollutant with the largest
single index I_i; unlike the daily AQI rule of HJ 633-2012 (primary pollutant only when
AQI > 50) there is no threshold. Pollutants with I_i > 1 exceed the standard (超标).

Data validity (GB 3095-2012 Table 4 "数据统计的有效性规定", HJ 663-2013 §6):

* a daily mean needs ≥ 20 valid hourly values (:data:`MIN_HOURS_PER_DAY`);
* an 8-h moving mean needs ≥ 6 valid hourly values (:data:`MIN_HOURS_PER_8H`);
* the daily maximum 8-h mean is taken over the 8-h means ending between 08:00 and 24:00
  of the day and needs ≥ 14 valid 8-h means, unless the maximum of the valid ones already
  exceeds the limit (:data:`MIN_8H_MEANS_PER_DAY`).

Area levels (HJ 663-2013: an area's concentration is the arithmetic mean over its
stations): for township, district and city the hourly values of the area's stations are
averaged first, then the same statistics are computed on the area series. A station
counts towards its township, district and city as given in ``registry/stations.csv``.

Times: ambient ``time`` is the start of the hour. Days are calendar days in China
Standard Time. Timestamps with a time zone are converted; naive timestamps are CST.
All computations are integer-hour arithmetic on epoch seconds, so the same expression
runs on DuckDB and PySpark.

References
----------
HJ 663-2013 环境空气质量评价技术规范（试行）, §5 (评价方法), §6 and Appendix A (数据统计,
percentile method). GB 3095-2012 环境空气质量标准, Table 1 (Grade II limits) and Table 4
(data validity). 城市环境空气质量排名技术规定 (环办〔2014〕; revised 环办监测〔2018〕19号):
ranking by composite index, ties share a rank; county-level ranking "参照执行".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from lantian.timeutil import CST, to_cst

POLLUTANTS: tuple[str, ...] = ("SO2", "NO2", "PM10", "PM2.5", "CO", "O3")
"""The six basic pollutants of GB 3095-2012, in the order used for ties of the maximum."""

COLUMN_OF: dict[str, str] = {
    "SO2": "so2",
    "NO2": "no2",
    "PM10": "pm10",
    "PM2.5": "pm25",
    "CO": "co",
    "O3": "o3",
}
"""Pollutant name (exchange format) → column suffix in result tables."""

GRADE_II_LIMITS: dict[str, float] = {
    "SO2": 60.0,
    "NO2": 40.0,
    "PM10": 70.0,
    "PM2.5": 35.0,
    "CO": 4.0,
    "O3": 160.0,
}
"""S_i: GB 3095-2012 Grade II limits used by the composite index.

Annual limits for SO2, NO2, PM10, PM2.5 (µg/m³); 24-h limit for CO (mg/m³); daily
maximum 8-h limit for O3 (µg/m³). Verified against GB 3095-2012 Table 1 as reposted.
"""

DEFAULT_WEIGHTS: dict[str, float] = dict.fromkeys(POLLUTANTS, 1.0)
"""Unweighted composite index (HJ 663-2013 / ranking rule 2014)."""

RANKING_2018_WEIGHTS: dict[str, float] = {
    "SO2": 1.0,
    "NO2": 2.0,
    "PM10": 1.0,
    "PM2.5": 3.0,
    "CO": 1.0,
    "O3": 2.0,
}
"""Weights reportedly used by the 2018 ranking rule (环办监测〔2018〕19号).

Not verified against the primary text: use only as an explicit, configurable choice.
"""

WEIGHT_PRESETS: dict[str, dict[str, float]] = {
    "equal": DEFAULT_WEIGHTS,
    "2018": RANKING_2018_WEIGHTS,
}

MIN_HOURS_PER_DAY = 20
"""GB 3095-2012 Table 4: a 24-h mean needs at least 20 hourly values."""
MIN_HOURS_PER_8H = 6
"""GB 3095-2012 Table 4: an 8-h mean needs at least 6 hourly values."""
MIN_8H_MEANS_PER_DAY = 14
"""HJ 663-2013: a daily maximum 8-h mean needs 14 valid 8-h means (08:00–24:00)."""
CO_PERCENTILE = 0.95
O3_PERCENTILE = 0.90

Level = Literal["station", "township", "district", "city"]
LEVELS: tuple[str, ...] = ("station", "township", "district", "city")
KEYS: dict[str, list[str]] = {
    "station": ["station_id"],
    "township": ["city", "district", "township"],
    "district": ["city", "district"],
    "city": ["city"],
}
"""Key columns of each area level (township names repeat across districts)."""
RANK_WITHIN: dict[str, list[str]] = {
    "station": ["city"],
    "township": ["city"],
    "district": ["city"],
    "city": [],
}
"""Areas are ranked within their city (cities among each other)."""

_HOUR_S = 3600
_CST_OFFSET_S = 8 * _HOUR_S


@dataclass(frozen=True)
class Period:
    """An assessment period ``[start, end)``; ``None`` = open."""

    start: datetime | None = None
    end: datetime | None = None


def hour_index_cst(time: ir.TimestampValue) -> ir.IntegerValue:
    """Whole hours since 1970-01-01T00:00 China Standard Time (floor).

    Parameters
    ----------
    time
        Timestamp column; aware (any zone) or naive (taken as CST, exchange format rule).

    Returns
    -------
    Integer hour number; ``hour // 24`` is the CST day number.

    References
    ----------
    Exchange formats v1: a time without offset is China Standard Time (HJ 212 DataTime).
    """
    offset = _CST_OFFSET_S if time.type().timezone is not None else 0
    seconds = time.epoch_seconds().cast("int64") + offset
    return (seconds // _HOUR_S).cast("int64")


def _wall_seconds(value: datetime) -> int:
    """CST wall-clock epoch seconds of ``value`` (the ``t`` convention of rule inputs)."""
    return int(to_cst(value).replace(tzinfo=UTC).timestamp())


def _time_literal(value: datetime, column: ir.TimestampValue) -> ir.TimestampScalar:
    aware = to_cst(value)
    if column.type().timezone is None:
        return ibis.literal(aware.replace(tzinfo=None), type="timestamp")
    # zone names are not portable (DuckDB reads "CST" as US Central): compare in UTC
    return ibis.literal(aware.astimezone(UTC), type=dt.Timestamp(timezone="UTC"))


def _hours(ambient: ir.Table, period: Period | None) -> ir.Table:
    """Filter ``ambient`` to ``period`` and add ``hour`` (CST hour number).

    Accepts either the rule-input convention (``t``: CST wall-clock epoch seconds, see
    :mod:`lantian.rules.inputs`) or a ``time`` timestamp column.
    """
    start = period.start if period is not None else None
    end = period.end if period is not None else None
    if "t" in ambient.columns:
        a = ambient
        if start is not None:
            a = a.filter(a.t >= _wall_seconds(start))
        if end is not None:
            a = a.filter(a.t < _wall_seconds(end))
        return a.mutate(hour=(a.t // _HOUR_S).cast("int64"))
    a = ambient
    if start is not None:
        a = a.filter(a.time >= _time_literal(start, a.time))
    if end is not None:
        a = a.filter(a.time < _time_literal(end, a.time))
    return a.mutate(hour=hour_index_cst(a.time))


def area_hourly(
    ambient: ir.Table,
    stations: ir.Table,
    level: Level = "station",
    period: Period | None = None,
) -> ir.Table:
    """Hourly concentrations per area: one row per (area keys, hour, pollutant).

    Parameters
    ----------
    ambient
        ``data/ambient_hourly`` table: station_id, time (or ``t``, CST wall-clock epoch
        seconds as in :class:`lantian.rules.inputs.Inputs`), pollutant, value (µg/m³; CO
        mg/m³).
    stations
        ``registry/stations`` table: station_id, city, district, township.
    level
        station, township, district or city.
    period
        Keep hours whose start lies in ``[start, end)``.

    Returns
    -------
    Table with the level's key columns, ``hour`` (CST hour number), ``pollutant``,
    ``value`` (mean over the area's stations with a value that hour) and ``n_stations``.

    References
    ----------
    HJ 663-2013 §5: an area's concentration is the arithmetic mean of its stations.
    GB 3095-2012 Table 1 units.
    """
    if level not in KEYS:
        raise ValueError(f"unknown level {level!r}; expected one of {', '.join(LEVELS)}")
    a = ambient.filter(
        ambient.pollutant.isin(list(POLLUTANTS)),
        ambient.value.notnull(),
        ambient.value >= 0,
    )
    a = _hours(a, period)
    a = a.mutate(value=a.value.cast("float64"))
    # one value per station, hour and pollutant (duplicates are averaged)
    per_station = a.group_by(["station_id", "hour", "pollutant"]).aggregate(value=a.value.mean())
    keys = KEYS[level]
    missing = [k for k in keys if k not in stations.columns]
    if missing:
        raise ValueError(f"stations table lacks {', '.join(missing)}: needed for the {level} level")
    if level == "station":
        reg = stations.select("station_id", "city")
        joined = per_station.left_join(reg, "station_id").select(
            "station_id", "city", "hour", "pollutant", "value"
        )
        return joined.mutate(n_stations=ibis.literal(1, type="int64"))
    reg = stations.select("station_id", *keys)
    for key in keys:
        reg = reg.filter(reg[key].notnull() & (reg[key].cast("string") != ""))
    joined = per_station.inner_join(reg, "station_id")
    return joined.group_by([*keys, "hour", "pollutant"]).aggregate(
        value=joined.value.mean(), n_stations=joined.station_id.nunique().cast("int64")
    )


def daily_values(hourly: ir.Table, keys: Sequence[str]) -> ir.Table:
    """Valid daily statistics per area and pollutant.

    For SO2, NO2, PM10, PM2.5 and CO the daily mean of the hourly values (valid with
    ≥ :data:`MIN_HOURS_PER_DAY` hours); for O3 the daily maximum 8-h moving mean (8-h means
    with ≥ :data:`MIN_HOURS_PER_8H` hours, ending 08:00–24:00; valid with
    ≥ :data:`MIN_8H_MEANS_PER_DAY` of them or when the maximum exceeds the O3 limit).

    Parameters
    ----------
    hourly
        Output of :func:`area_hourly`.
    keys
        The level's key columns.

    Returns
    -------
    Table: keys, ``pollutant``, ``day`` (CST day number), ``value`` and ``n`` (hours or
    8-h means behind it); only valid days.

    References
    ----------
    GB 3095-2012 Table 4; HJ 663-2013 §6 and Appendix A (daily maximum 8-h mean).
    """
    keys = list(keys)
    h = hourly.mutate(day=(hourly.hour // 24).cast("int64"))
    other = h.filter(h.pollutant != "O3")
    daily = other.group_by([*keys, "pollutant", "day"]).aggregate(
        value=other.value.mean(), n=other.value.count().cast("int64")
    )
    daily = daily.filter(daily.n >= MIN_HOURS_PER_DAY)

    o3 = h.filter(h.pollutant == "O3")
    # every hour contributes to the 8-h windows ending at it and at the next 7 hours, so a
    # window exists even when its last hour is missing (8-h validity: >= 6 of 8 hours)
    shifted = ibis.union(
        *[o3.select(*keys, "value", end=(o3.hour + k).cast("int64")) for k in range(8)],
        distinct=False,
    )
    m8 = shifted.group_by([*keys, "end"]).aggregate(
        mean8=shifted.value.mean(), n8=shifted.value.count()
    )
    m8 = m8.mutate(day=(m8.end // 24).cast("int64"), pollutant=ibis.literal("O3"))
    # 8-h means ending 08:00..24:00: windows whose last hour starts at 07:00..23:00
    o3 = m8.filter(((m8.end - m8.day * 24) >= 7) & (m8.n8 >= MIN_HOURS_PER_8H))
    o3d = o3.group_by([*keys, "pollutant", "day"]).aggregate(
        value=o3.mean8.max(), n=o3.mean8.count().cast("int64")
    )
    o3d = o3d.filter((o3d.n >= MIN_8H_MEANS_PER_DAY) | (o3d.value > GRADE_II_LIMITS["O3"]))
    return daily.union(o3d.select(daily.columns))


def period_concentrations(daily: ir.Table, keys: Sequence[str]) -> ir.Table:
    """C_i per area over the period, wide: ``c_<pollutant>`` and ``days_<pollutant>``.

    Means of the daily means for SO2, NO2, PM10, PM2.5; 95th percentile of the daily means
    for CO; 90th percentile of the daily maximum 8-h means for O3 (linear interpolation
    between order statistics, HJ 663-2013 Appendix A).

    Parameters
    ----------
    daily
        Output of :func:`daily_values`.
    keys
        The level's key columns.

    Returns
    -------
    One row per area with ``c_so2`` … ``c_o3`` (µg/m³, CO mg/m³; null without valid
    days), ``days_so2`` … (valid days) and ``first_day``/``last_day`` (CST day numbers).

    References
    ----------
    HJ 663-2013 §5.1 and Appendix A (percentile ``k = 1 + (n − 1)·p``).
    """
    keys = list(keys)
    aggs: dict[str, Any] = {}
    for name, col in COLUMN_OF.items():
        sel = daily.pollutant == name
        v = ibis.ifelse(sel, daily.value, ibis.null("float64"))
        if name == "CO":
            aggs[f"c_{col}"] = v.quantile(CO_PERCENTILE)
        elif name == "O3":
            aggs[f"c_{col}"] = v.quantile(O3_PERCENTILE)
        else:
            aggs[f"c_{col}"] = v.mean()
        aggs[f"days_{col}"] = v.count().cast("int64")
    aggs["first_day"] = daily.day.min()
    aggs["last_day"] = daily.day.max()
    return daily.group_by(keys).aggregate(**aggs)


def composite_index(
    concentrations: ir.Table, weights: Mapping[str, float] | None = None
) -> ir.Table:
    """Single indices, composite index, weighted index and primary pollutant.

    Parameters
    ----------
    concentrations
        Output of :func:`period_concentrations`.
    weights
        Pollutant → weight for ``weighted_index`` (default all 1, then equal to
        ``composite_index``). The unweighted index is always reported.

    Returns
    -------
    The input plus ``i_so2`` … ``i_o3`` (I_i = C_i / S_i), ``composite_index`` (Σ I_i over
    the pollutants with data), ``weighted_index`` (Σ w_i·I_i), ``n_pollutants``,
    ``complete`` (all six present), ``primary_pollutant`` (argmax I_i; ties in the order of
    :data:`POLLUTANTS`), ``max_index`` and ``n_exceeding`` (I_i > 1).

    References
    ----------
    HJ 663-2013 §5.3 综合指数; GB 3095-2012 Table 1; 城市环境空气质量排名技术规定
    (首要污染物: 单项指数最大者).
    """
    w = dict(DEFAULT_WEIGHTS)
    if weights is not None:
        unknown = set(weights) - set(POLLUTANTS)
        if unknown:
            raise ValueError(f"unknown pollutant(s) in weights: {', '.join(sorted(unknown))}")
        w.update(weights)
    t = concentrations.mutate(
        **{
            f"i_{col}": concentrations[f"c_{col}"] / GRADE_II_LIMITS[name]
            for name, col in COLUMN_OF.items()
        }
    )
    single = [t[f"i_{col}"] for col in COLUMN_OF.values()]
    composite: ir.FloatingValue = ibis.literal(0.0)
    weighted: ir.FloatingValue = ibis.literal(0.0)
    present: ir.IntegerValue = ibis.literal(0, type="int64")
    for name, value in zip(POLLUTANTS, single, strict=True):
        composite = composite + value.fill_null(0.0)
        weighted = weighted + value.fill_null(0.0) * w[name]
        present = present + value.notnull().cast("int64")
    maximum = ibis.greatest(*[v.fill_null(-1.0) for v in single])
    primary = ibis.cases(
        *[
            (value.notnull() & (value.fill_null(-1.0) == maximum), ibis.literal(name))
            for name, value in zip(POLLUTANTS, single, strict=True)
        ],
        else_=ibis.null("string"),
    )
    exceeding: ir.IntegerValue = ibis.literal(0, type="int64")
    for value in single:
        exceeding = exceeding + (value.fill_null(0.0) > 1.0).cast("int64")
    t = t.mutate(
        composite_index=ibis.ifelse(present > 0, composite, ibis.null("float64")),
        weighted_index=ibis.ifelse(present > 0, weighted, ibis.null("float64")),
        n_pollutants=present,
        complete=present == len(POLLUTANTS),
        primary_pollutant=primary,
        max_index=ibis.ifelse(present > 0, maximum, ibis.null("float64")),
        n_exceeding=exceeding,
    )
    return t


def ambient_index(
    ambient: ir.Table,
    stations: ir.Table,
    level: Level = "station",
    period: Period | None = None,
    weights: Mapping[str, float] | None = None,
) -> ir.Table:
    """Composite index per area of ``level`` over ``period`` (one row per area).

    Parameters
    ----------
    ambient, stations
        Exchange-format tables (see :func:`area_hourly`).
    level
        station, township, district or city.
    period
        Assessment period ``[start, end)`` (default: all data).
    weights
        Ranking weights (see :func:`composite_index`).

    Returns
    -------
    Table of :func:`composite_index` with ``level`` and the level's key columns.

    References
    ----------
    HJ 663-2013; GB 3095-2012.
    """
    keys = KEYS[level]
    out_keys = ["station_id", "city"] if level == "station" else keys
    hourly = area_hourly(ambient, stations, level, period)
    daily = daily_values(hourly, out_keys)
    conc = period_concentrations(daily, out_keys)
    result = composite_index(conc, weights)
    return result.mutate(level=ibis.literal(level))


def rank_areas(index: ir.Table, level: Level, by: str = "weighted_index") -> ir.Table:
    """Rank areas by their (weighted) composite index within their city.

    Rank 1 is the cleanest area (smallest index), as in the official ranking; ties share
    the rank (``RANK``). ``rank_worst`` counts from the most polluted (1 = worst), the
    order in which supervision pushes problem townships.

    Parameters
    ----------
    index
        Output of :func:`ambient_index`.
    level
        The level of ``index`` (selects the ranking scope, :data:`RANK_WITHIN`).
    by
        ``weighted_index`` (default) or ``composite_index``.

    Returns
    -------
    ``index`` plus ``rank``, ``rank_worst`` and ``n_ranked`` (areas in the scope).

    References
    ----------
    城市环境空气质量排名技术规定 (环办监测〔2018〕19号): 指数越小排名越前, 数值相同并列.
    """
    group = RANK_WITHIN[level]
    ranked = index.filter(index[by].notnull())
    asc = ibis.window(group_by=group or None, order_by=[ranked[by]])
    desc = ibis.window(group_by=group or None, order_by=[ranked[by].desc()])
    scope = ibis.window(group_by=group or None)
    return ranked.mutate(
        rank=(ibis.rank().over(asc) + 1).cast("int64"),
        rank_worst=(ibis.rank().over(desc) + 1).cast("int64"),
        n_ranked=ranked[by].count().over(scope).cast("int64"),
    )


def day_to_date_cst(day: int) -> datetime:
    """CST midnight of a day number from :func:`hour_index_cst` ``// 24``."""
    return datetime.fromtimestamp(day * 86400 - _CST_OFFSET_S, tz=CST)
