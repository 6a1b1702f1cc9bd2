"""Read paths of the lake: a window of some devices only (what a chart reads)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa

from lantian.lake import Lake
from lantian.timeutil import CST

T0 = datetime(2024, 1, 8, 0, 0, tzinfo=CST)


def _power(meter: str, kws: list[float], start: datetime = T0) -> pa.Table:
    return pa.table(
        {
            "meter_id": [meter] * len(kws),
            "time": pa.array(
                [start + timedelta(hours=i) for i in range(len(kws))],
                pa.timestamp("us", tz="+08:00"),
            ),
            "kw": kws,
        }
    )


def _rows(sql: str) -> list[tuple[object, ...]]:
    con = duckdb.connect(":memory:")
    try:
        return con.sql(f"SELECT meter_id, kw FROM {sql} ORDER BY meter_id, time").fetchall()
    finally:
        con.close()


def test_scan_sql_keeps_only_the_given_ids_and_still_deduplicates(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    lake.append("power", _power("M1", [1.0, 2.0, 3.0]), origin="import")
    lake.append("power", _power("M2", [10.0, 20.0, 30.0]), origin="import")
    lake.append("power", _power("M3", [7.0]), origin="import")
    # a re-sent value of M1 in a second file of the same day: the latest write wins
    lake.append("power", _power("M1", [2.5], T0 + timedelta(hours=1)), origin="gateway")
    got = _rows(lake.scan_sql("power", ids=["M1", "M3"]))
    assert got == [("M1", 1.0), ("M1", 2.5), ("M1", 3.0), ("M3", 7.0)]
    window = lake.scan_sql("power", T0 + timedelta(hours=1), T0 + timedelta(hours=2), ["M2"])
    assert _rows(window) == [("M2", 20.0)]
    assert _rows(lake.scan_sql("power", ids=[])) == []
    assert _rows(lake.scan_sql("power", ids=["M'; DROP"])) == []  # ids are quoted


def test_scan_sql_opens_only_the_days_of_the_window(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    lake.append("power", _power("M1", [float(i) for i in range(72)]), origin="import")
    sql = lake.scan_sql("power", T0 + timedelta(days=1), T0 + timedelta(days=1, hours=2), ["M1"])
    assert "date=2024-01-09" in sql
    assert "date=2024-01-08" not in sql and "date=2024-01-10" not in sql
    assert _rows(sql) == [("M1", 24.0), ("M1", 25.0)]
