"""The daily digest: emission load from concentration × flow, flagged day-over-day changes,
scope, 未接入 lines, text/JSON/PDF, and `lantian digest --send` through a real SMTP server."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from lantian.cli.main import app
from lantian.lake import Lake
from lantian.notify.preferences import set_prefs
from lantian.registry.models import Outlet
from lantian.reports.digest import (
    Scope,
    build_digest,
    compute_day,
    render_pdf,
    render_text,
)
from lantian.settings import get_settings
from lantian.timeutil import CST
from lantian.workflow import service as ws

DAY = date(2024, 1, 8)  # the world's leads are detected on this day


def _hours(day: date) -> list[datetime]:
    start = datetime(day.year, day.month, day.day, tzinfo=CST)
    return [start + timedelta(hours=h) for h in range(24)]


def _fill(world: Any) -> None:
    s = world.session
    s.add_all(
        [
            Outlet(outlet_id="P-EA", enterprise_id="EA", name="1号排口", mn="MN-EA-1"),
            Outlet(outlet_id="P-EB", enterprise_id="EB", name="1号排口", mn="MN-EB-1"),
        ]
    )
    s.commit()
    rows: dict[str, list[Any]] = {"outlet_id": [], "time": [], "pollutant": [], "value": []}
    rows["flag"] = []

    def put(outlet: str, t: datetime, pol: str, value: float, flag: str = "N") -> None:
        rows["outlet_id"].append(outlet)
        rows["time"].append(t)
        rows["pollutant"].append(pol)
        rows["value"].append(value)
        rows["flag"].append(flag)

    for day, so2 in ((DAY - timedelta(days=1), 50.0), (DAY, 100.0)):
        for n, t in enumerate(_hours(day)):
            put("P-EA", t, "a00000", 100_000.0)  # m³/h
            # mg/m³: 120 kg the day before, 23 h × 10 kg on DAY (a maintenance hour, flag M,
            # does not count)
            put("P-EA", t, "a21026", so2, "M" if day == DAY and n == 0 else "N")
            put("P-EB", t, "a00000", 50_000.0)
            put("P-EB", t, "a21026", 20.0)  # unchanged
    Lake(get_settings().lake_dir).append("cems_hourly", pa.table(rows), origin="import")


def test_digest_content_and_scope(world: Any) -> None:
    _fill(world)
    s = world.session
    [case] = ws.dispatch(
        s,
        world.admin,
        ["L3"],
        assignee_id=world.city_a.user_id,
        deadline=datetime.now(CST) + timedelta(days=2),
    )
    case.deadline = datetime(2024, 1, 8, 10, 0, tzinfo=CST)  # overdue at the end of DAY
    s.commit()
    data = compute_day(s, DAY)
    ea = data.loads["EA"]["a21026"]
    assert ea == pytest.approx((230.0, 23, 120.0, 24))  # 23 × 100 × 1e5 × 1e-6 kg
    digest = build_digest(s, data, Scope.of(world.city_a))
    types = {sec.type: sec for sec in digest.sections}
    assert list(types)[:2] == ["emission_load", "emergency"] and len(types) == 9
    [item] = types["emission_load"].items
    assert item["enterprise"] == "甲市钢铁有限公司" and item["change_pct"] == pytest.approx(91.7)
    assert item["load_kg"] == 230.0 and item["hours"] == 23
    # L1, L2 (EA), L3 (EB), L5 (ED) and the station lead LS: 甲市 only
    assert types["new_leads"].count == 5
    assert types["overdue_cases"].items[0]["case_id"] == case.case_id
    assert not types["video"].fed and types["video"].summary == "未接入"
    assert not types["truck_gates"].fed
    # another city's officer sees none of 甲市's enterprises
    other = {x.type: x for x in build_digest(s, data, Scope.of(world.city_b)).sections}
    assert other["emission_load"].items == [] and other["overdue_cases"].items == []
    assert other["new_leads"].count == 1  # L4 (EC, 乙市)
    text = render_text(digest)
    assert "1. 排放量变化" in text and "甲市钢铁有限公司 二氧化硫：230.0 kg" in text
    assert "视频监控：未接入" in text and "车辆门禁：未接入" in text
    pdf = render_pdf(digest)
    assert pdf.startswith(b"%PDF") and len(pdf) > 2000


def test_cli_json_and_send_through_smtp(
    world: Any, smtp_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill(world)
    s = world.session
    set_prefs(s, None, world.city_a, email="citya@demo.invalid", phone=None, channels=[])
    s.commit()
    runner = CliRunner()
    out = runner.invoke(app, ["digest", "--date", DAY.isoformat(), "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["date"] == "2024-01-08" and data["user"] is None
    assert [t["type"] for t in data["types"]][-2:] == ["video", "truck_gates"]
    assert all(
        {"type", "title", "fed", "summary", "count", "items"} <= set(t) for t in data["types"]
    )
    monkeypatch.setenv("LANTIAN_SMTP_URL", f"smtp://127.0.0.1:{smtp_server.port}")
    get_settings.cache_clear()
    out = runner.invoke(app, ["digest", "--date", DAY.isoformat(), "--user", "citya", "--send"])
    assert out.exit_code == 0, out.output
    [(rcpt, msg)] = smtp_server.messages
    assert rcpt == ["citya@demo.invalid"]
    assert msg["Subject"] == "【每日推送】2024-01-08 甲市"
    body = msg.get_body(("plain",)).get_content()
    assert "排放量变化" in body and "视频监控：未接入" in body
    [pdf] = list(msg.iter_attachments())
    assert pdf.get_content_type() == "application/pdf"
    # sending again stores nothing new (once per user and day)
    out = runner.invoke(app, ["digest", "--date", DAY.isoformat(), "--user", "citya", "--send"])
    assert out.exit_code == 0 and len(smtp_server.messages) == 1
    bad = runner.invoke(app, ["digest", "--date", "2024-13-01", "--json"])
    assert bad.exit_code == 2
