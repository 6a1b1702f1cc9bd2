"""The demo city ends now: first day chosen so the period covers today, data cut at the
current hour (lantian.demo.today)."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from lantian.demo.today import current_hour, end_city_at, start_for_end
from lantian.timeutil import CST


def test_start_for_end_and_current_hour() -> None:
    # 2026-12-01 18:30 UTC is 2026-12-02 02:30 in China Standard Time
    now = datetime.fromisoformat("2026-12-01T18:30:00+00:00")
    assert start_for_end(14, now) == date(2026, 11, 19)
    assert start_for_end(1, now) == date(2026, 12, 2)
    assert current_hour(now) == datetime(2026, 12, 2, 2, tzinfo=CST)


def test_end_city_at_cuts_every_time_file_and_label(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "cems_hourly.csv").write_text(
        "outlet_id,time,pollutant,value,zs_value,flag\n"
        "P0001,2026-12-02T00:00:00+08:00,a21026,012.0,13,N\n"
        "P0001,2026-12-02T01:00:00+08:00,a21026,12.5,,N\n"
        "P0001,2026-12-02T02:00:00+08:00,a21026,99,99,N\n"
    )
    (data / "alerts.csv").write_text(
        "alert_id,city,level,start,end\n"
        "A001,清河市,orange,2026-12-01T20:00:00+08:00,2026-12-04T08:00:00+08:00\n"
        "A002,清河市,red,2026-12-02T03:00:00+08:00,2026-12-05T08:00:00+08:00\n"
    )
    pd.DataFrame(
        {
            "meter_id": ["M1", "M1", "M1"],
            "time": pd.to_datetime(
                [
                    "2026-12-02T01:50:00+08:00",
                    "2026-12-02T01:55:00+08:00",
                    "2026-12-02T02:00:00+08:00",
                ]
            ),
            "power_kw": [1.0, 2.0, 3.0],
        }
    ).to_parquet(data / "power.parquet")
    (tmp_path / "labels.jsonl").write_text(
        json.dumps({"label_id": "L1", "start": "2026-12-01T23:00:00+08:00"})
        + "\n"
        + json.dumps({"label_id": "L2", "start": "2026-12-02T02:00:00+08:00"})
        + "\n"
    )
    removed = end_city_at(tmp_path, datetime(2026, 12, 2, 2, tzinfo=CST))
    assert removed == {"cems_hourly.csv": 1, "power.parquet": 1, "alerts.csv": 1, "labels.jsonl": 1}
    # CSV cells are written back as they were (no re-typing: "012.0" stays, empty stays)
    assert (data / "cems_hourly.csv").read_text().splitlines() == [
        "outlet_id,time,pollutant,value,zs_value,flag",
        "P0001,2026-12-02T00:00:00+08:00,a21026,012.0,13,N",
        "P0001,2026-12-02T01:00:00+08:00,a21026,12.5,,N",
    ]
    assert "A002" not in (data / "alerts.csv").read_text()
    power = pd.read_parquet(data / "power.parquet")
    assert list(power["power_kw"]) == [1.0, 2.0]
    assert [
        json.loads(x)["label_id"] for x in (tmp_path / "labels.jsonl").read_text().splitlines()
    ] == ["L1"]
