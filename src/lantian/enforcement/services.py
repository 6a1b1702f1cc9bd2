"""Stored, audited enforcement writes: assessments, decisions, education, 学法减罚 and
道歉承诺 records, credit events and 信用修复.

Every function checks the caller's role and the case's visibility
(:func:`lantian.workflow.core.load_case`), validates before it writes (a bad input stores
nothing) and records each write through :func:`lantian.auth.audit.audit`.

References
----------
.. [1] 中华人民共和国行政处罚法 (2021) §32-§34 (§33 ¶3: education of a party not punished).
.. [2] 企业环境信用评价办法（试行）, 环发〔2013〕150号 (grades; unverified summary).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.auth.audit import audit, snapshot
from lantian.auth.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from lantian.auth.models import OFFICER_ROLES, User
from lantian.enforcement.assess import (
    OUTCOMES,
    PriorCase,
    Reason,
    amount_range,
    assess,
    is_first_offence,
    parse_facts,
    same_violation_days,
)
from lantian.enforcement.config import (
    PenaltyConfigError,
    PenaltySet,
    ViolationType,
    load_sets,
    select_set,
)
from lantian.enforcement.models import (
    CreditEvent,
    CreditRepair,
    LeniencyRecord,
    PenaltyAssessment,
    PenaltyDecision,
)
from lantian.settings import get_settings
from lantian.timeutil import now_cst, to_cst
from lantian.workflow.core import load_case
from lantian.workflow.models import Case

CONFIRMED_STATES: tuple[str, ...] = (
    "confirmed",
    "immediate_fix",
    "supervision_order",
    "rectification",
    "review",
    "closed",
)
"""Statuses of a case whose problem was confirmed (问题属实)."""


def _officer(user: User) -> None:
    if user.role not in OFFICER_ROLES:
        raise PermissionDenied("只有执法人员可以执行此操作 (officers only)")


def penalty_sets() -> tuple[PenaltySet, ...]:
    """The sets of ``LANTIAN_PENALTY_CONFIG`` (or the shipped example)."""
    try:
        return load_sets(get_settings().penalty_config)
    except PenaltyConfigError as exc:
        raise ValidationError(str(exc), field="LANTIAN_PENALTY_CONFIG") from exc


def set_for(province: str | None, day: dt.date) -> PenaltySet:
    """The set in force for ``province`` on ``day`` (or the fallback set)."""
    try:
        return select_set(penalty_sets(), province, day)
    except PenaltyConfigError as exc:
        raise ValidationError(str(exc), field="LANTIAN_PENALTY_CONFIG") from exc


def case_day(case: Case) -> dt.date:
    return to_cst(case.judged_at or case.created_at).date()


def prior_cases(session: Session, case: Case) -> list[PriorCase]:
    """The enterprise's other confirmed cases up to this one, with the violation code of
    each one's newest assessment (``None`` when never assessed) and its lead family."""
    if case.enterprise_id is None or case.judged_at is None:
        return []
    rows = session.execute(
        select(Case.case_id, Case.judged_at, Case.family).where(
            Case.enterprise_id == case.enterprise_id,
            Case.case_id != case.case_id,
            Case.judged_at.is_not(None),
            Case.judged_at <= case.judged_at,
            Case.status.in_(CONFIRMED_STATES),
        )
    ).all()
    ids = [r.case_id for r in rows]
    newest: dict[int, str | None] = {}
    if ids:
        for cid, facts in session.execute(
            select(PenaltyAssessment.case_id, PenaltyAssessment.facts)
            .where(PenaltyAssessment.case_id.in_(ids))
            .order_by(PenaltyAssessment.assessment_id)
        ):
            newest[cid] = (facts or {}).get("violation")
    return [
        PriorCase(to_cst(r.judged_at).date(), newest.get(r.case_id), r.family)
        for r in rows
        if r.judged_at is not None
    ]


def prior_violation_dates(session: Session, case: Case, violation: ViolationType) -> list[dt.date]:
    """Days (CST) on which the enterprise's other cases of the SAME violation type were
    confirmed, up to this case (:func:`~lantian.enforcement.assess.same_violation_days`)."""
    return same_violation_days(prior_cases(session, case), violation)


def _leniency_flags(session: Session, case: Case, pset: PenaltySet) -> dict[str, bool]:
    """学法减罚 passed / 道歉承诺 approved within the set's deadlines after the judgement."""
    start = case.judged_at or case.created_at
    out = {"law_study_passed": False, "apology_approved": False}
    for rec in session.scalars(
        select(LeniencyRecord).where(LeniencyRecord.case_id == case.case_id)
    ):
        if rec.kind == "law_study" and rec.passed and rec.completed_at is not None:
            limit = start + dt.timedelta(days=pset.law_study.deadline_days)
            out["law_study_passed"] |= rec.completed_at <= limit
        if rec.kind == "apology" and rec.approved_at is not None:
            limit = start + dt.timedelta(days=pset.apology.deadline_days)
            out["apology_approved"] |= rec.submitted_at <= limit
    return out


def assess_case(
    session: Session, user: User, case_id: int, facts: Mapping[str, Any]
) -> PenaltyAssessment:
    """Assess a confirmed case and store the assessment (audited).

    ``first_offence`` is computed from the enterprise's confirmed cases in Lantian within
    the set's look-back window when the facts do not give it; ``law_study_passed`` and
    ``apology_approved`` come from the case's records when not given.

    Raises
    ------
    PermissionDenied, NotFound
        Not an officer, or the case is out of scope.
    InvalidTransition
        The case's problem is not confirmed (问题属实).
    FactsError
        Bad or contradictory facts (the field is named); nothing is stored.
    """
    _officer(user)
    case = load_case(session, user, case_id, lock=True)
    if case.status not in CONFIRMED_STATES or case.judged_at is None:
        raise InvalidTransition("案件须先认定问题属实 (the case's problem must be confirmed first)")
    day = case_day(case)
    pset = set_for(case.province, day)
    data = dict(facts)
    extra: list[Reason] = []
    computed = False
    first: bool | None = None
    violation: ViolationType | None = None
    try:
        violation = pset.violation(str(data.get("violation")))
    except KeyError:
        violation = None  # parse_facts names the field
    if data.get("first_offence") is None and violation is not None:
        prior = prior_violation_dates(session, case, violation)
        first, latest = is_first_offence(prior, day, pset.lookback_days)
        computed = True
        extra.append(
            Reason(
                f"首违认定（{pset.name}，同一违法行为，回溯 {pset.lookback_days} 日）",
                f"蓝天记录中该企业在回溯期内「{violation.name_zh}」"
                + (f"最近一次问题属实于 {latest}" if latest else "无其他问题属实的案件"),
                first,
            )
        )
    for key, value in _leniency_flags(session, case, pset).items():
        if data.get(key) is None:
            data[key] = value
    parsed = parse_facts(data, pset, first_offence=first)
    result = assess(parsed, pset).as_dict()
    result["reasons"] = [r.as_dict() for r in extra] + result["reasons"]
    now = now_cst()
    row = PenaltyAssessment(
        case_id=case.case_id,
        enterprise_id=case.enterprise_id,
        province=case.province,
        set_version=pset.version,
        facts=parsed.as_dict(),
        result=result,
        outcome=result["outcome"],
        amount=result["amount"],
        first_offence_computed=computed,
        created_at=now,
        created_by=user.user_id,
    )
    session.add(row)
    session.flush()
    audit(
        session,
        user,
        "penalty_assess",
        "case",
        case.case_id,
        after={
            "assessment_id": row.assessment_id,
            "outcome": row.outcome,
            "amount": row.amount,
            "facts": row.facts,
            "set_version": row.set_version,
        },
        at=now,
    )
    return row


def _assessment(session: Session, user: User, assessment_id: int) -> PenaltyAssessment:
    row = session.get(PenaltyAssessment, assessment_id)
    if row is None:
        raise NotFound(f"assessment {assessment_id} not found")
    load_case(session, user, row.case_id)  # scope check
    return row


def decide(
    session: Session,
    user: User,
    assessment_id: int,
    *,
    accept: bool,
    outcome: str | None = None,
    amount: int | None = None,
    reason: str | None = None,
    education: str | None = None,
) -> PenaltyDecision:
    """Accept the suggestion or override it (a reason is required); feeds the credit record.

    A 不予处罚 decision needs the education given (行政处罚法 §33 ¶3). An overridden amount
    must lie in the legal range of the decided outcome.
    """
    _officer(user)
    a = _assessment(session, user, assessment_id)
    newest = session.scalar(
        select(PenaltyAssessment.assessment_id)
        .where(PenaltyAssessment.case_id == a.case_id)
        .order_by(PenaltyAssessment.assessment_id.desc())
        .limit(1)
    )
    if newest != a.assessment_id:
        raise InvalidTransition("只能对最新的裁量建议作出决定 (decide on the newest assessment)")
    if session.scalar(
        select(PenaltyDecision.decision_id).where(PenaltyDecision.assessment_id == a.assessment_id)
    ):
        raise InvalidTransition("该裁量建议已作出决定 (already decided)")
    case = load_case(session, user, a.case_id, lock=True)
    pset = set_for(case.province, case_day(case))
    if accept:
        if outcome is not None and outcome != a.outcome:
            raise ValidationError(
                "outcome: differs from the suggestion; override instead", field="outcome"
            )
        if amount is not None and amount != a.amount:
            raise ValidationError(
                "amount: differs from the suggestion; override instead", field="amount"
            )
        final_outcome, final_amount, why = a.outcome, a.amount, None
    else:
        why = (reason or "").strip()
        if not why:
            raise ValidationError(
                "override_reason: required to override (必填)", field="override_reason"
            )
        if outcome not in OUTCOMES:
            raise ValidationError(f"outcome: must be one of {', '.join(OUTCOMES)}", field="outcome")
        final_outcome, final_amount = outcome, amount
        v = pset.violation(a.facts["violation"])
        if final_outcome == "no_penalty":
            if final_amount is not None:
                raise ValidationError("amount: must be empty for no_penalty", field="amount")
        else:
            if final_amount is None:
                raise ValidationError("amount: required (yuan)", field="amount")
            if final_outcome == "mitigated":
                lo, hi = amount_range(pset, v, "mitigated")
            else:
                lo, hi = v.legal_min, v.legal_max
            if not lo <= final_amount <= hi:
                raise ValidationError(
                    f"amount: {final_amount} yuan is outside the legal range {lo}–{hi} yuan "
                    f"for {final_outcome} ({v.law}{v.article})",
                    field="amount",
                )
    edu = (education or "").strip() or None
    if final_outcome == "no_penalty" and edu is None:
        raise ValidationError(
            "education: record the education given (行政处罚法第三十三条第三款)", field="education"
        )
    now = now_cst()
    d = PenaltyDecision(
        assessment_id=a.assessment_id,
        case_id=a.case_id,
        enterprise_id=a.enterprise_id,
        accepted=accept,
        outcome=final_outcome,
        amount=final_amount,
        override_reason=why,
        decided_at=now,
        decided_by=user.user_id,
        education_text=edu,
        education_at=now if edu else None,
    )
    session.add(d)
    session.flush()
    audit(session, user, "penalty_decide", "case", a.case_id, after=snapshot(d), at=now, note=why)
    if a.enterprise_id is not None:
        ev = CreditEvent(
            enterprise_id=a.enterprise_id,
            at=now,
            kind="decision",
            points=pset.credit.points[final_outcome],
            decision_id=d.decision_id,
            note=f"{final_outcome} ({pset.credit.clause})",
        )
        session.add(ev)
        session.flush()
        audit(
            session, user, "credit_event", "enterprise", a.enterprise_id, after=snapshot(ev), at=now
        )
    return d


def acknowledge_education(session: Session, user: User, decision_id: int) -> PenaltyDecision:
    """The enterprise acknowledges, in its portal, the education it was given."""
    d = session.get(PenaltyDecision, decision_id)
    if d is None or user.role != "enterprise" or user.enterprise_id != d.enterprise_id:
        raise NotFound(f"decision {decision_id} not found")
    if d.education_text is None:
        raise InvalidTransition("该决定没有教育记录 (no education to acknowledge)")
    if d.education_acknowledged_at is not None:
        raise InvalidTransition("已确认 (already acknowledged)")
    before = snapshot(d)
    d.education_acknowledged_at = now_cst()
    d.education_acknowledged_by = user.user_id
    session.flush()
    audit(
        session, user, "acknowledge_education", "case", d.case_id, before=before, after=snapshot(d)
    )
    return d


def record_law_study(
    session: Session,
    user: User,
    case_id: int,
    *,
    course: str,
    hours: float,
    exam_score: float,
    passed: bool,
    completed_at: dt.datetime,
    reason: str,
) -> LeniencyRecord:
    """学法减罚 recorded by an officer: an override of the portal exam (e.g. a course taken
    at the bureau on paper), with the reason, stored in the record's ``text``.

    The normal path is the enterprise's exam in its portal (:func:`record_law_study_exam`).
    """
    _officer(user)
    case = load_case(session, user, case_id)
    if not course.strip():
        raise ValidationError("course: required", field="course")
    if not 0 < hours <= 200:
        raise ValidationError("hours: must be in (0, 200]", field="hours")
    if not 0 <= exam_score <= 100:
        raise ValidationError("exam_score: must be in [0, 100]", field="exam_score")
    if len(reason.strip()) < 4:
        raise ValidationError(
            "reason: an officer override needs a reason (at least 4 characters)", field="reason"
        )
    rec = LeniencyRecord(
        case_id=case.case_id,
        enterprise_id=case.enterprise_id,
        kind="law_study",
        course=course.strip(),
        hours=hours,
        exam_score=exam_score,
        passed=passed,
        completed_at=to_cst(completed_at),
        text=f"执法人员代录：{reason.strip()}",
        submitted_at=now_cst(),
        submitted_by=user.user_id,
    )
    session.add(rec)
    session.flush()
    audit(session, user, "record_law_study", "case", case.case_id, after=snapshot(rec))
    return rec


@dataclass(frozen=True)
class LawStudyOffer:
    """学法减罚 offered on a case: the reduction, its deadline and the rule's clause."""

    case_id: int
    assessment_id: int
    percent: float
    deadline: dt.datetime
    clause: str
    passed: bool
    """A passed exam is already recorded on the case."""


def law_study_offer(session: Session, case: Case) -> LawStudyOffer | None:
    """学法减罚 offered on ``case``: its newest assessment sets a fine (amount > 0), is not
    decided yet, and the province's rule gives a reduction (``[law_study] percent > 0``).

    The deadline runs from the judgement (问题属实) for ``[law_study] deadline_days``.
    """
    from lantian.enforcement.queries import decision_of, latest_assessment

    if case.judged_at is None or case.status not in CONFIRMED_STATES:
        return None
    a = latest_assessment(session, case.case_id)
    if a is None or not a.amount or decision_of(session, a.assessment_id) is not None:
        return None
    pset = set_for(case.province, case_day(case))
    if pset.law_study.percent <= 0:
        return None
    passed = any(
        r.kind == "law_study" and r.passed
        for r in session.scalars(
            select(LeniencyRecord).where(LeniencyRecord.case_id == case.case_id)
        )
    )
    return LawStudyOffer(
        case.case_id,
        a.assessment_id,
        pset.law_study.percent,
        to_cst(case.judged_at) + dt.timedelta(days=pset.law_study.deadline_days),
        pset.law_study.clause,
        passed,
    )


def record_law_study_exam(
    session: Session,
    user: User,
    case_id: int,
    *,
    course: str,
    hours: float,
    score_pct: float,
    attempt_id: int,
    completed_at: dt.datetime,
) -> PenaltyAssessment | None:
    """学法减罚 taken in the portal: the enterprise passed the law-study exam of
    ``attempt_id`` for its case. Within the deadline the pass is recorded on the case and
    the newest (undecided) assessment is recomputed with ``law_study_passed`` (the rule's
    reduction, never below the legal minimum except 减轻), audited; the recomputed
    assessment is returned. Past the deadline, or without an offer, nothing is recorded
    and ``None`` is returned.
    """
    from lantian.enforcement.queries import latest_assessment

    case = load_case(session, user, case_id, lock=True)
    if user.role != "enterprise" or user.enterprise_id != case.enterprise_id:
        raise PermissionDenied("只有该企业可以参加学法减罚考试 (the enterprise only)")
    offer = law_study_offer(session, case)
    if offer is None or offer.passed or to_cst(completed_at) > offer.deadline:
        return None
    rec = LeniencyRecord(
        case_id=case.case_id,
        enterprise_id=case.enterprise_id,
        kind="law_study",
        course=course,
        hours=hours,
        exam_score=score_pct,
        passed=True,
        completed_at=to_cst(completed_at),
        submitted_at=now_cst(),
        submitted_by=user.user_id,
        exam_attempt_id=attempt_id,
    )
    session.add(rec)
    session.flush()
    audit(session, user, "record_law_study", "case", case.case_id, after=snapshot(rec))
    a = latest_assessment(session, case.case_id)
    assert a is not None  # the offer requires one
    pset = set_for(case.province, case_day(case))
    data = {**a.facts, "law_study_passed": True}
    parsed = parse_facts(data, pset, first_offence=bool(data.get("first_offence")))
    result = assess(parsed, pset).as_dict()
    kept = a.result.get("reasons", [])[: 1 if a.first_offence_computed else 0]
    result["reasons"] = list(kept) + result["reasons"]
    before = snapshot(a)
    a.facts = parsed.as_dict()
    a.result = result
    a.outcome = result["outcome"]
    a.amount = result["amount"]
    session.flush()
    audit(
        session,
        user,
        "law_study_reduction",
        "case",
        case.case_id,
        before=before,
        after=snapshot(a),
    )
    return a


def submit_apology(session: Session, user: User, case_id: int, text: str) -> LeniencyRecord:
    """道歉承诺: the enterprise submits its apology and commitment letter in the portal."""
    case = load_case(session, user, case_id)
    if user.role != "enterprise" or user.enterprise_id != case.enterprise_id:
        raise PermissionDenied("只有该企业可以提交道歉承诺书 (the enterprise only)")
    if len(text.strip()) < 20:
        raise ValidationError(
            "text: the letter is too short (at least 20 characters)", field="text"
        )
    rec = LeniencyRecord(
        case_id=case.case_id,
        enterprise_id=case.enterprise_id,
        kind="apology",
        text=text.strip(),
        submitted_at=now_cst(),
        submitted_by=user.user_id,
    )
    session.add(rec)
    session.flush()
    audit(session, user, "submit_apology", "case", case.case_id, after=snapshot(rec))
    return rec


def approve_apology(session: Session, user: User, record_id: int) -> LeniencyRecord:
    """An officer approves an apology letter; published when the province's rule says so."""
    _officer(user)
    rec = session.get(LeniencyRecord, record_id)
    if rec is None or rec.kind != "apology":
        raise NotFound(f"apology {record_id} not found")
    case = load_case(session, user, rec.case_id)
    if rec.approved_at is not None:
        raise InvalidTransition("已批准 (already approved)")
    pset = set_for(case.province, case_day(case))
    before = snapshot(rec)
    rec.approved_at = now_cst()
    rec.approved_by = user.user_id
    rec.published = pset.apology.publish
    session.flush()
    audit(
        session, user, "approve_apology", "case", case.case_id, before=before, after=snapshot(rec)
    )
    return rec


def request_credit_repair(
    session: Session, user: User, decision_id: int, conditions: Mapping[str, bool]
) -> CreditRepair:
    """信用修复 request for a decision (the enterprise itself, or an officer for it)."""
    d = session.get(PenaltyDecision, decision_id)
    if d is None or d.enterprise_id is None:
        raise NotFound(f"decision {decision_id} not found")
    load_case(session, user, d.case_id)
    if user.role == "enterprise" and user.enterprise_id != d.enterprise_id:
        raise NotFound(f"decision {decision_id} not found")
    allowed = ("correction_done", "training", "commitment", "no_new_violation")
    for key, value in conditions.items():
        if key not in allowed:
            raise ValidationError(
                f"conditions.{key}: unknown; allowed: {', '.join(allowed)}",
                field=f"conditions.{key}",
            )
        if not isinstance(value, bool):
            raise ValidationError(f"conditions.{key}: true or false", field=f"conditions.{key}")
    open_or_granted = session.scalar(
        select(CreditRepair.repair_id).where(
            CreditRepair.decision_id == d.decision_id,
            CreditRepair.status.in_(("pending", "granted")),
        )
    )
    if open_or_granted is not None:
        raise InvalidTransition("该决定已有待审核或已通过的信用修复申请 (already requested)")
    r = CreditRepair(
        enterprise_id=d.enterprise_id,
        decision_id=d.decision_id,
        conditions=dict(conditions),
        requested_at=now_cst(),
        requested_by=user.user_id,
        status="pending",
    )
    session.add(r)
    session.flush()
    audit(session, user, "request_credit_repair", "enterprise", d.enterprise_id, after=snapshot(r))
    return r


def repair_unmet(
    pset: PenaltySet, decided_at: dt.datetime, conditions: Mapping[str, bool], at: dt.datetime
) -> list[str]:
    """Conditions of 信用修复 not met (empty: the repair may be granted)."""
    unmet: list[str] = []
    days = (to_cst(at).date() - to_cst(decided_at).date()).days
    if days < pset.credit.repair_min_days:
        unmet.append(f"days_elapsed ({days} < {pset.credit.repair_min_days})")
    unmet += [c for c in pset.credit.repair_requires if not conditions.get(c)]
    return unmet


def decide_credit_repair(
    session: Session, user: User, repair_id: int, *, grant: bool, reason: str
) -> CreditRepair:
    """Grant (restores the decision's points) or refuse a 信用修复 request."""
    _officer(user)
    r = session.get(CreditRepair, repair_id)
    if r is None:
        raise NotFound(f"credit repair {repair_id} not found")
    d = session.get(PenaltyDecision, r.decision_id)
    assert d is not None
    case = load_case(session, user, d.case_id)
    if r.status != "pending":
        raise InvalidTransition("已处理 (already decided)")
    if not reason.strip():
        raise ValidationError("reason: required", field="reason")
    pset = set_for(case.province, case_day(case))
    now = now_cst()
    unmet = repair_unmet(pset, d.decided_at, r.conditions, now)
    if grant and unmet:
        raise ValidationError(f"conditions not met: {', '.join(unmet)}", field="conditions")
    before = snapshot(r)
    r.status = "granted" if grant else "refused"
    r.decided_at, r.decided_by, r.reason = now, user.user_id, reason.strip()
    session.flush()
    audit(
        session,
        user,
        "decide_credit_repair",
        "enterprise",
        r.enterprise_id,
        before=before,
        after=snapshot(r),
    )
    if grant:
        lost = session.scalar(
            select(CreditEvent.points).where(
                CreditEvent.decision_id == d.decision_id, CreditEvent.kind == "decision"
            )
        )
        ev = CreditEvent(
            enterprise_id=r.enterprise_id,
            at=now,
            kind="repair",
            points=-(lost or 0),
            repair_id=r.repair_id,
            decision_id=d.decision_id,
            note="信用修复",
        )
        session.add(ev)
        session.flush()
        audit(
            session, user, "credit_event", "enterprise", r.enterprise_id, after=snapshot(ev), at=now
        )
    return r
