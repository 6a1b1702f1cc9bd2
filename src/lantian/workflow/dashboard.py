"""The dashboard (home page figures): counts by family, status and region, 立行立改 share,
overdue and escalated cases, per-rule precision and weekly trends, all within the user's
scope (:mod:`lantian.auth.visibility`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from lantian.auth.models import User
from lantian.auth.visibility import visible
from lantian.leads.models import Lead
from lantian.leads.precision import RulePrecision, rule_precision
from lantian.leads.scope import lead_scope
from lantian.registry.models import Enterprise, Station
from lantian.timeutil import now_cst, to_cst
from lantian.workflow.case_queries import _overdue_clause
from lantian.workflow.meetings import meeting_counts
from lantian.workflow.models import Case, CaseLead
from lantian.workflow.states import OPEN_STATES
from lantian.workflow.tasks import task_counts


def _week_start(session: Session, col: Any) -> Any:
    """SQL expression: Monday (CST) of the week of ``col`` as a 'YYYY-MM-DD' string."""
    if session.get_bind().dialect.name == "postgresql":
        local = func.timezone("Asia/Shanghai", col)
        return func.to_char(func.date_trunc("week", local), "YYYY-MM-DD")
    return func.date(col, "+8 hours", "weekday 0", "-6 days")


@dataclass
class Dashboard:
    """Figures of the home page (all within the user's scope)."""

    leads_total: int
    leads_by_family: dict[str, int]
    leads_by_status: dict[str, int]
    leads_by_city: dict[str, int]
    leads_by_district: dict[str, int]
    cases_by_status: dict[str, int]
    immediate_fix: int
    supervision_order: int
    immediate_fix_share: float | None
    open_cases: int
    overdue: int
    escalated: int
    closed: int
    precision: list[RulePrecision]
    weekly_leads: list[tuple[str, int]]
    weekly_closed: list[tuple[str, int]]
    escalation_tasks: dict[str, int] = field(default_factory=dict)
    """督办任务 in scope: open, done, overdue."""
    meetings: dict[str, int] = field(default_factory=dict)
    """约谈 (interview) and 通报 (circular) recorded on cases in scope."""


def dashboard(
    session: Session, user: User, *, now: datetime | None = None, weeks: int = 12
) -> Dashboard:
    """Counts by family/status/region, 立行立改 share, overdue, precision and weekly trends."""
    now = to_cst(now) if now else now_cst()
    st = aliased(Station)
    scope = lead_scope(session, user)
    status_col = func.coalesce(Case.status, "new")

    def lead_base(*cols: Any) -> Any:
        return (
            select(*cols)
            .select_from(Lead)
            .outerjoin(Enterprise, Enterprise.enterprise_id == Lead.enterprise_id)
            .outerjoin(st, and_(Lead.subject_type == "station", st.station_id == Lead.subject_id))
            .where(scope)
        )

    def grouped(key: Any, with_case: bool = False) -> dict[str, int]:
        stmt = lead_base(key.label("k"), func.count().label("n"))
        if with_case:
            stmt = stmt.outerjoin(CaseLead, CaseLead.lead_id == Lead.lead_id).outerjoin(
                Case, Case.case_id == CaseLead.case_id
            )
        stmt = stmt.group_by(key)
        return {str(k) if k is not None else "": int(n) for k, n in session.execute(stmt)}

    by_family = grouped(Lead.family)
    by_status = grouped(status_col, with_case=True)
    by_city = grouped(func.coalesce(Enterprise.city, st.city))
    by_district = grouped(func.coalesce(Enterprise.district, st.district))
    cscope = visible(user, "case")
    cases_by_status = {
        str(k): int(n)
        for k, n in session.execute(
            select(Case.status, func.count()).where(cscope).group_by(Case.status)
        )
    }
    paths = {
        str(k): int(n)
        for k, n in session.execute(
            select(Case.fix_path, func.count())
            .where(cscope, Case.fix_path.is_not(None))
            .group_by(Case.fix_path)
        )
    }
    imm, sup = paths.get("immediate_fix", 0), paths.get("supervision_order", 0)
    overdue = (
        session.scalar(select(func.count()).select_from(Case).where(cscope, _overdue_clause(now)))
        or 0
    )
    escalated = (
        session.scalar(
            select(func.count())
            .select_from(Case)
            .where(cscope, Case.status.in_(OPEN_STATES), Case.escalation_level > 0)
        )
        or 0
    )
    since = now - timedelta(weeks=weeks)
    wk = _week_start(session, Lead.detected_at)
    weekly_leads = [
        (str(k), int(n))
        for k, n in session.execute(
            lead_base(wk.label("w"), func.count())
            .where(Lead.detected_at >= since)
            .group_by(wk)
            .order_by(wk)
        )
    ]
    wc = _week_start(session, Case.closed_at)
    weekly_closed = [
        (str(k), int(n))
        for k, n in session.execute(
            select(wc.label("w"), func.count())
            .where(cscope, Case.status == "closed", Case.closed_at >= since)
            .group_by(wc)
            .order_by(wc)
        )
    ]
    open_cases = sum(v for k, v in cases_by_status.items() if k in OPEN_STATES)
    return Dashboard(
        leads_total=sum(by_family.values()),
        leads_by_family=by_family,
        leads_by_status=by_status,
        leads_by_city=by_city,
        leads_by_district=by_district,
        cases_by_status=cases_by_status,
        immediate_fix=imm,
        supervision_order=sup,
        immediate_fix_share=(imm / (imm + sup)) if (imm + sup) else None,
        open_cases=open_cases,
        overdue=int(overdue),
        escalated=int(escalated),
        closed=cases_by_status.get("closed", 0),
        precision=rule_precision(session, user),
        weekly_leads=weekly_leads,
        weekly_closed=weekly_closed,
        escalation_tasks=task_counts(session, user, now),
        meetings=meeting_counts(session, user),
    )


__all__ = ["Dashboard", "dashboard"]
