"""Leads of every chart kind with lake data around them (series API and browser tests).

Adds to a :func:`tests.web.conftest.seed` database: line ``E1-L1`` with a production and
a treatment meter (5-minute power), a treatment-off and an emergency lead on it, an O2 lead
on outlet ``E1-O1``, stations S2-S4 in 唐山市 (S5 in 石家庄市) with hourly PM2.5 and an
ambient hot-spot lead at S1, and hourly SO2 of ``E1-O1`` around lead ``LE1-0``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pyarrow as pa

from lantian.db.session import session_scope
from lantian.lake import Lake
from lantian.leads.models import Lead
from lantian.registry.models import Line, Meter, Station
from lantian.settings import Settings
from lantian.timeutil import CST

T0 = datetime(2026, 11, 20, 0, 0, tzinfo=CST)
"""Start of the episodes of the added leads (a whole CST hour)."""
EPISODE = (T0, T0 + timedelta(hours=4))
AMBIENT = {"S1": 100.0, "S2": 20.0, "S3": 40.0, "S4": 60.0, "S5": 1000.0}
"""PM2.5 [µg/m³] of each station every hour (S5 is in another city)."""


@dataclass
class ChartLeads:
    treatment_off: str = "LP1-OFF"
    emergency: str = "LP1-EMG"
    o2: str = "LO1-0"
    ambient: str = "LS1-HOT"
    cems: str = "LE1-0"


def _lead(lead_id: str, family: str, rule: str, subject: tuple[str, str], **kw: object) -> Lead:
    start, end = EPISODE
    return Lead(
        lead_id=lead_id,
        rule=rule,
        family=family,
        enterprise_id=kw.pop("enterprise_id", "E1"),
        subject_type=subject[0],
        subject_id=subject[1],
        pollutant=kw.pop("pollutant", None),
        start=start,
        end=end,
        severity=2,
        score=0.8,
        summary=f"{family} 测试线索",
        evidence=kw.pop("evidence", {}),
        open=False,
        detected_at=end,
        updated_at=end,
    )


def add_chart_leads(settings: Settings) -> ChartLeads:
    """Add the registry rows, leads and lake data; return the lead ids."""
    ids = ChartLeads()
    with session_scope(settings) as db:
        db.add(Line(line_id="E1-L1", enterprise_id="E1", name="1号烧结线"))
        db.flush()
        db.add(
            Meter(
                meter_id="E1-M1",
                enterprise_id="E1",
                line_id="E1-L1",
                role="production",
                name="烧结机",
            )
        )
        db.add(
            Meter(
                meter_id="E1-M2",
                enterprise_id="E1",
                line_id="E1-L1",
                role="treatment",
                name="脱硫塔",
            )
        )
        for sid, city in (("S2", "唐山市"), ("S3", "唐山市"), ("S4", "唐山市"), ("S5", "石家庄市")):
            db.add(Station(station_id=sid, name=f"{sid}站", kind="township", city=city))
        db.add(
            _lead(
                ids.treatment_off,
                "TREATMENT_OFF",
                "POWER-TREAT-OFF",
                ("line", "E1-L1"),
                evidence={"threshold": 0.7, "observed": 0.3, "meter_ids": ["E1-M2"]},
            )
        )
        db.add(
            _lead(
                ids.emergency,
                "EMERGENCY_VIOLATION",
                "POWER-EMERGENCY",
                ("line", "E1-L1"),
                evidence={"threshold": 250.0, "observed": 500.0, "action": "limit"},
            )
        )
        db.add(
            _lead(
                ids.o2,
                "O2_ABNORMAL",
                "CEMS-O2",
                ("outlet", "E1-O1"),
                pollutant="a19001",
                evidence={"threshold": 19.0, "observed": 20.2},
            )
        )
        db.add(
            _lead(
                ids.ambient,
                "AMBIENT_HOTSPOT",
                "AMB-HOTSPOT",
                ("station", "S1"),
                enterprise_id=None,
                pollutant="PM2.5",
                evidence={
                    "threshold": 100.0,
                    "parameters": {"min_ratio": 2.5, "min_other_stations": 2},
                },
            )
        )
        cems = db.get(Lead, ids.cems)
        assert cems is not None
        cems.start, cems.end = EPISODE
    lake = Lake(settings.lake_dir)
    start, end = EPISODE[0] - timedelta(hours=48), EPISODE[1] + timedelta(hours=48)
    steps = int((end - start) / timedelta(minutes=5))
    times = [start + timedelta(minutes=5 * i) for i in range(steps)]
    treat = [0.3 if EPISODE[0] <= t < EPISODE[1] else 80.0 for t in times]
    lake.append(
        "power",
        pa.table(
            {
                "meter_id": ["E1-M1"] * steps + ["E1-M2"] * steps,
                "time": times + times,
                "kw": [500.0] * steps + treat,
            }
        ),
        origin="import",
    )
    hours = [start + timedelta(hours=i) for i in range(int((end - start) / timedelta(hours=1)))]
    rows: dict[str, list[object]] = {"station_id": [], "time": [], "pollutant": [], "value": []}
    for h in hours:
        for sid, v in AMBIENT.items():
            if h == EPISODE[1] and sid in ("S3", "S4"):
                continue  # one hour with a single other station: no median
            rows["station_id"].append(sid)
            rows["time"].append(h)
            rows["pollutant"].append("PM2.5")
            rows["value"].append(v)
    lake.append("ambient_hourly", pa.table(rows), origin="import")
    lake.append(
        "cems_hourly",
        pa.table(
            {
                "outlet_id": ["E1-O1"] * len(hours) * 2,
                "time": hours + hours,
                "pollutant": ["a21026"] * len(hours) + ["a19001"] * len(hours),
                "value": [30.0] * len(hours) + [20.0] * len(hours),
                "zs_value": [40.0 if EPISODE[0] <= h < EPISODE[1] else 20.0 for h in hours]
                + [None] * len(hours),
            }
        ),
        origin="import",
    )
    return ids
