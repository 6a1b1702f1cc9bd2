"""Model of a stored plan draw."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from lantian.db.base import Base, JSONType, TZDateTime


class PlanDraw(Base):
    """One 双随机 draw: its period, jurisdiction, seed, inputs (with hash) and result.

    ``inputs`` holds the canonical inputs (enterprises, inspectors, visits) and the
    configuration digest, so the draw can be re-run and checked (公开).
    """

    __tablename__ = "plan_draws"

    draw_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    period: Mapped[str] = mapped_column(String(16), index=True)
    jurisdiction: Mapped[str | None] = mapped_column(String(64))
    seed: Mapped[int] = mapped_column(BigInteger)
    inputs_hash: Mapped[str] = mapped_column(String(64))
    drawn_at: Mapped[datetime] = mapped_column(TZDateTime)
    drawn_by: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))
    inputs: Mapped[dict[str, Any]] = mapped_column(JSONType)
    result: Mapped[dict[str, Any]] = mapped_column(JSONType)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.campaign_id"), index=True)
    """The campaign (专项行动) the plan belongs to (migration 0026)."""
