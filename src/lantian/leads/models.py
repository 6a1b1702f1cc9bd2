"""SQLAlchemy model of stored leads (same fields as the ``leads.jsonl`` contract)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from lantian.db.base import Base, JSONType, TZDateTime
from lantian.registry.vocab import STORED_LEAD_FAMILIES, STORED_SUBJECT_TYPES
from lantian.vocab import leads as _leads_vocab

LEAD_OUTCOMES: tuple[str, ...] = _leads_vocab.OUTCOMES.codes()
LEAD_STATUSES: tuple[str, ...] = _leads_vocab.STORED_STATUSES.codes()
"""``active``: the lead stands; ``withdrawn``: a later detection run (late data) found its
basis gone and no case or outcome held it (audited, see :mod:`lantian.leads.store`)."""


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Lead(Base):
    """问题线索: one episode found by one rule on one subject.

    ``open`` is true while the episode is still ongoing in platform mode: the next
    detection run extends ``end`` instead of opening a new lead. ``outcome`` is written by
    the workflow when a check finds the lead confirmed or a false positive. ``status`` is
    ``withdrawn`` when late data removed the lead's basis (lists leave such leads out).
    """

    __tablename__ = "leads"
    __table_args__ = (
        CheckConstraint(_in("family", STORED_LEAD_FAMILIES), name="family"),
        CheckConstraint(_in("subject_type", STORED_SUBJECT_TYPES), name="subject_type"),
        CheckConstraint("severity BETWEEN 1 AND 3", name="severity"),
        CheckConstraint("score >= 0 AND score <= 1", name="score"),
        CheckConstraint('"end" > start', name="window"),
        CheckConstraint(f"outcome IS NULL OR {_in('outcome', LEAD_OUTCOMES)}", name="outcome"),
        CheckConstraint(_in("status", LEAD_STATUSES), name="status"),
        Index("ix_leads_start", "start"),
        Index("ix_leads_rule_subject", "rule", "subject_id", "pollutant"),
    )

    lead_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    rule: Mapped[str] = mapped_column(String(64), index=True)
    family: Mapped[str] = mapped_column(String(32), index=True)
    enterprise_id: Mapped[str | None] = mapped_column(String(64), index=True)
    subject_type: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[str] = mapped_column(String(64))
    pollutant: Mapped[str | None] = mapped_column(String(32))
    start: Mapped[datetime] = mapped_column(TZDateTime)
    end: Mapped[datetime] = mapped_column(TZDateTime)
    severity: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    summary: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONType)
    open: Mapped[bool] = mapped_column(Boolean, default=False)
    detected_at: Mapped[datetime] = mapped_column(TZDateTime)
    updated_at: Mapped[datetime] = mapped_column(TZDateTime)
    outcome: Mapped[str | None] = mapped_column(String(16))
    outcome_reason: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="active", server_default="active")
    withdrawn_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)


class LeadVersion(Base):
    """One evidence version of a judged (frozen) lead.

    Once a lead has an outcome or belongs to a case, detection may not rewrite it; when a
    later run sees its episode differently (e.g. longer), the stored lead keeps what the
    officers judged and the new view is recorded here. Version 1 is the lead as it was
    judged (copied when version 2 is recorded), later versions what later runs saw.
    """

    __tablename__ = "lead_versions"
    __table_args__ = (
        UniqueConstraint("lead_id", "version"),
        CheckConstraint("version >= 1", name="version"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    lead_id: Mapped[str] = mapped_column(
        ForeignKey("leads.lead_id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    start: Mapped[datetime] = mapped_column(TZDateTime)
    end: Mapped[datetime] = mapped_column(TZDateTime)
    severity: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    summary: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONType)
    run_id: Mapped[int | None] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(TZDateTime)
