"""Models of the 绩效分级 history and of 创A升B applications.

``grade_records`` is the history of the grade of an enterprise (``line_id`` NULL) or of
one of its lines; ``enterprises.grade`` is the enterprise-level grade of the newest record
in effect, written only by :func:`lantian.supervision.grades.services.record_grade` (and
recorded as an ``import`` record when a registry import changes it).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lantian.db.base import Base, TZDateTime
from lantian.vocab import registry as rv
from lantian.vocab import supervision as sv


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class GradeRecord(Base):
    """One grade of an enterprise or line from a date, with its evidence and recorder."""

    __tablename__ = "grade_records"
    __table_args__ = (
        CheckConstraint(f"grade IS NULL OR {_in('grade', rv.GRADES.codes())}", name="grade"),
        CheckConstraint(_in("evidence_kind", sv.GRADE_EVIDENCE_KINDS.codes()), name="evidence"),
    )

    record_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    enterprise_id: Mapped[str] = mapped_column(
        ForeignKey("enterprises.enterprise_id", ondelete="CASCADE"), index=True
    )
    line_id: Mapped[str | None] = mapped_column(ForeignKey("lines.line_id"))
    grade: Mapped[str | None] = mapped_column(String(2))
    """NULL: not graded (a grade withdrawn)."""
    effective_from: Mapped[date] = mapped_column(Date)
    evidence_kind: Mapped[str] = mapped_column(String(16))
    evidence_ref: Mapped[str | None] = mapped_column(String(200))
    """Document number (e.g. 冀环气〔2026〕12号), assessment reference or attachment name."""
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))
    recorded_by_name: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(TZDateTime)
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("grade_applications.application_id")
    )


class GradeApplication(Base):
    """A 创A升B application of an enterprise (target grade, optional line, statement)."""

    __tablename__ = "grade_applications"
    __table_args__ = (
        CheckConstraint(_in("target_grade", rv.GRADES.codes()), name="target_grade"),
        CheckConstraint(_in("status", sv.GRADE_APPLICATION_STATUSES.codes()), name="status"),
    )

    application_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    enterprise_id: Mapped[str] = mapped_column(
        ForeignKey("enterprises.enterprise_id", ondelete="CASCADE"), index=True
    )
    line_id: Mapped[str | None] = mapped_column(ForeignKey("lines.line_id"))
    from_grade: Mapped[str | None] = mapped_column(String(2))
    target_grade: Mapped[str] = mapped_column(String(2))
    statement: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))
    submitted_at: Mapped[datetime] = mapped_column(TZDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(TZDateTime)


class GradeApplicationStep(Base):
    """One recorded assessment step of an application (受理, 材料审核, …) and its result."""

    __tablename__ = "grade_application_steps"
    __table_args__ = (
        CheckConstraint(_in("step", sv.GRADE_STEPS.codes()), name="step"),
        CheckConstraint(_in("result", sv.STEP_RESULTS.codes()), name="result"),
    )

    step_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("grade_applications.application_id", ondelete="CASCADE"), index=True
    )
    step: Mapped[str] = mapped_column(String(16))
    result: Mapped[str] = mapped_column(String(8))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))
    recorded_at: Mapped[datetime] = mapped_column(TZDateTime)
