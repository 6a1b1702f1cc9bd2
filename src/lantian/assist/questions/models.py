"""Stored questions (咨询), their photos, and FAQ entries promoted from answers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lantian.db.base import Base, TZDateTime
from lantian.vocab import consultation as cv

_LEVELS = cv.QUESTION_ESCALATION.codes()
_RATINGS = cv.RATINGS.codes()


class Question(Base):
    """One question of an enterprise: owner (首问), due time, answer, rating.

    ``province``/``city``/``district`` are the enterprise's at asking time (the question's
    region for officers). The owner changes only by claim (when there is none) or by a
    transfer with a reason (audited ``question.transfer``).
    """

    __tablename__ = "questions"
    __table_args__ = (
        CheckConstraint(
            f"escalation_level BETWEEN {min(_LEVELS)} AND {max(_LEVELS)}", name="escalation_level"
        ),
        CheckConstraint(f"rating BETWEEN {min(_RATINGS)} AND {max(_RATINGS)}", name="rating"),
        CheckConstraint(
            "answered_at IS NULL OR (owner_id IS NOT NULL AND answer IS NOT NULL)",
            name="answered",
        ),
        Index("ix_questions_due_open", "answered_at", "due_at"),
    )

    question_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    enterprise_id: Mapped[str] = mapped_column(ForeignKey("enterprises.enterprise_id"), index=True)
    asked_by: Mapped[int] = mapped_column(ForeignKey("users.user_id"))
    text: Mapped[str] = mapped_column(Text)
    province: Mapped[str | None] = mapped_column(String(2))
    city: Mapped[str | None] = mapped_column(String(64))
    district: Mapped[str | None] = mapped_column(String(64))
    asked_at: Mapped[datetime] = mapped_column(TZDateTime, index=True)
    target_hours: Mapped[int] = mapped_column(Integer)
    """Response-time target of the province when asked (hours)."""
    due_at: Mapped[datetime] = mapped_column(TZDateTime)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"), index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    transfer_count: Mapped[int] = mapped_column(Integer, default=0)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"), index=True)
    reminded_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    escalated_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime | None] = mapped_column(TZDateTime)


class QuestionPhoto(Base):
    """A photo of a question (checked like case attachments: type by content, size,
    metadata stripped), stored under ``LANTIAN_HOME/uploads/questions/``."""

    __tablename__ = "question_photos"

    photo_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("questions.question_id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(500))
    uploaded_at: Mapped[datetime] = mapped_column(TZDateTime)


class FaqEntry(Base):
    """常见问题: an answer promoted by an officer, reworded without the enterprise's name;
    readable by every logged-in user."""

    __tablename__ = "faq_entries"

    faq_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    question_id: Mapped[int | None] = mapped_column(
        ForeignKey("questions.question_id", ondelete="SET NULL"), unique=True
    )
    title: Mapped[str] = mapped_column(String(300))
    answer: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(TZDateTime, index=True)
    published_by: Mapped[int] = mapped_column(ForeignKey("users.user_id"))
