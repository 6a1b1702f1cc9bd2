"""Stored 调度督办 that reaches people: escalation tasks for the next level's officer, and
the 约谈 / 通报 recorded on a case (docs/API.md, ``workflow.tasks``, ``workflow.meetings``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lantian.db.base import Base, JSONType, TZDateTime
from lantian.vocab.dispatching import MEETING_KINDS, TASK_STATES

TASK_STATE_CODES: tuple[str, ...] = TASK_STATES.codes()
MEETING_KIND_CODES: tuple[str, ...] = MEETING_KINDS.codes()


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class SupervisionTask(Base):
    """督办任务: an escalation of a case handed to the next level's officer.

    One task per case and escalation level (a level is reached once). ``assignee_id`` is
    null when no officer of a higher level sees the case (admins see such tasks).
    """

    __tablename__ = "supervision_tasks"
    __table_args__ = (
        CheckConstraint(_in("status", TASK_STATE_CODES), name="status"),
        CheckConstraint("level BETWEEN 1 AND 3", name="level"),
        Index("ux_supervision_tasks_case_level", "case_id", "level", unique=True),
    )

    task_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.case_id", ondelete="CASCADE"), index=True
    )
    level: Mapped[int] = mapped_column(Integer)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"), index=True)
    status: Mapped[str] = mapped_column(String(8), default="open", index=True)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(TZDateTime)
    due_at: Mapped[datetime] = mapped_column(TZDateTime, index=True)
    done_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    done_by: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))
    result: Mapped[str | None] = mapped_column(Text)


class CaseMeeting(Base):
    """约谈 (a meeting with the enterprise's responsible person) or 通报 (a circulated
    notice) recorded on a case, with its numbered PDF."""

    __tablename__ = "case_meetings"
    __table_args__ = (CheckConstraint(_in("kind", MEETING_KIND_CODES), name="kind"),)

    meeting_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.case_id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(12), index=True)
    held_at: Mapped[datetime] = mapped_column(TZDateTime, index=True)
    place: Mapped[str | None] = mapped_column(String(200))
    people: Mapped[list[str]] = mapped_column(JSONType)
    """约谈: attendees (name and post); 通报: recipients (units)."""
    content: Mapped[str] = mapped_column(Text)
    """约谈: the minutes; 通报: the text circulated."""
    follow_up: Mapped[str | None] = mapped_column(Text)
    follow_up_due: Mapped[datetime | None] = mapped_column(TZDateTime)
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.user_id"))
    recorded_at: Mapped[datetime] = mapped_column(TZDateTime)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
