"""学法减罚 taken in the portal: an assessment with a fine offers it; a pass within the
deadline records it on the case and reduces the assessment by the rule, never below the
legal minimum; a pass after the deadline reduces nothing (the boundaries on SQLite and
PostgreSQL, the rest on SQLite)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.assist.conftest import right_answers, sworld
from tests.enforcement.conftest import W

from lantian.assist.training import services as ts
from lantian.auth.errors import NotFound, ValidationError
from lantian.auth.models import AuditLog
from lantian.enforcement import services as es
from lantian.enforcement.models import LeniencyRecord
from lantian.workflow import service as ws

FACTS: dict[str, Any] = {
    "violation": "AIR-EXCEED",
    "harm": "slight",
    "corrected_in_time": True,
    "first_offence": False,
}


def _confirmed(s: Any, world: Any) -> Any:
    case = W.drive(s, world, "dispatched")
    ws.share_case(s, world.admin, case.case_id)
    W.fire(s, world, world.admin, case.case_id, "start_check")
    ws.record_remote_check(s, world.admin, case.case_id, notes="调阅在线监测数据")
    W.fire(s, world, world.admin, case.case_id, "judge_confirmed")
    return case


def _pass(s: Any, world: Any, case_id: int, at: dt.datetime) -> Any:
    course = ts.law_study_course(s)
    a = ts.start_attempt(s, world.ent_a, course.course_id, case_id=case_id, now=at)
    return ts.submit_attempt(s, world.ent_a, a.attempt_id, right_answers(s, a), now=at)[0]


BOUNDARIES: list[tuple[int, int, int]] = [
    (500000, 0, 400000),  # 20 % off, passed on the deadline's last instant
    (500000, 1, 500000),  # one second late: nothing reduced
    (120000, 0, 100000),  # 96,000 would fall below §99's minimum: held at 100,000
    (100000, 0, 100000),  # at the minimum already
    (125000, 0, 100000),  # exactly the minimum after 20 %
]


def test_portal_exam_reduces_the_assessment_within_the_deadline(world: Any) -> None:
    for amount, late_s, expected in BOUNDARIES:
        _check_boundary(world, amount, late_s, expected)
        world.session.rollback()


def _check_boundary(world: Any, amount: int, late_s: int, expected: int) -> None:
    s = world.session
    case = _confirmed(s, world)
    a = es.assess_case(s, world.admin, case.case_id, {**FACTS, "amount": amount})
    assert a.amount == amount
    offer = es.law_study_offer(s, case)
    assert offer is not None and offer.percent == 20 and not offer.passed
    pset = es.set_for(case.province, es.case_day(case))
    assert offer.deadline == case.judged_at + dt.timedelta(days=pset.law_study.deadline_days)
    attempt = _pass(s, world, case.case_id, offer.deadline + dt.timedelta(seconds=late_s))
    assert attempt.passed
    s.refresh(a)
    assert a.amount == expected
    recs = list(s.scalars(select(LeniencyRecord).where(LeniencyRecord.case_id == case.case_id)))
    n_audit = s.scalar(
        select(func.count()).select_from(AuditLog).where(AuditLog.action == "law_study_reduction")
    )
    if late_s:
        assert recs == [] and n_audit == 0 and not a.facts["law_study_passed"]
    else:
        assert [r.exam_attempt_id for r in recs] == [attempt.attempt_id]
        assert a.facts["law_study_passed"] and n_audit == 1
        red = a.result["reductions"][0]
        assert red["kind"] == "law_study" and red["from"] == amount and red["to"] == expected
        assert red["capped_at_minimum"] is (amount * 0.8 < 100000)
        assert any("学法减罚" in r["fact"] for r in a.result["reasons"])
        assert es.law_study_offer(s, case).passed  # type: ignore[union-attr]


def test_no_offer_without_a_fine_or_after_the_decision(sworld: Any) -> None:
    s, world = sworld.session, sworld
    case = _confirmed(s, world)
    assert es.law_study_offer(s, case) is None  # not assessed yet
    a = es.assess_case(s, world.admin, case.case_id, {**FACTS, "amount": 300000})
    assert es.law_study_offer(s, case) is not None
    es.decide(s, world.admin, a.assessment_id, accept=True)
    assert es.law_study_offer(s, case) is None
    with pytest.raises(NotFound):  # another enterprise's case
        course = ts.law_study_course(s)
        ts.start_attempt(s, world.ent_b, course.course_id, case_id=case.case_id)


def test_officer_override_needs_a_reason(sworld: Any) -> None:
    s, world = sworld.session, sworld
    case = _confirmed(s, world)
    kw: dict[str, Any] = {
        "course": "大气法",
        "hours": 2,
        "exam_score": 90,
        "passed": True,
        "completed_at": case.judged_at,
    }
    with pytest.raises(ValidationError, match="reason"):
        es.record_law_study(s, world.admin, case.case_id, reason=" ", **kw)
    rec = es.record_law_study(s, world.admin, case.case_id, reason="企业在局内参加纸质考试", **kw)
    assert rec.text is not None and "纸质考试" in rec.text and rec.exam_attempt_id is None


__all__ = ["sworld"]


def test_an_earlier_pass_does_not_stand_for_a_cases_law_study(sworld: Any) -> None:
    s, world = sworld.session, sworld
    course = ts.law_study_course(s)
    first = ts.start_attempt(s, world.ent_a, course.course_id)
    assert ts.submit_attempt(s, world.ent_a, first.attempt_id, right_answers(s, first))[1].passed
    case = _confirmed(s, world)
    a = es.assess_case(s, world.admin, case.case_id, {**FACTS, "amount": 500000})
    attempt = _pass(s, world, case.case_id, case.judged_at + dt.timedelta(days=1))
    assert attempt.case_id == case.case_id and attempt.attempt_id != first.attempt_id
    s.refresh(a)
    assert a.amount == 400000
