"""约谈 and 通报 recorded on a case: date, place, attendees or recipients, minutes or text,
the decided follow-up, and a numbered PDF (:mod:`lantian.documents.meeting_pdf`).

A 约谈 (interview) is a meeting with the enterprise's responsible person about a problem
not corrected; a 通报 (circular) is a notice of the problem circulated to named units.
Both are recorded by an officer who sees the case, after they took place (a date in the
future is refused), as a case timeline event (``interview`` / ``circular``) and an audit
entry (``meeting.create``); statistics count them (:func:`meeting_counts`).

References
----------
.. [1] 生态环境部约谈办法 (2020 revision; the 2014 暂行办法 before it): 约谈 of the
       responsible persons, minutes (约谈纪要) recording the problems, the rectification
       required and its deadline, and follow-up supervision (unverified summary).
.. [2] GB/T 9704-2012 党政机关公文格式 (document numbers 〔year〕第N号; 主送 recipients of a
       通报).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lantian.auth.audit import audit, snapshot
from lantian.auth.errors import NotFound, PermissionDenied, ValidationError
from lantian.auth.models import OFFICER_ROLES, User
from lantian.auth.visibility import can_see, visible
from lantian.timeutil import now_cst, parse_time_cst, to_cst
from lantian.vocab.dispatching import MEETING_KINDS
from lantian.workflow.core import _event, load_case
from lantian.workflow.dispatch_models import CaseMeeting

PEOPLE_MAX = 30
"""Most attendees (约谈) or recipients (通报) on one record."""
LIMITS: dict[str, int] = {"place": 200, "person": 100, "content": 10000, "follow_up": 4000}
"""Longest text of each field (characters)."""
FUTURE_SLACK = timedelta(minutes=5)
"""A record may be dated up to this far ahead of the server clock (clock skew)."""
DOCUMENT_OF: dict[str, str] = {"interview": "interview_record", "circular": "circular"}
"""Meeting kind → numbered document kind (:data:`lantian.documents.numbering.DOC_KINDS`)."""
_PEOPLE_ZH = {"interview": "参加人员", "circular": "主送单位"}


@dataclass(frozen=True)
class MeetingIn:
    """A validated record as entered."""

    kind: str
    held_at: datetime
    place: str | None
    people: list[str]
    content: str
    follow_up: str | None
    follow_up_due: datetime | None


def _text(value: object, field: str, label: str, *, required: bool) -> str | None:
    text = str(value or "").strip()
    if not text:
        if required:
            raise ValidationError(f"请填写{label}", field=field)
        return None
    if len(text) > LIMITS[field]:
        raise ValidationError(f"{label}不超过 {LIMITS[field]} 字", field=field)
    return text


def _when(value: object, field: str, label: str) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return to_cst(value)
    text = str(value).strip()
    try:
        if len(text) == 10:  # a date: the end of that day (CST)
            return parse_time_cst(text + "T23:59:59")
        return parse_time_cst(text)
    except ValueError:
        raise ValidationError(f"{label}不是有效的日期时间：{value}", field=field) from None


def parse_meeting(
    kind: str,
    *,
    held_at: object,
    place: object = None,
    people: Sequence[object] | str = (),
    content: object = None,
    follow_up: object = None,
    follow_up_due: object = None,
    now: datetime | None = None,
) -> MeetingIn:
    """Validate a 约谈/通报 record; an error names its field.

    ``people`` is a list, or text with one entry per line (or separated by 、，,；;).
    """
    if kind not in MEETING_KINDS.codes():
        raise ValidationError(f"未知的记录类型：{kind}", field="kind")
    now = to_cst(now) if now is not None else now_cst()
    when = _when(held_at, "held_at", "时间")
    if when is None:
        raise ValidationError("请填写时间", field="held_at")
    if when > now + FUTURE_SLACK:
        raise ValidationError("时间不能晚于当前时间（记录已发生的约谈或通报）", field="held_at")
    if isinstance(people, str):
        for sep in "、，,；;":
            people = people.replace(sep, "\n")
        raw = people.splitlines()
    else:
        raw = [str(p) for p in people]
    names = [p.strip() for p in raw if str(p).strip()]
    label = _PEOPLE_ZH[kind]
    if not names:
        raise ValidationError(f"请填写{label}", field="people")
    if len(names) > PEOPLE_MAX:
        raise ValidationError(f"{label}不超过 {PEOPLE_MAX} 个", field="people")
    for n in names:
        if len(n) > LIMITS["person"]:
            raise ValidationError(f"{label}每项不超过 {LIMITS['person']} 字", field="people")
    due = _when(follow_up_due, "follow_up_due", "整改期限")
    if due is not None and due < when:
        raise ValidationError("整改期限不能早于约谈或通报的时间", field="follow_up_due")
    content_label = "约谈内容（纪要）" if kind == "interview" else "通报内容"
    return MeetingIn(
        kind=kind,
        held_at=when,
        place=_text(place, "place", "约谈地点", required=kind == "interview"),
        people=names,
        content=_text(content, "content", content_label, required=True) or "",
        follow_up=_text(follow_up, "follow_up", "整改要求", required=False),
        follow_up_due=due,
    )


def record_meeting(
    session: Session, user: User, case_id: int, data: MeetingIn, *, now: datetime | None = None
) -> CaseMeeting:
    """Store a 约谈 or 通报 on case ``case_id`` (an officer who sees the case; audited, on
    the timeline, numbered)."""
    if user.role not in OFFICER_ROLES:
        raise PermissionDenied("只有执法人员可以记录约谈或通报 (officers only)")
    case = load_case(session, user, case_id)
    at = to_cst(now) if now is not None else now_cst()
    row = CaseMeeting(
        case_id=case.case_id,
        kind=data.kind,
        held_at=data.held_at,
        place=data.place,
        people=list(data.people),
        content=data.content,
        follow_up=data.follow_up,
        follow_up_due=data.follow_up_due,
        recorded_by=user.user_id,
        recorded_at=at,
    )
    session.add(row)
    session.flush()
    from lantian.documents.numbering import issue_number, number_text

    number = number_text(issue_number(session, DOCUMENT_OF[data.kind], row.meeting_id, at))
    label = MEETING_KINDS.name(data.kind)
    _event(
        session,
        user,
        case,
        data.kind,
        note=f"{label} {number}：{'、'.join(data.people)}",
        data={"meeting_id": row.meeting_id, "number": number},
        at=at,
    )
    audit(
        session,
        user,
        "meeting.create",
        "meeting",
        row.meeting_id,
        after=snapshot(row),
        note=f"{label} {number}",
        at=at,
    )
    return row


def load_meeting(session: Session, user: User, meeting_id: int) -> CaseMeeting:
    """Meeting ``meeting_id`` if ``user`` sees it (:mod:`lantian.auth.visibility`)."""
    row = session.get(CaseMeeting, meeting_id)
    if row is None or not can_see(session, user, "case_meeting", meeting_id):
        raise NotFound(f"meeting {meeting_id} not found")
    return row


def list_meetings(session: Session, user: User, case_id: int) -> list[CaseMeeting]:
    """The 约谈 and 通报 of a case that ``user`` sees, oldest first."""
    load_case(session, user, case_id)
    return list(
        session.scalars(
            select(CaseMeeting)
            .where(CaseMeeting.case_id == case_id, visible(user, "case_meeting"))
            .order_by(CaseMeeting.held_at, CaseMeeting.meeting_id)
        )
    )


def meeting_counts(session: Session, user: User) -> dict[str, int]:
    """约谈 and 通报 recorded on the cases ``user`` sees, by kind (every kind present)."""
    counts = dict.fromkeys(MEETING_KINDS.codes(), 0)
    for kind, n in session.execute(
        select(CaseMeeting.kind, func.count())
        .where(visible(user, "case_meeting"))
        .group_by(CaseMeeting.kind)
    ):
        counts[str(kind)] = int(n)
    return counts


__all__ = [
    "DOCUMENT_OF",
    "MeetingIn",
    "list_meetings",
    "load_meeting",
    "meeting_counts",
    "parse_meeting",
    "record_meeting",
]
