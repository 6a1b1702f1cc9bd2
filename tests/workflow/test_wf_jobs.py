"""Overdue escalation, spot-check draws, recurrence reopening and precision feedback."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import lantian_test_world as W  # registered by conftest.py
import pytest
from sqlalchemy import select

from lantian.auth.models import AuditLog
from lantian.leads.models import Lead
from lantian.timeutil import now_cst
from lantian.workflow import api as wf
from lantian.workflow.models import CaseLead, SpotCheck
from lantian.workflow.service import escalation_level


def test_escalation_levels() -> None:
    assert [escalation_level(d) for d in (-1, 0, 0.01, 6.9, 7, 29, 30, 400)] == [
        0,
        0,
        1,
        1,
        2,
        2,
        3,
        3,
    ]


def test_escalate_overdue(world: Any) -> None:
    s = world.session
    now = now_cst()
    sup = W.drive(s, world, "supervision_order")  # rectify deadline now + 20 d
    disp = W.drive(s, world, "dispatched")  # check deadline now + 5 d
    closed = W.drive(s, world, "closed")
    assert wf.escalate_overdue(s, now) == []
    out = wf.escalate_overdue(s, now + timedelta(days=6))
    assert [(e.case_id, e.new_level) for e in out] == [(disp.case_id, 1)]
    assert wf.escalate_overdue(s, now + timedelta(days=6)) == []  # idempotent
    out = wf.escalate_overdue(s, now + timedelta(days=24))
    got = {e.case_id: e.new_level for e in out}
    assert got == {disp.case_id: 2, sup.case_id: 1}
    out = wf.escalate_overdue(s, now + timedelta(days=60))
    assert {e.case_id: e.new_level for e in out} == {disp.case_id: 3, sup.case_id: 3}
    assert closed.escalation_level == 0
    audits = s.scalars(
        select(AuditLog).where(
            AuditLog.action == "escalate", AuditLog.object_id == str(disp.case_id)
        )
    ).all()
    assert [a.after["escalation_level"] for a in audits] == [1, 2, 3]  # type: ignore[index]
    assert all(a.actor_name == "system" for a in audits)
    rows = wf.ledger(s, world.admin, overdue_only=True, now=now + timedelta(days=60))
    assert [r.case_id for r in rows] == [sup.case_id]
    assert rows[0].overdue_days == pytest.approx(40, abs=0.1)
    dash = wf.dashboard(s, world.admin, now=now + timedelta(days=60))
    assert dash.overdue == 2 and dash.escalated == 2
    with pytest.raises(wf.PermissionDenied):
        wf.escalate_overdue(s, now, actor=world.city_a)


def test_spot_check_draw_is_seeded_and_recorded(world: Any) -> None:
    s = world.session
    cases = [W.drive(s, world, "closed") for _ in range(10)]
    d1 = wf.draw_spot_checks(s, world.city_a, 0.3, seed=42)
    assert d1.population == 10 and len(d1.case_ids) == 3 and d1.seed == 42
    assert set(d1.case_ids) <= {c.case_id for c in cases}
    # the same population and seed reproduce the draw (checked on a rolled-back copy)
    sp = s.begin_nested()
    s.execute(SpotCheck.__table__.delete())
    d2 = wf.draw_spot_checks(s, world.city_a, 0.3, seed=42)
    assert d2.case_ids == d1.case_ids
    d3 = wf.draw_spot_checks(s, world.city_a, 0.3, seed=43)
    sp.rollback()
    assert d3.case_ids != d1.case_ids or d3.population != 10
    # drawn cases with a pending check are not drawn again
    d4 = wf.draw_spot_checks(s, world.city_a, 1.0, seed=1)
    assert set(d4.case_ids) == {c.case_id for c in cases} - set(d1.case_ids)
    # the random seed is recorded when not given
    assert wf.draw_spot_checks(s, world.admin, 0.5).seed is not None
    # a failed spot check reopens the case
    sc = s.scalar(select(SpotCheck).where(SpotCheck.draw_id == d1.draw_id))
    assert sc is not None
    wf.record_spot_check(s, world.district_a1, sc.spot_check_id, passed=False, note="设施未运行")
    reopened = s.get(type(cases[0]), sc.case_id)
    assert reopened.status == "dispatched" and reopened.reopen_count == 1
    with pytest.raises(wf.PermissionDenied):
        wf.draw_spot_checks(s, world.district_a1, 0.5)
    with pytest.raises(wf.ValidationError):
        wf.draw_spot_checks(s, world.admin, 1.5)


def test_recurrence_reopens_the_closed_case(world: Any) -> None:
    s = world.session
    case = W.drive(s, world, "closed")
    old = s.scalar(
        select(Lead)
        .join(CaseLead, CaseLead.lead_id == Lead.lead_id)
        .where(CaseLead.case_id == case.case_id)
    )
    assert old is not None and case.closed_at is not None
    # same rule and subject, 10 days after close-out; plus one of another subject
    again = W.make_lead(
        "LR1", "EA", subject_id=old.subject_id, start=case.closed_at + timedelta(days=10)
    )
    other = W.make_lead(
        "LR2", "EA", subject_id="P-other", start=case.closed_at + timedelta(days=10)
    )
    late = W.make_lead(
        "LR3", "EA", subject_id=old.subject_id, start=case.closed_at + timedelta(days=200)
    )
    s.add_all([again, other, late])
    s.flush()
    now = case.closed_at + timedelta(days=11)
    assert wf.reopen_on_recurrence(s, window_days=90, now=now) == [case.case_id]
    assert case.status == "dispatched" and case.reopen_count == 1
    linked = set(s.scalars(select(CaseLead.lead_id).where(CaseLead.case_id == case.case_id)))
    assert "LR1" in linked and "LR2" not in linked and "LR3" not in linked
    assert wf.reopen_on_recurrence(s, window_days=90, now=now) == []


def test_judgements_feed_rule_precision(world: Any) -> None:
    s = world.session
    for _ in range(3):
        c = W.drive(s, world, "confirmed")
    for _ in range(1):
        c = W.drive(s, world, "false_positive")
    lead = s.scalar(
        select(Lead)
        .join(CaseLead, CaseLead.lead_id == Lead.lead_id)
        .where(CaseLead.case_id == c.case_id)
    )
    assert lead is not None and lead.outcome == "false_positive"
    assert lead.outcome_reason == "数据传输故障，非排放问题"
    stats = {r.rule: r for r in wf.rule_precision(s)}
    r = stats["CEMS-EXCEED"]
    assert (r.confirmed, r.false_positive, r.judged) == (3, 1, 4)
    assert r.precision == pytest.approx(0.75)
    assert r.wilson_low is not None and 0 < r.wilson_low < 0.75
    assert r.leads == 4 + 5  # + the 5 unjudged world leads of this rule
    assert stats["AMB-HOT"].precision is None
    scoped = {x.rule: x for x in wf.rule_precision(s, world.ent_b)}
    assert "CEMS-EXCEED" not in scoped  # ent_b's leads: no case reached it
    dash = wf.dashboard(s, world.admin)
    assert dash.leads_by_status["confirmed"] == 3 and dash.leads_by_status["false_positive"] == 1
    assert sum(n for _w, n in dash.weekly_leads) >= 0


def test_immediate_fix_share(world: Any) -> None:
    s = world.session
    W.drive(s, world, "immediate_fix")
    c = W.drive(s, world, "immediate_fix")
    W.fire(s, world, world.city_a, c.case_id, "close_immediate_fix")  # the assignee
    W.drive(s, world, "supervision_order")
    dash = wf.dashboard(s, world.city_a)
    assert (dash.immediate_fix, dash.supervision_order) == (2, 1)
    assert dash.immediate_fix_share == pytest.approx(2 / 3)
    assert dash.cases_by_status["closed"] == 1
    assert sum(n for _w, n in dash.weekly_closed) == 1


def test_run_scheduled_jobs(world: Any) -> None:
    s = world.session
    disp = W.drive(s, world, "dispatched")
    report = wf.run_scheduled_jobs(s, now_cst() + timedelta(days=8))
    assert [e.case_id for e in report.escalated] == [disp.case_id] and report.reopened == []


def test_weekly_trend_buckets_by_cst_monday(world: Any) -> None:
    from datetime import datetime

    from lantian.timeutil import CST

    s = world.session
    # Monday 2026-11-16 00:30 CST is Sunday 16:30 UTC: it belongs to the CST week of the 16th
    monday = datetime(2026, 11, 16, 0, 30, tzinfo=CST)
    lead = W.make_lead("LW1", "EA", start=monday - timedelta(hours=3), hours=2)
    lead.detected_at = monday
    sunday = W.make_lead("LW2", "EA", subject_id="PW2", start=monday - timedelta(hours=5), hours=1)
    sunday.detected_at = monday - timedelta(hours=1)  # Sunday 23:30 CST: the week before
    s.add_all([lead, sunday])
    s.flush()
    dash = wf.dashboard(s, world.admin, now=monday + timedelta(days=2), weeks=4)
    weeks = dict(dash.weekly_leads)
    assert weeks.get("2026-11-16") == 1 and weeks.get("2026-11-09") == 1
