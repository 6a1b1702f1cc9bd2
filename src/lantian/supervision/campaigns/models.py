"""Model of a campaign (专项行动 / 轮次)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lantian.db.base import Base, JSONType, TZDateTime


class Campaign(Base):
    """A named period of focused supervision: scope (jurisdiction) and focus.

    ``ordered_from_above`` marks a campaign ordered by a higher authority: its visits are
    tallied separately from the enterprise's yearly inspection cap (国办发〔2024〕54号).
    ``industries`` and ``families`` are the focus (registry industry codes, lead families;
    empty: all).
    """

    __tablename__ = "campaigns"
    __table_args__ = (CheckConstraint("end_date >= start_date", name="period"),)

    campaign_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    round_label: Mapped[str | None] = mapped_column(String(64))
    """轮次 (e.g. 第二轮)."""
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    """Last day of the campaign (inclusive)."""
    jurisdiction: Mapped[str | None] = mapped_column(String(64))
    """City or district code of the scope (``None``: every enterprise the creator sees)."""
    industries: Mapped[list[str]] = mapped_column(JSONType)
    families: Mapped[list[str]] = mapped_column(JSONType)
    ordered_from_above: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))
    created_at: Mapped[datetime] = mapped_column(TZDateTime)
