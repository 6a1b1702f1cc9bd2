"""Read side of enforcement: a case's assessment and decision, credit grade, statistics."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.auth.scope import province_of_credit_code
from lantian.enforcement.config import PenaltySet
from lantian.enforcement.models import (
    CreditEvent,
    LeniencyRecord,
    PenaltyAssessment,
    PenaltyDecision,
)
from lantian.registry.models import Enterprise
from lantian.timeutil import to_cst
from lantian.vocab import enforcement as _ev

GRADE_LABELS: dict[str, tuple[str, str]] = {t.code: (t.zh, t.en) for t in _ev.CREDIT_GRADES}
"""Credit grade → (zh, en), from the vocabulary."""


def latest_assessment(session: Session, case_id: int) -> PenaltyAssessment | None:
    """The newest assessment of a case."""
    return session.scalar(
        select(PenaltyAssessment)
        .where(PenaltyAssessment.case_id == case_id)
        .order_by(PenaltyAssessment.assessment_id.desc())
        .limit(1)
    )


def decision_of(session: Session, assessment_id: int) -> PenaltyDecision | None:
    """The decision taken on an assessment, if any."""
    return session.scalar(
        select(PenaltyDecision).where(PenaltyDecision.assessment_id == assessment_id)
    )


def leniency_records(session: Session, case_id: int) -> list[LeniencyRecord]:
    """学法减罚 and 道歉承诺 records of a case, oldest first."""
    return list(
        session.scalars(
            select(LeniencyRecord)
            .where(LeniencyRecord.case_id == case_id)
            .order_by(LeniencyRecord.record_id)
        )
    )


@dataclass(frozen=True)
class CreditRecord:
    """An enterprise's credit at a moment: points, grade and the events that set them."""

    enterprise_id: str
    at: dt.datetime
    points: int
    grade: str
    events: tuple[dict[str, Any], ...]
    set_version: str


def grade_for(pset: PenaltySet, points: int) -> str:
    """The grade of ``points`` by the set's thresholds (best first)."""
    for grade, minimum in pset.credit.grades:
        if points >= minimum:
            return grade
    return pset.credit.grades[-1][0]


def credit_record(session: Session, enterprise_id: str, at: dt.datetime) -> CreditRecord:
    """Points and grade of an enterprise at ``at`` from its credit events up to then.

    The province's rule comes from the set in force for the province of the enterprise's
    credit code (or the fallback set).
    """
    from lantian.enforcement.services import set_for

    ent = session.get(Enterprise, enterprise_id)
    province = province_of_credit_code(ent.credit_code) if ent is not None else None
    pset = set_for(province, to_cst(at).date())
    rows = session.scalars(
        select(CreditEvent)
        .where(CreditEvent.enterprise_id == enterprise_id, CreditEvent.at <= at)
        .order_by(CreditEvent.at, CreditEvent.event_id)
    ).all()
    points = pset.credit.start_points + sum(r.points for r in rows)
    events = tuple(
        {
            "at": to_cst(r.at).isoformat(),
            "kind": r.kind,
            "points": r.points,
            "decision_id": r.decision_id,
            "repair_id": r.repair_id,
            "note": r.note,
        }
        for r in rows
    )
    return CreditRecord(enterprise_id, at, points, grade_for(pset, points), events, pset.version)


def credit_grade(session: Session, enterprise_id: str, at: dt.datetime) -> str:
    """The enterprise's environmental credit grade at ``at`` (e.g. ``green`` … ``red``)."""
    return credit_record(session, enterprise_id, at).grade


def statistics(
    session: Session,
    case_ids: list[int] | None = None,
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> dict[str, Any]:
    """Counts and amounts of decisions by outcome, 首违不罚 and 轻微免罚 shares, reductions by
    学法 and 道歉, by district and industry (issue #14 item 7).

    ``case_ids`` restricts to the caller's visible cases (``None``: all).
    """
    from lantian.workflow.models import Case

    stmt = (
        select(PenaltyDecision, PenaltyAssessment, Case.district, Enterprise.industry)
        .join(PenaltyAssessment, PenaltyAssessment.assessment_id == PenaltyDecision.assessment_id)
        .join(Case, Case.case_id == PenaltyDecision.case_id)
        .outerjoin(Enterprise, Enterprise.enterprise_id == PenaltyDecision.enterprise_id)
    )
    if case_ids is not None:
        stmt = stmt.where(PenaltyDecision.case_id.in_(case_ids))
    if start is not None:
        stmt = stmt.where(PenaltyDecision.decided_at >= start)
    if end is not None:
        stmt = stmt.where(PenaltyDecision.decided_at < end)
    by_outcome: dict[str, dict[str, int]] = {}
    by_district: dict[str, dict[str, int]] = {}
    by_industry: dict[str, dict[str, int]] = {}
    total = first = minor = 0
    reductions = {"law_study": {"count": 0, "yuan": 0}, "apology": {"count": 0, "yuan": 0}}
    for d, a, district, industry in session.execute(stmt):
        total += 1
        amt = d.amount or 0
        for table, key in (
            (by_outcome, d.outcome),
            (by_district, district or "—"),
            (by_industry, industry or "—"),
        ):
            slot = table.setdefault(key, {"count": 0, "amount": 0})
            slot["count"] += 1
            slot["amount"] += amt
        entry = a.result.get("list_entry") or ""
        if d.outcome == "no_penalty" and d.accepted:
            if a.result.get("discretionary") and entry:
                first += 1
            elif entry:
                minor += 1
        if d.accepted:
            for red in a.result.get("reductions", []):
                slot = reductions.setdefault(red["kind"], {"count": 0, "yuan": 0})
                slot["count"] += 1
                slot["yuan"] += int(red["from"]) - int(red["to"])
    return {
        "decisions": total,
        "by_outcome": by_outcome,
        "first_offence_share": first / total if total else 0.0,
        "minor_exempt_share": minor / total if total else 0.0,
        "reductions": reductions,
        "by_district": by_district,
        "by_industry": by_industry,
    }


PUBLIC_APOLOGY_FIELDS: tuple[str, ...] = (
    "record_id",
    "enterprise_name",
    "city",
    "district",
    "violation",
    "approved_at",
    "text",
)
"""What the public page shows of a published 道歉承诺: the enterprise (a legal person, named
in its own public letter), where, the violation type, when it was approved and the letter.
No officer, account, credit code, case number or amount."""


def published_apologies(
    session: Session, *, limit: int = 200, offset: int = 0
) -> list[dict[str, Any]]:
    """Approved 道歉承诺 letters published by the province's rule (``[apology] publish``),
    newest approval first, with only :data:`PUBLIC_APOLOGY_FIELDS`.

    References
    ----------
    .. [1] 营口市 公开道歉承诺 practice (issue #14; publication by the province's rule).
    .. [2] 中华人民共和国个人信息保护法 (2021) §13, §28 — no personal data is published
           beyond the letter the enterprise itself wrote for publication.
    """
    from lantian.workflow.models import Case

    stmt = (
        select(LeniencyRecord, Enterprise, Case)
        .join(Case, Case.case_id == LeniencyRecord.case_id)
        .join(Enterprise, Enterprise.enterprise_id == LeniencyRecord.enterprise_id)
        .where(
            LeniencyRecord.kind == "apology",
            LeniencyRecord.approved_at.is_not(None),
            LeniencyRecord.published.is_(True),
        )
        .order_by(LeniencyRecord.approved_at.desc(), LeniencyRecord.record_id.desc())
        .limit(limit)
        .offset(offset)
    )
    out: list[dict[str, Any]] = []
    for rec, ent, case in session.execute(stmt):
        newest = latest_assessment(session, case.case_id)
        violation = (newest.result.get("violation_name") if newest is not None else None) or None
        approved = rec.approved_at
        assert approved is not None
        out.append(
            {
                "record_id": rec.record_id,
                "enterprise_name": ent.name,
                "city": ent.city,
                "district": ent.district,
                "violation": violation,
                "approved_at": to_cst(approved).isoformat(),
                "text": rec.text or "",
            }
        )
    return out


STAT_HEADER_ZH: tuple[str, ...] = ("统计维度", "类别", "决定件数", "罚款金额（元）", "占比")
"""Chinese column headers of the statistics workbook and table."""


def statistics_rows(stats: dict[str, Any], lang: str = "zh_CN") -> list[tuple[Any, ...]]:
    """The statistics of :func:`statistics` as rows (dimension, category, count, yuan,
    share of all decisions), labels from the vocabularies in ``lang``.

    Rows: every outcome, the 首违不罚 and 轻微免罚 shares, the 学法 and 道歉 reductions (count
    and yuan taken off), every district and every industry (largest first).
    """
    from lantian.vocab import enforcement as ev
    from lantian.vocab import registry as rv
    from lantian.vocab._base import is_english

    en = is_english(lang)
    total = int(stats.get("decisions") or 0)

    def share(n: int) -> float | None:
        return round(n / total, 4) if total else None

    dims = (
        ("Outcome", "处罚结果"),
        ("Leniency", "从宽适用"),
        ("Reduction", "减罚"),
        ("District", "区县"),
        ("Industry", "行业"),
    )
    d = {k: (e if en else z) for k, (e, z) in zip(("o", "l", "r", "d", "i"), dims, strict=True)}
    rows: list[tuple[Any, ...]] = []
    for t in ev.PENALTY_OUTCOMES:
        slot = stats["by_outcome"].get(t.code, {"count": 0, "amount": 0})
        rows.append((d["o"], t.name(lang), slot["count"], slot["amount"], share(slot["count"])))
    first_label = "First violation not punished" if en else "首违不罚"
    minor_label = "Minor violation exempted" if en else "轻微免罚"
    for label, key in ((first_label, "first_offence_share"), (minor_label, "minor_exempt_share")):
        s = float(stats.get(key) or 0.0)
        rows.append((d["l"], label, round(s * total), None, round(s, 4) if total else None))
    for t in ev.LENIENCY_KINDS:
        slot = stats["reductions"].get(t.code, {"count": 0, "yuan": 0})
        rows.append((d["r"], t.name(lang), slot["count"], slot["yuan"], share(slot["count"])))
    for key, dim in (("by_district", "d"), ("by_industry", "i")):
        items = sorted(stats[key].items(), key=lambda kv: (-kv[1]["count"], kv[0]))
        for code, slot in items:
            name = code if key == "by_district" else rv.INDUSTRIES.name(code, lang)
            rows.append((d[dim], name or "—", slot["count"], slot["amount"], share(slot["count"])))
    return rows
