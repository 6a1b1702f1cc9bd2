"""整改方案: a rectification plan on a case or on a self-check finding (migration 0028)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lantian.db.base import Base, TZDateTime


class RectificationPlan(Base):
    """整改方案: measures and milestones, on a case or on a self-check finding."""

    __tablename__ = "rectification_plans"
    __table_args__ = (
        CheckConstraint("case_id IS NOT NULL OR finding_id IS NOT NULL", name="target"),
    )

    plan_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    enterprise_id: Mapped[str] = mapped_column(
        ForeignKey("enterprises.enterprise_id", ondelete="CASCADE"), index=True
    )
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.case_id", ondelete="CASCADE"), index=True
    )
    finding_id: Mapped[int | None] = mapped_column(
        ForeignKey("self_check_findings.finding_id", ondelete="CASCADE"), index=True
    )
    measures: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.user_id"))
    created_at: Mapped[datetime] = mapped_column(TZDateTime)
    updated_at: Mapped[datetime] = mapped_column(TZDateTime)


class RectificationMilestone(Base):
    """One milestone of a plan: what, by when, who is responsible; done when evidenced."""

    __tablename__ = "rectification_milestones"

    milestone_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("rectification_plans.plan_id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    due_date: Mapped[date] = mapped_column(Date)
    responsible: Mapped[str] = mapped_column(String(100))
    done_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    done_by: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))
    note: Mapped[str | None] = mapped_column(Text)
