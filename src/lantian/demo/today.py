"""A demo city that ends now: choose its first day so that its period covers today, then
cut every measurement after the current hour (China Standard Time).

The dashboard's weekly chart, deadlines ("7 days from today") and time charts are drawn
against today's date; a city of January 2025 would leave them empty. ``lantian demo``
generates its city with :func:`start_for_end` and trims it with :func:`end_city_at`.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

from lantian.timeutil import CST

TIME_COLUMNS: dict[str, str] = {
    "cems_hourly": "time",
    "power": "time",
    "ambient_hourly": "time",
    "alerts": "start",
    "grid_hourly": "time",
    "met_hourly": "time",
    "mobile_track": "time",
    "camera_alarms": "time",
    "gate_records": "time",
}
"""Data file stem → the column whose value must not lie after the cut (an alert that
started before the cut may run on: it was announced ahead)."""


def current_hour(now: datetime) -> datetime:
    """The start of the hour ``now`` falls in, in CST (the cut: data before it stays)."""
    return now.astimezone(CST).replace(minute=0, second=0, microsecond=0)


def start_for_end(days: int, now: datetime) -> date:
    """First day of a ``days``-day city whose last day is today (CST) at ``now``."""
    return now.astimezone(CST).date() - timedelta(days=days - 1)


def end_city_at(city: Path, cut: datetime) -> dict[str, int]:
    """Drop from the bundle at ``city`` every measurement at or after ``cut`` (and alerts
    and labels that start at or after it). Files keep their format (CSV or Parquet).

    Returns the rows removed per file.
    """
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone='Asia/Shanghai'")
    removed: dict[str, int] = {}
    for stem, column in TIME_COLUMNS.items():
        for ext in (".csv", ".parquet"):
            path = city / "data" / f"{stem}{ext}"
            if not path.exists():
                continue
            tmp = path.with_name(path.stem + ".cut" + ext)
            bound: datetime | str
            if ext == ".parquet":
                source, bound, fmt = "read_parquet(?)", cut, "(FORMAT parquet)"
            else:
                # every cell as text, written back unchanged; the generator writes times
                # as ISO text with +08:00, so text order is time order
                source = "read_csv(?, all_varchar = true, header = true)"
                bound = cut.astimezone(CST).isoformat()
                fmt = "(FORMAT csv, HEADER true)"
            (before,) = con.execute(f"SELECT count(*) FROM {source}", [str(path)]).fetchone() or (
                0,
            )
            con.execute(
                f"COPY (SELECT * FROM {source} WHERE \"{column}\" < ?) TO '{tmp}' {fmt}",
                [str(path), bound],
            )
            (after,) = con.execute(
                f"SELECT count(*) FROM {source.replace('?', repr(str(tmp)), 1)}"
            ).fetchone() or (0,)
            tmp.replace(path)
            removed[path.name] = int(before) - int(after)
    labels = city / "labels.jsonl"
    if labels.exists():
        kept, dropped = [], 0
        for line in labels.read_text(encoding="utf-8").splitlines():
            if line.strip() and datetime.fromisoformat(json.loads(line)["start"]) >= cut:
                dropped += 1
                continue
            kept.append(line)
        labels.write_text("".join(x + "\n" for x in kept), encoding="utf-8")
        removed[labels.name] = dropped
    return removed


__all__ = ["TIME_COLUMNS", "current_hour", "end_city_at", "start_for_end"]
