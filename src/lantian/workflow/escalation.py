"""Scheduled work of the closed loop: escalation of overdue cases (立行立改 included),
conversion of overdue or rejected 立行立改 into 督办, reopening of closed cases whose
problem recurred, and the job run combining them.

References
----------
.. [1] 生态环境部, 重点区域大气污染防治强化监督 (2018-2019): problems that cannot be fixed
       on the spot are put under a supervision order (督办) with a deadline and tracked
       until close-out (交办 → 整改 → 复核 → 销号). The 3-working-day default of 立行立改
       is this project's choice (configurable), not a cited rule (unverified).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from lantian.auth.audit import audit, snapshot
from lantian.auth.errors import (
    InvalidTransition,
    PermissionDenied,
)
from lantian.auth.models import OFFICER_ROLES, User
from lantian.leads.models import Lead
from lantian.settings import get_settings
from lantian.timeutil import now_cst, to_cst
from lantian.workflow.core import (
    _event,
    _fire,
    _not_before_last_change,
    load_case,
)
from lantian.workflow.models import (
    Case,
    CaseLead,
)
from lantian.workflow.states import (
    CONVERT_ACTION,
    DEADLINE_STATES,
    ESCALATE_ACTION,
    ESCALATION_LEVELS,
)
from lantian.workflow.tasks import create_escalation_task
from lantian.workflow.workdays import add_working_days_cst

RECURRENCE_WINDOW_DAYS = 90
"""A lead of the same rule and subject within this many days after close-out reopens it."""


@dataclass(frozen=True)
class Escalation:
    """One case whose escalation level :func:`escalate_overdue` raised."""

    case_id: int
    status: str
    deadline: datetime
    days_overdue: float
    old_level: int
    new_level: int


def escalation_level(days_overdue: float) -> int:
    """Escalation level for a delay [days]: 0 not overdue, 1 overdue, 2 ≥7 d, 3 ≥30 d."""
    if days_overdue <= 0:
        return 0
    level = 0
    for i, (min_days, _zh, _en) in enumerate(ESCALATION_LEVELS, start=1):
        if days_overdue >= min_days:
            level = i
    return level


def escalate_overdue(
    session: Session, now: datetime | None = None, *, actor: User | None = None
) -> list[Escalation]:
    """Raise the escalation level of every overdue open case (idempotent for the same ``now``).

    A case is overdue when its status has a running deadline (:data:`DEADLINE_STATES`) and
    that deadline has passed. Each raise is a case event and an audit record (actor
    ``system`` unless ``actor`` is given, who must be an admin or work group).
    """
    if actor is not None and actor.role not in ("admin", "work_group"):
        raise PermissionDenied("only the system, an admin or a work group escalates")
    now = to_cst(now) if now is not None else now_cst()
    conds = [
        (Case.status == status) & (getattr(Case, col) < now)
        for status, col in DEADLINE_STATES.items()
    ]
    cases = session.scalars(select(Case).where(or_(*conds)).order_by(Case.case_id)).all()
    out: list[Escalation] = []
    for case in cases:
        deadline: datetime = getattr(case, DEADLINE_STATES[case.status])
        days = (now - deadline).total_seconds() / 86400.0
        level = escalation_level(days)
        if level <= case.escalation_level:
            continue
        before = snapshot(case)
        old = case.escalation_level
        case.escalation_level = level
        case.escalated_at = now
        label = ESCALATION_LEVELS[level - 1][1]
        _event(
            session,
            actor,
            case,
            ESCALATE_ACTION,
            note=label,
            data={"level": level, "days_overdue": round(days, 2)},
            at=now,
        )
        audit(
            session,
            actor,
            ESCALATE_ACTION,
            "case",
            case.case_id,
            before=before,
            after=snapshot(case),
            note=label,
            at=now,
        )
        out.append(Escalation(case.case_id, case.status, deadline, days, old, level))
        create_escalation_task(session, case, level, at=now, days_overdue=days)
    session.flush()
    return out


def convert_to_supervision(
    session: Session,
    user: User | None,
    case_id: int,
    *,
    reason: str,
    now: datetime | None = None,
    working_days: int | None = None,
) -> Case:
    """A 立行立改 becomes 督办 with a deadline of ``working_days`` working days
    (``settings.converted_order_working_days``).

    From 立行立改 (overdue) this is the declared transition ``convert_to_supervision``
    (→ 督办; the enterprise signs and rectifies). From 整改中 after a rejected review of a
    立行立改 the status stays 整改中 and the case is recorded as 督办 (event and audit
    ``convert_to_supervision``). ``user`` ``None`` is the scheduled job.
    """
    now = to_cst(now) if now is not None else now_cst()
    days = working_days or get_settings().converted_order_working_days
    case = load_case(session, user, case_id, lock=True)
    if case.fix_path != "immediate_fix" or case.status not in ("immediate_fix", "rectification"):
        raise InvalidTransition(
            f"case {case_id} is not an open 立行立改 (status {case.status!r})",
            status=case.status,
            action=CONVERT_ACTION,
        )
    at = _not_before_last_change(case, now)
    deadline = add_working_days_cst(at, days)
    data = {"rectify_deadline": deadline, "working_days": days}

    def apply() -> None:
        case.fix_path = "supervision_order"
        case.rectify_deadline = deadline
        case.escalation_level = 0  # a new order with a new deadline (the overdue is on record)
        case.escalated_at = None

    from lantian.documents.numbering import issue_number

    issue_number(session, "supervision_notice", case.case_id, at)
    if case.status == "immediate_fix":
        _fire(
            session,
            user,
            case,
            CONVERT_ACTION,
            {"reason": reason},
            apply,
            note=reason,
            data=data,
            now=at,
        )
        return case
    if user is not None and user.role not in OFFICER_ROLES:
        raise PermissionDenied("only officers or the system turn a 立行立改 into 督办")
    before = snapshot(case)
    apply()
    case.updated_at = at
    session.flush()
    _event(session, user, case, CONVERT_ACTION, note=reason, data=data, at=at)
    audit(
        session,
        user,
        CONVERT_ACTION,
        "case",
        case.case_id,
        before=before,
        after=snapshot(case),
        note=reason,
        at=at,
    )
    return case


def convert_overdue_immediate_fixes(session: Session, now: datetime | None = None) -> list[int]:
    """Turn every 立行立改 whose deadline has passed into 督办 (scheduled job; audited with
    actor ``system``). Returns the converted case ids."""
    now = to_cst(now) if now is not None else now_cst()
    ids = session.scalars(
        select(Case.case_id)
        .where(
            Case.status == "immediate_fix",
            Case.fix_path == "immediate_fix",
            Case.rectify_deadline < now,
        )
        .order_by(Case.case_id)
    ).all()
    for cid in ids:
        convert_to_supervision(
            session, None, cid, reason="立行立改逾期未完成整改，自动转为督办", now=now
        )
    return list(ids)


def reopen_on_recurrence(
    session: Session,
    *,
    window_days: int = RECURRENCE_WINDOW_DAYS,
    now: datetime | None = None,
    actor: User | None = None,
) -> list[int]:
    """Reopen closed cases whose problem came back.

    A lead not in any case, of the same rule and subject as a case closed at most
    ``window_days`` before the lead started, is added to that case, which is reopened
    (back to 已交办). Returns the reopened case ids.
    """
    now = to_cst(now) if now is not None else now_cst()
    since = now - timedelta(days=window_days)
    closed = session.scalars(
        select(Case).where(Case.status == "closed", Case.closed_at >= since).order_by(Case.case_id)
    ).all()
    from lantian.workflow.service import reopen

    linked = select(CaseLead.lead_id)
    reopened: list[int] = []
    for case in closed:
        assert case.closed_at is not None
        leads = session.scalars(
            select(Lead)
            .where(
                Lead.rule == case.rule,
                Lead.subject_id == case.subject_id,
                Lead.start > case.closed_at,
                Lead.start <= case.closed_at + timedelta(days=window_days),
                Lead.lead_id.not_in(linked),
            )
            .order_by(Lead.start)
        ).all()
        if not leads:
            continue
        for lead in leads:
            session.add(
                CaseLead(
                    lead_id=lead.lead_id, case_id=case.case_id, linked_at=now, reason="recurrence"
                )
            )
        session.flush()
        ids = [x.lead_id for x in leads]
        reopen(
            session,
            actor,
            case.case_id,
            now=now,
            reason=f"同一问题复发 (recurrence): {', '.join(ids)}",
        )
        reopened.append(case.case_id)
    return reopened


@dataclass(frozen=True)
class JobsReport:
    """What :func:`run_scheduled_jobs` did."""

    escalated: list[Escalation]
    reopened: list[int]
    login_attempts_pruned: int = 0
    converted: list[int] = field(default_factory=list)
    """立行立改 cases turned into 督办 because their deadline passed."""


def run_scheduled_jobs(
    session: Session, now: datetime | None = None, *, recurrence_window_days: int = 90
) -> JobsReport:
    """The periodic work of the closed loop (run e.g. hourly, then commit): escalate overdue
    cases (:func:`escalate_overdue`), turn overdue 立行立改 into 督办
    (:func:`convert_overdue_immediate_fixes`, after escalation so the overdue level is on
    record), reopen closed cases whose problem recurred (:func:`reopen_on_recurrence`),
    and drop old login attempts. Idempotent for the same data and ``now``."""
    from lantian.auth.service import prune_login_attempts

    now = to_cst(now) if now is not None else now_cst()
    reopened = reopen_on_recurrence(session, window_days=recurrence_window_days, now=now)
    escalated = escalate_overdue(session, now)
    converted = convert_overdue_immediate_fixes(session, now)
    return JobsReport(escalated, reopened, prune_login_attempts(session, now), converted)
