"""Read side of spot checks (抽查复核): the spot checks the user sees, with their case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from lantian.auth.models import User
from lantian.auth.visibility import visible
from lantian.workflow.models import Case, SpotCheck, SpotCheckDraw


@dataclass(frozen=True)
class SpotCheckRow:
    """One spot check (抽查复核) with its case, for the spot-check page and API."""

    spot_check: SpotCheck
    case_id: int
    case_title: str
    enterprise_id: str | None
    city: str | None
    district: str | None
    closed_at: datetime | None
    drawn_at: datetime


def list_spot_checks(
    session: Session, user: User, *, result: str | None = None, limit: int = 200
) -> list[SpotCheckRow]:
    """Spot checks of cases in ``user``'s scope, pending first, newest draw first (1 SQL)."""
    stmt = (
        select(
            SpotCheck,
            Case.case_id,
            Case.title,
            Case.enterprise_id,
            Case.city,
            Case.district,
            Case.closed_at,
            SpotCheckDraw.drawn_at,
        )
        .join(Case, Case.case_id == SpotCheck.case_id)
        .join(SpotCheckDraw, SpotCheckDraw.draw_id == SpotCheck.draw_id)
        .where(visible(user, "spot_check"))
    )
    if result is not None:
        stmt = stmt.where(SpotCheck.result == result)
    stmt = stmt.order_by(
        case((SpotCheck.result == "pending", 0), else_=1),
        SpotCheckDraw.drawn_at.desc(),
        SpotCheck.spot_check_id,
    ).limit(limit)
    return [SpotCheckRow(*row) for row in session.execute(stmt)]


__all__ = ["SpotCheckRow", "list_spot_checks"]
