"""Stored typical cases and policy documents."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lantian.db.base import Base, TZDateTime


class TypicalCase(Base):
    """A typical case (典型案例): anonymised facts, handling and lesson, by industry/family."""

    __tablename__ = "library_cases"

    entry_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(200))
    industry: Mapped[str | None] = mapped_column(String(32), index=True)
    family: Mapped[str | None] = mapped_column(String(32), index=True)
    facts: Mapped[str] = mapped_column(Text)
    handling: Mapped[str | None] = mapped_column(Text)
    lesson: Mapped[str | None] = mapped_column(Text)
    basis: Mapped[str | None] = mapped_column(Text)
    source_case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.case_id", ondelete="SET NULL"), unique=True
    )
    """The closed case it was anonymised from (none when entered by an officer)."""
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))
    created_at: Mapped[datetime] = mapped_column(TZDateTime)


class PolicyDocument(Base):
    """A policy document of the handbook (政策汇编): issuing body, number, tags, dates."""

    __tablename__ = "policy_documents"

    policy_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(300))
    issuer: Mapped[str] = mapped_column(String(200))
    doc_number: Mapped[str | None] = mapped_column(String(100))
    tags: Mapped[str] = mapped_column(String(400), default="")
    """Tags joined by ``,`` (searched with LIKE)."""
    effective_from: Mapped[date | None] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)
    summary: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))
    created_at: Mapped[datetime] = mapped_column(TZDateTime)
