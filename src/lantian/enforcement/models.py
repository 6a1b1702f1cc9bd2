"""Stored penalty assessments, decisions (with education), credit events and 信用修复 requests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from lantian.db.base import Base, JSONType, TZDateTime
from lantian.vocab import enforcement as ev

OUTCOME_CODES: tuple[str, ...] = ev.PENALTY_OUTCOMES.codes()
REPAIR_STATUSES: tuple[str, ...] = ev.REPAIR_STATUSES.codes()
CREDIT_EVENT_KINDS: tuple[str, ...] = ev.CREDIT_EVENT_KINDS.codes()


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class PenaltyAssessment(Base):
    """One assessment of a confirmed case: the facts, the set used and the full result."""

    __tablename__ = "penalty_assessments"
    __table_args__ = (CheckConstraint(_in("outcome", OUTCOME_CODES), name="outcome"),)

    assessment_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.case_id", ondelete="CASCADE"), index=True
    )
    enterprise_id: Mapped[str | None] = mapped_column(
        ForeignKey("enterprises.enterprise_id"), index=True
    )
    province: Mapped[str | None] = mapped_column(String(2))
    set_version: Mapped[str] = mapped_column(String(64))
    facts: Mapped[dict[str, Any]] = mapped_column(JSONType)
    result: Mapped[dict[str, Any]] = mapped_column(JSONType)
    outcome: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int | None] = mapped_column(BigInteger)
    first_offence_computed: Mapped[bool] = mapped_column(Boolean, default=False)
    """True when ``first_offence`` came from the enterprise's history in Lantian."""
    created_at: Mapped[datetime] = mapped_column(TZDateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))


class PenaltyDecision(Base):
    """The officer's decision on an assessment: accepted, or overridden with a reason.

    For 不予处罚 the education given (行政处罚法 §33 ¶3) is recorded, and the enterprise
    acknowledges it in its portal.
    """

    __tablename__ = "penalty_decisions"
    __table_args__ = (
        CheckConstraint(_in("outcome", OUTCOME_CODES), name="outcome"),
        CheckConstraint("accepted OR override_reason IS NOT NULL", name="override_reason"),
    )

    decision_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("penalty_assessments.assessment_id", ondelete="CASCADE"), unique=True
    )
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.case_id", ondelete="CASCADE"), index=True
    )
    enterprise_id: Mapped[str | None] = mapped_column(
        ForeignKey("enterprises.enterprise_id"), index=True
    )
    accepted: Mapped[bool] = mapped_column(Boolean)
    outcome: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int | None] = mapped_column(BigInteger)
    override_reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(TZDateTime, index=True)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))
    education_text: Mapped[str | None] = mapped_column(Text)
    education_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    education_acknowledged_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    education_acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))


class CreditEvent(Base):
    """An event that moves an enterprise's environmental credit points."""

    __tablename__ = "credit_events"
    __table_args__ = (CheckConstraint(_in("kind", CREDIT_EVENT_KINDS), name="kind"),)

    event_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    enterprise_id: Mapped[str] = mapped_column(ForeignKey("enterprises.enterprise_id"), index=True)
    at: Mapped[datetime] = mapped_column(TZDateTime)
    kind: Mapped[str] = mapped_column(String(16))
    points: Mapped[int] = mapped_column(Integer)
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("penalty_decisions.decision_id"))
    repair_id: Mapped[int | None] = mapped_column(ForeignKey("credit_repairs.repair_id"))
    note: Mapped[str | None] = mapped_column(Text)


class CreditRepair(Base):
    """信用修复 request for one decision: the conditions claimed and the outcome."""

    __tablename__ = "credit_repairs"
    __table_args__ = (CheckConstraint(_in("status", REPAIR_STATUSES), name="status"),)

    repair_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    enterprise_id: Mapped[str] = mapped_column(ForeignKey("enterprises.enterprise_id"), index=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("penalty_decisions.decision_id"))
    conditions: Mapped[dict[str, Any]] = mapped_column(JSONType)
    requested_at: Mapped[datetime] = mapped_column(TZDateTime)
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))
    status: Mapped[str] = mapped_column(String(8), default="pending")
    decided_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))
    reason: Mapped[str | None] = mapped_column(Text)


LENIENCY_KINDS: tuple[str, ...] = ev.LENIENCY_KINDS.codes()


class LeniencyRecord(Base):
    """学法减罚 course result or 道歉承诺 letter of a case.

    ``law_study``: course, hours, exam score, passed, when completed: from the exam the
    enterprise passed in its portal (``exam_attempt_id``), or recorded by an officer as an
    override with a reason (``text``). ``apology``: the letter the enterprise
    submitted in its portal, approved (and published, by the province's rule) by an officer.
    """

    __tablename__ = "leniency_records"
    __table_args__ = (CheckConstraint(_in("kind", LENIENCY_KINDS), name="kind"),)

    record_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.case_id", ondelete="CASCADE"), index=True
    )
    enterprise_id: Mapped[str | None] = mapped_column(ForeignKey("enterprises.enterprise_id"))
    kind: Mapped[str] = mapped_column(String(16))
    course: Mapped[str | None] = mapped_column(String(200))
    hours: Mapped[float | None] = mapped_column(Float)
    exam_score: Mapped[float | None] = mapped_column(Float)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    completed_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    text: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(TZDateTime)
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))
    approved_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    exam_attempt_id: Mapped[int | None] = mapped_column(ForeignKey("exam_attempts.attempt_id"))
    """学法减罚 taken in the portal: the passed exam attempt (none for an officer override)."""
