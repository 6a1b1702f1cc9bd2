"""SQLAlchemy models of the self-check service (migration 0028).

Templates are rows of ``checklist_templates`` (kind ``self_inspection``, id
``selfcheck-<industry>-v<n>``; items carry their ``when`` condition), so that the 预告知
that carries a template and its PDF keep working unchanged. A new version is a new row;
the previous one is deactivated.

A 不符合 answer becomes a :class:`SelfCheckFinding`, not a lead: it is the enterprise's own
statement, not an officer's verified finding, so it must not count among confirmed leads
(:mod:`lantian.supervision.findings` is for those). The enterprise commits to a fix date;
a rectification plan (:mod:`lantian.assist.rectification`) may hang off it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Date, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lantian.db.base import Base, JSONType, TZDateTime
from lantian.vocab import selfchecks as _v

ANSWERS: tuple[str, ...] = _v.SELF_CHECK_ANSWERS.codes()
STATUSES: tuple[str, ...] = _v.SELF_CHECK_STATUSES.codes()
ORIGINS: tuple[str, ...] = _v.SELF_CHECK_ORIGINS.codes()
FINDING_STATUSES: tuple[str, ...] = _v.FINDING_STATUSES.codes()


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


class SelfCheck(Base):
    """自查: one enterprise's answers to one template version."""

    __tablename__ = "self_checks"
    __table_args__ = (
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint(_in("origin", ORIGINS), name="origin"),
    )

    self_check_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    enterprise_id: Mapped[str] = mapped_column(
        ForeignKey("enterprises.enterprise_id", ondelete="CASCADE"), index=True
    )
    template_id: Mapped[str] = mapped_column(ForeignKey("checklist_templates.template_id"))
    version: Mapped[int] = mapped_column(Integer)
    origin: Mapped[str] = mapped_column(String(16))
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notices.notice_id"), index=True)
    """The 预告知 (or request) that asked for it."""
    status: Mapped[str] = mapped_column(String(16))
    answers: Mapped[dict[str, Any]] = mapped_column(JSONType)
    """item id → ``{"answer": "yes"|"no"|"na", "note": str, "fix_by": "YYYY-MM-DD"|None}``."""
    fail_share: Mapped[float | None] = mapped_column(Float)
    """Share of 不符合 among the answered applicable items (set on submit)."""
    created_by: Mapped[int] = mapped_column(ForeignKey("users.user_id"))
    created_at: Mapped[datetime] = mapped_column(TZDateTime)
    updated_at: Mapped[datetime] = mapped_column(TZDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(TZDateTime, index=True)
    review_note: Mapped[str | None] = mapped_column(Text)


class SelfCheckFinding(Base):
    """A 不符合 item of a submitted self-check that the enterprise commits to fix by a date."""

    __tablename__ = "self_check_findings"
    __table_args__ = (CheckConstraint(_in("status", FINDING_STATUSES), name="status"),)

    finding_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    self_check_id: Mapped[int] = mapped_column(
        ForeignKey("self_checks.self_check_id", ondelete="CASCADE"), index=True
    )
    enterprise_id: Mapped[str] = mapped_column(
        ForeignKey("enterprises.enterprise_id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    basis: Mapped[str] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    fix_by: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(8))
    fixed_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    fix_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(TZDateTime)


class AssistFile(Base):
    """A photo or evidence file of the assistance services (a self-check item's photo, a
    rectification milestone's evidence), checked and re-encoded on upload."""

    __tablename__ = "assist_files"

    file_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    self_check_id: Mapped[int | None] = mapped_column(
        ForeignKey("self_checks.self_check_id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[str | None] = mapped_column(String(32))
    milestone_id: Mapped[int | None] = mapped_column(
        ForeignKey("rectification_milestones.milestone_id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    stored_path: Mapped[str] = mapped_column(String(500))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("users.user_id"))
    uploaded_at: Mapped[datetime] = mapped_column(TZDateTime)
