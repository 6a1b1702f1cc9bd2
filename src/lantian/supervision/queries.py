"""Read-only queries building the supervision inputs from the database.

Enterprises from the registry (with their outlet count), leads (``outcome``: confirmed
leads are the compliance record and the triggers; open unjudged leads count too), open
cases and past visits (check records of cases) from the workflow tables, heavy-pollution
alerts of the enterprise's city, and the inspector register (officer users with their
执法证号), the latest submitted self-check's failure share (:mod:`lantian.assist.selfchecks`).
Complaints (信访投诉, :mod:`lantian.supervision.complaints`) received up to the period end.
Nothing here writes.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import Date, cast, func, or_, select
from sqlalchemy.orm import Session

from lantian.auth.models import User
from lantian.leads.models import Lead
from lantian.registry.models import Alert, Enterprise, Outlet
from lantian.supervision.complaints.models import Complaint
from lantian.supervision.facts import (
    ComplaintFact,
    EnterpriseFacts,
    Inspector,
    LeadFact,
    PlanInputs,
    Visit,
)
from lantian.supervision.inspectors.models import InspectorCertificate
from lantian.supervision.visits.models import InspectionVisit
from lantian.supervision.visits.services import register_visits
from lantian.timeutil import CST, to_cst
from lantian.workflow.models import Case, CheckRecord
from lantian.workflow.states import OPEN_STATES

INSPECTOR_ROLES: tuple[str, ...] = ("work_group", "city_officer", "district_officer")
"""Default officer roles drawn as inspectors (admins are not): ``[plan] inspector_roles``."""
HISTORY_YEARS = 3
"""Default of ``[plan] history_years``: leads and visits older than this many years before
the period are not read."""


def _day(value: dt.datetime) -> dt.date:
    return value.astimezone(CST).date() if value.tzinfo is not None else to_cst(value).date()


def load_enterprise_facts(
    session: Session,
    *,
    jurisdiction: str | None,
    start: dt.date,
    end: dt.date,
    only: str | None = None,
    history_years: int = HISTORY_YEARS,
) -> list[EnterpriseFacts]:
    """Facts of every enterprise of the jurisdiction (city or district equal to it).

    ``only`` limits them to one enterprise id (its risk on the enterprise page).
    """
    q = select(
        Enterprise.enterprise_id,
        Enterprise.industry,
        Enterprise.city,
        Enterprise.district,
        Enterprise.grade,
        Enterprise.positive_list,
    )
    if jurisdiction is not None:
        q = q.where(or_(Enterprise.city == jurisdiction, Enterprise.district == jurisdiction))
    if only is not None:
        q = q.where(Enterprise.enterprise_id == only)
    ents = session.execute(q.order_by(Enterprise.enterprise_id)).all()
    ids = {e.enterprise_id for e in ents}
    outlets: dict[str, int] = dict(
        session.execute(
            select(Outlet.enterprise_id, func.count()).group_by(Outlet.enterprise_id)
        ).all()
    )
    since = dt.datetime(start.year - history_years, start.month, 1, tzinfo=CST)
    leads: dict[str, list[LeadFact]] = defaultdict(list)
    rows = session.execute(
        select(Lead.enterprise_id, Lead.family, Lead.end, Lead.open, Lead.outcome).where(
            Lead.enterprise_id.is_not(None) if only is None else Lead.enterprise_id == only,
            or_(Lead.end >= since, Lead.open.is_(True)),
        )
    )
    for eid, family, lend, is_open, outcome in rows:
        if eid is not None and eid in ids:
            leads[eid].append(LeadFact(family, _day(lend), bool(is_open), outcome))
    open_cases: dict[str, int] = dict(
        session.execute(  # type: ignore[arg-type]
            select(Case.enterprise_id, func.count())
            .where(Case.enterprise_id.is_not(None), Case.status.in_(OPEN_STATES))
            .group_by(Case.enterprise_id)
        ).all()
    )
    p_start = dt.datetime(start.year, start.month, start.day, tzinfo=CST)
    p_end = dt.datetime(end.year, end.month, end.day, tzinfo=CST)
    alert_cities = set(
        session.scalars(
            select(Alert.city).where(
                Alert.start < p_end, or_(Alert.end.is_(None), Alert.end > p_start)
            )
        )
    )
    complaints: dict[str, list[ComplaintFact]] = defaultdict(list)
    for cid, eid, received, channel, status in session.execute(
        select(
            Complaint.complaint_id,
            Complaint.enterprise_id,
            Complaint.received_at,
            Complaint.channel,
            Complaint.status,
        ).where(
            Complaint.received_at >= since,
            Complaint.received_at < p_end,
            *(() if only is None else (Complaint.enterprise_id == only,)),
        )
    ):
        if eid in ids:
            complaints[eid].append(ComplaintFact(cid, _day(received), channel, status))
    credit = _credit_grades(session, ids, start)
    from lantian.assist.selfchecks.queries import latest_fail_shares

    self_checks = latest_fail_shares(session, ids)
    return [
        EnterpriseFacts(
            enterprise_id=e.enterprise_id,
            industry=e.industry,
            city=e.city,
            district=e.district,
            grade=e.grade,
            positive_list=bool(e.positive_list),
            outlets=outlets.get(e.enterprise_id, 0),
            leads=tuple(leads.get(e.enterprise_id, ())),
            open_cases=open_cases.get(e.enterprise_id, 0),
            complaints=tuple(complaints.get(e.enterprise_id, ())),
            alert_in_period=e.city is not None and e.city in alert_cities,
            self_check_fail_share=self_checks.get(e.enterprise_id),
            credit_grade=credit.get(e.enterprise_id),
        )
        for e in ents
    ]


def _credit_grades(session: Session, ids: set[str], start: dt.date) -> dict[str, str]:
    """Credit grade at the period start of the enterprises with a credit record."""
    from lantian.enforcement.models import CreditEvent
    from lantian.enforcement.queries import credit_grade

    at = dt.datetime.combine(start, dt.time(), tzinfo=CST)
    with_events = session.scalars(
        select(CreditEvent.enterprise_id).where(CreditEvent.at < at).distinct()
    ).all()
    return {eid: credit_grade(session, eid, at) for eid in with_events if eid in ids}


def register_check_ids(session: Session) -> set[int]:
    """Ids of the check records written under a register visit (counted through it)."""
    return set(
        session.scalars(
            select(InspectionVisit.check_id).where(InspectionVisit.check_id.is_not(None))
        )
    )


def load_visits(
    session: Session, *, start: dt.date, ids: set[str], history_years: int = HISTORY_YEARS
) -> list[Visit]:
    """Past visits: a case's check records of one day and kind are one visit.

    Purpose ``plan`` for an inspection case (a 双随机 visit), ``lead_check`` otherwise.
    Then every visit of the register (:mod:`lantian.supervision.visits`) that takes place,
    one per row, with its kind as purpose (``campaign`` when it is tallied apart from the
    cap); check records written under a register visit are counted through it only.

    Check records of the last ``HISTORY_YEARS`` years (the risk term of time since the
    last visit is capped at 24 months by default).
    """
    since = dt.datetime(start.year - history_years, 1, 1, tzinfo=CST)
    names = {uid: name for uid, name in session.execute(select(User.user_id, User.username))}
    if session.get_bind().dialect.name == "sqlite":
        # TZDateTime stores UTC without a zone on SQLite
        day_expr: Any = func.date(CheckRecord.checked_at, "+8 hours")
    else:
        day_expr = cast(func.timezone("Asia/Shanghai", CheckRecord.checked_at), Date)
    rows = session.execute(
        select(Case.enterprise_id, day_expr, CheckRecord.kind, CheckRecord.checked_by, Case.kind)
        .join(Case, Case.case_id == CheckRecord.case_id)
        .where(Case.enterprise_id.is_not(None), CheckRecord.checked_at >= since)
        .add_columns(CheckRecord.check_id)
    )
    grouped: dict[tuple[str, dt.date, str, str], set[str]] = defaultdict(set)
    linked = register_check_ids(session)
    for eid, day, kind, uid, case_kind, check_id in rows:
        if check_id in linked:
            continue  # counted through its register row below
        if eid is not None and eid in ids:
            d = day if isinstance(day, dt.date) else dt.date.fromisoformat(day)
            purpose = "plan" if case_kind == "inspection" else "lead_check"
            grouped[(eid, d, kind, purpose)].add(names[uid])
    # the visit register (行政检查): every approved or done visit, whatever its kind; visits
    # of campaigns ordered from above are tallied apart from the cap (purpose "campaign")
    register = [
        Visit(
            rv.enterprise_id,
            rv.day,
            rv.inspectors,
            "onsite",
            "campaign" if rv.separate else rv.kind,
        )
        for rv in register_visits(session, ids, since.date(), dt.date(start.year + 2, 1, 1))
        if rv.visit_id is not None
    ]
    return [
        Visit(eid, day, tuple(sorted(users)), kind, purpose)
        for (eid, day, kind, purpose), users in sorted(grouped.items())
    ] + register


def load_inspectors(
    session: Session,
    *,
    jurisdiction: str | None,
    cities: set[str],
    on: dt.date,
    roles: tuple[str, ...] = INSPECTOR_ROLES,
) -> list[Inspector]:
    """Active officers (work group, city, district) with their 执法证号 valid on ``on``.

    With a jurisdiction, officers whose city is the jurisdiction or the city of one of its
    enterprises, or whose district is the jurisdiction. An officer without a (valid)
    certificate is listed with ``cert_no=None`` and never drawn.
    """
    q = (
        select(User, InspectorCertificate)
        .outerjoin(InspectorCertificate, InspectorCertificate.user_id == User.user_id)
        .where(User.active.is_(True), User.role.in_(roles))
    )
    if jurisdiction is not None:
        q = q.where(
            or_(User.city.in_(sorted(cities | {jurisdiction})), User.district == jurisdiction)
        )
    out = []
    for user, cert in session.execute(q.order_by(User.username)).all():
        valid = cert is not None and (cert.valid_until is None or cert.valid_until >= on)
        out.append(
            Inspector(
                user.username, cert.cert_no if valid and cert else None, user.city, user.district
            )
        )
    return out


def load_plan_inputs(
    session: Session,
    *,
    period: str,
    jurisdiction: str | None,
    start: dt.date,
    end: dt.date,
    roles: tuple[str, ...] = INSPECTOR_ROLES,
    history_years: int = HISTORY_YEARS,
) -> PlanInputs:
    """Everything :func:`lantian.supervision.plan.draw_plan` needs, read from the database
    (``roles`` and ``history_years``: ``[plan] inspector_roles`` and ``history_years``)."""
    ents = load_enterprise_facts(
        session, jurisdiction=jurisdiction, start=start, end=end, history_years=history_years
    )
    ids = {e.enterprise_id for e in ents}
    cities = {e.city for e in ents if e.city is not None}
    return PlanInputs(
        period=period,
        jurisdiction=jurisdiction,
        enterprises=tuple(ents),
        inspectors=tuple(
            load_inspectors(
                session, jurisdiction=jurisdiction, cities=cities, on=start, roles=roles
            )
        ),
        visits=tuple(load_visits(session, start=start, ids=ids, history_years=history_years)),
    )
