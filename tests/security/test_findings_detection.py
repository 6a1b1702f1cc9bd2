"""Adversary: one packet stamped 2099 must not stop detection for a city (issue 11, item 1).

The review's attack: a 2061 packet with ``DataTime=20991231230000``, acknowledged and
stored, moved the detection watermark to 2100, and every later run was "skipped: no data
newer than the watermark" although six real exceedance hours arrived. Here a live gateway
with its lake feeder (127.0.0.1, free port) receives the 2099 packet between real hours,
then detection runs: the function once, then the real ``lantian detect-lake --json`` CLI.
Both layers are attacked: the gateway holds the future packet (never in the lake); and a
gateway configured with a huge future margin lets it through, so detection itself must
exclude it with a reason and still judge the real hours. Bounded: 9 packets, 2 runs.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from tests.gateway.gwtools import populate_registry, read_frame, running

from lantian.auth.models import AuditLog
from lantian.db.session import session_scope
from lantian.gateway.archive import iter_records
from lantian.lake import Lake
from lantian.leads.models import Lead
from lantian.protocol.hj212.packet import build_packet
from lantian.registry.models import Outlet
from lantian.rules.platform import detect_lake_once
from lantian.settings import Settings, get_settings
from lantian.timeutil import CST

FUTURE = "20991231230000"


def hourly(when: datetime | str, so2: float) -> bytes:
    stamp = when if isinstance(when, str) else when.strftime("%Y%m%d%H%M%S")
    cp = f"DataTime={stamp};a21026-Avg={so2},a21026-Flag=N"
    return build_packet("31", "2061", "MN0001", cp, pw="123456", ack=True)


def send(settings: Settings, frames: list[bytes]) -> list[bytes | None]:
    """Send the frames to a live gateway with its lake feeder; the answers."""

    async def main() -> list[bytes | None]:
        async with running(settings, lake_mode="thread") as gw:
            r, w = await asyncio.open_connection("127.0.0.1", gw.port)
            out: list[bytes | None] = []
            for frame in frames:
                w.write(frame)
                await w.drain()
                try:
                    out.append(await read_frame(r, 0.5))
                except TimeoutError:
                    out.append(None)
            w.close()
            return out

    return asyncio.run(main())


def exceed_leads(settings: Settings) -> list[tuple[datetime, datetime]]:
    with session_scope(settings) as s:
        leads = s.scalars(
            select(Lead).where(
                Lead.rule == "CEMS-EXCEED", Lead.subject_id == "P1", Lead.status == "active"
            )
        )
        return sorted((ld.start.astimezone(CST), ld.end.astimezone(CST)) for ld in leads)


def test_findings_a_2099_packet_does_not_stop_detection(lantian_home: Path) -> None:
    settings = get_settings()
    settings.ensure_home()
    populate_registry(settings)
    with session_scope(settings) as s:
        s.scalars(select(Outlet).where(Outlet.mn == "MN0001")).one().limit_so2 = 35.0
    now = datetime.now(CST)
    top = now.replace(minute=0, second=0, microsecond=0)
    first = [top - timedelta(hours=h) for h in (12, 11, 10)]
    later = [top - timedelta(hours=h) for h in (5, 4, 3)]

    # 1. the gateway holds the 2099 packet (answered, archived as future, not in the lake)
    answers = send(settings, [hourly(FUTURE, 999.0)] + [hourly(t, 80.0) for t in first])
    assert all(a is not None and b"CN=9014" in a for a in answers)
    statuses = [rec["status"] for _, rec in iter_records(settings.archive_dir)]
    assert statuses == ["future", "ok", "ok", "ok"]
    report = detect_lake_once(settings, rules=["CEMS-EXCEED"])
    assert report.status == "ok", report.message
    assert report.data_to is not None and report.data_to < now
    assert [start for start, _ in exceed_leads(settings)] == [first[0]]

    # 2. a gateway that lets it through (margin of 200 years): detection excludes it
    lax = settings.model_copy(update={"future_margin_h": 200 * 8766.0})
    answers = send(lax, [hourly(FUTURE, 999.0)] + [hourly(t, 80.0) for t in later])
    assert all(a is not None for a in answers)
    rows = Lake(settings.lake_dir).read("cems_hourly").to_pylist()
    assert max(r["time"] for r in rows).year == 2099  # it is in the lake now
    env = {**os.environ, "LANTIAN_HOME": str(settings.home)}
    out = subprocess.run(
        [sys.executable, "-m", "lantian", "detect-lake", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    run: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    assert run["status"] == "ok" and run["mode"] == "incremental", run
    assert datetime.fromisoformat(run["data_to"]) < now  # judged up to the real hours
    [excluded] = run["future_excluded"]
    assert excluded["series"] == "P1" and "reason" in excluded
    assert datetime.fromisoformat(excluded["to"]) > datetime(2099, 12, 31, 23, tzinfo=CST)
    assert datetime.fromisoformat(excluded["from"]) > now  # only the hours beyond the margin
    assert "not judged" in excluded["reason"]
    starts = [start for start, _ in exceed_leads(settings)]
    assert starts == [first[0], later[0]]  # the later real exceedance hours were judged
    # the 2099 value itself never became a lead
    assert all(end.year < 2099 for _, end in exceed_leads(settings))
    # both runs are on the audit record with the leads they created (item 8)
    with session_scope(settings) as s:
        merges = [
            r.after or {}
            for r in s.scalars(select(AuditLog).where(AuditLog.action == "merge_leads"))
        ]
        lead_ids = set(s.scalars(select(Lead.lead_id).where(Lead.rule == "CEMS-EXCEED")))
    assert len(merges) == 2
    assert {i for m in merges for i in m["new_ids"]} >= lead_ids and len(lead_ids) == 2
