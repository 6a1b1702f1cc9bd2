"""督办台账 (ledger): every tracked problem — 立行立改 and 督办, open and closed — with the
columns a ledger has (问题, 整改措施, 责任单位, 时限, 进展, 复核意见, 销号时间, plus case
number, enterprise, district and type). The ledger page and its Excel export are built
from :func:`ledger_rows` and :data:`LEDGER_COLUMNS`, so they hold the same rows and
columns.

References
----------
.. [1] 生态环境部, 重点区域大气污染防治强化监督: problems put on a ledger (拉条挂账),
       rectified by a deadline, reviewed and closed (销号) one by one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.auth.errors import ValidationError
from lantian.auth.models import User
from lantian.auth.visibility import visible
from lantian.timeutil import now_cst, to_cst
from lantian.vocab import cases as _cases_vocab
from lantian.workflow.case_queries import CaseFilters, CaseRow, _case_query, _overdue_days
from lantian.workflow.models import FIX_PATHS, Case, CaseEvent
from lantian.workflow.states import ESCALATION_LEVELS, STATE_BY_CODE

LEDGER_STATES: tuple[str, ...] = _cases_vocab.LEDGER_STATES.codes()
"""State filter of the ledger: open problems, closed (销号) ones, or both."""

FIX_PATH_LABELS: dict[str, tuple[str, str]] = {
    "immediate_fix": ("立行立改", "Immediate fix"),
    "supervision_order": ("督办", "Supervision order"),
}

_MEASURE_ACTIONS = ("submit_rectification",)
_REVIEW_ACTIONS = ("review_accept", "review_reject", "close_immediate_fix")


@dataclass
class LedgerRow:
    """One line of the ledger."""

    case_id: int
    enterprise_name: str
    city: str | None
    district: str | None
    fix_path: str
    status: str
    problem: str
    measures: str
    responsible: str
    deadline: datetime | None
    progress_zh: str
    progress_en: str
    review: str
    closed_at: datetime | None
    overdue_days: float | None
    escalation_level: int


@dataclass(frozen=True)
class LedgerColumn:
    """One column of the ledger: key, Chinese and English header, value of a row (text or
    time; the page and the workbook format times the same way)."""

    key: str
    zh: str
    en: str
    get: Callable[[LedgerRow], Any]
    time: bool = False


LEDGER_COLUMNS: tuple[LedgerColumn, ...] = (
    LedgerColumn("case_id", "案件编号", "Case", lambda r: r.case_id),
    LedgerColumn("enterprise", "企业", "Enterprise", lambda r: r.enterprise_name),
    LedgerColumn("district", "区县", "District", lambda r: r.district or ""),
    LedgerColumn("kind", "类型", "Type", lambda r: FIX_PATH_LABELS[r.fix_path][0]),
    LedgerColumn("problem", "问题", "Problem", lambda r: r.problem),
    LedgerColumn("measures", "整改措施", "Measures", lambda r: r.measures),
    LedgerColumn("responsible", "责任单位", "Responsible", lambda r: r.responsible),
    LedgerColumn("deadline", "时限", "Deadline", lambda r: r.deadline, time=True),
    LedgerColumn("progress", "进展", "Progress", lambda r: r.progress_zh),
    LedgerColumn("review", "复核意见", "Review", lambda r: r.review),
    LedgerColumn("closed_at", "销号时间", "Closed", lambda r: r.closed_at, time=True),
)
"""The ledger's columns, in order (page and Excel)."""


def _bureau(city: str | None, district: str | None) -> str:
    return f"{city or ''}{district or ''}生态环境局" if city else "生态环境主管部门"


def _progress(row: CaseRow) -> tuple[str, str]:
    state = STATE_BY_CODE[row.status]
    zh, en = [state.label_zh], [state.label_en]
    if row.overdue_days:
        zh.append(f"逾期{row.overdue_days:g}天")
        en.append(f"overdue {row.overdue_days:g} d")
    if row.escalation_level:
        _d, lzh, len_ = ESCALATION_LEVELS[row.escalation_level - 1]
        if lzh != "逾期":
            zh.append(lzh)
            en.append(len_)
    return "，".join(zh), ", ".join(en)


def _latest_notes(
    session: Session, user: User, case_ids: Sequence[int], actions: Sequence[str]
) -> dict[int, str]:
    """The note of the latest event of ``actions`` per case (events the user sees)."""
    out: dict[int, str] = {}
    for i in range(0, len(case_ids), 1000):
        chunk = list(case_ids[i : i + 1000])
        stmt = (
            select(CaseEvent.case_id, CaseEvent.note)
            .where(
                CaseEvent.case_id.in_(chunk),
                CaseEvent.action.in_(list(actions)),
                visible(user, "case_event"),
            )
            .order_by(CaseEvent.at, CaseEvent.event_id)
        )
        for cid, note in session.execute(stmt):
            if note:
                out[int(cid)] = str(note)
    return out


def ledger_rows(
    session: Session,
    user: User,
    *,
    kind: str | None = None,
    state: str = "all",
    district: str | None = None,
    overdue_only: bool = False,
    now: datetime | None = None,
    limit: int = 100_000,
) -> list[LedgerRow]:
    """The ledger: every case in scope with a fix path (立行立改 or 督办), filtered by
    ``kind`` (a fix path), ``state`` (:data:`LEDGER_STATES`), ``district`` and overdue;
    open problems first by deadline, then closed ones."""
    if kind is not None and kind not in FIX_PATHS:
        raise ValidationError(f"kind must be one of {FIX_PATHS}", field="kind")
    if state not in LEDGER_STATES:
        raise ValidationError(f"state must be one of {LEDGER_STATES}", field="state")
    now = to_cst(now) if now else now_cst()
    f = CaseFilters(
        fix_path=kind,
        open_only=state == "open",
        status="closed" if state == "closed" else None,
        district=district or None,
        overdue=True if overdue_only else None,
    )
    stmt, _count = _case_query(user, f, now)
    stmt = (
        stmt.where(Case.fix_path.is_not(None))
        .order_by(
            Case.closed_at.is_not(None),
            Case.rectify_deadline.asc().nulls_last(),
            Case.case_id,
        )
        .limit(limit)
    )
    base = [CaseRow(**r._asdict()) for r in session.execute(stmt)]
    ids = [r.case_id for r in base]
    measures = _latest_notes(session, user, ids, _MEASURE_ACTIONS)
    reviews = _latest_notes(session, user, ids, _REVIEW_ACTIONS)
    from lantian.assist.rectification.services import progress_by_case

    plans = progress_by_case(session, ids, today=now.date())  # 整改方案 milestones
    out: list[LedgerRow] = []
    for r in base:
        r.overdue_days = _overdue_days(r, now)
        pzh, pen = _progress(r)
        if (plan := plans.get(r.case_id)) is not None:
            pzh, pen = f"{pzh}；整改方案节点 {plan.label()}", f"{pen}; plan {plan.label_en()}"
        ent = r.enterprise_name or r.title
        out.append(
            LedgerRow(
                case_id=r.case_id,
                enterprise_name=ent,
                city=r.city,
                district=r.district,
                fix_path=r.fix_path or "supervision_order",
                status=r.status,
                problem=(r.finding or r.title).strip(),
                measures=measures.get(r.case_id, ""),
                responsible=f"{ent}（属地监管：{_bureau(r.city, r.district)}）",
                deadline=r.rectify_deadline,
                progress_zh=pzh,
                progress_en=pen,
                review=reviews.get(r.case_id, ""),
                closed_at=r.closed_at,
                overdue_days=r.overdue_days,
                escalation_level=r.escalation_level,
            )
        )
    return out


def ledger_districts(session: Session, user: User) -> list[str]:
    """Districts of the ledger's cases in scope (choices of the district filter)."""
    stmt = (
        select(Case.district)
        .where(visible(user, "case"), Case.fix_path.is_not(None), Case.district.is_not(None))
        .distinct()
        .order_by(Case.district)
    )
    return [str(d) for d in session.scalars(stmt)]


__all__ = [
    "FIX_PATH_LABELS",
    "LEDGER_COLUMNS",
    "LEDGER_STATES",
    "LedgerColumn",
    "LedgerRow",
    "ledger_districts",
    "ledger_rows",
]
