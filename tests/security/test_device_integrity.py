"""Adversary tests: a hostile data logger against a live gateway on 127.0.0.1 (issue 11, 1-2).

Each test starts a gateway on a free loopback port with the test registry (two outlets and
an electricity logger, every one with a PW), sends a handful of crafted packets and checks
what was answered, what reached the lake, what the gateway's status shows and which leads
and audit rows were written. Bounded: at most a few dozen packets, 3 s per answer.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from tests.gateway.gwtools import exchange, populate_registry, running

from lantian.auth.models import AuditLog
from lantian.db.session import session_scope
from lantian.gateway.archive import iter_records
from lantian.lake import Lake
from lantian.leads.models import Lead
from lantian.protocol.hj212.packet import build_packet
from lantian.registry.models import DataRewrite, Meter, Outlet
from lantian.settings import Settings, get_settings
from lantian.timeutil import CST

PW = "123456"
"""PW of MN0001 and MNE001 in the test registry (MN0002's is ``secret``)."""


@pytest.fixture
def settings(lantian_home: Path) -> Iterator[Settings]:
    s = get_settings()
    s.ensure_home()
    populate_registry(s)
    yield s


def hourly(mn: str, when: str, so2: float, *, pw: str = PW, **options: Any) -> bytes:
    cp = f"DataTime={when};a21026-Avg={so2},a21026-Flag=N;a34013-Avg=2.5,a34013-Flag=N"
    return build_packet("31", "2061", mn, cp, pw=pw, ack=True, **options)


def power(when: str, kw: float, *, pw: str = PW, **options: Any) -> bytes:
    cp = f"DataTime={when};d20105-Rtd={kw},d20105-Flag=N"
    return build_packet("44", "2011", "MNE001", cp, pw=pw, ack=True, version="2025", **options)


def run(settings: Settings, frames: list[bytes]) -> tuple[list[bytes | None], dict[str, Any]]:
    async def main() -> tuple[list[bytes | None], dict[str, Any]]:
        async with running(settings, lake_mode="thread") as gw:
            answers = await exchange(gw, frames)
            return answers, gw.status()

    return asyncio.run(main())


def lake_rows(settings: Settings, source: str = "cems_hourly") -> list[dict[str, Any]]:
    return Lake(settings.lake_dir).read(source).to_pylist()


def logger(status: dict[str, Any], mn: str) -> dict[str, Any]:
    return next(row for row in status["loggers"] if row["mn"] == mn)


def archive_statuses(settings: Settings) -> list[str]:
    return [str(rec["status"]) for _, rec in iter_records(settings.archive_dir)]


def test_device_forged_pw_is_refused(settings: Settings) -> None:
    answers, status = run(
        settings,
        [
            hourly("MN0002", "20240108010000", 777.7, pw="123456"),  # guessed PW
            hourly("MN0002", "20240108010000", 777.7, pw=""),
            hourly("MN0002", "20240108010000", 16.0, pw="secret"),
        ],
    )
    assert answers[0] is None and answers[1] is None and answers[2] is not None
    so2 = [r["value"] for r in lake_rows(settings) if r["pollutant"] == "a21026"]
    assert so2 == [16.0]
    assert status["quarantine"][0]["mn"] == "MN0002"
    assert archive_statuses(settings) == ["bad_pw", "bad_pw", "ok"]


def test_device_without_pw_is_refused_unless_allowed(settings: Settings) -> None:
    with session_scope(settings) as s:
        s.add(Outlet(outlet_id="P8", enterprise_id="E1", name="P8", mn="MNNOPW"))
        s.add(Outlet(outlet_id="P9", enterprise_id="E1", name="P9", mn="MNOK", allow_no_pw=True))
        meter = s.get(Meter, "M1")
        assert meter is not None
    with session_scope(settings) as s:  # a meter logger without a PW is refused too
        for m in s.scalars(select(Meter)):
            m.pw = None
    answers, status = run(
        settings,
        [
            hourly("MNNOPW", "20240108010000", 1.0, pw=""),
            hourly("MNNOPW", "20240108010000", 1.0, pw="anything"),
            hourly("MNOK", "20240108010000", 2.0, pw=""),
            power("20240108010000", 1590.0),
        ],
    )
    assert answers == [None, None, answers[2], None] and answers[2] is not None
    assert {r["outlet_id"] for r in lake_rows(settings)} == {"P9"}
    assert lake_rows(settings, "power") == []
    refused = logger(status, "MNNOPW")
    assert refused["warning"].startswith("no_pw") and refused["quarantine"]["reason"] == "no_pw"
    assert refused["quarantine"]["count"] == 2
    assert logger(status, "MNE001")["quarantine"]["reason"] == "no_pw"
    assert logger(status, "MNOK")["warning"].startswith("allow_no_pw")
    assert logger(status, "MN0001")["warning"] is None
    assert {q["mn"] for q in status["quarantine"]} == {"MNNOPW", "MNE001"}


def test_device_future_packet_is_answered_but_held(settings: Settings) -> None:
    now = datetime.now(CST)
    hour = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    soon = (now + timedelta(minutes=30)).strftime("%Y%m%d%H%M%S")  # within the 1 h margin
    frames = [
        hourly("MN0001", "20991231230000", 999.0),  # the finding: moved the watermark to 2100
        hourly("MN0001", (now + timedelta(hours=3)).strftime("%Y%m%d%H0000"), 5.0),
        hourly("MN0001", hour.strftime("%Y%m%d%H%M%S"), 16.0),
        build_packet("31", "2011", "MN0001", f"DataTime={soon};a21026-Rtd=3.0", pw=PW, ack=True),
    ]
    answers, status = run(settings, frames)
    assert all(a is not None and b"CN=9014" in a for a in answers)  # stored: answered
    rows = lake_rows(settings)
    assert [(r["time"], r["value"]) for r in rows if r["pollutant"] == "a21026"] == [(hour, 16.0)]
    assert max(r["time"] for r in rows) < now  # nothing from the future reached the lake
    assert len(lake_rows(settings, "cems_realtime")) == 1
    assert archive_statuses(settings) == ["future", "future", "ok", "ok"]
    row = logger(status, "MN0001")
    assert row["quarantine"]["reason"] == "future" and row["quarantine"]["count"] == 2
    assert row["last_data_time"] != "20991231230000"


def test_device_packet_before_registration_is_held(settings: Settings) -> None:
    with session_scope(settings) as s:
        outlet = s.scalars(select(Outlet).where(Outlet.mn == "MN0001")).one()
        outlet.registered_at = datetime(2024, 1, 8, 2, 30, tzinfo=CST)
    answers, status = run(
        settings,
        [
            hourly("MN0001", "20240107230000", 1.0),  # the day before: forged history
            hourly("MN0001", "20240108010000", 2.0),  # the hour ended before 02:30
            hourly("MN0001", "20240108020000", 3.0),  # the hour of the registration
            hourly("MN0001", "20240108030000", 4.0),
        ],
    )
    assert all(a is not None for a in answers)
    so2 = sorted(r["value"] for r in lake_rows(settings) if r["pollutant"] == "a21026")
    assert so2 == [3.0, 4.0]
    assert archive_statuses(settings)[:2] == ["before_registration"] * 2
    assert logger(status, "MN0001")["quarantine"]["reason"] == "before_registration"


def _leads(settings: Settings, family: str) -> list[Lead]:
    with session_scope(settings) as s:
        leads = list(s.scalars(select(Lead).where(Lead.family == family)))
        s.expunge_all()
        return leads


def _audit(settings: Settings, action: str) -> list[AuditLog]:
    with session_scope(settings) as s:
        rows = list(s.scalars(select(AuditLog).where(AuditLog.action == action)))
        s.expunge_all()
        return rows


def test_device_rewrite_of_an_outlet_value_is_kept_and_flagged(settings: Settings) -> None:
    t = "20240108040000"
    answers, _ = run(
        settings,
        [
            hourly("MN0001", t, 16.0),
            hourly("MN0001", t, 16.0),  # identical resend: harmless
            hourly("MN0001", t, 777.7),  # the finding: replaced the stored 16.0
        ],
    )
    assert all(a is not None for a in answers)  # an authenticated logger is answered
    so2 = [r for r in lake_rows(settings) if r["pollutant"] == "a21026"]
    assert [r["value"] for r in so2] == [16.0]
    with session_scope(settings) as s:
        kept = [(r.old_value, r.new_value, r.used) for r in s.scalars(select(DataRewrite))]
    assert kept == [(16.0, 777.7, False)]
    leads = _leads(settings, "DATA_REWRITE")
    assert len(leads) == 1 and leads[0].subject_id == "P1" and leads[0].enterprise_id == "E1"
    change = leads[0].evidence["events"][0]["changes"][0]
    assert (change["old"], change["new"], change["pollutant"]) == (16.0, 777.7, "a21026")
    assert leads[0].evidence["count"] == 1
    audits = _audit(settings, "data_rewrite")
    assert len(audits) == 1 and audits[0].object_id == "P1"
    assert audits[0].before == {"a21026": 16.0} and audits[0].after == {"a21026": 777.7}
    # a second conflicting resend is the same episode: one lead, two events
    run(settings, [hourly("MN0001", t, 555.5)])
    leads = _leads(settings, "DATA_REWRITE")
    assert len(leads) == 1 and leads[0].evidence["count"] == 2
    assert [r["value"] for r in lake_rows(settings) if r["pollutant"] == "a21026"] == [16.0]


def test_device_rewrite_of_a_meter_value_is_kept_and_flagged(settings: Settings) -> None:
    t = "20240108041500"
    run(settings, [power(t, 1590.0)])
    answers, _ = run(settings, [power(t, 0.0), power(t, 1590.0)])  # erase the evidence
    assert all(a is not None for a in answers)
    assert [r["kw"] for r in lake_rows(settings, "power")] == [1590.0]
    leads = _leads(settings, "DATA_REWRITE")
    assert [(ld.subject_type, ld.subject_id) for ld in leads] == [("meter", "M1")]
    change = leads[0].evidence["events"][0]["changes"][0]
    assert (change["old"], change["new"], change["pollutant"]) == (1590.0, 0.0, "kw")
    assert len(_audit(settings, "data_rewrite")) == 1


def test_device_authenticated_rf_resend_replaces_and_is_still_flagged(
    settings: Settings,
) -> None:
    t = "20240108050000"
    run(settings, [hourly("MN0001", t, 16.0, version="2025")])
    answers, _ = run(
        settings,
        [
            hourly("MN0002", t, 1.0, version="2025", rf=True, pw="wrong"),  # forged RF: refused
            hourly("MN0001", t, 17.5, version="2025", rf=True),  # 补传 over the session
        ],
    )
    assert answers[0] is None and answers[1] is not None
    so2 = [r["value"] for r in lake_rows(settings) if r["pollutant"] == "a21026"]
    assert so2 == [17.5]
    with session_scope(settings) as s:
        kept = [
            (r.old_value, r.new_value, r.resend, r.used) for r in s.scalars(select(DataRewrite))
        ]
    assert kept == [(16.0, 17.5, True, True)]
    leads = _leads(settings, "DATA_REWRITE")
    assert len(leads) == 1 and leads[0].evidence["events"][0]["used"] is True


def test_device_status_json_lists_refused_devices(settings: Settings) -> None:
    with session_scope(settings) as s:
        s.add(Outlet(outlet_id="P8", enterprise_id="E1", name="P8", mn="MNNOPW"))
    run(settings, [hourly("MNNOPW", "20240108010000", 1.0, pw="")])
    status = json.loads((settings.resolved_home / "gateway" / "status.json").read_text())
    row = next(r for r in status if r["mn"] == "MNNOPW")
    assert row["warning"].startswith("no_pw") and row["quarantine"]["reason"] == "no_pw"
