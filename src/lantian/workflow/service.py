"""Case workflow service: the case lifecycle (open, dispatch, reassign, check, judge, fix,
review, close, reopen, share), checked against the declared state machine
(:mod:`lantian.workflow.states`), the user's role and scope, and audited. The other
resources have their own modules (:mod:`~lantian.workflow.checks`,
:mod:`~lantian.workflow.notices`, :mod:`~lantian.workflow.attachments`,
:mod:`~lantian.workflow.spotchecks`, :mod:`~lantian.workflow.escalation`); their public
names are importable from here as before.

Each function takes an open session and the acting user, changes nothing when it raises
(the caller's transaction rolls back), and leaves committing to the caller. Errors:
:class:`~lantian.auth.errors.NotFound` (missing or out of scope),
:class:`~lantian.auth.errors.PermissionDenied` (role), :class:`~lantian.auth.errors.
InvalidTransition` (status), :class:`~lantian.auth.errors.ValidationError` (input).

References
----------
.. [1] 环办执法〔2021〕10号 (监督执法正面清单): remote check first for positive-list
       enterprises, on-site check only when necessary, with a reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.auth.audit import audit, snapshot
from lantian.auth.errors import (
    InvalidTransition,
    PermissionDenied,
    ValidationError,
)
from lantian.auth.models import OFFICER_ROLES, User
from lantian.auth.scope import province_of_credit_code
from lantian.auth.visibility import can_see
from lantian.documents.numbering import issue_number
from lantian.leads.models import Lead
from lantian.leads.scope import load_lead
from lantian.registry.models import Enterprise, Station
from lantian.timeutil import now_cst, to_cst
from lantian.workflow.attachments import add_attachments, get_attachment
from lantian.workflow.checks import (
    list_checklist_templates,
    record_check,
    record_onsite_check,
    record_remote_check,
    share_check_record,
)
from lantian.workflow.core import (
    _event,
    _fire,
    _not_before_last_change,
    _positive_list,
    _store_files,
    load_case,
)
from lantian.workflow.escalation import (
    RECURRENCE_WINDOW_DAYS,
    Escalation,
    JobsReport,
    convert_overdue_immediate_fixes,
    convert_to_supervision,
    escalate_overdue,
    escalation_level,
    reopen_on_recurrence,
    run_scheduled_jobs,
)
from lantian.workflow.files import UploadedFile
from lantian.workflow.models import (
    CHECK_KINDS,
    FIX_PATHS,
    Case,
    CaseLead,
    CheckRecord,
)
from lantian.workflow.notices import acknowledge_notice, issue_notice
from lantian.workflow.spotchecks import draw_spot_checks, record_spot_check
from lantian.workflow.states import (
    REASSIGN_ROLES,
    REASSIGN_STATES,
    Transition,
    actions_from,
    may_fire,
    transition_for,
)

DEFAULT_REOPEN_CHECK_DAYS = 7
"""Check deadline of a reopened case [days from reopening]."""


def allowed_actions(user: User, case: Case, session: Session | None = None) -> list[Transition]:
    """Transitions ``user`` may fire on ``case`` now (for buttons on the case page).

    With ``session`` the case's visibility is checked again (callers that loaded the case
    through :func:`load_case` already did)."""
    if session is not None and not can_see(session, user, "case", case.case_id):
        return []
    return [
        t
        for t in actions_from(case.status, user.role)
        if may_fire(t, user.role, user.user_id, case.assignee_id)
    ]


def _lead_region(session: Session, lead: Lead) -> tuple[Enterprise | None, Any]:
    """The enterprise of a lead, else its station or grid cell (both carry city and
    district)."""
    from lantian.registry.models import Grid

    ent = session.get(Enterprise, lead.enterprise_id) if lead.enterprise_id else None
    place: Any = None
    if ent is None and lead.subject_type == "station":
        place = session.get(Station, lead.subject_id)
    elif ent is None and lead.subject_type == "grid":
        place = session.get(Grid, lead.subject_id)
    return ent, place


def _station_province(session: Session, station: Any) -> str | None:
    """The province of a station: that of the enterprises registered in its city."""
    from sqlalchemy import func

    if not station.city:
        return None
    code = session.scalar(
        select(func.substr(Enterprise.credit_code, 3, 2))
        .where(Enterprise.city == station.city)
        .limit(1)
    )
    return str(code) if code else None


def share_case(session: Session, user: User, case_id: int, *, note: str | None = None) -> Case:
    """Share a case (and its leads) with its enterprise before any notice or order reaches it.

    One of the triggers of the enterprise policy (:mod:`lantian.auth.policy`); a case still
    ``new`` (not dispatched) cannot be shared. Officers only; idempotent; audited
    (``share_case``).
    """
    if user.role not in OFFICER_ROLES:
        raise PermissionDenied("only officers share cases")
    case = load_case(session, user, case_id, lock=True)
    if case.enterprise_id is None:
        raise ValidationError("the case has no enterprise to share with", field="case_id")
    if case.status == "new":
        raise InvalidTransition(
            f"case {case_id} is 'new': dispatch it before sharing it with the enterprise",
            status=case.status,
            action="share_case",
        )
    if case.shared_with_enterprise_at is None:
        before = snapshot(case)
        now = _not_before_last_change(case, now_cst())
        case.shared_with_enterprise_at = now
        case.shared_with_enterprise_by = user.user_id
        case.updated_at = now
        session.flush()
        _event(session, user, case, "share_case", note=note, at=now)
        audit(
            session,
            user,
            "share_case",
            "case",
            case.case_id,
            before=before,
            after=snapshot(case),
            note=note,
            at=now,
        )
    return case


# --------------------------------------------------------------------------- opening cases


def _new_case(
    session: Session,
    user: User | None,
    leads: Sequence[Lead],
    title: str | None,
    now: datetime | None = None,
    *,
    enterprise: Enterprise | None = None,
    extra: dict[str, Any] | None = None,
) -> Case:
    """Open a case (status ``new``) of ``leads``; about ``enterprise`` when given (a
    suggested source of a hot-spot lead, :mod:`lantian.workflow.candidates`), otherwise
    about the enterprise (or station) of the main lead. ``extra`` is added to the
    ``open_case`` event data and audit record."""
    main = max(leads, key=lambda x: (x.severity, x.score))
    ent, station = _lead_region(session, main)
    if enterprise is not None:
        ent, station = enterprise, None
    region: Any = ent if ent is not None else station
    now = now or now_cst()
    case = Case(
        status="new",
        title=title or main.summary,
        enterprise_id=ent.enterprise_id if ent is not None else None,
        province=(
            province_of_credit_code(ent.credit_code)
            if ent is not None
            else (_station_province(session, station) if station is not None else None)
        ),
        city=getattr(region, "city", None),
        district=getattr(region, "district", None),
        rule=main.rule,
        family=main.family,
        subject_type=main.subject_type,
        subject_id=main.subject_id,
        pollutant=main.pollutant,
        severity=max(x.severity for x in leads),
        created_at=now,
        created_by=user.user_id if user is not None else None,
        updated_at=now,
        escalation_level=0,
        reopen_count=0,
    )
    session.add(case)
    session.flush()
    for lead in leads:
        session.add(CaseLead(lead_id=lead.lead_id, case_id=case.case_id, linked_at=now))
    session.flush()
    ids = [x.lead_id for x in leads]
    data: dict[str, Any] = {"lead_ids": ids, **(extra or {})}
    _event(session, user, case, "open_case", to_status="new", data=data, at=now)
    audit(
        session,
        user,
        "open_case",
        "case",
        case.case_id,
        after={**snapshot(case), **data},
        to_status="new",
        at=now,
    )
    return case


def _case_of_lead(session: Session, lead_id: str) -> Case | None:
    return session.scalar(
        select(Case)
        .join(CaseLead, CaseLead.case_id == Case.case_id)
        .where(CaseLead.lead_id == lead_id)
    )


def open_case(
    session: Session, user: User, lead_ids: Sequence[str], *, title: str | None = None
) -> Case:
    """Group leads of ONE enterprise (or one station) not yet in a case into a new case.

    Raises
    ------
    ValidationError
        No leads, leads of different enterprises, or a lead already in a case.
    """
    if user.role not in ("admin", "work_group", "city_officer", "district_officer"):
        raise PermissionDenied("only officers may open cases")
    if not lead_ids:
        raise ValidationError("choose at least one lead", field="lead_ids")
    leads = [load_lead(session, user, lid) for lid in dict.fromkeys(lead_ids)]
    owners = {(x.enterprise_id or f"station:{x.subject_id}") for x in leads}
    if len(owners) > 1:
        raise ValidationError(
            "一个案件只能包含同一企业的线索 (leads of one enterprise only)", field="lead_ids"
        )
    for lead in leads:
        existing = _case_of_lead(session, lead.lead_id)
        if existing is not None:
            raise ValidationError(
                f"lead {lead.lead_id} is already in case {existing.case_id}", field="lead_ids"
            )
    return _new_case(session, user, leads, title)


def _check_assignee(
    session: Session, assignee_id: int | None, case: Case, dispatcher: User
) -> User:
    """The officer ``assignee_id`` if :func:`covering_officers` offers them for ``case``."""
    if assignee_id is None:
        raise ValidationError("assignee_id is required to dispatch (必填)", field="assignee_id")
    assignee = session.get(User, assignee_id)
    if assignee is None or not assignee.active or assignee.role not in OFFICER_ROLES:
        raise ValidationError(
            "承办人须为有效的执法人员账号 (assignee must be an active officer)", field="assignee_id"
        )
    offered = covering_officers(session, dispatcher, "case", [case.case_id])[case.case_id]
    if assignee.user_id not in {u.user_id for u in offered}:
        raise ValidationError(
            f"承办人 {assignee.display_name or assignee.username} 无权管辖该企业所在区域"
            " (assignee's scope does not cover the case)",
            field="assignee_id",
        )
    return assignee


def dispatch(
    session: Session,
    user: User,
    lead_ids: Sequence[str] = (),
    *,
    case_ids: Sequence[int] = (),
    assignee_id: int | None,
    deadline: datetime | None,
    note: str | None = None,
    now: datetime | None = None,
) -> list[Case]:
    """交办 (bulk): dispatch leads and/or cases in status ``new`` to an officer with a deadline.

    A lead not yet in a case gets its own case. All-or-nothing: the first problem raises.
    Returns the dispatched cases in input order.
    """
    now = now or now_cst()
    if deadline is None:
        raise ValidationError("deadline is required to dispatch (必填)", field="deadline")
    deadline = to_cst(deadline)
    if deadline <= now:
        raise ValidationError(
            "办理时限须晚于当前时间 (deadline must be in the future)", field="deadline"
        )
    if not lead_ids and not case_ids:
        raise ValidationError("choose at least one lead or case", field="lead_ids")
    if user.role not in transition_for("new", "dispatch").roles:  # type: ignore[union-attr]
        raise PermissionDenied(f"role {user.role!r} may not dispatch")
    cases: list[Case] = []
    for lid in dict.fromkeys(lead_ids):
        lead = load_lead(session, user, lid)
        case = _case_of_lead(session, lid)
        cases.append(case if case is not None else _new_case(session, user, [lead], None, now))
    for cid in dict.fromkeys(case_ids):
        cases.append(load_case(session, user, cid, lock=True))
    seen: set[int] = set()
    out: list[Case] = []
    for case in cases:
        if case.case_id in seen:
            continue
        seen.add(case.case_id)
        assignee = _check_assignee(session, assignee_id, case, user)
        # the case may have been created (its open_case event written) after ``now``
        at = _not_before_last_change(case, now)

        def apply(case: Case = case, assignee: User = assignee, at: datetime = at) -> None:
            case.assignee_id = assignee.user_id
            case.dispatched_at = at
            case.dispatched_by = user.user_id
            case.deadline = deadline
            case.escalation_level = 0

        _fire(
            session,
            user,
            case,
            "dispatch",
            {"assignee_id": assignee_id, "deadline": deadline},
            apply,
            note=note,
            data={"assignee": assignee.username, "deadline": deadline},
            now=at,
        )
        issue_number(session, "dispatch_notice", case.case_id, at)  # 交办〔year〕第n号
        out.append(case)
    return out


def reassign(
    session: Session,
    user: User,
    case_id: int,
    *,
    assignee_id: int | None,
    deadline: datetime | None = None,
    note: str | None = None,
) -> Case:
    """改派: give a dispatched or checking case to another officer (optionally a new deadline).

    Not a status transition (the status stays), but audited like one.
    """
    if user.role not in REASSIGN_ROLES:
        raise PermissionDenied(f"role {user.role!r} may not reassign")
    case = load_case(session, user, case_id, lock=True)
    if case.status not in REASSIGN_STATES:
        raise InvalidTransition(
            f"case {case_id} is {case.status!r}: only dispatched or checking cases are reassigned",
            status=case.status,
            action="reassign",
        )
    assignee = _check_assignee(session, assignee_id, case, user)
    if deadline is not None and to_cst(deadline) <= now_cst():
        raise ValidationError(
            "办理时限须晚于当前时间 (deadline must be in the future)", field="deadline"
        )
    before = snapshot(case)
    case.assignee_id = assignee.user_id
    if deadline is not None:
        case.deadline = to_cst(deadline)
        case.escalation_level = 0
        case.escalated_at = None
    case.updated_at = now_cst()
    session.flush()
    _event(
        session,
        user,
        case,
        "reassign",
        note=note,
        data={"assignee": assignee.username, "deadline": deadline},
    )
    audit(
        session,
        user,
        "reassign",
        "case",
        case.case_id,
        before=before,
        after=snapshot(case),
        note=note,
    )
    return case


# --------------------------------------------------------------------------- checking


def start_check(
    session: Session,
    user: User,
    case_id: int,
    *,
    mode: str,
    onsite_reason: str | None = None,
    note: str | None = None,
) -> Case:
    """开始核查: ``mode`` is ``remote`` or ``onsite``.

    For an enterprise on the positive list an on-site check needs ``onsite_reason``
    (无事不扰: remote first, on-site only when necessary).
    """
    case = load_case(session, user, case_id, lock=True)
    if mode not in CHECK_KINDS:
        raise ValidationError(f"mode must be one of {CHECK_KINDS}", field="mode")
    if mode == "onsite" and _positive_list(session, case) and not (onsite_reason or "").strip():
        raise ValidationError(
            "正面清单企业应优先非现场核查；现场核查须说明理由 (positive list: give onsite_reason)",
            field="onsite_reason",
        )

    def apply() -> None:
        case.check_mode = mode

    _fire(
        session,
        user,
        case,
        "start_check",
        {"mode": mode},
        apply,
        note=note,
        data={"mode": mode, "onsite_reason": onsite_reason},
    )
    return case


def _case_leads(session: Session, case: Case) -> list[Lead]:
    return list(
        session.scalars(
            select(Lead)
            .join(CaseLead, CaseLead.lead_id == Lead.lead_id)
            .where(CaseLead.case_id == case.case_id)
            .order_by(Lead.start)
        )
    )


def judge(
    session: Session,
    user: User,
    case_id: int,
    *,
    confirmed: bool,
    reason: str | None = None,
    finding: str | None = None,
) -> Case:
    """认定: 问题属实 (``confirmed=True``, with ``finding``) or 误报 (with ``reason``).

    Writes ``Lead.outcome`` (and ``outcome_reason``) of every lead of the case, which feeds
    :func:`lantian.workflow.queries.rule_precision`. Needs at least one recorded check.
    """
    case = load_case(session, user, case_id, lock=True)
    if (
        case.status == "checking"
        and session.scalar(
            select(CheckRecord.check_id).where(CheckRecord.case_id == case.case_id).limit(1)
        )
        is None
    ):
        raise ValidationError("请先填写核查记录 (record a check first)", field="check")
    outcome = "confirmed" if confirmed else "false_positive"
    text = finding if confirmed else reason
    action = "judge_confirmed" if confirmed else "judge_false_positive"
    now = now_cst()

    def apply() -> None:
        case.judged_at = now
        if confirmed:
            case.finding = (finding or "").strip()
        else:
            case.false_positive_reason = (reason or "").strip()

    fields = {"finding": finding} if confirmed else {"reason": reason}
    _fire(session, user, case, action, fields, apply, note=text, now=now)
    for lead in _case_leads(session, case):
        before = {"outcome": lead.outcome, "outcome_reason": lead.outcome_reason}
        lead.outcome = outcome
        lead.outcome_reason = (text or "").strip()
        lead.updated_at = now
        audit(
            session,
            user,
            "set_outcome",
            "lead",
            lead.lead_id,
            before=before,
            after={"outcome": lead.outcome, "outcome_reason": lead.outcome_reason},
            at=now,
        )
    if confirmed:  # 正面清单: a confirmed case suspends a listed enterprise (issue #13)
        from lantian.supervision.listing.services import suspend_on_case

        suspend_on_case(session, case.enterprise_id, case.case_id, case.finding or "")
    session.flush()
    return case


# --------------------------------------------------------------------------- fixing


def choose_fix_path(
    session: Session,
    user: User,
    case_id: int,
    path: str,
    *,
    rectify_deadline: datetime | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> Case:
    """立行立改 (``immediate_fix``; deadline ``settings.immediate_fix_working_days`` working
    days, :func:`~lantian.workflow.workdays.add_working_days_cst`) or 督办
    (``supervision_order``, with ``rectify_deadline``)."""
    if path not in FIX_PATHS:
        raise ValidationError(f"path must be one of {FIX_PATHS}", field="path")
    now = now or now_cst()
    case = load_case(session, user, case_id, lock=True)
    if path == "supervision_order":
        if rectify_deadline is None:
            raise ValidationError(
                "rectify_deadline is required (整改时限必填)", field="rectify_deadline"
            )
        rectify_deadline = to_cst(rectify_deadline)
        if rectify_deadline <= now:
            raise ValidationError("整改时限须晚于当前时间", field="rectify_deadline")
    else:
        # 立行立改: a deadline of settings.immediate_fix_working_days working days (CST)
        from lantian.settings import get_settings
        from lantian.workflow.workdays import add_working_days_cst

        rectify_deadline = add_working_days_cst(now, get_settings().immediate_fix_working_days)
    action = "choose_immediate_fix" if path == "immediate_fix" else "issue_supervision_order"

    def apply() -> None:
        case.fix_path = path
        case.escalation_level = 0
        case.escalated_at = None
        case.rectify_deadline = rectify_deadline

    _fire(
        session,
        user,
        case,
        action,
        {"rectify_deadline": rectify_deadline},
        apply,
        note=note,
        data={"rectify_deadline": rectify_deadline} if rectify_deadline else None,
        now=now,
    )
    if path == "supervision_order":
        issue_number(session, "supervision_notice", case.case_id, now)
    issue_number(session, "rectification_notice", case.case_id, now)
    return case


def start_rectification(
    session: Session, user: User, case_id: int, *, note: str | None = None
) -> Case:
    """签收督办并开始整改 (the enterprise, or an officer on its behalf)."""
    case = load_case(session, user, case_id, lock=True)
    _fire(session, user, case, "start_rectification", {}, note=note)
    return case


def submit_rectification(
    session: Session,
    user: User,
    case_id: int,
    *,
    text: str,
    files: Sequence[UploadedFile] = (),
    uploads_dir: Path | None = None,
) -> Case:
    """提交整改材料: text and evidence files; the case goes to review."""
    case = load_case(session, user, case_id, lock=True)
    ev = _fire(session, user, case, "submit_rectification", {"text": text}, note=text)
    atts = _store_files(
        session, user, case, files, "evidence", event_id=ev.event_id, uploads_dir=uploads_dir
    )
    ev.data = {"attachments": [a.attachment_id for a in atts]}
    return case


def review(session: Session, user: User, case_id: int, *, accept: bool, comment: str) -> Case:
    """复核: accept (→ 销号 closed) or reject (→ back to rectification), with a comment."""
    case = load_case(session, user, case_id, lock=True)
    now = now_cst()
    if accept:

        def apply() -> None:
            case.closed_at = now
            case.closed_by = user.user_id

        _fire(
            session, user, case, "review_accept", {"comment": comment}, apply, note=comment, now=now
        )
        _invite_survey(session, user, case)
    else:
        _fire(session, user, case, "review_reject", {"comment": comment}, note=comment, now=now)
        if case.fix_path == "immediate_fix":
            # a rejected 立行立改 is not fixed on the spot: it becomes 督办 with a deadline
            from lantian.workflow.escalation import convert_to_supervision

            convert_to_supervision(
                session,
                user,
                case.case_id,
                reason=f"立行立改复核不通过，转为督办：{comment}",
                now=now,
            )
    return case


def close(
    session: Session,
    user: User,
    case_id: int,
    *,
    comment: str,
    files: Sequence[UploadedFile] = (),
    uploads_dir: Path | None = None,
) -> Case:
    """销号 of an immediate fix whose evidence the officer accepted on the spot."""
    case = load_case(session, user, case_id, lock=True)
    now = now_cst()

    def apply() -> None:
        case.closed_at = now
        case.closed_by = user.user_id

    ev = _fire(
        session,
        user,
        case,
        "close_immediate_fix",
        {"comment": comment},
        apply,
        note=comment,
        now=now,
    )
    atts = _store_files(
        session, user, case, files, "evidence", event_id=ev.event_id, uploads_dir=uploads_dir
    )
    if atts:
        ev.data = {"attachments": [a.attachment_id for a in atts]}
    _invite_survey(session, user, case)
    return case


def _invite_survey(session: Session, user: User, case: Case) -> None:
    """A closed enterprise case invites its enterprise to a satisfaction survey."""
    from lantian.assist.surveys.services import invite_after_case_closed

    invite_after_case_closed(session, case, user)


def reopen(
    session: Session,
    user: User | None,
    case_id: int,
    *,
    reason: str,
    now: datetime | None = None,
    check_days: int = DEFAULT_REOPEN_CHECK_DAYS,
) -> Case:
    """重新打开 a closed case (recurrence, failed spot check): back to 已交办, new deadline."""
    now = now or now_cst()
    case = load_case(session, user, case_id, lock=True)

    def apply() -> None:
        case.closed_at = None
        case.closed_by = None
        case.deadline = now + timedelta(days=check_days)
        case.dispatched_at = now
        case.escalation_level = 0
        case.escalated_at = None
        case.reopen_count += 1

    _fire(session, user, case, "reopen", {"reason": reason}, apply, note=reason, now=now)
    return case


ASSIGNEE_ROLES: tuple[str, ...] = ("district_officer", "city_officer")
"""Roles a case is dispatched to (承办人): district and city officers (a city officer who
dispatches may take a case on). Admin and work-group accounts supervise; they are not
offered as assignees."""

_ROLE_ORDER = {"district_officer": 0, "city_officer": 1}


def covering_officers(
    session: Session, dispatcher: User, kind: str, keys: Sequence[Any]
) -> dict[Any, list[User]]:
    """The accounts a lead or case (``kind`` ``"lead"`` or ``"case"``) can be dispatched to.

    For each key in ``keys``: the active officers of :data:`ASSIGNEE_ROLES` whose scope
    covers the object, i.e. who see it by the one declaration of
    :mod:`lantian.auth.visibility` (the district officers of its district, the city
    officers of its city), district officers first, then by name. The dispatch forms,
    ``GET /api/leads/{id}/assignees`` and the check of :func:`dispatch` /
    :func:`reassign` all use this function. A key the dispatcher does not see maps to an
    empty list, as does one that nobody covers.
    """
    from lantian.auth.visibility import spec_of, visible

    out: dict[Any, list[User]] = {k: [] for k in keys}
    if not out:
        return out
    spec = spec_of(kind)
    mine = sorted(
        session.scalars(
            select(spec.key()).where(spec.key().in_(list(out)), visible(dispatcher, kind))
        ),
        key=str,
    )
    if not mine:
        return out
    # candidates: officers of the objects' cities (a pre-selection only: coverage is
    # decided by the visibility rule of each candidate below)
    candidates = sorted(
        session.scalars(
            select(User).where(
                User.active.is_(True),
                User.role.in_(ASSIGNEE_ROLES),
                User.city.in_(_cities_of(session, kind, mine)),
            )
        ),
        key=lambda u: (_ROLE_ORDER.get(u.role, 9), u.display_name, u.username),
    )
    if not candidates:
        return out
    # one statement: which of the objects each candidate sees (their visibility rules)
    from sqlalchemy import literal, union_all

    per_candidate = [
        select(literal(i).label("cand"), spec.key().label("key")).where(
            spec.key().in_(mine), visible(cand, kind, session=session)
        )
        for i, cand in enumerate(candidates)
    ]
    seen: dict[Any, set[int]] = {}
    for i, key in session.execute(union_all(*per_candidate)):
        seen.setdefault(key, set()).add(int(i))
    for key, who in seen.items():
        out[key] = [c for i, c in enumerate(candidates) if i in who]
    return out


def _cities_of(session: Session, kind: str, keys: Sequence[Any]) -> list[str]:
    """The cities of leads (their enterprise's or station's) or cases ``keys``."""
    if kind == "case":
        rows: Any = session.scalars(select(Case.city).where(Case.case_id.in_(keys)).distinct())
    else:
        rows = (city for city, _district in lead_regions(session, keys).values())
    return sorted({c for c in rows if c})


def lead_regions(session: Session, lead_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
    """(city, district) of each lead: its enterprise's, or its station's or grid cell's
    ("" if unknown).

    Bulk dispatch groups the selected leads by this (one assignee per group)."""
    from sqlalchemy import func

    from lantian.registry.models import Grid

    if not lead_ids:
        return {}
    rows = session.execute(
        select(
            Lead.lead_id,
            func.coalesce(Enterprise.city, Station.city, Grid.city),
            func.coalesce(Enterprise.district, Station.district, Grid.district),
        )
        .select_from(Lead)
        .outerjoin(Enterprise, Enterprise.enterprise_id == Lead.enterprise_id)
        .outerjoin(
            Station,
            (Lead.subject_type == "station") & (Station.station_id == Lead.subject_id),
        )
        .outerjoin(Grid, (Lead.subject_type == "grid") & (Grid.grid_id == Lead.subject_id))
        .where(Lead.lead_id.in_(list(lead_ids)))
    )
    return {str(lid): (city or "", district or "") for lid, city, district in rows}


def lead_assignees(session: Session, user: User, lead_id: str) -> list[User]:
    """Accounts lead ``lead_id`` can be dispatched to (:func:`covering_officers`); that of
    its case once it has one. :class:`~lantian.auth.errors.NotFound` if out of scope."""
    lead = load_lead(session, user, lead_id)
    case = _case_of_lead(session, lead.lead_id)
    if case is not None:
        return covering_officers(session, user, "case", [case.case_id])[case.case_id]
    return covering_officers(session, user, "lead", [lead.lead_id])[lead.lead_id]


def certificate_numbers(session: Session, user_ids: Sequence[int]) -> dict[int, str]:
    """执法证号 of the officers ``user_ids`` that have one (the inspector register)."""
    from lantian.supervision.inspectors.models import InspectorCertificate

    if not user_ids:
        return {}
    rows = session.execute(
        select(InspectorCertificate.user_id, InspectorCertificate.cert_no).where(
            InspectorCertificate.user_id.in_(list(user_ids))
        )
    )
    return {int(uid): str(cert) for uid, cert in rows}


def assignable_officers(session: Session, user: User, case_id: int) -> list[User]:
    """Accounts case ``case_id`` can be dispatched or reassigned to (the choices of the
    case page): :func:`covering_officers`."""
    case = load_case(session, user, case_id)
    return covering_officers(session, user, "case", [case.case_id])[case.case_id]


__all__ = [
    "ASSIGNEE_ROLES",
    "DEFAULT_REOPEN_CHECK_DAYS",
    "RECURRENCE_WINDOW_DAYS",
    "Escalation",
    "JobsReport",
    "acknowledge_notice",
    "add_attachments",
    "allowed_actions",
    "assignable_officers",
    "certificate_numbers",
    "choose_fix_path",
    "close",
    "convert_overdue_immediate_fixes",
    "convert_to_supervision",
    "covering_officers",
    "dispatch",
    "draw_spot_checks",
    "escalate_overdue",
    "escalation_level",
    "get_attachment",
    "issue_notice",
    "judge",
    "lead_assignees",
    "lead_regions",
    "list_checklist_templates",
    "load_case",
    "open_case",
    "reassign",
    "record_check",
    "record_onsite_check",
    "record_remote_check",
    "record_spot_check",
    "reopen",
    "reopen_on_recurrence",
    "review",
    "run_scheduled_jobs",
    "share_case",
    "share_check_record",
    "start_check",
    "start_rectification",
    "submit_rectification",
]
