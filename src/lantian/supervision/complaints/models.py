"""Stored 信访投诉: one row per complaint about an enterprise."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lantian.db.base import Base, TZDateTime
from lantian.vocab.complaints import COMPLAINT_CHANNELS, COMPLAINT_STATUSES


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Complaint(Base):
    """A complaint (信访投诉) about an enterprise, recorded and judged by an officer."""

    __tablename__ = "complaints"
    __table_args__ = (
        CheckConstraint(_in("channel", COMPLAINT_CHANNELS.codes()), name="channel"),
        CheckConstraint(_in("status", COMPLAINT_STATUSES.codes()), name="status"),
    )

    complaint_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    enterprise_id: Mapped[str] = mapped_column(ForeignKey("enterprises.enterprise_id"), index=True)
    received_at: Mapped[datetime] = mapped_column(TZDateTime, index=True)
    channel: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(Text)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.case_id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="received", index=True)
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.user_id"))
    recorded_at: Mapped[datetime] = mapped_column(TZDateTime)
    judged_by: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))
    judged_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    judgement_note: Mapped[str | None] = mapped_column(Text)
