"""Remote QC end to end: commands queued (officers in scope only), delivered by a real
gateway on loopback to a virtual data logger that answers as a real one does, answers
recorded and judged, failures as QC_FAILURE leads; a logger that never answers times out;
a command for an offline logger waits for its connection or expires; the schedule and the
``lantian qc`` command."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from lantian.auth.errors import NotFound, PermissionDenied, ValidationError
from lantian.auth.models import AuditLog
from lantian.auth.service import create_user
from lantian.cli.main import app
from lantian.db.session import session_scope
from lantian.gateway.server import Gateway, GatewayConfig
from lantian.leads.models import Lead
from lantian.protocol.hj212.packet import build_packet
from lantian.qc.commands import FINAL_STATES
from lantian.qc.models import QcCommand
from lantian.qc.service import (
    claim_for_sending,
    list_commands,
    queue_command,
    queue_due,
    record_answer,
    sweep,
)
from lantian.registry.models import Enterprise, Outlet
from lantian.settings import Settings, get_settings
from lantian.simulate import loggers as sim
from lantian.timeutil import CST, now_cst

PW = "qcpw01"


@pytest.fixture
def settings(lantian_home: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Two enterprises in two cities, each with an outlet and a data logger; a fast QC
    configuration (answers within 3 s)."""
    lantian_home.mkdir(parents=True, exist_ok=True)
    cfg = lantian_home / "qc.toml"
    cfg.write_text(
        "clock_tolerance_s = 60\nanswer_timeout_s = 3\nexpire_hours = 1\n"
        '[[schedule]]\ncn = "1011"\nevery_hours = 24\n'
        '[[schedule]]\ncn = "3011"\nevery_hours = 168\n'
    )
    monkeypatch.setenv("LANTIAN_QC_CONFIG", str(cfg))
    get_settings.cache_clear()
    s = get_settings()
    s.ensure_home()
    with session_scope(s) as db:
        for eid, city, code in (("E1", "甲市", "1"), ("E2", "乙市", "2")):
            db.add(
                Enterprise(
                    enterprise_id=eid, name=f"{city}测试企业",
                    credit_code="91130100MA000000" + code + "X",
                    industry="steel", city=city, district="一区",
                )
            )  # fmt: skip
        db.flush()
        db.add(Outlet(outlet_id="P1", enterprise_id="E1", name="1号排口", mn="MNQC01", pw=PW))
        db.add(Outlet(outlet_id="P2", enterprise_id="E2", name="1号排口", mn="MNQC02", pw=PW))
    return s


def _users(s: Settings) -> dict[str, Any]:
    with session_scope(s) as db:
        pw = "Lantian-Test-2024!"
        out = {
            "jia": create_user(db, None, "qc_jia", pw, "city_officer", city="甲市"),
            "yi": create_user(db, None, "qc_yi", pw, "city_officer", city="乙市"),
            "ent": create_user(db, None, "qc_ent", pw, "enterprise", enterprise_id="E1"),
        }
        for u in out.values():
            db.expunge(u)
    return out


def test_queue_claim_answer_judge_and_lead(settings: Settings) -> None:
    users = _users(settings)
    t0 = now_cst().replace(microsecond=0)
    with session_scope(settings) as db:
        with pytest.raises(PermissionDenied):
            queue_command(db, users["ent"], "P1", "1011")
        with pytest.raises(NotFound):
            queue_command(db, users["yi"], "P1", "1011")  # another city's outlet
        with pytest.raises(ValidationError) as exc:
            queue_command(db, users["jia"], "P1", "9999")
        assert exc.value.field == "cn"
        with pytest.raises(NotFound):
            queue_command(db, None, "P9", "1011")
        clock = queue_command(db, users["jia"], "P1", "1011", now=t0)
        zero = queue_command(db, users["jia"], "P1", "3011", params={"PolId": "a21026"}, now=t0)
        other = queue_command(db, users["yi"], "P2", "1011", now=t0)
        ids = clock.command_id, zero.command_id, other.command_id
    with session_scope(settings) as db:
        # only connected loggers' commands are sent
        out = claim_for_sending(db, {"MNQC01"}, t0 + timedelta(seconds=1))
        assert [o.command_id for o in out] == list(ids[:2])
        assert all(b"Flag=5" in o.frame and f"PW={PW}".encode() in o.frame for o in out)
        qn_clock, qn_zero = out[0].qn, out[1].qn
        assert db.get(QcCommand, ids[2]).status == "queued"  # type: ignore[union-attr]
        at = t0 + timedelta(seconds=2)
        logger_time = (at + timedelta(seconds=420)).strftime("%Y%m%d%H%M%S")
        record_answer(db, "MNQC01", qn_clock, "9011", {"QnRtn": "1"}, at=at)
        record_answer(db, "MNQC01", qn_clock, "1011", {"SystemTime": logger_time}, at=at)
        record_answer(db, "MNQC01", qn_clock, "9012", {"ExeRtn": "1"}, at=at)
        record_answer(db, "MNQC01", qn_zero, "9011", {"QnRtn": "1"}, at=at)
        record_answer(db, "MNQC01", qn_zero, "9012", {"ExeRtn": "2"}, at=at)
        assert record_answer(db, "MNQC01", "00000000000000000", "9012", {"ExeRtn": "1"}) is None
    with session_scope(settings) as db:
        c = db.get(QcCommand, ids[0])
        z = db.get(QcCommand, ids[1])
        assert c is not None and z is not None
        assert (c.status, c.passed, c.result["figures"]["offset_s"]) == ("done", False, 420.0)  # type: ignore[index]
        assert "快 420 秒" in (c.verdict or "")
        assert (z.status, z.passed) == ("failed", False) and "ExeRtn=2" in (z.verdict or "")
        [lead] = db.scalars(select(Lead).where(Lead.family == "QC_FAILURE")).all()
        assert lead.subject_id == "P1" and lead.enterprise_id == "E1" and lead.rule == "DEVICE-QC"
        assert lead.evidence["count"] == 2 and c.lead_id == z.lead_id == lead.lead_id
        assert "远程质控不合格" in lead.summary
        # scope of the history
        assert {x.command_id for x in list_commands(db, users["jia"])} == set(ids[:2])
        assert [x.command_id for x in list_commands(db, users["yi"])] == [ids[2]]
        with pytest.raises(PermissionDenied):
            list_commands(db, users["ent"])
        # a logger speaking HJ 212-2025 gets the 2025 form (Flag 9)
        extra = queue_command(db, users["jia"], "P1", "3020", now=t0)
        [o25] = claim_for_sending(db, {"MNQC01": "2025"}, t0 + timedelta(seconds=3))
        assert o25.command_id == extra.command_id and b"Flag=9;" in o25.frame
        extra.status = "failed"  # out of the way of the sweep below
        # the queued command of the offline logger expires after expire_hours (1 h here)
        assert sweep(db, t0 + timedelta(minutes=30)) == []
        [expired] = sweep(db, t0 + timedelta(hours=2))
        assert (
            expired.command_id == ids[2] and expired.status == "expired" and expired.passed is None
        )
        actions = {a for (a,) in db.execute(select(AuditLog.action))}
        assert {"qc.queue", "qc.finish", "create_lead", "extend_lead"} <= actions


def test_schedule_queues_each_check_once_per_interval(settings: Settings) -> None:
    t0 = datetime(2026, 12, 3, 8, tzinfo=CST)
    with session_scope(settings) as db:
        made = queue_due(db, t0)
        # the schedule (as shipped): 1011 daily and 3011 weekly for each outlet with an MN
        assert sorted((c.outlet_id, c.cn) for c in made) == [
            ("P1", "1011"), ("P1", "3011"), ("P2", "1011"), ("P2", "3011"),
        ]  # fmt: skip
        assert all(c.scheduled and c.created_by is None for c in made)
        assert queue_due(db, t0 + timedelta(hours=1)) == []
        again = queue_due(db, t0 + timedelta(hours=25))
        assert sorted((c.outlet_id, c.cn) for c in again) == [("P1", "1011"), ("P2", "1011")]


def _logger(mn: str, version: sim.Protocol = "2017") -> sim.SimLogger:
    """A virtual logger that uploads one hourly SO2 value (of the last whole hour)."""
    when = now_cst().replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    cp = f"DataTime={when.strftime('%Y%m%d%H%M%S')};a21026-Avg=10,a21026-Flag=N"
    return sim.SimLogger(mn, PW, [sim.SimPacket(when, when, "31", "2061", cp, version)])


def _run_loggers(port: int, loggers: list[sim.SimLogger], linger: float) -> Any:
    """The loggers streaming to the gateway on ``port`` and staying ``linger`` s online."""
    return asyncio.create_task(
        sim.run_simulation(loggers, "127.0.0.1", port, speed=0, linger=linger)
    )


async def _wait_final(settings: Settings, ids: list[int], seconds: float) -> list[QcCommand]:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        with session_scope(settings) as db:
            rows = [db.get(QcCommand, i) for i in ids]
            for r in rows:
                db.expunge(r)
        if all(r is not None and r.status in FINAL_STATES for r in rows):
            return rows  # type: ignore[return-value]
        if asyncio.get_running_loop().time() > deadline:
            return rows  # type: ignore[return-value]
        await asyncio.sleep(0.2)


def test_gateway_delivers_and_the_virtual_logger_answers(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # MNQC01 runs 7 minutes fast and fails its zero/span calibration; MNQC02 is healthy
    monkeypatch.setattr(
        sim, "qc_profile", lambda mn: (420.0, True) if mn == "MNQC01" else (1.0, False)
    )
    monkeypatch.setattr(sim, "asks_time", lambda mn: mn == "MNQC02")  # healthy, asks anyway
    with session_scope(settings) as db:
        ids = [
            queue_command(db, None, "P1", cn).command_id for cn in ("1011", "3020", "3011", "2011")
        ] + [
            queue_command(db, None, "P2", "1011").command_id,
            queue_command(db, None, "P2", "1012").command_id,  # set time: platform clock
        ]

    async def scenario() -> tuple[list[QcCommand], sim.SimResult, Gateway]:
        cfg = GatewayConfig(port=0, metrics_port=None, lake=False, qc_interval=0.2)
        gw = Gateway(settings, cfg)
        await gw.start()
        try:
            task = _run_loggers(gw.port, [_logger("MNQC01"), _logger("MNQC02", "2025")], 6.0)
            rows = await _wait_final(settings, ids, 20.0)
            result = await task
        finally:
            await gw.shutdown()
        return rows, result, gw

    rows, result, gw = asyncio.run(scenario())
    by = {(r.mn, r.cn): r for r in rows}
    clock = by["MNQC01", "1011"]
    assert clock.status == "done" and clock.passed is False
    assert clock.result is not None and 415 <= clock.result["figures"]["offset_s"] <= 425
    info = by["MNQC01", "3020"]
    assert info.status == "done" and info.passed is True
    assert info.result is not None and info.result["data"]["a21026/i12001-Info"] == "0"
    assert by["MNQC01", "3011"].status == "failed" and by["MNQC01", "3011"].exe_rtn == "2"
    rt = by["MNQC01", "2011"]
    assert rt.status == "done" and rt.result is not None and rt.result["data"]["a21026-Rtd"] == 12.5
    healthy = by["MNQC02", "1011"]
    assert healthy.status == "done" and healthy.passed is True
    set_time = by["MNQC02", "1012"]
    assert set_time.status == "done" and set_time.params is not None
    assert len(set_time.params["SystemTime"]) == 14  # filled in when sent
    # MNQC02 asked for the time (1013) after its first upload while a 1012 for it was
    # already queued: no second one
    assert result.requests_answered == 6 and gw.qc.sent == 6
    with session_scope(settings) as db:
        sets = db.scalars(select(QcCommand.mn).where(QcCommand.cn == "1012")).all()
        assert sets == ["MNQC02"]
    with session_scope(settings) as db:
        leads = db.scalars(select(Lead).where(Lead.family == "QC_FAILURE")).all()
        assert [ld.subject_id for ld in leads] == ["P1"]


def test_silent_logger_times_out_and_offline_one_gets_it_on_connecting(settings: Settings) -> None:
    with session_scope(settings) as db:
        silent = queue_command(db, None, "P1", "1011").command_id

    async def scenario() -> list[QcCommand]:
        cfg = GatewayConfig(port=0, metrics_port=None, lake=False, qc_interval=0.2)
        gw = Gateway(settings, cfg)
        await gw.start()
        try:
            # a logger that uploads but never answers requests
            r, w = await asyncio.open_connection("127.0.0.1", gw.port)
            cp = "DataTime=20261203080000;a21026-Avg=10,a21026-Flag=N"
            w.write(build_packet("31", "2061", "MNQC01", cp, pw=PW, ack=True))
            await w.drain()
            await asyncio.wait_for(r.readuntil(b"\r\n"), 3)  # the 9014
            rows = await _wait_final(settings, [silent], 10.0)
            # the command reached it (it read the request) and was never answered
            request = await asyncio.wait_for(r.readuntil(b"\r\n"), 3)
            assert b"CN=1011" in request and b"MN=MNQC01" in request
            w.close()
            # MNQC02 is offline: its command waits, then goes out when it connects
            with session_scope(settings) as db:
                later = queue_command(db, None, "P2", "3012").command_id
            await asyncio.sleep(1.0)
            with session_scope(settings) as db:
                assert db.get(QcCommand, later).status == "queued"  # type: ignore[union-attr]
            task = _run_loggers(gw.port, [_logger("MNQC02")], 4.0)
            rows += await _wait_final(settings, [later], 15.0)
            await task
        finally:
            await gw.shutdown()
        return rows

    silent_row, later_row = asyncio.run(scenario())
    assert silent_row.status == "timeout" and silent_row.passed is False
    assert "未在时限内应答" in (silent_row.verdict or "")
    assert later_row.status == "done" and later_row.passed is True


def test_cli_qc(settings: Settings) -> None:
    runner = CliRunner()
    out = runner.invoke(app, ["qc", "send", "--outlet", "P1", "--command", "1011", "--json"])
    assert out.exit_code == 0, out.output
    sent = json.loads(out.stdout)
    assert sent["status"] == "queued" and sent["mn"] == "MNQC01"
    bad = runner.invoke(app, ["qc", "send", "--outlet", "P1", "--command", "9999"])
    assert bad.exit_code == 2 and "9999" in bad.output
    bad = runner.invoke(app, ["qc", "send", "--outlet", "NOPE", "--command", "1011"])
    assert bad.exit_code == 2
    listed = runner.invoke(app, ["qc", "list", "--json"])
    assert (
        listed.exit_code == 0 and json.loads(listed.stdout)[0]["command_id"] == sent["command_id"]
    )
    sched = runner.invoke(app, ["qc", "schedule", "--json"])
    assert sched.exit_code == 0
    # P1's 1011 was queued just now: the schedule adds P1's 3011 and P2's two checks
    assert sorted(tuple(x) for x in json.loads(sched.stdout)["queued"]) == [
        ("P1", "3011"), ("P2", "1011"), ("P2", "3011"),
    ]  # fmt: skip


def test_logger_time_request_is_answered_once_by_a_set_time(settings: Settings) -> None:
    """1013 (现场机时间校准请求) → one 1012 per logger: not again while one is pending or
    within the quiet time, none for an MN without an outlet; audited as the system's."""
    from lantian.qc.service import TIME_REQUEST_QUIET_S, answer_time_requests

    t0 = now_cst()
    with session_scope(settings) as db:
        made = answer_time_requests(db, ["MNQC01", "MNQC01", "NOSUCHMN"], t0)
        assert [(c.outlet_id, c.cn, c.status) for c in made] == [("P1", "1012", "queued")]
        assert answer_time_requests(db, ["MNQC01"], t0 + timedelta(seconds=5)) == []
        claim_for_sending(db, ["MNQC01"], t0 + timedelta(seconds=6))
        record_answer(db, "MNQC01", made[0].qn or "", "9012", {"ExeRtn": "1"})
        assert made[0].status == "done"
        later = t0 + timedelta(seconds=TIME_REQUEST_QUIET_S - 1)
        assert answer_time_requests(db, ["MNQC01"], later) == []
        again = answer_time_requests(db, ["MNQC01"], later + timedelta(seconds=2))
        assert [c.cn for c in again] == ["1012"]
        note = db.scalars(
            select(AuditLog.note).where(
                AuditLog.action == "qc.queue", AuditLog.object_id == str(made[0].command_id)
            )
        ).one()
        assert note is not None and "1013" in note


def test_gateway_answers_a_time_request_and_the_logger_clock_is_set(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A virtual logger 7 minutes fast asks for the time; the gateway sends 1012 with the
    platform's clock; a clock check (1011) queued afterwards finds it right."""
    monkeypatch.setattr(sim, "qc_profile", lambda mn: (420.0, False))
    monkeypatch.setattr(sim, "asks_time", lambda mn: True)

    async def scenario() -> list[QcCommand]:
        cfg = GatewayConfig(port=0, metrics_port=None, lake=False, qc_interval=0.2)
        gw = Gateway(settings, cfg)
        await gw.start()
        try:
            task = _run_loggers(gw.port, [_logger("MNQC01")], 6.0)
            deadline = asyncio.get_running_loop().time() + 15
            set_id = None
            while set_id is None and asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(0.2)
                with session_scope(settings) as db:
                    set_id = db.scalar(select(QcCommand.command_id).where(QcCommand.cn == "1012"))
            assert set_id is not None, "no 1012 queued for the 1013"
            (set_row,) = await _wait_final(settings, [set_id], 10.0)
            with session_scope(settings) as db:
                check = queue_command(db, None, "P1", "1011").command_id
            rows = [set_row, *await _wait_final(settings, [check], 10.0)]
            await task
        finally:
            await gw.shutdown()
        return rows

    set_row, check = asyncio.run(scenario())
    assert set_row.status == "done" and set_row.passed is True
    assert check.status == "done" and check.passed is True
    assert check.result is not None and abs(check.result["figures"]["offset_s"]) < 5
