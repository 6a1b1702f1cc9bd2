"""Stored training: topics and votes, courses (materials, question bank), sessions with
registrations and attendance, exam attempts (seeded paper, answers, score) and certificates."""

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
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from lantian.db.base import Base, JSONType, TZDateTime
from lantian.vocab import training as tv


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class TrainingTopic(Base):
    """A topic enterprises ask training on (proposed by an enterprise or an officer)."""

    __tablename__ = "training_topics"

    topic_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    enterprise_id: Mapped[str | None] = mapped_column(ForeignKey("enterprises.enterprise_id"))
    """The enterprise that proposed it (none when an officer did)."""
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))
    created_at: Mapped[datetime] = mapped_column(TZDateTime)


class TopicVote(Base):
    """One enterprise's vote for a topic (one per enterprise and topic)."""

    __tablename__ = "training_topic_votes"
    __table_args__ = (UniqueConstraint("topic_id", "enterprise_id"),)

    vote_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    topic_id: Mapped[int] = mapped_column(
        ForeignKey("training_topics.topic_id", ondelete="CASCADE"), index=True
    )
    enterprise_id: Mapped[str] = mapped_column(ForeignKey("enterprises.enterprise_id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))
    voted_at: Mapped[datetime] = mapped_column(TZDateTime)


class Course(Base):
    """A course: hours, exam rules (pass mark, paper size, retake rule), 学法减罚 use."""

    __tablename__ = "training_courses"

    course_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    hours: Mapped[float] = mapped_column(Float)
    pass_mark: Mapped[float] = mapped_column(Float)
    paper_size: Mapped[int] = mapped_column(Integer)
    max_attempts: Mapped[int] = mapped_column(Integer)
    wait_hours: Mapped[float] = mapped_column(Float)
    law_study: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(TZDateTime)


class CourseMaterial(Base):
    """Reading material of a course: text, or a checked PDF attachment."""

    __tablename__ = "training_materials"

    material_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    course_id: Mapped[int] = mapped_column(
        ForeignKey("training_courses.course_id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)
    file_path: Mapped[str | None] = mapped_column(String(400))
    """Path under ``uploads_dir`` of a PDF stored through the upload checks."""


class CourseQuestion(Base):
    """One question of a course's bank (``answer``: option indexes)."""

    __tablename__ = "training_questions"
    __table_args__ = (
        UniqueConstraint("course_id", "no"),
        CheckConstraint(_in("kind", tv.QUESTION_KINDS.codes()), name="kind"),
    )

    question_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    course_id: Mapped[int] = mapped_column(
        ForeignKey("training_courses.course_id", ondelete="CASCADE"), index=True
    )
    no: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    options: Mapped[list[str]] = mapped_column(JSONType)
    answer: Mapped[list[int]] = mapped_column(JSONType)
    basis: Mapped[str] = mapped_column(String(200))
    verified: Mapped[bool] = mapped_column(Boolean, default=False)


class TrainingSession(Base):
    """A session of a topic or course: time, place or online link, capacity, hours."""

    __tablename__ = "training_sessions"
    __table_args__ = (
        CheckConstraint("capacity > 0", name="capacity"),
        CheckConstraint("hours > 0", name="hours"),
        CheckConstraint("ends_at > starts_at", name="period"),
    )

    session_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(200))
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("training_topics.topic_id"))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("training_courses.course_id"))
    starts_at: Mapped[datetime] = mapped_column(TZDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(TZDateTime)
    place: Mapped[str | None] = mapped_column(String(200))
    online_url: Mapped[str | None] = mapped_column(String(400))
    capacity: Mapped[int] = mapped_column(Integer)
    hours: Mapped[float] = mapped_column(Float)
    checkin_code: Mapped[str] = mapped_column(String(12))
    city: Mapped[str | None] = mapped_column(String(64))
    district: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"), index=True)
    created_at: Mapped[datetime] = mapped_column(TZDateTime)


class SessionRegistration(Base):
    """An enterprise registered for a session, and its attendance with the hours credited."""

    __tablename__ = "training_registrations"
    __table_args__ = (
        UniqueConstraint("session_id", "enterprise_id"),
        CheckConstraint(_in("attendance_by", tv.ATTENDANCE_METHODS.codes()), name="attendance_by"),
    )

    registration_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("training_sessions.session_id", ondelete="CASCADE"), index=True
    )
    enterprise_id: Mapped[str] = mapped_column(ForeignKey("enterprises.enterprise_id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))
    registered_at: Mapped[datetime] = mapped_column(TZDateTime)
    attended_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    attendance_by: Mapped[str | None] = mapped_column(String(8))
    marked_by: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))
    hours_credited: Mapped[float | None] = mapped_column(Float)


class ExamAttempt(Base):
    """One attempt at a course's exam: the seed and the paper drawn from it, the answers
    and the score. ``case_id`` is set when the attempt is the 学法减罚 of a case."""

    __tablename__ = "exam_attempts"

    attempt_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("training_courses.course_id"), index=True)
    enterprise_id: Mapped[str] = mapped_column(ForeignKey("enterprises.enterprise_id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.case_id"), index=True)
    seed: Mapped[int] = mapped_column(BigInteger)
    paper: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    answers: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    correct: Mapped[int | None] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer)
    score_pct: Mapped[float | None] = mapped_column(Float)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    started_at: Mapped[datetime] = mapped_column(TZDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(TZDateTime)


class Certificate(Base):
    """A certificate of a passed exam, numbered (``培训〔2026〕第N号``), with its hours."""

    __tablename__ = "training_certificates"

    certificate_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("exam_attempts.attempt_id"), unique=True)
    enterprise_id: Mapped[str] = mapped_column(ForeignKey("enterprises.enterprise_id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("training_courses.course_id"))
    number: Mapped[str] = mapped_column(String(40), unique=True)
    hours: Mapped[float] = mapped_column(Float)
    issued_at: Mapped[datetime] = mapped_column(TZDateTime)
