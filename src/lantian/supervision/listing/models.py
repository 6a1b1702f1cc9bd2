"""Models of the 正面清单: decisions (the history) and the periodic review's proposals.

The decisions are the one source of truth of the list: ``enterprises.positive_list`` is
the state after the newest decision in effect, written only by
:func:`lantian.supervision.listing.services.decide` (and recorded as an ``import``
decision when a registry import changes it).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lantian.db.base import Base, JSONType, TZDateTime
from lantian.vocab import supervision as sv


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class PositiveListDecision(Base):
    """One decision on an enterprise's 正面清单 status (纳入 / 移出 / 暂停 / 恢复).

    ``on_list`` is the state after the decision; ``effective_to`` is set when a later
    decision supersedes it (the history is a sequence of periods).
    """

    __tablename__ = "positive_list_decisions"
    __table_args__ = (
        CheckConstraint(_in("action", sv.POSITIVE_LIST_ACTIONS.codes()), name="action"),
        CheckConstraint(_in("source", sv.POSITIVE_LIST_SOURCES.codes()), name="source"),
    )

    decision_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    enterprise_id: Mapped[str] = mapped_column(
        ForeignKey("enterprises.enterprise_id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(16))
    on_list: Mapped[bool] = mapped_column(Boolean)
    reasons: Mapped[list[str]] = mapped_column(JSONType)
    source: Mapped[str] = mapped_column(String(16))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))
    decided_by_name: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[datetime] = mapped_column(TZDateTime)
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)
    proposal_id: Mapped[int | None] = mapped_column(
        ForeignKey("positive_list_proposals.proposal_id")
    )
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.case_id"))


class PositiveListProposal(Base):
    """A change proposed by the periodic review (with its reasons), decided by an officer."""

    __tablename__ = "positive_list_proposals"
    __table_args__ = (
        CheckConstraint(_in("change", sv.PROPOSAL_CHANGES.codes()), name="change"),
        CheckConstraint(_in("status", sv.PROPOSAL_STATUSES.codes()), name="status"),
    )

    proposal_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    enterprise_id: Mapped[str] = mapped_column(
        ForeignKey("enterprises.enterprise_id", ondelete="CASCADE"), index=True
    )
    change: Mapped[str] = mapped_column(String(8))
    reasons: Mapped[list[str]] = mapped_column(JSONType)
    as_of: Mapped[date] = mapped_column(Date)
    proposed_at: Mapped[datetime] = mapped_column(TZDateTime)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))
    decided_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    note: Mapped[str | None] = mapped_column(Text)
    criteria: Mapped[dict[str, Any]] = mapped_column(JSONType)
