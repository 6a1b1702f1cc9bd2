"""leads/store: merging a run's episodes within its judged scope."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from typer.testing import CliRunner

from lantian.auth.models import AuditLog
from lantian.cli.main import app
from lantian.db.session import session_scope
from lantian.leads.models import Lead
from lantian.leads.store import JudgedScope, lead_versions, merge_episodes
from lantian.rules.engine import LeadRecord, lead_id
from lantian.settings import Settings
from lantian.timeutil import CST
from lantian.workflow.models import Case, CaseLead

T0 = datetime(2024, 3, 1, tzinfo=CST)
H = timedelta(hours=1)


def rec(h0: int, h1: int, *, subject: str = "P1", rule: str = "CEMS-MISSING") -> LeadRecord:
    start = (T0 + h0 * H).isoformat()
    return LeadRecord(
        lead_id=lead_id(rule, "outlet", subject, None, start),
        rule=rule,
        family="MISSING",
        enterprise_id="E1",
        subject_type="outlet",
        subject_id=subject,
        pollutant=None,
        start=start,
        end=(T0 + h1 * H).isoformat(),
        severity=2,
        score=0.5,
        summary=f"缺失 {h0}-{h1}",
        evidence={"hours": h1 - h0},
    )


def scope(lo_h: int = 0, hi_h: int = 100, horizon_h: int = 100) -> JudgedScope:
    return JudgedScope(
        enterprises={"E1": (T0 + lo_h * H, T0 + hi_h * H)},
        data_first=T0,
        horizon=T0 + horizon_h * H,
        edge=timedelta(hours=6),
    )


def merge(settings: Settings, episodes: list[LeadRecord], sc: JudgedScope, run: int) -> Any:
    with session_scope(settings) as s:
        return merge_episodes(s, episodes, sc, run_id=run)


def active(settings: Settings) -> dict[str, tuple[datetime, datetime]]:
    with session_scope(settings) as s:
        return {
            ld.lead_id: (ld.start, ld.end)
            for ld in s.scalars(select(Lead).where(Lead.status == "active"))
        }


def test_extend_bridge_withdraw_and_audit(db_settings: Settings) -> None:
    st = merge(db_settings, [rec(10, 14), rec(20, 24)], scope(), 1)
    assert (st.new, st.withdrawn) == (2, 0)
    first = rec(10, 14).lead_id
    # late hours fill the gap: one episode 10-24 -> the first lead grows, the second merges
    st = merge(db_settings, [rec(10, 24)], scope(), 2)
    assert (st.new, st.extended, st.withdrawn) == (0, 1, 1)
    assert active(db_settings) == {first: (T0 + 10 * H, T0 + 24 * H)}
    # the same data again: nothing changes
    st = merge(db_settings, [rec(10, 24)], scope(), 3)
    assert (st.new, st.extended, st.unchanged, st.withdrawn) == (0, 0, 1, 0)
    # the hours were only delayed: the episode is gone -> withdrawn
    st = merge(db_settings, [], scope(), 4)
    assert st.withdrawn == 1 and active(db_settings) == {}
    with session_scope(db_settings) as s:
        lead = s.get(Lead, first)
        assert lead is not None and lead.status == "withdrawn" and not lead.open
        actions = [a.action for a in s.scalars(select(AuditLog).order_by(AuditLog.audit_id))]
        runs = s.scalars(
            select(AuditLog).where(AuditLog.action == "merge_leads").order_by(AuditLog.audit_id)
        ).all()
    assert actions.count("withdraw_lead") == 2 and actions.count("merge_leads") == 4
    assert [r.object_id for r in runs] == ["1", "2", "3", "4"]
    assert runs[0].after is not None and runs[0].after["new"] == 2
    # it comes back when the data say so again (same id, active again)
    st = merge(db_settings, [rec(10, 24)], scope(), 5)
    assert st.new == 1 and active(db_settings) == {first: (T0 + 10 * H, T0 + 24 * H)}


def test_outside_the_scope_nothing_is_decided(db_settings: Settings) -> None:
    merge(db_settings, [rec(10, 14), rec(60, 70)], scope(), 1)
    # a run that judged hours 40..100 (with data before 40 unread) does not touch 10-14,
    # and a lead within the edge of its clipped start only grows
    st = merge(db_settings, [rec(40, 41)], scope(40, 100), 2)
    assert st.withdrawn == 1  # 60-70 vanished inside the judged hours
    assert set(active(db_settings)) == {rec(10, 14).lead_id, rec(40, 41).lead_id}
    # other enterprises and stations are not judged by this scope
    other = JudgedScope(enterprises={"E2": (T0, T0 + 100 * H)}, data_first=T0)
    assert merge(db_settings, [], other, 3).withdrawn == 0


def test_judged_lead_is_frozen_and_gets_versions(db_settings: Settings, tmp_path: Path) -> None:
    merge(db_settings, [rec(10, 14), rec(30, 34, subject="P2")], scope(), 1)
    a, b = rec(10, 14).lead_id, rec(30, 34, subject="P2").lead_id
    now = datetime.now(CST)
    with session_scope(db_settings) as s:
        lead_a = s.get(Lead, a)
        assert lead_a is not None
        lead_a.outcome = "confirmed"
        case = Case(
            status="new",
            title="t",
            rule="CEMS-MISSING",
            family="MISSING",
            subject_type="outlet",
            subject_id="P2",
            severity=2,
            created_at=now,
            updated_at=now,
        )
        s.add(case)
        s.flush()
        s.add(CaseLead(lead_id=b, case_id=case.case_id, linked_at=now))
    # a longer episode: the judged lead keeps its window, the new view is version 2
    st = merge(db_settings, [rec(10, 18)], scope(), 2)
    assert (st.extended, st.versioned, st.kept_frozen) == (0, 1, 1)  # b vanished: kept
    assert active(db_settings) == {a: (T0 + 10 * H, T0 + 14 * H), b: (T0 + 30 * H, T0 + 34 * H)}
    with session_scope(db_settings) as s:
        versions = lead_versions(s, a)
        assert [(v["version"], v["end"]) for v in versions] == [
            (1, T0 + 14 * H),
            (2, T0 + 18 * H),
        ]
        assert [v["version"] for v in lead_versions(s, b)] == [1]
        lead = s.get(Lead, a)
        assert lead is not None and lead.summary == "缺失 10-14"
    # the same view again adds no version
    assert merge(db_settings, [rec(10, 18)], scope(), 3).versioned == 0
    # export: the detect format plus status and case_id
    out = tmp_path / "leads.jsonl"
    result = CliRunner().invoke(app, ["leads", "export", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = {r["lead_id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert rows[b]["case_id"] is not None and rows[a]["case_id"] is None
    assert {r["status"] for r in rows.values()} == {"active"}
    assert set(LeadRecord.__dataclass_fields__) | {"status", "case_id"} == set(rows[a])


def test_leads_of_rules_the_run_did_not_execute_are_never_withdrawn(
    db_settings: Settings,
) -> None:
    """Gateway-made leads (DATA_REWRITE …) and leads of rules left out of a run survive it."""
    merge(db_settings, [rec(10, 14), rec(30, 34, rule="CEMS-EXCEED")], scope(), 1)
    with session_scope(db_settings) as s:
        rewrite = Lead(
            lead_id="DEV-REWRITE-1",
            rule="GW-DATA-REWRITE",
            family="DATA_REWRITE",
            enterprise_id="E1",
            subject_type="outlet",
            subject_id="P1",
            pollutant=None,
            start=T0 + 50 * H,
            end=T0 + 51 * H,
            severity=2,
            score=0.9,
            summary="数据被改写",
            evidence={},
            open=False,
            detected_at=T0,
            updated_at=T0,
        )
        s.add(rewrite)
    only_missing = scope()
    only_missing.rules = frozenset({"CEMS-MISSING"})
    st = merge(db_settings, [], only_missing, 2)
    assert st.withdrawn == 1  # the CEMS-MISSING lead vanished; the others were not judged
    assert set(active(db_settings)) == {rec(30, 34, rule="CEMS-EXCEED").lead_id, "DEV-REWRITE-1"}
