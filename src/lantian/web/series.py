"""Reading measurement series for charts from the Parquet lake (DuckDB views).

The lake (``lantian.lake.Lake(settings.lake_dir).connect()``) exposes the views
``cems_hourly``, ``power`` and ``ambient_hourly``. A missing lake, view or column gives an
empty series with a ``note`` rather than an error: a chart is never worth a 500.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from lantian.settings import Settings
from lantian.timeutil import isoformat_cst, to_cst
from lantian.web.deps import _
from lantian.web.labels import POLLUTANT_LABELS, label

MAX_SPAN = timedelta(days=31)
"""Longest window a chart may request."""
CONTEXT = timedelta(hours=48)
"""Data shown before and after a lead's episode."""


@dataclass
class Series:
    """One named series of (time, value) points, times ISO 8601 with +08:00.

    ``key`` is the machine name (e.g. ``a21026`` or ``a21026:zs`` or a meter id),
    ``name`` the display name in the request's language.
    """

    key: str
    name: str
    unit: str
    points: list[tuple[str, float | None]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"key": self.key, "name": self.name, "unit": self.unit, "points": self.points}


UNITS: dict[str, str] = {
    "a34013": "mg/m³",
    "a21026": "mg/m³",
    "a21002": "mg/m³",
    "a19001": "%",
    "a01012": "°C",
    "a01014": "%",
    "a01011": "m/s",
    "a00000": "m³/h",
}


def clamp_window(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """The window [start, end) cut to at most :data:`MAX_SPAN`, in CST."""
    start, end = to_cst(start), to_cst(end)
    if end - start > MAX_SPAN:
        start = end - MAX_SPAN
    return start, end


def _query(
    settings: Settings, sql: str, params: list[Any]
) -> tuple[list[tuple[Any, ...]], str | None]:
    try:
        from lantian.lake import Lake
    except ImportError:
        return [], "lake module not available"
    if not settings.lake_dir.exists():
        return [], "lake is empty"
    try:
        con = Lake(settings.lake_dir).connect()
    except Exception as exc:  # the lake may be empty or being written
        return [], f"lake not readable: {type(exc).__name__}"
    try:
        rows = con.execute(sql, params).fetchall()
    except Exception as exc:  # a view may not exist yet (no data of that kind)
        return [], f"no data: {type(exc).__name__}"
    finally:
        with contextlib.suppress(Exception):
            con.close()
    return [tuple(r) for r in rows], None


def _points(rows: list[tuple[Any, ...]], col: int = 1) -> list[tuple[str, float | None]]:
    out: list[tuple[str, float | None]] = []
    for r in rows:
        t = r[0]
        ts = isoformat_cst(t) if isinstance(t, datetime) else str(t)
        v = r[col]
        out.append((ts, None if v is None else float(v)))
    return out


def cems_series(
    settings: Settings, outlet_id: str, pollutant: str | None, start: datetime, end: datetime
) -> tuple[list[Series], str | None]:
    """Hourly measured and corrected concentration of one outlet and pollutant."""
    start, end = clamp_window(start, end)
    params: list[Any] = [outlet_id, start, end]
    cond = ""
    if pollutant:
        cond = " AND pollutant = ?"
        params.append(pollutant)
    rows, note = _query(
        settings,
        "SELECT time, value, zs_value, pollutant FROM cems_hourly "
        f"WHERE outlet_id = ? AND time >= ? AND time < ?{cond} ORDER BY pollutant, time",
        params,
    )
    by_pol: dict[str, list[tuple[Any, ...]]] = {}
    for r in rows:
        by_pol.setdefault(str(r[3]), []).append(r)
    out: list[Series] = []
    for pol, prow in by_pol.items():
        unit = UNITS.get(pol, "")
        name = label(POLLUTANT_LABELS, pol)
        measured, corrected = _("measured"), _("corrected")
        out.append(Series(pol, f"{name} {measured}", unit, _points(prow, 1)))
        if any(r[2] is not None for r in prow):
            out.append(Series(f"{pol}:zs", f"{name} {corrected}", unit, _points(prow, 2)))
    return out, note


def power_series(
    settings: Settings, meters: list[tuple[str, str]], start: datetime, end: datetime
) -> tuple[list[Series], str | None]:
    """Active power (kW) of each meter; ``meters`` is a list of (meter_id, label)."""
    start, end = clamp_window(start, end)
    out: list[Series] = []
    note: str | None = None
    for meter_id, name in meters[:12]:
        rows, note = _query(
            settings,
            "SELECT time, kw FROM power WHERE meter_id = ? AND time >= ? AND time < ? "
            "ORDER BY time",
            [meter_id, start, end],
        )
        out.append(Series(meter_id, name, "kW", _points(rows)))
    return out, note


def ambient_series(
    settings: Settings, station_id: str, pollutant: str | None, start: datetime, end: datetime
) -> tuple[list[Series], str | None]:
    """Hourly ambient concentration at one station (µg/m³; CO mg/m³)."""
    start, end = clamp_window(start, end)
    params: list[Any] = [station_id, start, end]
    cond = ""
    if pollutant:
        cond = " AND pollutant = ?"
        params.append(pollutant)
    rows, note = _query(
        settings,
        "SELECT time, value, pollutant FROM ambient_hourly "
        f"WHERE station_id = ? AND time >= ? AND time < ?{cond} ORDER BY pollutant, time",
        params,
    )
    by_pol: dict[str, list[tuple[Any, ...]]] = {}
    for r in rows:
        by_pol.setdefault(str(r[2]), []).append(r)
    return [
        Series(pol, pol, "mg/m³" if pol == "CO" else "µg/m³", _points(prow))
        for pol, prow in by_pol.items()
    ], note
