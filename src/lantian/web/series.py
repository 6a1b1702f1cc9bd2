"""Reading measurement series for charts from the Parquet lake, with what a chart must say.

Each read opens only the day partitions of its window and filters on the device id inside
the Parquet scan (:meth:`lantian.lake.Lake.scan_sql` with ``ids``): a request costs a few
day files, not the whole lake. A missing lake, source or column gives an empty series with
a ``note`` rather than an error: a chart is never worth a 500.

Besides the series, a chart gets *reference lines*, each labelled with what it is
(:class:`Reference`): a legal emission limit with its source standard, a meter's on/off
level, the power an emergency measure allows, a rule's ratio. Nothing is called a "limit"
unless a standard sets it.

Names and units of pollutants come from :mod:`lantian.vocab` (:data:`POLLUTANT_UNITS`,
:func:`pollutant_name`); the standard behind an industry's emission limits is
:func:`emission_standard` (the notices' table in :mod:`lantian.documents.provisions`).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from lantian.settings import Settings
from lantian.timeutil import isoformat_cst, to_cst
from lantian.vocab import pollutants as vocab_pollutants
from lantian.web.deps import _
from lantian.web.labels import POLLUTANT_LABELS, label

MAX_SPAN = timedelta(days=31)
"""Longest window a chart may request."""
CONTEXT = timedelta(hours=48)
"""Data shown before and after a lead's episode."""
MAX_POINTS = 600
"""Power series are averaged over buckets so that a series has at most about this many
points (a phone draws them; minute data over a lead's window would be ~6,000)."""


@dataclass
class Series:
    """One named series of (time, value) points, times ISO 8601 with +08:00.

    ``key`` is the machine name (e.g. ``a21026`` or ``a21026:zs`` or a meter id),
    ``name`` the display name in the request's language; ``axis`` 0 is the left (value)
    axis, 1 the right one (a ratio); ``kind`` says what the series is (``measured``,
    ``corrected``, ``production``, ``treatment``, ``production_total``, ``median``,
    ``ratio``).
    """

    key: str
    name: str
    unit: str
    points: list[tuple[str, float | None]] = field(default_factory=list)
    axis: int = 0
    kind: str = "measured"

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "key": self.key,
            "name": self.name,
            "unit": self.unit,
            "axis": self.axis,
            "kind": self.kind,
            "points": self.points,
        }


@dataclass
class Reference:
    """A horizontal reference line of a chart, labelled with what it is.

    ``kind``: ``legal_limit`` (an emission limit set by ``source``, a standard),
    ``on_off_level`` (the power below which a meter counts as off), ``allowed_power``
    (what an emergency measure allows), ``normal_level`` (a meter's normal power),
    ``rule_ratio`` (the ratio at which a rule reports, on the ratio axis).
    """

    kind: str
    value: float
    unit: str
    label: str
    source: str | None = None
    axis: int = 0
    series_key: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "kind": self.kind,
            "value": self.value,
            "unit": self.unit,
            "label": self.label,
            "source": self.source,
            "axis": self.axis,
            "series_key": self.series_key,
        }


POLLUTANT_UNITS: dict[str, str] = {
    t.code: t.unit for t in vocab_pollutants.POLLUTANTS if t.unit and t.code != "kw"
}
"""Units of the charted CEMS factor codes and ambient pollutants, from :mod:`lantian.vocab`."""


def emission_standard(industry: str | None) -> str:
    """The code of the national standard behind an industry's stack limits.

    One table for the chart and the notices: :func:`lantian.documents.provisions.standard_for`.
    """
    from lantian.documents.provisions import standard_for

    return standard_for(industry).code


def pollutant_name(code: str | None) -> str:
    """Display name of a CEMS factor code or ambient pollutant in the request's language."""
    if not code:
        return ""
    if code in POLLUTANT_LABELS:
        return label(POLLUTANT_LABELS, code)
    return code


def clamp_window(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """The window [start, end) cut to at most :data:`MAX_SPAN`, in CST."""
    start, end = to_cst(start), to_cst(end)
    if end - start > MAX_SPAN:
        start = end - MAX_SPAN
    return start, end


def _iso(expr: str) -> str:
    """SQL of an ISO 8601 CST text of a TIMESTAMPTZ ``expr`` (formatted by DuckDB: converting
    thousands of values to Python datetimes and back costs more than the query)."""
    return f"strftime(timezone('Asia/Shanghai', {expr}), '%Y-%m-%dT%H:%M:%S+08:00')"


def bucket_seconds(start: datetime, end: datetime, max_points: int = MAX_POINTS) -> int:
    """Bucket length [s] (whole minutes, at least 60) giving at most ``max_points`` buckets."""
    span = (end - start).total_seconds()
    return max(60, math.ceil(span / max_points / 60) * 60)


def _query(
    settings: Settings,
    source: str,
    ids: Sequence[str],
    start: datetime,
    end: datetime,
    select_sql: str,
    params: list[Any],
) -> tuple[list[tuple[Any, ...]], str | None]:
    """Run ``select_sql`` with ``{src}`` replaced by the window's rows of ``ids`` only."""
    try:
        from lantian.lake import Lake
    except ImportError:
        return [], "lake module not available"
    if not settings.lake_dir.exists():
        return [], "lake is empty"
    try:
        from lantian.lake.store import shared_cursor

        src = Lake(settings.lake_dir).scan_sql(source, start, end, ids=ids)
        con = shared_cursor()
    except Exception as exc:  # the lake may be empty or being written
        return [], f"lake not readable: {type(exc).__name__}"
    try:
        rows = con.execute(select_sql.replace("{src}", src), params).fetchall()
    except Exception as exc:  # a file may vanish under a compaction, a column be missing
        return [], f"no data: {type(exc).__name__}"
    finally:
        with contextlib.suppress(Exception):
            con.close()
    return [tuple(r) for r in rows], None


def _ts(t: Any) -> str:
    return isoformat_cst(t) if isinstance(t, datetime) else str(t)


def _points(rows: Sequence[tuple[Any, ...]], col: int = 1) -> list[tuple[str, float | None]]:
    out: list[tuple[str, float | None]] = []
    for r in rows:
        v = r[col]
        out.append((_ts(r[0]), None if v is None else float(v)))
    return out


def cems_series(
    settings: Settings, outlet_id: str, pollutant: str | None, start: datetime, end: datetime
) -> tuple[list[Series], str | None]:
    """Hourly measured and corrected (折算) concentration of one outlet and pollutant."""
    start, end = clamp_window(start, end)
    params: list[Any] = []
    cond = ""
    if pollutant:
        cond = " WHERE pollutant = ?"
        params.append(pollutant)
    rows, note = _query(
        settings,
        "cems_hourly",
        [outlet_id],
        start,
        end,
        f"SELECT {_iso('time')}, value, zs_value, pollutant FROM {{src}}{cond} "
        "ORDER BY pollutant, time",
        params,
    )
    by_pol: dict[str, list[tuple[Any, ...]]] = {}
    for r in rows:
        by_pol.setdefault(str(r[3]), []).append(r)
    out: list[Series] = []
    for pol, prow in by_pol.items():
        unit = POLLUTANT_UNITS.get(pol, "")
        name = pollutant_name(pol)
        measured, corrected = _("measured"), _("corrected")
        out.append(Series(pol, f"{name} {measured}", unit, _points(prow, 1)))
        if any(r[2] is not None for r in prow):
            out.append(
                Series(f"{pol}:zs", f"{name} {corrected}", unit, _points(prow, 2), kind="corrected")
            )
    return out, note


def power_series(
    settings: Settings,
    meters: list[tuple[str, str]],
    start: datetime,
    end: datetime,
    kinds: dict[str, str] | None = None,
) -> tuple[list[Series], str | None]:
    """Active power (kW) of each meter, averaged over :func:`bucket_seconds` buckets.

    ``meters`` is a list of (meter_id, label), at most 12 are read, in one query;
    ``kinds`` maps a meter id to its series kind (``production`` / ``treatment``).
    """
    start, end = clamp_window(start, end)
    meters = meters[:12]
    if not meters:
        return [], None
    step = bucket_seconds(start, end)
    rows, note = _query(
        settings,
        "power",
        [m for m, _n in meters],
        start,
        end,
        f"SELECT {_iso('time_bucket(to_seconds(?), time, ?::TIMESTAMPTZ)')} AS t, meter_id, "
        "avg(kw) FROM {src} GROUP BY ALL ORDER BY meter_id, t",
        [step, start],
    )
    by_meter: dict[str, list[tuple[Any, ...]]] = {}
    for t, meter_id, kw in rows:
        by_meter.setdefault(str(meter_id), []).append((t, kw))
    kinds = kinds or {}
    return [
        Series(m, name, "kW", _points(by_meter.get(m, [])), kind=kinds.get(m, "measured"))
        for m, name in meters
    ], note


def ambient_series(
    settings: Settings, station_id: str, pollutant: str | None, start: datetime, end: datetime
) -> tuple[list[Series], str | None]:
    """Hourly ambient concentration at one station (µg/m³; CO mg/m³)."""
    start, end = clamp_window(start, end)
    params: list[Any] = []
    cond = ""
    if pollutant:
        cond = " WHERE upper(pollutant) = upper(?)"
        params.append(pollutant)
    rows, note = _query(
        settings,
        "ambient_hourly",
        [station_id],
        start,
        end,
        f"SELECT {_iso('time')}, value, pollutant FROM {{src}}{cond} ORDER BY pollutant, time",
        params,
    )
    by_pol: dict[str, list[tuple[Any, ...]]] = {}
    for r in rows:
        by_pol.setdefault(str(r[2]), []).append(r)
    return [
        Series(pol, pollutant_name(pol), POLLUTANT_UNITS.get(pol.upper(), "µg/m³"), _points(prow))
        for pol, prow in by_pol.items()
    ], note


def _median_comparison(
    settings: Settings,
    source: str,
    id_col: str,
    rows_sql: str,
    rows_params: list[Any],
    subject: str,
    others: Sequence[str],
    start: datetime,
    end: datetime,
    min_others: int,
) -> tuple[list[tuple[Any, ...]], str | None]:
    """Per hour: ``subject``'s value and the median of the ``others`` (null when fewer than
    ``min_others`` report). ``rows_sql`` selects ``id, time, value`` from ``{src}``."""
    start, end = clamp_window(start, end)
    ids = [subject, *[o for o in others if o != subject]]
    return _query(
        settings,
        source,
        ids,
        start,
        end,
        f"WITH a AS ({rows_sql}), "
        f"me AS (SELECT time, avg(value) AS v FROM a WHERE {id_col} = ? GROUP BY time), "
        f"oth AS (SELECT time, median(value) AS m, count(DISTINCT {id_col}) AS n FROM a "
        f"WHERE {id_col} <> ? GROUP BY time) "
        f"SELECT {_iso('coalesce(me.time, oth.time)')}, me.v, "
        "CASE WHEN oth.n >= ? THEN oth.m END AS m FROM me FULL JOIN oth ON me.time = oth.time "
        "ORDER BY coalesce(me.time, oth.time)",
        [*rows_params, subject, subject, min_others],
    )


def _comparison_series(
    rows: Sequence[tuple[Any, ...]], pollutant: str, unit: str, mine_label: str, median_label: str
) -> list[Series]:
    """The value, median and ratio series of :func:`_median_comparison` rows."""
    name = pollutant_name(pollutant)
    ratio: list[tuple[str, float | None]] = []
    for t, v, m in rows:
        r = None if v is None or m is None or m <= 0 else round(float(v) / float(m), 3)
        ratio.append((_ts(t), r))
    mine = [(t, v) for t, v, _m in rows]
    median = [(t, m) for t, _v, m in rows]
    return [
        Series(pollutant, f"{name} {mine_label}", unit, _points(mine)),
        Series(
            f"{pollutant}:median", f"{name} {median_label}", unit, _points(median), kind="median"
        ),
        Series(f"{pollutant}:ratio", _("ratio to the median"), "×", ratio, axis=1, kind="ratio"),
    ]


def ambient_comparison(
    settings: Settings,
    station_id: str,
    others: Sequence[str],
    pollutant: str,
    start: datetime,
    end: datetime,
    min_others: int = 2,
) -> tuple[list[Series], str | None]:
    """A station's hourly value, the median of the ``others`` stations and the ratio.

    The median of an hour needs at least ``min_others`` other stations reporting (else
    it and the ratio are empty for that hour), as in the hot-spot rule
    (:mod:`lantian.rules.amb_hotspot`).
    """
    rows, note = _median_comparison(
        settings,
        "ambient_hourly",
        "station_id",
        "SELECT station_id, time, value FROM {src} "
        "WHERE upper(pollutant) = upper(?) AND value IS NOT NULL",
        [pollutant],
        station_id,
        others,
        start,
        end,
        min_others,
    )
    if not rows:
        return [], note
    unit = POLLUTANT_UNITS.get(pollutant.upper(), "µg/m³")
    return _comparison_series(
        rows, pollutant, unit, _("this station"), _("median of the other stations")
    ), note


GRID_COLUMNS: dict[str, str] = {"PM2.5": "pm25", "PM10": "pm10"}
"""Pollutant of a grid lead → its column in the lake's ``grid_hourly``."""


def grid_comparison(
    settings: Settings,
    grid_id: str,
    ring: Sequence[str],
    pollutant: str,
    start: datetime,
    end: datetime,
    min_ring: int = 4,
) -> tuple[list[Series], str | None]:
    """A grid cell's hourly PM, the median of its ring of neighbouring cells and the ratio
    (µg/m³): what GRID-HOTSPOT compares (:mod:`lantian.rules.grid_hotspot`). The median of
    an hour needs at least ``min_ring`` ring cells with data (cloud gaps are no data)."""
    column = GRID_COLUMNS.get(pollutant.upper().replace("PM25", "PM2.5"))
    if column is None:
        return [], None
    rows, note = _median_comparison(
        settings,
        "grid_hourly",
        "grid_id",
        f"SELECT grid_id, time, {column} AS value FROM {{src}} WHERE {column} IS NOT NULL",
        [],
        grid_id,
        ring,
        start,
        end,
        min_ring,
    )
    if not rows:
        return [], note
    return _comparison_series(
        rows, pollutant, "µg/m³", _("this grid cell"), _("median of the surrounding cells")
    ), note
