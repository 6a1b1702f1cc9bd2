"""Stored 隐患提示函: the structured part of a ``notices`` row of kind ``hazard``.

A hazard notice IS a notice (``notices``: enterprise, optional case, issuer, number of kind
``hazard``); :class:`HazardNotice` adds the optional lead, the reply deadline, the
follow-up state, the enterprise's reply and the officer's follow-up; its items and the
reply's files are rows of their own.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lantian.db.base import Base, TZDateTime
from lantian.vocab.hazards import HAZARD_STATES

HAZARD_STATE_CODES: tuple[str, ...] = HAZARD_STATES.codes()


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class HazardNotice(Base):
    """One 隐患提示函 (1:1 with its ``notices`` row)."""

    __tablename__ = "hazard_notices"
    __table_args__ = (CheckConstraint(_in("status", HAZARD_STATE_CODES), name="status"),)

    notice_id: Mapped[int] = mapped_column(
        ForeignKey("notices.notice_id", ondelete="CASCADE"), primary_key=True
    )
    enterprise_id: Mapped[str] = mapped_column(ForeignKey("enterprises.enterprise_id"), index=True)
    lead_id: Mapped[str | None] = mapped_column(ForeignKey("leads.lead_id"), index=True)
    reply_due: Mapped[datetime] = mapped_column(TZDateTime, index=True)
    status: Mapped[str] = mapped_column(String(12), default="issued", index=True)
    reply_text: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    replied_by: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))
    followup_note: Mapped[str | None] = mapped_column(Text)
    followed_up_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    followed_up_by: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))
    escalated_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.case_id"))


class HazardItem(Base):
    """One item of a notice: the problem, its basis (citation) and the suggested measure."""

    __tablename__ = "hazard_items"

    item_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    notice_id: Mapped[int] = mapped_column(
        ForeignKey("hazard_notices.notice_id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    problem: Mapped[str] = mapped_column(Text)
    basis: Mapped[str] = mapped_column(Text)
    measure: Mapped[str] = mapped_column(Text)


class HazardReplyFile(Base):
    """A photo or document attached to the enterprise's reply (checked like any upload)."""

    __tablename__ = "hazard_reply_files"

    file_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    notice_id: Mapped[int] = mapped_column(
        ForeignKey("hazard_notices.notice_id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    stored_path: Mapped[str] = mapped_column(String(500))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("users.user_id"))
    uploaded_at: Mapped[datetime] = mapped_column(TZDateTime)
