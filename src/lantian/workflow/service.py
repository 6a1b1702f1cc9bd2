"""Case workflow service: every write of the closed loop, checked against the declared
state machine (:mod:`lantian.workflow.states`), the user's role and scope, and audited.

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

import math
import random
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from lantian.auth.audit import audit, jsonable, snapshot
from lantian.auth.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from lantian.auth.models import OFFICER_ROLES, User
from lantian.auth.scope import (
    can_access_enterprise,
    enterprise_scope_clause,
    province_of_credit_code,
    require_access,
)
from lantian.leads.models import Lead
from lantian.registry.models import Enterprise, Station
from lantian.settings import get_settings
from lantian.timeutil import now_cst, to_cst
from lantian.workflow.files import UploadedFile, check_upload, store_bytes
from lantian.workflow.models import (
    CHECK_KINDS,
    FIX_PATHS,
    NOTICE_KINDS,
    Attachment,
    Case,
    CaseEvent,
    CaseLead,
    ChecklistTemplate,
    CheckRecord,
    Notice,
    SpotCheck,
    SpotCheckDraw,
)
from lantian.workflow.states import (
    DEADLINE_STATES,
    ESCALATE_ACTION,
    ESCALATION_LEVELS,
    REASSIGN_ROLES,
    REASSIGN_STATES,
    SYSTEM_ROLE,
    Transition,
    actions_from,
    may_fire,
    transition_for,
)

DEFAULT_REOPEN_CHECK_DAYS = 7
"""Check deadline of a reopened case [days from reopening]."""
RECURRENCE_WINDOW_DAYS = 90
"""A lead of the same rule and subject within this many days after close-out reopens it."""

# --------------------------------------------------------------------------- helpers


def _role(user: User | None) -> str:
    return user.role if user is not None else SYSTEM_ROLE


def _require_text(value: str | None, field: str) -> str:
    if value is None or not str(value).strip():
        raise ValidationError(f"{field} is required (必填)", field=field)
    return str(value).strip()


def _uploads_root(uploads_dir: Path | None) -> Path:
    return uploads_dir if uploads_dir is not None else get_settings().uploads_dir


def load_case(session: Session, user: User | None, case_id: int, *, lock: bool = False) -> Case:
    """The case ``case_id`` if it is within ``user``'s scope (``None`` = system)."""
    stmt = select(Case).where(Case.case_id == case_id)
    if lock:
        stmt = stmt.with_for_update()
    case = session.scalar(stmt)
    if case is None or (user is not None and not can_access_enterprise(user, case)):
        raise NotFound(f"case {case_id} not found")
    return case


def _event(
    session: Session,
    user: User | None,
    case: Case,
    action: str,
    *,
    from_status: str | None = None,
    to_status: str | None = None,
    note: str | None = None,
    data: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> CaseEvent:
    ev = CaseEvent(
        case_id=case.case_id,
        at=at or now_cst(),
        actor_id=user.user_id if user is not None else None,
        action=action,
        from_status=from_status,
        to_status=to_status,
        note=note,
        data=jsonable(dict(data)) if data is not None else None,
    )
    session.add(ev)
    session.flush()
    return ev


def _not_before_last_change(case: Case, when: datetime) -> datetime:
    """``when``, moved up to the case's last change if that is later.

    A transition's event must never sort before the events already written for the case
    (e.g. its ``open_case`` event when the caller took its timestamp before the case was
    created, or another process changed the case meanwhile).
    """
    when = to_cst(when)
    last = case.updated_at
    if last is not None and to_cst(last) > when:
        return to_cst(last)
    return when


def _fire(
    session: Session,
    user: User | None,
    case: Case,
    action: str,
    fields: Mapping[str, Any],
    apply: Callable[[], None] | None = None,
    *,
    note: str | None = None,
    data: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> CaseEvent:
    """Fire a declared transition: check status, role, required fields; apply; audit."""
    t = transition_for(case.status, action)
    if t is None:
        allowed = ", ".join(x.action for x in actions_from(case.status)) or "none"
        raise InvalidTransition(
            f"case {case.case_id} is {case.status!r}: cannot {action} (allowed: {allowed})",
            status=case.status,
            action=action,
        )
    if not may_fire(t, _role(user), user.user_id if user else None, case.assignee_id):
        who = "the assignee or a supervisor" if _role(user) in t.roles else f"not {_role(user)!r}"
        raise PermissionDenied(f"{action}: 仅承办人或上级可操作 (only {who} may do this)")
    for name in t.required:
        value = fields.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise ValidationError(f"{name} is required to {action} (必填)", field=name)
    when = _not_before_last_change(case, now or now_cst())
    before = snapshot(case)
    if apply is not None:
        apply()
    source = case.status
    case.status = t.target
    case.updated_at = when
    session.flush()
    ev = _event(
        session,
        user,
        case,
        action,
        from_status=source,
        to_status=t.target,
        note=note,
        data=data,
        at=when,
    )
    audit(
        session,
        user,
        action,
        "case",
        case.case_id,
        before=before,
        after=snapshot(case),
        from_status=source,
        to_status=t.target,
        note=note,
        at=when,
    )
    return ev


def allowed_actions(user: User, case: Case) -> list[Transition]:
    """Transitions ``user`` may fire on ``case`` now (for buttons on the case page)."""
    if not can_access_enterprise(user, case):
        return []
    return [
        t
        for t in actions_from(case.status, user.role)
        if may_fire(t, user.role, user.user_id, case.assignee_id)
    ]


def _lead_region(session: Session, lead: Lead) -> tuple[Enterprise | None, Station | None]:
    ent = session.get(Enterprise, lead.enterprise_id) if lead.enterprise_id else None
    station = None
    if ent is None and lead.subject_type == "station":
        station = session.get(Station, lead.subject_id)
    return ent, station


def can_access_lead(session: Session, user: User, lead: Lead) -> bool:
    """True if ``lead`` is within ``user``'s scope (via its enterprise, or its station)."""
    ent, station = _lead_region(session, lead)
    if ent is not None:
        return can_access_enterprise(user, ent)
    if station is not None and user.role != "enterprise":
        return can_access_enterprise(user, station)
    return user.role == "admin"


def load_lead(session: Session, user: User, lead_id: str) -> Lead:
    """The lead ``lead_id`` if within ``user``'s scope; :class:`NotFound` otherwise."""
    lead = session.get(Lead, lead_id)
    if lead is None or not can_access_lead(session, user, lead):
        raise NotFound(f"lead {lead_id} not found")
    return lead


# --------------------------------------------------------------------------- opening cases


def _new_case(
    session: Session,
    user: User | None,
    leads: Sequence[Lead],
    title: str | None,
    now: datetime | None = None,
) -> Case:
    main = max(leads, key=lambda x: (x.severity, x.score))
    ent, station = _lead_region(session, main)
    region: Any = ent if ent is not None else station
    now = now or now_cst()
    case = Case(
        status="new",
        title=title or main.summary,
        enterprise_id=ent.enterprise_id if ent is not None else None,
        province=province_of_credit_code(ent.credit_code) if ent is not None else None,
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
    _event(session, user, case, "open_case", to_status="new", data={"lead_ids": ids}, at=now)
    audit(
        session,
        user,
        "open_case",
        "case",
        case.case_id,
        after={**snapshot(case), "lead_ids": ids},
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


def _check_assignee(session: Session, assignee_id: int | None, case: Case) -> User:
    if assignee_id is None:
        raise ValidationError("assignee_id is required to dispatch (必填)", field="assignee_id")
    assignee = session.get(User, assignee_id)
    if assignee is None or not assignee.active or assignee.role not in OFFICER_ROLES:
        raise ValidationError(
            "承办人须为有效的执法人员账号 (assignee must be an active officer)", field="assignee_id"
        )
    if not can_access_enterprise(assignee, case):
        raise ValidationError(
            f"承办人 {assignee.username} 无权管辖该企业 (assignee's scope does not cover the case)",
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
        assignee = _check_assignee(session, assignee_id, case)
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
    assignee = _check_assignee(session, assignee_id, case)
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


def _has_remote_check(session: Session, case: Case) -> bool:
    return (
        session.scalar(
            select(CheckRecord.check_id)
            .where(CheckRecord.case_id == case.case_id, CheckRecord.kind == "remote")
            .limit(1)
        )
        is not None
    )


def _positive_list(session: Session, case: Case) -> bool:
    if case.enterprise_id is None:
        return False
    ent = session.get(Enterprise, case.enterprise_id)
    return bool(ent is not None and ent.positive_list)


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


def _validate_answers(
    session: Session, template_id: str | None, answers: Mapping[str, Any] | None
) -> None:
    if template_id is None:
        return
    tpl = session.get(ChecklistTemplate, template_id)
    if tpl is None:
        raise ValidationError(f"no checklist template {template_id!r}", field="template_id")
    codes = {str(item["code"]) for item in tpl.items}
    unknown = set(answers or {}) - codes
    if unknown:
        raise ValidationError(
            f"unknown checklist items: {', '.join(sorted(unknown))}", field="answers"
        )
    for code, ans in (answers or {}).items():
        result = ans.get("result") if isinstance(ans, Mapping) else ans
        if result not in ("ok", "problem", "na"):
            raise ValidationError(f"item {code}: result must be ok, problem or na", field="answers")


def _store_files(
    session: Session,
    user: User,
    case: Case,
    files: Sequence[UploadedFile],
    kind: str,
    *,
    check_id: int | None = None,
    event_id: int | None = None,
    uploads_dir: Path | None = None,
) -> list[Attachment]:
    checked = [(f, *check_upload(f)) for f in files]  # validate all before writing any
    root = _uploads_root(uploads_dir)
    out: list[Attachment] = []
    from lantian.workflow.files import safe_filename

    for upload, ext, ctype in checked:
        rel, digest = store_bytes(session, root, case.case_id, ext, upload.data)
        att = Attachment(
            case_id=case.case_id,
            check_id=check_id,
            event_id=event_id,
            kind=kind,
            filename=safe_filename(upload.filename),
            stored_path=rel,
            content_type=ctype,
            size_bytes=len(upload.data),
            sha256=digest,
            uploaded_by=user.user_id,
            uploaded_at=now_cst(),
        )
        session.add(att)
        session.flush()
        audit(session, user, "upload", "attachment", att.attachment_id, after=snapshot(att))
        out.append(att)
    return out


def record_check(
    session: Session,
    user: User,
    case_id: int,
    *,
    kind: str,
    checked_at: datetime | None = None,
    template_id: str | None = None,
    answers: Mapping[str, Any] | None = None,
    notes: str | None = None,
    lon: float | None = None,
    lat: float | None = None,
    gps_accuracy_m: float | None = None,
    onsite_reason: str | None = None,
    photos: Sequence[UploadedFile] = (),
    uploads_dir: Path | None = None,
) -> CheckRecord:
    """Record a remote or on-site check of a case in status ``checking``.

    ``answers`` maps checklist item codes to ``{"result": "ok"|"problem"|"na", "note": …}``.
    GPS is WGS-84 degrees; both or neither of ``lon``/``lat``. An on-site check of a
    positive-list enterprise needs an earlier remote check or an ``onsite_reason``.
    """
    if user.role not in OFFICER_ROLES:
        raise PermissionDenied("only officers record checks")
    case = load_case(session, user, case_id, lock=True)
    if case.status != "checking":
        raise InvalidTransition(
            f"case {case_id} is {case.status!r}: start the check first",
            status=case.status,
            action="record_check",
        )
    if kind not in CHECK_KINDS:
        raise ValidationError(f"kind must be one of {CHECK_KINDS}", field="kind")
    if (lon is None) != (lat is None):
        raise ValidationError("give both lon and lat, or neither", field="lon")
    if lon is not None and lat is not None and not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValidationError("lon/lat out of range (WGS-84 degrees)", field="lon")
    if kind == "onsite" and not photos and not (notes or "").strip() and not answers:
        raise ValidationError(
            "现场核查须填写记录、检查表或上传照片 (record something)", field="notes"
        )
    if (
        kind == "onsite"
        and _positive_list(session, case)
        and not _has_remote_check(session, case)
        and not (onsite_reason or "").strip()
    ):
        raise ValidationError(
            "正面清单企业须先非现场核查，或说明现场核查理由 (positive list: remote check first)",
            field="onsite_reason",
        )
    _validate_answers(session, template_id, answers)
    now = now_cst()
    rec = CheckRecord(
        case_id=case.case_id,
        kind=kind,
        checked_by=user.user_id,
        checked_at=to_cst(checked_at) if checked_at else now,
        recorded_at=now,
        template_id=template_id,
        answers=jsonable(dict(answers)) if answers is not None else None,
        notes=notes,
        lon=lon,
        lat=lat,
        gps_accuracy_m=gps_accuracy_m,
        onsite_reason=onsite_reason,
    )
    session.add(rec)
    session.flush()
    atts = _store_files(
        session, user, case, photos, "photo", check_id=rec.check_id, uploads_dir=uploads_dir
    )
    _event(
        session,
        user,
        case,
        "record_check",
        note=notes,
        data={"check_id": rec.check_id, "kind": kind, "photos": [a.attachment_id for a in atts]},
    )
    audit(session, user, "record_check", "check_record", rec.check_id, after=snapshot(rec))
    case.updated_at = now
    return rec


def record_onsite_check(session: Session, user: User, case_id: int, **kw: Any) -> CheckRecord:
    """:func:`record_check` with ``kind="onsite"`` (checklist answers, notes, photos, GPS)."""
    return record_check(session, user, case_id, kind="onsite", **kw)


def record_remote_check(session: Session, user: User, case_id: int, **kw: Any) -> CheckRecord:
    """:func:`record_check` with ``kind="remote"`` (data, video, documents reviewed)."""
    return record_check(session, user, case_id, kind="remote", **kw)


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
    """立行立改 (``immediate_fix``) or 督办 (``supervision_order``, with ``rectify_deadline``)."""
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
    action = "choose_immediate_fix" if path == "immediate_fix" else "issue_supervision_order"

    def apply() -> None:
        case.fix_path = path
        case.escalation_level = 0
        case.escalated_at = None
        if path == "supervision_order":
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
    else:
        _fire(session, user, case, "review_reject", {"comment": comment}, note=comment, now=now)
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
    return case


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


# --------------------------------------------------------------------------- scheduled jobs


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
    session.flush()
    return out


def draw_spot_checks(
    session: Session,
    user: User,
    share: float | None = None,
    *,
    seed: int | None = None,
    closed_from: datetime | None = None,
    closed_to: datetime | None = None,
) -> SpotCheckDraw:
    """抽查复核: draw ``ceil(share × n)`` of the n closed cases in scope (closed in the window).

    ``share`` defaults to ``settings.spot_check_share`` (``LANTIAN_SPOT_CHECK_SHARE``).

    The draw is ``random.Random(seed).sample`` over case ids in ascending order, so the
    same population and seed give the same cases; the seed (random when not given) and
    the drawn ids are recorded. Cases with a pending spot check are not drawn again.
    """
    if user.role not in ("admin", "work_group", "city_officer"):
        raise PermissionDenied("only an admin, a work group or a city officer draws spot checks")
    if share is None:
        share = get_settings().spot_check_share
    if not 0 < share <= 1:
        raise ValidationError("share must be in (0, 1]", field="share")
    stmt = select(Case.case_id).where(Case.status == "closed")
    stmt = stmt.where(enterprise_scope_clause(user, Case))
    if closed_from is not None:
        stmt = stmt.where(Case.closed_at >= to_cst(closed_from))
    if closed_to is not None:
        stmt = stmt.where(Case.closed_at < to_cst(closed_to))
    pending = select(SpotCheck.case_id).where(SpotCheck.result == "pending")
    stmt = stmt.where(Case.case_id.not_in(pending))
    population = sorted(session.scalars(stmt))
    seed = seed if seed is not None else secrets.randbits(62)
    k = math.ceil(share * len(population)) if population else 0
    chosen = sorted(random.Random(seed).sample(population, k))
    draw = SpotCheckDraw(
        drawn_at=now_cst(),
        drawn_by=user.user_id,
        seed=seed,
        share=share,
        population=len(population),
        closed_from=closed_from,
        closed_to=closed_to,
        case_ids=chosen,
    )
    session.add(draw)
    session.flush()
    for cid in chosen:
        session.add(SpotCheck(draw_id=draw.draw_id, case_id=cid, result="pending"))
    session.flush()
    audit(session, user, "draw_spot_checks", "spot_check_draw", draw.draw_id, after=snapshot(draw))
    return draw


def record_spot_check(
    session: Session, user: User, spot_check_id: int, *, passed: bool, note: str
) -> SpotCheck:
    """Result of one spot check; a failed one reopens the case."""
    if user.role not in OFFICER_ROLES:
        raise PermissionDenied("only officers record spot checks")
    sc = session.get(SpotCheck, spot_check_id)
    if sc is None:
        raise NotFound(f"spot check {spot_check_id} not found")
    case = load_case(session, user, sc.case_id)
    if sc.result != "pending":
        raise InvalidTransition(f"spot check {spot_check_id} already {sc.result}")
    _require_text(note, "note")
    before = snapshot(sc)
    sc.result = "passed" if passed else "failed"
    sc.checked_by = user.user_id
    sc.checked_at = now_cst()
    sc.note = note
    session.flush()
    audit(
        session,
        user,
        "record_spot_check",
        "spot_check",
        sc.spot_check_id,
        before=before,
        after=snapshot(sc),
    )
    _event(session, user, case, "spot_check", note=note, data={"passed": passed})
    if not passed and case.status == "closed":
        reopen(session, user, case.case_id, reason=f"抽查复核不通过: {note}")
    return sc


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


# --------------------------------------------------------------------------- notices, files


def issue_notice(
    session: Session,
    user: User,
    kind: str,
    enterprise_id: str,
    *,
    title: str,
    body: str,
    case_id: int | None = None,
    template_id: str | None = None,
    inspection_at: datetime | None = None,
) -> Notice:
    """环境隐患提示函 (``hazard``) or 预告知 (``pre_notification``, with ``inspection_at``)."""
    if user.role not in OFFICER_ROLES:
        raise PermissionDenied("only officers issue notices")
    if kind not in NOTICE_KINDS:
        raise ValidationError(f"kind must be one of {NOTICE_KINDS}", field="kind")
    ent = session.get(Enterprise, enterprise_id)
    require_access(user, ent, "enterprise")
    if case_id is not None:
        case = load_case(session, user, case_id)
        if case.enterprise_id != enterprise_id:
            raise ValidationError("the case belongs to another enterprise", field="case_id")
    if kind == "pre_notification" and inspection_at is None:
        raise ValidationError("预告知须填写检查时间 (inspection_at)", field="inspection_at")
    if template_id is not None and session.get(ChecklistTemplate, template_id) is None:
        raise ValidationError(f"no checklist template {template_id!r}", field="template_id")
    notice = Notice(
        kind=kind,
        enterprise_id=enterprise_id,
        case_id=case_id,
        title=_require_text(title, "title"),
        body=_require_text(body, "body"),
        template_id=template_id,
        inspection_at=inspection_at,
        issued_by=user.user_id,
        issued_at=now_cst(),
    )
    session.add(notice)
    session.flush()
    audit(session, user, "issue_notice", "notice", notice.notice_id, after=snapshot(notice))
    return notice


def acknowledge_notice(session: Session, user: User, notice_id: int) -> Notice:
    """The enterprise confirms receipt of a notice."""
    notice = session.get(Notice, notice_id)
    ent = session.get(Enterprise, notice.enterprise_id) if notice is not None else None
    require_access(user, ent, "notice")
    assert notice is not None
    if user.role != "enterprise":
        raise PermissionDenied("only the enterprise acknowledges its notices")
    if notice.acknowledged_at is None:
        before = snapshot(notice)
        notice.acknowledged_at = now_cst()
        session.flush()
        audit(
            session,
            user,
            "acknowledge_notice",
            "notice",
            notice_id,
            before=before,
            after=snapshot(notice),
        )
    return notice


def add_attachments(
    session: Session,
    user: User,
    case_id: int,
    files: Sequence[UploadedFile],
    *,
    kind: str = "other",
    uploads_dir: Path | None = None,
) -> list[Attachment]:
    """Attach files to a case outside a transition (officers, or the case's enterprise)."""
    case = load_case(session, user, case_id)
    if case.status in ("closed", "false_positive") and user.role == "enterprise":
        raise InvalidTransition("the case is closed")
    if not files:
        raise ValidationError("no files", field="files")
    atts = _store_files(session, user, case, files, kind, uploads_dir=uploads_dir)
    _event(session, user, case, "upload", data={"attachments": [a.attachment_id for a in atts]})
    return atts


def get_attachment(
    session: Session, user: User, attachment_id: int, *, uploads_dir: Path | None = None
) -> tuple[Attachment, Path]:
    """An attachment in ``user``'s scope and the path of its stored file."""
    att = session.get(Attachment, attachment_id)
    if att is None:
        raise NotFound(f"attachment {attachment_id} not found")
    load_case(session, user, att.case_id)
    path = _uploads_root(uploads_dir) / att.stored_path
    if not path.is_file():
        raise NotFound(f"attachment {attachment_id}: file missing")
    return att, path


def list_checklist_templates(
    session: Session, *, industry: str | None = None, kind: str | None = None
) -> list[ChecklistTemplate]:
    """Active checklist templates, optionally of one industry and kind."""
    stmt = select(ChecklistTemplate).where(ChecklistTemplate.active.is_(True))
    if industry:
        stmt = stmt.where(ChecklistTemplate.industry == industry)
    if kind:
        stmt = stmt.where(ChecklistTemplate.kind == kind)
    return list(session.scalars(stmt.order_by(ChecklistTemplate.template_id)))


def assignable_officers(session: Session, user: User, case_id: int) -> list[User]:
    """Active officers whose scope covers the case (choices for the dispatch form)."""
    case = load_case(session, user, case_id)
    officers = session.scalars(
        select(User)
        .where(User.active.is_(True), User.role.in_(OFFICER_ROLES))
        .order_by(User.username)
    ).all()
    return [u for u in officers if can_access_enterprise(u, case)]


@dataclass(frozen=True)
class JobsReport:
    """What :func:`run_scheduled_jobs` did."""

    escalated: list[Escalation]
    reopened: list[int]
    login_attempts_pruned: int = 0


def run_scheduled_jobs(
    session: Session, now: datetime | None = None, *, recurrence_window_days: int = 90
) -> JobsReport:
    """The periodic work of the closed loop (run e.g. hourly, then commit): escalate overdue
    cases (:func:`escalate_overdue`) and reopen closed cases whose problem recurred
    (:func:`reopen_on_recurrence`), and drop old login attempts. Idempotent for the same
    data and ``now``."""
    from lantian.auth.service import prune_login_attempts

    now = to_cst(now) if now is not None else now_cst()
    reopened = reopen_on_recurrence(session, window_days=recurrence_window_days, now=now)
    escalated = escalate_overdue(session, now)
    return JobsReport(escalated, reopened, prune_login_attempts(session, now))
