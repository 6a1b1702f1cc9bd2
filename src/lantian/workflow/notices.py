"""Notices to enterprises (环境隐患提示函, 预告知): issuing and acknowledging."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from lantian.auth.audit import audit, snapshot
from lantian.auth.errors import (
    PermissionDenied,
    ValidationError,
)
from lantian.auth.models import OFFICER_ROLES, User
from lantian.auth.visibility import load_visible
from lantian.documents.numbering import issue_number
from lantian.timeutil import now_cst
from lantian.workflow.core import (
    _require_text,
    load_case,
)
from lantian.workflow.models import (
    NOTICE_KINDS,
    ChecklistTemplate,
    Notice,
)


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
    load_visible(session, user, "enterprise", enterprise_id)
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
    # 提示〔year〕第n号 / 预告〔year〕第n号: counters per kind and year
    issue_number(session, kind, notice.notice_id, notice.issued_at)
    audit(session, user, "issue_notice", "notice", notice.notice_id, after=snapshot(notice))
    return notice


def acknowledge_notice(session: Session, user: User, notice_id: int) -> Notice:
    """The enterprise confirms receipt of a notice."""
    notice: Notice = load_visible(session, user, "notice", notice_id)
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
