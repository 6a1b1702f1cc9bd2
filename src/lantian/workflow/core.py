"""Helpers shared by the workflow's write modules: loading a case in scope, firing a
declared transition (status, role, required fields, event, audit), case events and
stored files. Not a public API: use :mod:`lantian.workflow.service` and the resource
modules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.auth.audit import audit, jsonable, snapshot
from lantian.auth.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from lantian.auth.models import User
from lantian.auth.visibility import load_visible
from lantian.registry.models import Enterprise
from lantian.settings import get_settings
from lantian.timeutil import now_cst, to_cst
from lantian.workflow.files import UploadedFile, check_upload, safe_filename, store_bytes
from lantian.workflow.models import (
    Attachment,
    Case,
    CaseEvent,
)
from lantian.workflow.states import (
    SYSTEM_ROLE,
    actions_from,
    may_fire,
    transition_for,
)


def _role(user: User | None) -> str:
    return user.role if user is not None else SYSTEM_ROLE


def _require_text(value: str | None, field: str) -> str:
    if value is None or not str(value).strip():
        raise ValidationError(f"{field} is required (必填)", field=field)
    return str(value).strip()


def _uploads_root(uploads_dir: Path | None) -> Path:
    return uploads_dir if uploads_dir is not None else get_settings().uploads_dir


def load_case(session: Session, user: User | None, case_id: int, *, lock: bool = False) -> Case:
    """The case ``case_id`` if ``user`` sees it (:mod:`lantian.auth.visibility`;
    ``None`` = system, which sees every case)."""
    if user is not None:
        case: Case = load_visible(session, user, "case", case_id, lock=lock)
        return case
    stmt = select(Case).where(Case.case_id == case_id)
    if lock:
        stmt = stmt.with_for_update()
    found = session.scalar(stmt)
    if found is None:
        raise NotFound(f"case {case_id} not found")
    return found


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


def _positive_list(session: Session, case: Case) -> bool:
    if case.enterprise_id is None:
        return False
    ent = session.get(Enterprise, case.enterprise_id)
    return bool(ent is not None and ent.positive_list)


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
