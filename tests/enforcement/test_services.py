"""Stored, audited assessments and decisions on confirmed cases (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.enforcement.conftest import W

from lantian.auth.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from lantian.auth.models import AuditLog
from lantian.enforcement import services as es
from lantian.enforcement.assess import FactsError, leniency_text
from lantian.enforcement.models import CreditEvent, PenaltyAssessment, PenaltyDecision
from lantian.enforcement.queries import credit_grade, credit_record, statistics
from lantian.timeutil import now_cst

FACTS: dict[str, Any] = {
    "violation": "AIR-EXCEED",
    "harm": "slight",
    "corrected_in_time": True,
}


def _audits(s: Any, action: str) -> int:
    return int(
        s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == action))
    )


def test_assessment_needs_a_confirmed_case_and_an_officer(world: Any) -> None:
    s = world.session
    checking = W.drive(s, world, "checking")
    with pytest.raises(InvalidTransition, match="问题属实"):
        es.assess_case(s, world.admin, checking.case_id, FACTS)
    confirmed = W.drive(s, world, "confirmed")
    with pytest.raises(PermissionDenied):
        es.assess_case(s, world.ent_a, confirmed.case_id, FACTS)
    with pytest.raises(NotFound):  # another city's officer does not see the case
        es.assess_case(s, world.city_b, confirmed.case_id, FACTS)
    assert s.scalar(select(func.count()).select_from(PenaltyAssessment)) == 0


def test_first_offence_computed_from_history_and_stored(world: Any) -> None:
    s = world.session
    case = W.drive(s, world, "confirmed", "ED")
    a = es.assess_case(s, world.district_a1, case.case_id, FACTS)
    assert a.first_offence_computed and a.facts["first_offence"] is True
    assert a.outcome == "no_penalty" and a.result["discretionary"] is True
    assert a.result["reasons"][0]["clause"].startswith("首违认定") and a.result["reasons"][0]["met"]
    assert _audits(s, "penalty_assess") == 1
    # a second confirmed case of ED: no longer a first offence
    case2 = W.drive(s, world, "confirmed", "ED")
    b = es.assess_case(s, world.district_a1, case2.case_id, FACTS)
    assert b.facts["first_offence"] is False and b.outcome == "standard"
    assert b.amount is not None and 370000 <= b.amount <= 730000
    assert b.result["reasons"][0]["met"] is False


def test_look_back_window_boundary_on_stored_cases(world: Any) -> None:
    s = world.session
    old = W.drive(s, world, "confirmed", "EB")
    case = W.drive(s, world, "confirmed", "EB")
    pset = es.set_for(case.province, now_cst().date())
    day = now_cst().replace(hour=12)
    case.judged_at = day
    old.judged_at = day - dt.timedelta(days=pset.lookback_days)  # the window's oldest day
    s.flush()
    assert es.assess_case(s, world.admin, case.case_id, FACTS).facts["first_offence"] is False
    old.judged_at = day - dt.timedelta(days=pset.lookback_days + 1)
    s.flush()
    assert es.assess_case(s, world.admin, case.case_id, FACTS).facts["first_offence"] is True


def test_first_offence_counts_only_the_same_violation_type(world: Any) -> None:
    s = world.session
    old = W.drive(s, world, "confirmed", "EC")  # a prior confirmed case of EC
    case = W.drive(s, world, "confirmed", "EC")
    other = {**FACTS, "violation": "MONITOR-ABNORMAL", "harm": "none"}
    a = es.assess_case(s, world.admin, case.case_id, other)
    assert a.facts["first_offence"] is True  # the prior case's family is not 自动监测
    assert "同一违法行为" in a.result["reasons"][0]["clause"]
    assert es.assess_case(s, world.admin, case.case_id, FACTS).facts["first_offence"] is False
    # once assessed as another violation, the prior case no longer counts for AIR-EXCEED
    es.assess_case(s, world.admin, old.case_id, {**other, "first_offence": True})
    assert es.assess_case(s, world.admin, case.case_id, FACTS).facts["first_offence"] is True
    assert es.assess_case(s, world.admin, case.case_id, other).facts["first_offence"] is False


def test_bad_facts_store_nothing(world: Any) -> None:
    s = world.session
    case = W.drive(s, world, "confirmed")
    with pytest.raises(FactsError) as exc:
        es.assess_case(
            s,
            world.admin,
            case.case_id,
            {**FACTS, "first_offence": True, "harm": "serious", "claimed_outcome": "no_penalty"},
        )
    assert exc.value.field == "claimed_outcome"
    assert s.scalar(select(func.count()).select_from(PenaltyAssessment)) == 0
    assert _audits(s, "penalty_assess") == 0


def test_accept_no_penalty_needs_education_then_feeds_credit(world: Any) -> None:
    s = world.session
    case = W.drive(s, world, "confirmed", "ED")
    a = es.assess_case(s, world.admin, case.case_id, {**FACTS, "first_offence": True})
    with pytest.raises(ValidationError) as exc:
        es.decide(s, world.admin, a.assessment_id, accept=True)
    assert exc.value.field == "education"
    d = es.decide(
        s,
        world.admin,
        a.assessment_id,
        accept=True,
        education="现场讲解大气污染防治法第九十九条，企业负责人签字确认",
    )
    assert d.outcome == "no_penalty" and d.amount is None and d.education_at is not None
    assert leniency_text(a.result) is not None
    with pytest.raises(InvalidTransition):
        es.decide(s, world.admin, a.assessment_id, accept=True, education="x")
    ev = s.scalar(select(CreditEvent).where(CreditEvent.decision_id == d.decision_id))
    assert ev is not None and ev.points == -2
    rec = credit_record(s, "ED", now_cst())
    assert rec.points == 98 and rec.grade == "green"
    # the enterprise acknowledges the education, another enterprise cannot
    with pytest.raises(NotFound):
        es.acknowledge_education(s, world.ent_a, d.decision_id)
    assert _audits(s, "penalty_decide") == 1 and _audits(s, "credit_event") == 1


def test_override_needs_reason_and_amount_in_legal_range(world: Any) -> None:
    s = world.session
    case = W.drive(s, world, "confirmed")
    a = es.assess_case(s, world.admin, case.case_id, {**FACTS, "first_offence": False})
    with pytest.raises(ValidationError) as exc:
        es.decide(s, world.admin, a.assessment_id, accept=False, outcome="lighter", amount=150000)
    assert exc.value.field == "override_reason"
    with pytest.raises(ValidationError) as exc:
        es.decide(
            s,
            world.admin,
            a.assessment_id,
            accept=False,
            outcome="lighter",
            amount=99999,
            reason="企业主动消除危害后果",
        )
    assert exc.value.field == "amount"
    with pytest.raises(ValidationError) as exc:
        es.decide(
            s,
            world.admin,
            a.assessment_id,
            accept=False,
            outcome="mitigated",
            amount=40000,
            reason="受胁迫",
        )
    assert exc.value.field == "amount"
    d = es.decide(
        s,
        world.admin,
        a.assessment_id,
        accept=False,
        outcome="lighter",
        amount=100000,
        reason="企业主动消除危害后果",
    )
    assert (d.accepted, d.outcome, d.amount) == (False, "lighter", 100000)
    assert credit_record(s, "EA", now_cst()).points == 100 - 6


def _shared_confirmed(s: Any, world: Any) -> Any:
    """A confirmed case of EA that was shared with EA while dispatched."""
    from lantian.workflow import service as ws

    case = W.drive(s, world, "dispatched")
    ws.share_case(s, world.admin, case.case_id)
    W.fire(s, world, world.admin, case.case_id, "start_check")
    ws.record_remote_check(s, world.admin, case.case_id, notes="调阅在线监测数据")
    W.fire(s, world, world.admin, case.case_id, "judge_confirmed")
    return case


def test_law_study_and_apology_records_reduce_the_amount(world: Any) -> None:
    s = world.session
    case = _shared_confirmed(s, world)
    base = es.assess_case(s, world.admin, case.case_id, {**FACTS, "first_offence": False})
    es.record_law_study(
        s,
        world.admin,
        case.case_id,
        course="大气污染防治法解读",
        hours=4,
        exam_score=92,
        passed=True,
        completed_at=now_cst(),
        reason="企业在局内参加纸质考试",
    )
    with pytest.raises(PermissionDenied):
        es.submit_apology(s, world.admin, case.case_id, "我公司郑重道歉并承诺今后严格守法经营" * 2)
    rec = es.submit_apology(
        s, world.ent_a, case.case_id, "我公司郑重道歉并承诺今后严格守法经营" * 2
    )
    with pytest.raises(PermissionDenied):
        es.approve_apology(s, world.ent_a, rec.record_id)
    es.approve_apology(s, world.admin, rec.record_id)
    assert rec.published is True
    after = es.assess_case(s, world.admin, case.case_id, {**FACTS, "first_offence": False})
    assert after.facts["law_study_passed"] and after.facts["apology_approved"]
    assert base.amount is not None and after.amount is not None
    assert after.amount == int(int(base.amount * 0.8) * 0.7)
    assert [r["kind"] for r in after.result["reductions"]] == ["law_study", "apology"]
    with pytest.raises(InvalidTransition):  # only the newest assessment is decided
        es.decide(s, world.admin, base.assessment_id, accept=True)


def test_credit_repair_conditions(world: Any) -> None:
    s = world.session
    case = W.drive(s, world, "confirmed")
    a = es.assess_case(
        s, world.admin, case.case_id, {**FACTS, "first_offence": False, "aggravating": ["A-REPEAT"]}
    )
    d = es.decide(s, world.admin, a.assessment_id, accept=True)
    assert credit_record(s, "EA", now_cst()).points == 75
    assert credit_grade(s, "EA", now_cst()) == "yellow"
    r0 = es.request_credit_repair(s, world.admin, d.decision_id, {"training": False})
    with pytest.raises(InvalidTransition, match="already"):  # one open request per decision
        es.request_credit_repair(s, world.admin, d.decision_id, {"training": True})
    with pytest.raises(ValidationError, match="correction_done"):
        es.decide_credit_repair(s, world.admin, r0.repair_id, grant=True, reason="x")
    es.decide_credit_repair(s, world.admin, r0.repair_id, grant=False, reason="条件不满足")
    assert r0.status == "refused"
    r = es.request_credit_repair(
        s,
        world.admin,
        d.decision_id,
        {"correction_done": True, "training": True, "commitment": True},
    )
    with pytest.raises(ValidationError, match="days_elapsed"):
        es.decide_credit_repair(s, world.admin, r.repair_id, grant=True, reason="条件满足")
    d.decided_at = now_cst() - dt.timedelta(days=90)
    s.flush()
    es.decide_credit_repair(s, world.admin, r.repair_id, grant=True, reason="条件满足")
    assert r.status == "granted"
    assert credit_record(s, "EA", now_cst()).points == 100
    assert credit_grade(s, "EA", now_cst()) == "green"
    with pytest.raises(InvalidTransition, match="already"):  # granted: its points came back
        es.request_credit_repair(s, world.admin, d.decision_id, {"training": False})


def test_statistics(world: Any) -> None:
    s = world.session
    c1 = W.drive(s, world, "confirmed", "ED")
    a1 = es.assess_case(s, world.admin, c1.case_id, {**FACTS, "first_offence": True})
    es.decide(s, world.admin, a1.assessment_id, accept=True, education="讲解法规")
    c2 = W.drive(s, world, "confirmed", "EA")
    a2 = es.assess_case(
        s, world.admin, c2.case_id, {**FACTS, "first_offence": False, "law_study_passed": True}
    )
    es.decide(s, world.admin, a2.assessment_id, accept=True)
    st = statistics(s)
    assert st["decisions"] == 2
    assert st["by_outcome"]["no_penalty"]["count"] == 1
    assert st["by_outcome"]["standard"]["amount"] == a2.amount
    assert st["first_offence_share"] == 0.5 and st["minor_exempt_share"] == 0.0
    assert st["reductions"]["law_study"]["count"] == 1
    assert st["by_industry"]["steel"]["count"] == 1
    assert st["by_district"]["一区"]["count"] == 2
    assert s.scalar(select(func.count()).select_from(PenaltyDecision)) == 2


def test_credit_grade_reaches_the_supervision_facts(world: Any) -> None:
    from lantian.supervision.queries import load_enterprise_facts

    s = world.session
    case = W.drive(s, world, "confirmed")
    a = es.assess_case(s, world.admin, case.case_id, {**FACTS, "first_offence": False})
    es.decide(s, world.admin, a.assessment_id, accept=True)
    start = now_cst().date() + dt.timedelta(days=1)
    facts = {
        f.enterprise_id: f
        for f in load_enterprise_facts(
            s, jurisdiction=None, start=start, end=start + dt.timedelta(days=30)
        )
    }
    assert facts["EA"].credit_grade == "blue"  # 100 - 12 = 88
    assert facts["EB"].credit_grade is None


def test_leniency_text_for_the_rectification_notice(world: Any) -> None:
    from lantian.enforcement.documents import leniency_text_for_case

    s = world.session
    case = W.drive(s, world, "confirmed", "ED")
    assert leniency_text_for_case(s, case.case_id) is None  # no assessment: no wording
    a = es.assess_case(s, world.admin, case.case_id, {**FACTS, "first_offence": True})
    text = leniency_text_for_case(s, case.case_id)
    assert text is not None and "第三十三条第一款" in text and "FO-01" in text
    es.decide(
        s,
        world.admin,
        a.assessment_id,
        accept=False,
        outcome="lighter",
        amount=120000,
        reason="整改不彻底",
    )
    assert leniency_text_for_case(s, case.case_id) is None  # overridden to a fine
    serious = W.drive(s, world, "confirmed", "EB")
    es.assess_case(s, world.admin, serious.case_id, {**FACTS, "harm": "serious"})
    assert leniency_text_for_case(s, serious.case_id) is None
