"""立行立改 and 督办 rules: the working-day deadline, escalation and conversion to 督办 when
overdue or rejected (audited, on the timeline); spot checks on the timeline and never by
the officer who closed the case."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import lantian_test_world as W  # registered by conftest.py
import pytest
from sqlalchemy import select

from lantian.auth.models import AuditLog
from lantian.timeutil import CST, now_cst
from lantian.workflow import api as wf
from lantian.workflow.models import CaseEvent, SpotCheck
from lantian.workflow.workdays import add_working_days_cst, is_working_day_cst


def test_working_days_skip_weekends() -> None:
    fri = datetime(2026, 11, 27, 16, 30, tzinfo=CST)  # a Friday
    assert add_working_days_cst(fri, 3) == datetime(2026, 12, 2, 23, 59, 59, tzinfo=CST)
    mon = datetime(2026, 11, 30, 9, 0, tzinfo=CST)
    assert add_working_days_cst(mon, 3) == datetime(2026, 12, 3, 23, 59, 59, tzinfo=CST)
    sat = datetime(2026, 11, 28, 10, 0, tzinfo=CST)
    assert add_working_days_cst(sat, 1) == datetime(2026, 11, 30, 23, 59, 59, tzinfo=CST)
    # 17:00 UTC on a Friday is already Saturday 01:00 in CST
    assert not is_working_day_cst(datetime(2026, 11, 27, 17, 0, tzinfo=UTC))
    assert is_working_day_cst(datetime(2026, 11, 27, 15, 59, tzinfo=UTC))
    with pytest.raises(ValueError):
        add_working_days_cst(mon, 0)


def _events(s: Any, case_id: int) -> list[str]:
    return list(
        s.scalars(
            select(CaseEvent.action)
            .where(CaseEvent.case_id == case_id)
            .order_by(CaseEvent.at, CaseEvent.event_id)
        )
    )


def test_immediate_fix_has_a_working_day_deadline(world: Any) -> None:
    s = world.session
    case = W.drive(s, world, "immediate_fix")
    assert case.rectify_deadline is not None
    chosen = s.scalar(
        select(CaseEvent.at).where(
            CaseEvent.case_id == case.case_id, CaseEvent.action == "choose_immediate_fix"
        )
    )
    assert chosen is not None
    # the end of the third working day after the choice (CST)
    assert case.rectify_deadline == add_working_days_cst(chosen, 3)
    assert case.rectify_deadline.astimezone(CST).weekday() < 5


def test_overdue_immediate_fix_escalates_then_becomes_supervision(world: Any) -> None:
    s = world.session
    case = W.drive(s, world, "immediate_fix")
    assert case.rectify_deadline is not None
    assert wf.run_scheduled_jobs(s, case.rectify_deadline - timedelta(hours=1)).converted == []
    assert case.status == "immediate_fix"
    late = case.rectify_deadline + timedelta(days=1)
    report = wf.run_scheduled_jobs(s, late)
    assert [e.case_id for e in report.escalated] == [case.case_id]
    assert report.converted == [case.case_id]
    assert case.status == "supervision_order" and case.fix_path == "supervision_order"
    assert case.rectify_deadline == add_working_days_cst(late, 10)
    assert case.escalation_level == 0
    acts = _events(s, case.case_id)
    # the escalation hands a 督办任务 to the next level (issue #16), then the order follows
    assert acts[-3:] == ["escalate", "task_create", "convert_to_supervision"]
    audit = s.scalar(
        select(AuditLog).where(
            AuditLog.action == "convert_to_supervision", AuditLog.object_id == str(case.case_id)
        )
    )
    assert audit is not None and audit.actor_name == "system"
    assert (audit.from_status, audit.to_status) == ("immediate_fix", "supervision_order")
    # idempotent: nothing left to convert
    assert wf.run_scheduled_jobs(s, late).converted == []
    # the converted order escalates like any 督办
    again = wf.escalate_overdue(s, case.rectify_deadline + timedelta(days=8))
    assert [(e.case_id, e.new_level) for e in again] == [(case.case_id, 2)]


def test_rejected_immediate_fix_becomes_supervision(world: Any) -> None:
    s = world.session
    case = W.drive(s, world, "immediate_fix")
    wf.submit_rectification(s, world.admin, case.case_id, text="已更换滤袋")
    assert case.status == "review"
    wf.review(s, world.admin, case.case_id, accept=False, comment="佐证材料不足")
    assert case.status == "rectification"
    assert case.fix_path == "supervision_order"
    assert case.rectify_deadline is not None and case.rectify_deadline > now_cst()
    assert _events(s, case.case_id)[-2:] == ["review_reject", "convert_to_supervision"]
    ev = s.scalar(
        select(CaseEvent).where(
            CaseEvent.case_id == case.case_id, CaseEvent.action == "convert_to_supervision"
        )
    )
    assert ev is not None and ev.note is not None and "佐证材料不足" in ev.note
    audit = s.scalar(
        select(AuditLog).where(
            AuditLog.action == "convert_to_supervision", AuditLog.object_id == str(case.case_id)
        )
    )
    assert audit is not None and audit.after["fix_path"] == "supervision_order"  # type: ignore[index]
    # a rejected 督办 stays as it was (no conversion)
    sup = W.drive(s, world, "review")
    wf.review(s, world.admin, sup.case_id, accept=False, comment="佐证材料不足")
    assert "convert_to_supervision" not in _events(s, sup.case_id)
    with pytest.raises(wf.InvalidTransition):
        wf.convert_to_supervision(s, world.admin, sup.case_id, reason="x")


def test_spot_checks_reach_the_timeline_and_not_the_closer(world: Any) -> None:
    s = world.session
    mine = W.drive(s, world, "immediate_fix")
    wf.close(s, world.city_a, mine.case_id, comment="现场确认已整改")
    assert mine.closed_by == world.city_a.user_id
    other = W.drive(s, world, "closed")  # closed by the admin
    draw = wf.draw_spot_checks(s, world.city_a, 1.0, seed=7)
    assert other.case_id in draw.case_ids and mine.case_id not in draw.case_ids
    assert "spot_check_drawn" in _events(s, other.case_id)
    # the admin draws the city officer's close-out; the city officer may not check it
    draw2 = wf.draw_spot_checks(s, world.admin, 1.0, seed=7)
    assert mine.case_id in draw2.case_ids
    sc = s.scalar(select(SpotCheck).where(SpotCheck.case_id == mine.case_id))
    assert sc is not None
    with pytest.raises(wf.PermissionDenied, match="销号人不得抽查"):
        wf.record_spot_check(s, world.city_a, sc.spot_check_id, passed=True, note="已整改")
    assert sc.result == "pending"
    wf.record_spot_check(s, world.district_a1, sc.spot_check_id, passed=True, note="复核属实")
    assert _events(s, mine.case_id)[-1] == "spot_check_passed"
    sc2 = s.scalar(select(SpotCheck).where(SpotCheck.case_id == other.case_id))
    assert sc2 is not None
    wf.record_spot_check(s, world.city_a, sc2.spot_check_id, passed=False, note="设施未运行")
    assert "spot_check_failed" in _events(s, other.case_id)
    assert other.status == "dispatched"
