"""Read side of enterprises: the enterprise list and one enterprise's profile (registry
data, the leads, cases, notices and check records the user sees).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from lantian.auth.models import User
from lantian.auth.visibility import load_visible, visible
from lantian.leads.models import Lead
from lantian.leads.queries import Page
from lantian.leads.scope import lead_scope
from lantian.registry.models import Enterprise, Line, Outlet
from lantian.workflow.case_queries import CaseFilters, CaseRow, list_cases
from lantian.workflow.models import Case, CheckRecord, Notice


@dataclass
class EnterpriseFilters:
    """Filters of the enterprise list."""

    q: str | None = None
    city: str | None = None
    district: str | None = None
    industry: str | None = None
    grade: str | None = None
    positive_list: bool | None = None
    limit: int = 50
    offset: int = 0


def list_enterprises(
    session: Session, user: User, filters: EnterpriseFilters | None = None
) -> Page[Enterprise]:
    """Enterprises in scope, by name."""
    f = filters or EnterpriseFilters()
    conds: list[ColumnElement[bool]] = [visible(user, "enterprise")]
    if f.q:
        p = f"%{f.q.strip()}%"
        conds.append(
            or_(
                Enterprise.name.ilike(p),
                Enterprise.credit_code == f.q.strip(),
                Enterprise.enterprise_id == f.q.strip(),
            )
        )
    for col, val in (
        (Enterprise.city, f.city),
        (Enterprise.district, f.district),
        (Enterprise.industry, f.industry),
        (Enterprise.grade, f.grade),
    ):
        if val:
            conds.append(col == val)
    if f.positive_list is not None:
        conds.append(Enterprise.positive_list.is_(f.positive_list))
    limit = max(1, min(int(f.limit), 5000))
    rows = list(
        session.scalars(
            select(Enterprise)
            .where(*conds)
            .order_by(Enterprise.name, Enterprise.enterprise_id)
            .limit(limit)
            .offset(max(0, f.offset))
        )
    )
    total = session.scalar(select(func.count()).select_from(Enterprise).where(*conds)) or 0
    return Page(rows, int(total), limit, max(0, f.offset))


@dataclass
class EnterpriseProfile:
    """An enterprise's page: registry data, lead and case history, notices, checks."""

    enterprise: Enterprise
    outlets: int
    lines: int
    leads_by_family: dict[str, int]
    leads_total: int
    confirmed: int
    false_positive: int
    cases: list[CaseRow]
    notices: list[Notice]
    recent_checks: list[CheckRecord]
    recent_leads: list[Lead]


def enterprise_profile(
    session: Session, user: User, enterprise_id: str, *, now: datetime | None = None
) -> EnterpriseProfile:
    """Profile and history of one enterprise in scope (:class:`NotFound` otherwise)."""
    ent: Enterprise = load_visible(session, user, "enterprise", enterprise_id)
    leads_seen = lead_scope(session, user)
    fam = {
        str(k): int(n)
        for k, n in session.execute(
            select(Lead.family, func.count())
            .where(Lead.enterprise_id == enterprise_id, leads_seen)
            .group_by(Lead.family)
        )
    }
    outcomes = {
        str(k): int(n)
        for k, n in session.execute(
            select(Lead.outcome, func.count())
            .where(Lead.enterprise_id == enterprise_id, Lead.outcome.is_not(None), leads_seen)
            .group_by(Lead.outcome)
        )
    }
    cases = list_cases(
        session, user, CaseFilters(enterprise_id=enterprise_id, limit=500), now=now
    ).rows
    notices = list(
        session.scalars(
            select(Notice)
            .where(Notice.enterprise_id == enterprise_id, visible(user, "notice"))
            .order_by(Notice.issued_at.desc())
        )
    )
    checks = list(
        session.scalars(
            select(CheckRecord)
            .join(Case, Case.case_id == CheckRecord.case_id)
            .where(Case.enterprise_id == enterprise_id, visible(user, "check_record"))
            .order_by(CheckRecord.checked_at.desc())
            .limit(20)
        )
    )
    recent = list(
        session.scalars(
            select(Lead)
            .where(Lead.enterprise_id == enterprise_id, leads_seen)
            .order_by(Lead.start.desc())
            .limit(20)
        )
    )
    n_out = (
        session.scalar(
            select(func.count()).select_from(Outlet).where(Outlet.enterprise_id == enterprise_id)
        )
        or 0
    )
    n_lines = (
        session.scalar(
            select(func.count()).select_from(Line).where(Line.enterprise_id == enterprise_id)
        )
        or 0
    )
    return EnterpriseProfile(
        enterprise=ent,
        outlets=int(n_out),
        lines=int(n_lines),
        leads_by_family=fam,
        leads_total=sum(fam.values()),
        confirmed=outcomes.get("confirmed", 0),
        false_positive=outcomes.get("false_positive", 0),
        cases=cases,
        notices=notices,
        recent_checks=checks,
        recent_leads=recent,
    )


__all__ = ["EnterpriseFilters", "EnterpriseProfile", "enterprise_profile", "list_enterprises"]
