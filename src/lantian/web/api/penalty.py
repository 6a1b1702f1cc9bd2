"""Penalty assessment of confirmed cases, decisions, decision PDFs, education, credit."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Body
from fastapi.responses import Response
from pydantic import BaseModel, Field

from lantian.enforcement import services as es
from lantian.enforcement.documents import decision_pdf
from lantian.enforcement.models import PenaltyAssessment, PenaltyDecision
from lantian.enforcement.queries import credit_record, decision_of, latest_assessment
from lantian.timeutil import isoformat_cst, now_cst
from lantian.web.api.exports import download
from lantian.web.deps import ApiOfficer, ApiUser, DbDep
from lantian.workflow.core import load_case

router = APIRouter(prefix="/api", tags=["penalty"])


def _iso(v: datetime | None) -> str | None:
    return isoformat_cst(v) if v is not None else None


def assessment_dict(a: PenaltyAssessment) -> dict[str, Any]:
    """An assessment as JSON: its id, facts and the assessment output."""
    return {
        "assessment_id": a.assessment_id,
        "case_id": a.case_id,
        "created_at": _iso(a.created_at),
        "first_offence_computed": a.first_offence_computed,
        "facts": a.facts,
        **a.result,
    }


def decision_dict(d: PenaltyDecision) -> dict[str, Any]:
    """A decision as JSON."""
    return {
        "decision_id": d.decision_id,
        "assessment_id": d.assessment_id,
        "case_id": d.case_id,
        "accepted": d.accepted,
        "outcome": d.outcome,
        "amount": d.amount,
        "override_reason": d.override_reason,
        "decided_at": _iso(d.decided_at),
        "education_text": d.education_text,
        "education_at": _iso(d.education_at),
        "education_acknowledged_at": _iso(d.education_acknowledged_at),
    }


@router.post(
    "/cases/{case_id}/penalty-assessment",
    summary="Assess a confirmed case (不予处罚 / 从轻 / 减轻 / 一般 / 从重) and store it",
)
def assess_case(
    case_id: int,
    user: ApiUser,
    principal: ApiOfficer,
    db: DbDep,
    facts: dict[str, Any] = Body(  # noqa: B008
        ..., description="FACTS.json (docs/PENALTY.md); first_offence computed when absent"
    ),
) -> dict[str, Any]:
    """Stored and audited; bad or contradictory facts give 422 naming the field."""
    a = es.assess_case(db, user, case_id, facts)
    db.commit()
    return assessment_dict(a)


@router.get("/cases/{case_id}/penalty-assessment", summary="The newest assessment and decision")
def get_assessment(case_id: int, user: ApiUser, principal: ApiOfficer, db: DbDep) -> dict[str, Any]:
    """``assessment`` and ``decision`` (null when there is none)."""
    load_case(db, user, case_id)
    a = latest_assessment(db, case_id)
    d = decision_of(db, a.assessment_id) if a is not None else None
    return {
        "assessment": assessment_dict(a) if a is not None else None,
        "decision": decision_dict(d) if d is not None else None,
    }


class DecisionRequest(BaseModel):
    """Body of ``POST /api/penalty-assessments/{id}/decision``."""

    accept: bool
    outcome: str | None = Field(None, description="override: the decided outcome")
    amount: int | None = Field(None, description="override: yuan, inside the legal range")
    reason: str | None = Field(None, max_length=4000, description="required to override")
    education: str | None = Field(
        None, max_length=4000, description="education given (required for no_penalty)"
    )


@router.post(
    "/penalty-assessments/{assessment_id}/decision",
    summary="Accept or override a suggestion (override needs a reason)",
)
def decide(
    assessment_id: int,
    body: DecisionRequest,
    user: ApiUser,
    principal: ApiOfficer,
    db: DbDep,
) -> dict[str, Any]:
    """Stored, audited, and fed to the enterprise's credit record."""
    d = es.decide(
        db,
        user,
        assessment_id,
        accept=body.accept,
        outcome=body.outcome,
        amount=body.amount,
        reason=body.reason,
        education=body.education,
    )
    db.commit()
    return decision_dict(d)


@router.post(
    "/penalty-decisions/{decision_id}/acknowledge",
    summary="The enterprise acknowledges the education it was given",
)
def acknowledge(decision_id: int, user: ApiUser, db: DbDep) -> dict[str, Any]:
    """Enterprise accounts only (their own decision)."""
    d = es.acknowledge_education(db, user, decision_id)
    db.commit()
    return decision_dict(d)


@router.get(
    "/cases/{case_id}/penalty-decision.pdf",
    summary="不予行政处罚决定书 or 行政处罚事先告知书 of the decided assessment",
)
def decision_document(case_id: int, user: ApiUser, db: DbDep) -> Response:
    """409 until the newest assessment is decided."""
    doc = decision_pdf(db, user, case_id)
    return download(doc.pdf, doc.filename, "application/pdf")


@router.get("/enterprises/{enterprise_id}/credit", summary="Environmental credit record")
def credit(enterprise_id: str, user: ApiUser, db: DbDep) -> dict[str, Any]:
    """Points, grade and the events that set them (officers in scope, the enterprise itself)."""
    from sqlalchemy import select

    from lantian.auth.visibility import load_visible
    from lantian.enforcement.models import CreditRepair

    load_visible(db, user, "enterprise", enterprise_id)
    rec = credit_record(db, enterprise_id, now_cst())
    repairs = db.scalars(
        select(CreditRepair)
        .where(CreditRepair.enterprise_id == enterprise_id)
        .order_by(CreditRepair.repair_id)
    ).all()
    return {
        "enterprise_id": rec.enterprise_id,
        "points": rec.points,
        "grade": rec.grade,
        "events": list(rec.events),
        "penalty_set": rec.set_version,
        "repairs": [repair_dict(r) for r in repairs],
    }


def repair_dict(r: Any) -> dict[str, Any]:
    """A 信用修复 request as JSON."""
    return {
        "repair_id": r.repair_id,
        "decision_id": r.decision_id,
        "conditions": r.conditions,
        "status": r.status,
        "requested_at": _iso(r.requested_at),
        "decided_at": _iso(r.decided_at),
        "reason": r.reason,
    }


class RepairRequest(BaseModel):
    """Body of ``POST /api/penalty-decisions/{decision_id}/credit-repair``: the conditions
    claimed (``correction_done``, ``training``, ``commitment``, ``no_new_violation``)."""

    conditions: dict[str, bool] = Field(default_factory=dict)


@router.post(
    "/penalty-decisions/{decision_id}/credit-repair",
    summary="Request 信用修复 for a decision (the enterprise, or an officer for it)",
)
def credit_repair(
    decision_id: int, body: RepairRequest, user: ApiUser, db: DbDep
) -> dict[str, Any]:
    """Stored and audited; the conditions judged from Lantian's data come back in
    ``evidence``."""
    from lantian.enforcement.credit import repair_evidence

    r = es.request_credit_repair(db, user, decision_id, body.conditions)
    db.commit()
    d = db.get(PenaltyDecision, r.decision_id)
    assert d is not None
    out = repair_dict(r)
    out["evidence"] = [c.__dict__ for c in repair_evidence(db, d, now_cst())]
    return out


class RepairDecisionRequest(BaseModel):
    """Body of ``POST /api/credit-repairs/{repair_id}/decision``."""

    grant: bool
    reason: str = Field(max_length=5000)


@router.post("/credit-repairs/{repair_id}/decision", summary="Grant or refuse 信用修复 (officer)")
def credit_repair_decision(
    repair_id: int, body: RepairDecisionRequest, user: ApiUser, principal: ApiOfficer, db: DbDep
) -> dict[str, Any]:
    """A grant needs every required condition met and restores the decision's points."""
    r = es.decide_credit_repair(db, user, repair_id, grant=body.grant, reason=body.reason)
    db.commit()
    return repair_dict(r)


class LawStudyRequest(BaseModel):
    """Body of ``POST /api/cases/{case_id}/law-study`` (学法减罚 course result)."""

    course: str = Field(max_length=200)
    hours: float
    exam_score: float
    passed: bool
    completed_at: datetime
    reason: str = Field(max_length=2000)
    """Why an officer records it instead of the enterprise's exam in the portal."""


@router.post(
    "/cases/{case_id}/law-study", summary="Record a 学法减罚 result (officer override, with reason)"
)
def law_study(
    case_id: int, body: LawStudyRequest, user: ApiUser, principal: ApiOfficer, db: DbDep
) -> dict[str, Any]:
    """Course, hours, exam score and pass; counted by the next assessment of the case."""
    rec = es.record_law_study(
        db,
        user,
        case_id,
        course=body.course,
        hours=body.hours,
        exam_score=body.exam_score,
        passed=body.passed,
        completed_at=body.completed_at,
        reason=body.reason,
    )
    db.commit()
    return {"record_id": rec.record_id, "case_id": rec.case_id, "kind": rec.kind}


class ApologyRequest(BaseModel):
    """Body of ``POST /api/cases/{case_id}/apology``: the letter."""

    text: str = Field(max_length=20000)


@router.post("/cases/{case_id}/apology", summary="Submit a 道歉承诺 letter (the enterprise)")
def apology(case_id: int, body: ApologyRequest, user: ApiUser, db: DbDep) -> dict[str, Any]:
    """The enterprise's public apology and commitment, for an officer to approve."""
    rec = es.submit_apology(db, user, case_id, body.text)
    db.commit()
    return {"record_id": rec.record_id, "case_id": rec.case_id, "kind": rec.kind}


@router.post("/apologies/{record_id}/approve", summary="Approve a 道歉承诺 letter (officer)")
def approve(record_id: int, user: ApiUser, principal: ApiOfficer, db: DbDep) -> dict[str, Any]:
    """Approved (and published when the province's rule says so)."""
    rec = es.approve_apology(db, user, record_id)
    db.commit()
    return {
        "record_id": rec.record_id,
        "approved_at": _iso(rec.approved_at),
        "published": rec.published,
    }


@router.get("/penalty-statistics", summary="Decisions by outcome, district, industry; shares")
def penalty_statistics(
    user: ApiUser,
    principal: ApiOfficer,
    db: DbDep,
    start: date | None = None,
    end: date | None = None,
) -> dict[str, Any]:
    """Over the cases the caller sees: counts and amounts by outcome, 首违不罚 and 轻微免罚
    shares, reductions by 学法 and 道歉, by district and industry; decisions taken from
    ``start`` to ``end`` inclusive (CST days), when given."""
    return visible_statistics(db, user, start, end)


def visible_statistics(
    db: Any, user: Any, start: date | None = None, end: date | None = None
) -> dict[str, Any]:
    """:func:`~lantian.enforcement.queries.statistics` over the cases ``user`` sees, for
    decisions on CST days ``start`` … ``end`` (inclusive)."""
    from sqlalchemy import select

    from lantian.auth.visibility import visible
    from lantian.enforcement.queries import statistics
    from lantian.timeutil import CST
    from lantian.workflow.models import Case

    ids = list(db.scalars(select(Case.case_id).where(visible(user, "case", session=db))))
    lo = datetime.combine(start, time(0), tzinfo=CST) if start else None
    hi = datetime.combine(end + timedelta(days=1), time(0), tzinfo=CST) if end else None
    return statistics(db, ids, start=lo, end=hi)
