"""Survey invitations and responses.

Anonymity by design: a response answered anonymously is stored with ``enterprise_id`` and
``invitation_id`` NULL (a CHECK constraint refuses anything else), no time finer than its
month (``period``), and a random 128-bit key instead of a sequence, in a SQLite table
WITHOUT ROWID (rows ordered by that random key, not by insertion). The invitation only
records that it was answered (``responded_at``) and the audit row of that write names the
invitation, not the response. What remains is the response's region, service kind and
serving officers, which is what the results are grouped by; groups of fewer than
:data:`lantian.assist.surveys.queries.MIN_GROUP` responses are not shown.
On PostgreSQL a table's physical order follows insertion until it is vacuumed; the
response carries nothing that links it, but a database administrator reading page
order could narrow it down (documented in docs/SECURITY.md).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from lantian.db.base import Base, JSONType, TZDateTime
from lantian.vocab import consultation as cv


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class SurveyInvitation(Base):
    """满意度调查邀请: one per enterprise and event (kind + object id)."""

    __tablename__ = "survey_invitations"
    __table_args__ = (
        CheckConstraint(_in("kind", cv.SURVEY_KINDS.codes()), name="kind"),
        Index("ux_survey_invitations_event", "enterprise_id", "kind", "object_id", unique=True),
    )

    invitation_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    enterprise_id: Mapped[str] = mapped_column(ForeignKey("enterprises.enterprise_id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    object_id: Mapped[str] = mapped_column(String(64))
    officer_ids: Mapped[list[int]] = mapped_column(JSONType)
    """The officers who served (case assignee and closer, visit or training staff)."""
    province: Mapped[str | None] = mapped_column(String(2))
    city: Mapped[str | None] = mapped_column(String(64))
    district: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(TZDateTime)
    responded_at: Mapped[datetime | None] = mapped_column(TZDateTime)


class SurveyResponse(Base):
    """One answered survey. Anonymous: no enterprise, no invitation, month only."""

    __tablename__ = "survey_responses"
    __table_args__ = (
        CheckConstraint(_in("kind", cv.SURVEY_KINDS.codes()), name="kind"),
        CheckConstraint(
            "NOT anonymous OR (enterprise_id IS NULL AND invitation_id IS NULL"
            " AND responded_at IS NULL)",
            name="anonymous",
        ),
        CheckConstraint("overall >= 1 AND overall <= 5", name="overall"),
        Index("ix_survey_responses_period_kind", "period", "kind"),
        {"sqlite_with_rowid": False},
    )

    response_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    """Random (``secrets.token_hex(16)``), never a sequence."""
    form_version: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    period: Mapped[str] = mapped_column(String(7))
    """YYYY-MM (CST) of the answer: the only time an anonymous response keeps."""
    province: Mapped[str | None] = mapped_column(String(2))
    city: Mapped[str | None] = mapped_column(String(64))
    district: Mapped[str | None] = mapped_column(String(64))
    officer_ids: Mapped[list[int]] = mapped_column(JSONType)
    answers: Mapped[dict[str, Any]] = mapped_column(JSONType)
    overall: Mapped[float] = mapped_column(Float)
    """Mean of the 1-5 answers."""
    anonymous: Mapped[bool] = mapped_column(Boolean)
    enterprise_id: Mapped[str | None] = mapped_column(
        ForeignKey("enterprises.enterprise_id"), index=True
    )
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("survey_invitations.invitation_id"), unique=True
    )
    responded_at: Mapped[datetime | None] = mapped_column(TZDateTime)
