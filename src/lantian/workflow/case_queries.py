"""Read side of cases: the case list, 督办台账 (ledger) and one case's page. Every query is
restricted by the ``case`` declaration of :mod:`lantian.auth.visibility` (and a case page
shows only the check records, files, notices and spot checks the user sees).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from lantian.auth.errors import ValidationError
from lantian.auth.models import User
from lantian.auth.visibility import visible
from lantian.leads.models import Lead
from lantian.leads.queries import Page, _many
from lantian.leads.scope import lead_scope
from lantian.registry.models import Enterprise
from lantian.timeutil import now_cst, to_cst
from lantian.workflow.models import (
    Attachment,
    Case,
    CaseEvent,
    CaseLead,
    CheckRecord,
    Notice,
    SpotCheck,
)
from lantian.workflow.service import allowed_actions, load_case
from lantian.workflow.states import DEADLINE_STATES, OPEN_STATES, Transition


@dataclass
class CaseFilters:
    """Filters of the case list; ``overdue`` = deadline passed in a deadline state."""

    status: str | Sequence[str] | None = None
    city: str | None = None
    district: str | None = None
    enterprise_id: str | None = None
    assignee_id: int | None = None
    fix_path: str | None = None
    family: str | None = None
    overdue: bool | None = None
    escalated: bool | None = None
    open_only: bool = False
    sort: str = "-updated_at"
    limit: int = 50
    offset: int = 0


CASE_SORTS: dict[str, Any] = {
    "updated_at": Case.updated_at,
    "created_at": Case.created_at,
    "deadline": Case.deadline,
    "rectify_deadline": Case.rectify_deadline,
    "severity": Case.severity,
    "closed_at": Case.closed_at,
    "case_id": Case.case_id,
}


@dataclass
class CaseRow:
    """One line of a case list or of the ledger."""

    case_id: int
    status: str
    title: str
    enterprise_id: str | None
    enterprise_name: str | None
    city: str | None
    district: str | None
    rule: str
    family: str
    severity: int
    fix_path: str | None
    finding: str | None
    assignee_id: int | None
    assignee_name: str | None
    created_at: datetime
    dispatched_at: datetime | None
    deadline: datetime | None
    rectify_deadline: datetime | None
    closed_at: datetime | None
    escalation_level: int
    reopen_count: int
    updated_at: datetime
    overdue_days: float | None = None


def _overdue_clause(now: datetime) -> ColumnElement[bool]:
    return or_(
        *[and_(Case.status == s, getattr(Case, c) < now) for s, c in DEADLINE_STATES.items()]
    )


def _overdue_days(row: CaseRow, now: datetime) -> float | None:
    col = DEADLINE_STATES.get(row.status)
    deadline: datetime | None = getattr(row, col) if col else None
    if deadline is None or deadline >= now:
        return None
    return round((now - deadline).total_seconds() / 86400.0, 1)


def _case_query(user: User, f: CaseFilters, now: datetime) -> tuple[Any, Any]:
    assignee = aliased(User)
    conds: list[ColumnElement[bool]] = [visible(user, "case")]
    if (sts := _many(f.status)) is not None:
        conds.append(Case.status.in_(sts))
    if f.open_only:
        conds.append(Case.status.in_(OPEN_STATES))
    if f.city:
        conds.append(Case.city == f.city)
    if f.district:
        conds.append(Case.district == f.district)
    if f.enterprise_id:
        conds.append(Case.enterprise_id == f.enterprise_id)
    if f.assignee_id is not None:
        conds.append(Case.assignee_id == f.assignee_id)
    if f.fix_path:
        conds.append(Case.fix_path == f.fix_path)
    if f.family:
        conds.append(Case.family == f.family)
    if f.overdue is not None:
        ov = _overdue_clause(now)
        conds.append(ov if f.overdue else ~ov)
    if f.escalated is not None:
        conds.append(Case.escalation_level > 0 if f.escalated else Case.escalation_level == 0)
    stmt = (
        select(
            Case.case_id,
            Case.status,
            Case.title,
            Case.enterprise_id,
            Enterprise.name.label("enterprise_name"),
            Case.city,
            Case.district,
            Case.rule,
            Case.family,
            Case.severity,
            Case.fix_path,
            Case.finding,
            Case.assignee_id,
            assignee.display_name.label("assignee_name"),
            Case.created_at,
            Case.dispatched_at,
            Case.deadline,
            Case.rectify_deadline,
            Case.closed_at,
            Case.escalation_level,
            Case.reopen_count,
            Case.updated_at,
        )
        .select_from(Case)
        .outerjoin(Enterprise, Enterprise.enterprise_id == Case.enterprise_id)
        .outerjoin(assignee, assignee.user_id == Case.assignee_id)
        .where(*conds)
    )
    count = select(func.count()).select_from(Case).where(*conds)
    return stmt, count


def list_cases(
    session: Session, user: User, filters: CaseFilters | None = None, *, now: datetime | None = None
) -> Page[CaseRow]:
    """Cases in scope, filtered, sorted and paged (two SQL statements)."""
    f = filters or CaseFilters()
    now = to_cst(now) if now else now_cst()
    key = f.sort.lstrip("-")
    if key not in CASE_SORTS:
        raise ValidationError(f"sort must be one of {sorted(CASE_SORTS)}", field="sort")
    col = CASE_SORTS[key]
    limit = max(1, min(int(f.limit), 5000))
    offset = max(0, int(f.offset))
    stmt, count = _case_query(user, f, now)
    order = col.desc() if f.sort.startswith("-") else col.asc()
    stmt = stmt.order_by(order, Case.case_id.desc()).limit(limit).offset(offset)
    rows = [CaseRow(**r._asdict()) for r in session.execute(stmt)]
    for r in rows:
        r.overdue_days = _overdue_days(r, now)
    return Page(rows, int(session.scalar(count) or 0), limit, offset)


def ledger(
    session: Session,
    user: User,
    *,
    supervision_only: bool = True,
    open_only: bool = False,
    overdue_only: bool = False,
    city: str | None = None,
    district: str | None = None,
    now: datetime | None = None,
    limit: int = 5000,
) -> list[CaseRow]:
    """督办台账 (拉条挂账): confirmed problems tracked until close-out.

    ``supervision_only`` keeps 督办 cases; otherwise every case with a chosen fix path
    (立行立改 too). Sorted by rectification deadline, oldest first.
    """
    now = to_cst(now) if now else now_cst()
    f = CaseFilters(
        fix_path="supervision_order" if supervision_only else None,
        open_only=open_only,
        overdue=True if overdue_only else None,
        city=city,
        district=district,
    )
    stmt, _count = _case_query(user, f, now)
    if not supervision_only:
        stmt = stmt.where(Case.fix_path.is_not(None))
    stmt = stmt.order_by(Case.rectify_deadline.asc().nulls_last(), Case.case_id).limit(limit)
    rows = [CaseRow(**r._asdict()) for r in session.execute(stmt)]
    for r in rows:
        r.overdue_days = _overdue_days(r, now)
    return rows


@dataclass
class CaseDetail:
    """Everything the case page shows."""

    case: Case
    enterprise: Enterprise | None
    leads: list[Lead]
    events: Sequence[tuple[CaseEvent, str | None]]
    checks: list[CheckRecord]
    attachments: list[Attachment]
    notices: list[Notice]
    spot_checks: list[SpotCheck]
    assignee: User | None
    actions: list[Transition]


def get_case(session: Session, user: User, case_id: int) -> CaseDetail:
    """One case in scope with its leads, timeline (event, actor name), checks and files."""
    c = load_case(session, user, case_id)
    ent = session.get(Enterprise, c.enterprise_id) if c.enterprise_id else None
    leads = list(
        session.scalars(
            select(Lead)
            .join(CaseLead, CaseLead.lead_id == Lead.lead_id)
            .where(CaseLead.case_id == case_id, lead_scope(session, user))
            .order_by(Lead.start)
        )
    )
    events = [
        (ev, name)
        for ev, name in session.execute(
            select(CaseEvent, User.display_name)
            .outerjoin(User, User.user_id == CaseEvent.actor_id)
            .where(CaseEvent.case_id == case_id, visible(user, "case_event"))
            .order_by(CaseEvent.at, CaseEvent.event_id)
        )
    ]
    checks = list(
        session.scalars(
            select(CheckRecord)
            .where(CheckRecord.case_id == case_id, visible(user, "check_record"))
            .order_by(CheckRecord.checked_at)
        )
    )
    atts = list(
        session.scalars(
            select(Attachment)
            .where(Attachment.case_id == case_id, visible(user, "attachment"))
            .order_by(Attachment.attachment_id)
        )
    )
    notices = list(
        session.scalars(select(Notice).where(Notice.case_id == case_id, visible(user, "notice")))
    )
    spots = list(
        session.scalars(
            select(SpotCheck).where(SpotCheck.case_id == case_id, visible(user, "spot_check"))
        )
    )
    assignee = session.get(User, c.assignee_id) if c.assignee_id else None
    return CaseDetail(
        c, ent, leads, events, checks, atts, notices, spots, assignee, allowed_actions(user, c)
    )


__all__ = [
    "CASE_SORTS",
    "CaseDetail",
    "CaseFilters",
    "CaseRow",
    "get_case",
    "ledger",
    "list_cases",
]
