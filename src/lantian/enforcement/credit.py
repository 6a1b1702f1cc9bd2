"""信用修复 conditions judged from Lantian's own data (pure) and read from the database.

For a decision the enterprise wants repaired, each condition of the province's rule is
checked against what Lantian records: the time elapsed since the decision
(``repair_min_days``), the correction (the case closed after review), training (a passed
学法 course on the case), commitment (an approved 道歉承诺 letter on the case) and no new
confirmed violation of the enterprise since the decision. Each check says which fact
decided it, so the enterprise sees what is missing and the officer what the data shows.

References
----------
.. [1] 企业环境信用评价办法（试行）, 环发〔2013〕150号 (unverified summary).
.. [2] 生态环境部《关于进一步加强生态环境领域信用修复工作的通知》 (conditions: time,
       correction, commitment, training; unverified summary).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.enforcement.config import PenaltySet
from lantian.enforcement.models import LeniencyRecord, PenaltyDecision
from lantian.timeutil import to_cst


@dataclass(frozen=True)
class ConditionCheck:
    """One 信用修复 condition: met or not from Lantian's data, the fact that decided it, and
    whether the province's rule requires it."""

    code: str
    met: bool
    fact: str
    required: bool


def repair_conditions(
    pset: PenaltySet,
    *,
    decided_at: dt.datetime,
    at: dt.datetime,
    case_closed_at: dt.datetime | None,
    law_study_passed_at: dt.datetime | None,
    apology_approved_at: dt.datetime | None,
    later_violations: list[dt.date],
) -> list[ConditionCheck]:
    """The conditions of a repair request for a decision taken at ``decided_at``, judged at
    ``at`` (CST days) from the given facts; ``days_elapsed`` first, then every condition
    the province's rule may require, required ones marked."""
    req = set(pset.credit.repair_requires)
    days = (to_cst(at).date() - to_cst(decided_at).date()).days
    need = pset.credit.repair_min_days
    out = [
        ConditionCheck(
            "days_elapsed",
            days >= need,
            f"自处罚决定起已满 {days} 日（须满 {need} 日）",
            True,
        )
    ]

    def day(v: dt.datetime) -> str:
        return to_cst(v).date().isoformat()

    out.append(
        ConditionCheck(
            "correction_done",
            case_closed_at is not None,
            f"案件已于 {day(case_closed_at)} 整改销号" if case_closed_at else "案件尚未整改销号",
            "correction_done" in req,
        )
    )
    out.append(
        ConditionCheck(
            "training",
            law_study_passed_at is not None,
            f"学法考试于 {day(law_study_passed_at)} 通过"
            if law_study_passed_at
            else "蓝天中无通过的学法记录",
            "training" in req,
        )
    )
    out.append(
        ConditionCheck(
            "commitment",
            apology_approved_at is not None,
            f"道歉承诺书于 {day(apology_approved_at)} 审核通过"
            if apology_approved_at
            else "蓝天中无审核通过的道歉承诺书",
            "commitment" in req,
        )
    )
    out.append(
        ConditionCheck(
            "no_new_violation",
            not later_violations,
            f"决定后又有 {len(later_violations)} 起违法问题属实（最近 {max(later_violations)}）"
            if later_violations
            else "决定后无新的违法问题属实",
            "no_new_violation" in req,
        )
    )
    return out


def repair_evidence(
    session: Session, decision: PenaltyDecision, at: dt.datetime
) -> list[ConditionCheck]:
    """:func:`repair_conditions` for ``decision`` from the database (its case, the case's
    学法 and 道歉 records, the enterprise's later confirmed cases)."""
    from lantian.enforcement.services import CONFIRMED_STATES, case_day, set_for
    from lantian.workflow.models import Case

    case = session.get(Case, decision.case_id)
    assert case is not None
    pset = set_for(case.province, case_day(case))
    recs = session.scalars(
        select(LeniencyRecord).where(LeniencyRecord.case_id == decision.case_id)
    ).all()
    study = [r.completed_at for r in recs if r.kind == "law_study" and r.passed and r.completed_at]
    apology = [r.approved_at for r in recs if r.kind == "apology" and r.approved_at is not None]
    later = session.scalars(
        select(Case.judged_at).where(
            Case.enterprise_id == decision.enterprise_id,
            Case.case_id != decision.case_id,
            Case.status.in_(CONFIRMED_STATES),
            Case.judged_at > decision.decided_at,
        )
    ).all()
    return repair_conditions(
        pset,
        decided_at=decision.decided_at,
        at=at,
        case_closed_at=case.closed_at if case.status == "closed" else None,
        law_study_passed_at=max(study) if study else None,
        apology_approved_at=max(apology) if apology else None,
        later_violations=sorted(to_cst(v).date() for v in later if v is not None),
    )
