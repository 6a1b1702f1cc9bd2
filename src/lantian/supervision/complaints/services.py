"""Recording and judging 信访投诉 (officers only; every write audited).

A complaint is recorded by an officer who sees the enterprise, with the time it was
received (CST), its channel (:data:`lantian.vocab.complaints.COMPLAINT_CHANNELS`), a
summary and optionally the case it led to. It starts ``received`` and is judged once,
``verified`` (属实) or ``unfounded`` (不属实), with a note. Enterprises never see
complaints: the complainant is protected.

References
----------
.. [1] 信访工作条例 (2022) 第十七条, 第三十一条 (受理 and 办理 of 信访事项; unverified summary).
.. [2] 中华人民共和国大气污染防治法 (2018) 第三十一条 (举报 of air pollution to the
       environmental authority, the complainant's information kept confidential).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.auth.audit import audit, snapshot
from lantian.auth.errors import InvalidTransition, PermissionDenied, ValidationError
from lantian.auth.models import OFFICER_ROLES, User
from lantian.auth.visibility import load_visible, visible
from lantian.supervision.complaints.models import Complaint
from lantian.timeutil import CST, now_cst, parse_time_cst
from lantian.vocab.complaints import COMPLAINT_CHANNELS

SUMMARY_MAX_CHARS = 5000
"""Longest complaint summary or judgement note (characters)."""
JUDGEMENTS: tuple[str, ...] = ("verified", "unfounded")
"""Outcomes an officer may record for a ``received`` complaint."""


def _officer(user: User) -> None:
    if user.role not in OFFICER_ROLES:
        raise PermissionDenied("只有执法人员可以处理信访投诉 (officers only)")


@dataclass(frozen=True)
class ComplaintIn:
    """A complaint as entered (strings from a form or a JSON body)."""

    enterprise_id: str
    received_at: str
    channel: str
    summary: str
    case_id: int | None = None


def parse_received_at(text: str, *, now: dt.datetime | None = None) -> dt.datetime:
    """The reception time (CST when no offset is given); not in the future.

    Raises
    ------
    ValidationError
        Not an ISO date or date-time, or later than now (field ``received_at``).
    """
    raw = text.strip()
    try:
        value = (
            dt.datetime.combine(dt.date.fromisoformat(raw), dt.time(), tzinfo=CST)
            if len(raw) == 10
            else parse_time_cst(raw)
        )
    except ValueError:
        raise ValidationError(
            f"受理时间格式不正确：{raw!r}（例如 2026-11-20 或 2026-11-20T09:30）",
            field="received_at",
        ) from None
    if value > (now or now_cst()):
        raise ValidationError("受理时间不能晚于当前时间", field="received_at")
    return value


def record_complaint(session: Session, user: User, data: ComplaintIn) -> Complaint:
    """Record a complaint (officer who sees the enterprise; audited).

    Raises
    ------
    PermissionDenied, NotFound
        Not an officer; the enterprise or case is out of scope.
    ValidationError
        Unknown channel, empty or too long summary, bad or future time, a case of another
        enterprise (the field is named); nothing is stored.
    """
    _officer(user)
    load_visible(session, user, "enterprise", data.enterprise_id)
    received = parse_received_at(data.received_at)
    if data.channel not in COMPLAINT_CHANNELS.codes():
        raise ValidationError(f"未知的投诉渠道：{data.channel!r}", field="channel")
    summary = data.summary.strip()
    if not summary:
        raise ValidationError("请填写投诉内容摘要", field="summary")
    if len(summary) > SUMMARY_MAX_CHARS:
        raise ValidationError(f"摘要不超过 {SUMMARY_MAX_CHARS} 字", field="summary")
    if data.case_id is not None:
        case = load_visible(session, user, "case", data.case_id)
        if case.enterprise_id != data.enterprise_id:
            raise ValidationError(
                "该案件属于其他企业 (case of another enterprise)", field="case_id"
            )
    row = Complaint(
        enterprise_id=data.enterprise_id,
        received_at=received,
        channel=data.channel,
        summary=summary,
        case_id=data.case_id,
        status="received",
        recorded_by=user.user_id,
        recorded_at=now_cst(),
    )
    session.add(row)
    session.flush()
    audit(session, user, "record_complaint", "complaint", row.complaint_id, after=snapshot(row))
    return row


def judge_complaint(
    session: Session, user: User, complaint_id: int, outcome: str, note: str
) -> Complaint:
    """Judge a ``received`` complaint ``verified`` or ``unfounded`` with a note (audited).

    Raises
    ------
    PermissionDenied, NotFound
        Not an officer; the complaint is out of scope.
    ValidationError
        Unknown outcome or empty note.
    InvalidTransition
        The complaint was already judged.
    """
    _officer(user)
    if outcome not in JUDGEMENTS:
        raise ValidationError(f"核实结果只能是 属实 或 不属实：{outcome!r}", field="outcome")
    text = note.strip()
    if not text:
        raise ValidationError("请填写核实情况", field="note")
    if len(text) > SUMMARY_MAX_CHARS:
        raise ValidationError(f"核实情况不超过 {SUMMARY_MAX_CHARS} 字", field="note")
    row: Complaint = load_visible(
        session, user, "complaint", complaint_id, lock=True, what="信访投诉"
    )
    if row.status != "received":
        raise InvalidTransition("该投诉已核实，不能再次核实 (already judged)")
    before = snapshot(row)
    row.status = outcome
    row.judged_by = user.user_id
    row.judged_at = now_cst()
    row.judgement_note = text
    session.flush()
    audit(
        session,
        user,
        "judge_complaint",
        "complaint",
        row.complaint_id,
        before=before,
        after=snapshot(row),
        from_status="received",
        to_status=outcome,
    )
    return row


def list_complaints(
    session: Session, user: User, *, enterprise_id: str | None = None, status: str | None = None
) -> list[Complaint]:
    """Complaints the officer sees, newest first (enterprises: :class:`PermissionDenied`)."""
    _officer(user)
    q = select(Complaint).where(visible(user, "complaint", session=session))
    if enterprise_id:
        q = q.where(Complaint.enterprise_id == enterprise_id)
    if status:
        q = q.where(Complaint.status == status)
    return list(
        session.scalars(q.order_by(Complaint.received_at.desc(), Complaint.complaint_id.desc()))
    )
