"""Lead series API: reference lines that say what they are, per lead family (issue 12 item 4)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.web.chartdata import AMBIENT, EPISODE, ChartLeads, add_chart_leads
from tests.web.conftest import Seeded, bearer, login

from lantian.leads.models import Lead
from lantian.timeutil import CST, parse_time_cst
from lantian.web.api.series import lead_references
from lantian.web.app import create_app
from lantian.web.series import Series, bucket_seconds


@pytest.fixture
def charts(seeded: Seeded) -> Iterator[tuple[TestClient, dict[str, str], ChartLeads]]:
    ids = add_chart_leads(seeded.settings)
    with TestClient(create_app(seeded.settings)) as c:
        yield c, bearer(c, "admin"), ids


def _get(c: TestClient, h: dict[str, str], lead_id: str, **params: str) -> dict[str, Any]:
    r = c.get(f"/api/leads/{lead_id}/series", headers=h, params=params)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _series(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["key"]: s for s in body["series"]}


def _times(points: list[list[Any]]) -> list[datetime]:
    return [parse_time_cst(p[0]) for p in points]


def test_cems_lead_shows_the_legal_limit_with_its_standard(charts: Any) -> None:
    c, h, ids = charts
    body = _get(c, h, ids.cems)
    assert body["references"] == [
        {
            "kind": "legal_limit",
            "value": 35.0,
            "unit": "mg/m³",
            "label": "排放限值 35 mg/m³（GB 28662-2012）",  # E1 is a steel plant
            "source": "GB 28662-2012",
            "axis": 0,
            "series_key": None,
        }
    ]
    assert body["threshold"] == 35.0
    assert body["axes"] == [{"name": "二氧化硫", "unit": "mg/m³"}]
    s = _series(body)
    assert list(s) == ["a21026", "a21026:zs"]
    assert [s["a21026"]["name"], s["a21026:zs"]["name"]] == ["二氧化硫 实测", "二氧化硫 折算"]
    zs = s["a21026:zs"]["points"]
    assert all(p[0].endswith("+08:00") for p in zs)
    times = _times(zs)
    assert times[0] == EPISODE[0] - timedelta(hours=48)
    assert times[-1] == EPISODE[1] + timedelta(hours=47)
    assert [p[1] for p in zs if EPISODE[0] <= parse_time_cst(p[0]) < EPISODE[1]] == [40.0] * 4
    assert body["episode"] == {
        "start": EPISODE[0].isoformat(),
        "end": EPISODE[1].isoformat(),
    }
    en = _get(c, h, ids.cems, lang="en")
    assert en["references"][0]["label"] == "Emission limit 35 mg/m³ (GB 28662-2012)"


def test_o2_lead_draws_no_limit(charts: Any) -> None:
    """The rule's O2 threshold is a parameter, not a legal limit: no line called limit."""
    c, h, ids = charts
    body = _get(c, h, ids.o2)
    assert body["references"] == [] and body["threshold"] is None
    assert list(_series(body)) == ["a19001"]
    assert body["axes"] == [{"name": "氧含量", "unit": "%"}]


def test_treatment_off_lead_shows_the_running_threshold_in_kw(charts: Any) -> None:
    c, h, ids = charts
    body = _get(c, h, ids.treatment_off)
    assert body["references"] == [
        {
            "kind": "on_off_level",
            "value": 0.7,
            "unit": "kW",
            "label": "开机阈值 0.7 kW",
            "source": None,
            "axis": 0,
            "series_key": "E1-M2",
        }
    ]
    assert body["threshold"] is None  # no legal limit
    assert body["axes"] == [{"name": "有功功率", "unit": "kW"}]
    s = _series(body)
    assert [(k, v["kind"], v["unit"]) for k, v in s.items()] == [
        ("E1-M1", "production", "kW"),
        ("E1-M2", "treatment", "kW"),
    ]
    # 100 h of 5-minute data come as 10-minute means (at most 600 points a series)
    start = EPISODE[0] - timedelta(hours=48)
    step = bucket_seconds(start, EPISODE[1] + timedelta(hours=48))
    assert step == 600
    treat = s["E1-M2"]["points"]
    assert len(treat) == 600
    times = _times(treat)
    assert times[0] == start and times[1] - times[0] == timedelta(seconds=step)
    inside = [v for t, (_ts, v) in zip(times, treat, strict=True) if EPISODE[0] <= t < EPISODE[1]]
    assert inside == [0.3] * 24
    assert treat[0][1] == 80.0
    en = _get(c, h, ids.treatment_off, lang="en")
    assert en["references"][0]["label"] == "Running threshold 0.7 kW"


def test_emergency_lead_compares_the_line_total_with_the_allowed_power(charts: Any) -> None:
    c, h, ids = charts
    body = _get(c, h, ids.emergency)
    s = _series(body)
    assert list(s) == ["production_total", "E1-M1", "E1-M2"]
    assert {p[1] for p in s["production_total"]["points"]} == {500.0}  # production meters only
    (ref,) = body["references"]
    assert (ref["kind"], ref["value"], ref["series_key"]) == (
        "allowed_power",
        250.0,
        "production_total",
    )
    assert ref["label"] == "应急限产允许功率 250 kW"


def test_ambient_lead_shows_the_median_of_the_city_and_the_ratio(charts: Any) -> None:
    c, h, ids = charts
    body = _get(c, h, ids.ambient)
    assert body["threshold"] is None
    s = _series(body)
    assert list(s) == ["PM2.5", "PM2.5:median", "PM2.5:ratio"]
    assert s["PM2.5:ratio"]["axis"] == 1 and s["PM2.5:median"]["kind"] == "median"
    mine = dict((p[0], p[1]) for p in s["PM2.5"]["points"])
    med = dict((p[0], p[1]) for p in s["PM2.5:median"]["points"])
    ratio = dict((p[0], p[1]) for p in s["PM2.5:ratio"]["points"])
    t = EPISODE[0].isoformat()
    # S2-S4 of 唐山市 (20, 40, 60): median 40; S5 of 石家庄市 is not compared
    assert (mine[t], med[t], ratio[t]) == (AMBIENT["S1"], 40.0, 2.5)
    gap = EPISODE[1].isoformat()  # only S2 reported: fewer than min_other_stations
    assert mine[gap] == 100.0 and med[gap] is None and ratio[gap] is None
    assert body["references"] == [
        {
            "kind": "rule_ratio",
            "value": 2.5,
            "unit": "×",
            "label": "判定倍数 2.5×",
            "source": None,
            "axis": 1,
            "series_key": None,
        }
    ]
    assert [a["unit"] for a in body["axes"]] == ["µg/m³", "×"]
    assert not any("限值" in r["label"] for r in body["references"])


def test_series_of_a_lead_without_lake_data_is_empty_not_an_error(seeded: Seeded) -> None:
    with TestClient(create_app(seeded.settings)) as c:
        body = _get(c, bearer(c, "admin"), "LS1-0")
    assert body["series"] == [] and body["references"] == []


def test_bucket_seconds() -> None:
    t = datetime(2026, 1, 1, tzinfo=CST)
    assert bucket_seconds(t, t + timedelta(hours=2)) == 60
    assert bucket_seconds(t, t + timedelta(hours=100)) == 600
    assert bucket_seconds(t, t + timedelta(days=31)) == 4500


def _lead(family: str, evidence: dict[str, Any]) -> Lead:
    t = datetime(2026, 1, 1, tzinfo=CST)
    return Lead(lead_id="X", family=family, start=t, end=t, evidence=evidence)


def test_treatment_low_shows_the_normal_level_not_a_ratio_on_a_kw_axis() -> None:
    power = [Series("M2", "脱硫塔", "kW", kind="treatment")]
    ev = {"threshold": 0.4, "normal_kw": 120.0, "meter_ids": ["M2"]}
    (ref,) = lead_references(_lead("TREATMENT_LOW", ev), ev, power)
    assert (ref.kind, ref.value, ref.unit, ref.series_key) == ("normal_level", 120.0, "kW", "M2")
    assert ref.label == "正常水平 120 kW"


def test_emergency_stop_order_and_rules_without_a_line() -> None:
    ev = {"threshold": 0.0, "action": "stop"}
    (ref,) = lead_references(_lead("EMERGENCY_VIOLATION", ev), ev, [])
    assert (ref.kind, ref.value, ref.label) == ("allowed_power", 0.0, "应停产 0 kW")
    assert lead_references(_lead("TREATMENT_OFF", {}), {}, []) == []
    assert lead_references(_lead("AMBIENT_HOTSPOT", {"threshold": 100.0}), {}, []) == []


def test_grid_lead_compares_the_cell_with_the_median_of_its_ring(seeded: Seeded) -> None:
    """A GRID_HOTSPOT lead's chart: the cell's PM2.5, the median of the surrounding cells
    (the ring the rule compares: centres within 1.5 cell widths; a far cell is not in it)
    and the ratio with the rule's ratio as a line."""
    import pyarrow as pa

    from lantian.db.session import session_scope
    from lantian.lake import Lake
    from lantian.registry.models import Grid

    dlat, dlon = 3.0 / 110.574, 3.0 / (111.32 * 0.7771)
    values = {"G11": 200.0, "G00": 40.0, "G01": 50.0, "G02": 60.0, "G10": 50.0, "G12": 50.0}
    values |= {"G20": 50.0, "G21": 70.0, "G22": 50.0, "G99": 1000.0}
    start = EPISODE[0]
    with session_scope(seeded.settings) as db:
        for gid in values:
            r, col = int(gid[1]), int(gid[2])
            db.add(
                Grid(
                    grid_id=gid,
                    lon=116.0 + col * dlon,
                    lat=39.0 + r * dlat,
                    cell_km=3.0,
                    city="唐山市",
                    district="路北区",
                )
            )
        db.add(
            Lead(
                lead_id="LG-HOT",
                rule="GRID-HOTSPOT",
                family="GRID_HOTSPOT",
                enterprise_id=None,
                subject_type="grid",
                subject_id="G11",
                pollutant="PM2.5",
                start=start,
                end=EPISODE[1],
                severity=2,
                score=0.8,
                summary="网格高值测试线索",
                evidence={"parameters": {"min_ratio": 2.0, "ring_radius_cells": 1.5}},
                open=False,
                detected_at=EPISODE[1],
                updated_at=EPISODE[1],
            )
        )
    hours = [start + timedelta(hours=i) for i in range(4)]
    ids = [g for g in values for _h in hours]
    Lake(seeded.settings.lake_dir).append(
        "grid_hourly",
        pa.table(
            {
                "grid_id": ids,
                "time": [h for _g in values for h in hours],
                "pm25": [values[g] for g in ids],
                "pm10": [None] * len(ids),
            }
        ),
        origin="import",
    )
    with TestClient(create_app(seeded.settings)) as c:
        body = _get(c, bearer(c, "admin"), "LG-HOT")
        login(c, "ts_city")
        page = c.get("/leads/LG-HOT").text
    # the page names the cell where an enterprise lead names its enterprise
    assert "网格中心" in page and "G11" in page and "唐山市 路北区" in page
    s = _series(body)
    assert list(s) == ["PM2.5", "PM2.5:median", "PM2.5:ratio"]
    t = start.isoformat()
    point = {k: dict((p[0], p[1]) for p in v["points"])[t] for k, v in s.items()}
    # the 8 surrounding cells: 40 50 60 50 50 50 70 50 → median 50; G99 is far away
    assert point == {"PM2.5": 200.0, "PM2.5:median": 50.0, "PM2.5:ratio": 4.0}
    assert "本网格" in s["PM2.5"]["name"] and "周边网格中位数" in s["PM2.5:median"]["name"]
    assert [r["kind"] for r in body["references"]] == ["rule_ratio"]
    assert body["references"][0]["value"] == 2.0
    assert [a["unit"] for a in body["axes"]] == ["µg/m³", "×"]
