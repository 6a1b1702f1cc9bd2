"""Ambient composite index and area ranking (HJ 663-2013) in the caller's scope."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from lantian.ambient.ranking import LEVELS, area_ranking, as_json, default_month, month_bounds
from lantian.auth.errors import ValidationError
from lantian.lake import Lake
from lantian.timeutil import now_cst
from lantian.web.deps import ApiOfficer, ApiUser, DbDep

router = APIRouter(prefix="/api", tags=["ambient"])


def period_of(month: str | None, start: str | None, end: str | None) -> tuple[date, date]:
    """``month=YYYY-MM`` or ``start``/``end`` (YYYY-MM-DD, end exclusive); default: the
    current month (the previous one until the 5th). The current month runs to
    yesterday (CST; today's daily means are not complete), with the validity scaled to
    those days.

    Raises
    ------
    ValidationError
        Naming the parameter at fault.
    """
    if start or end:
        try:
            d0 = date.fromisoformat(start or "")
        except ValueError as exc:
            raise ValidationError("start must be a date YYYY-MM-DD", field="start") from exc
        try:
            d1 = date.fromisoformat(end or "")
        except ValueError as exc:
            raise ValidationError("end must be a date YYYY-MM-DD", field="end") from exc
        if d1 <= d0:
            raise ValidationError("end must be after start", field="end")
        if (d1 - d0).days > 366:
            raise ValidationError("a period is at most one year", field="end")
        return d0, d1
    try:
        d0, d1 = month_bounds(month or default_month(now_cst().date()))
    except ValueError as exc:
        raise ValidationError("month must be YYYY-MM", field="month") from exc
    today = now_cst().date()
    if d0 <= today < d1:  # the current month: to yesterday (月累计; today is not complete)
        d1 = max(today, d0 + timedelta(days=1))
    return d0, d1


def check_level(level: str) -> str:
    """``level`` if known, else a :class:`ValidationError` naming it."""
    if level not in LEVELS:
        raise ValidationError(f"level must be one of {', '.join(LEVELS)}", field="level")
    return level


@router.get("/ambient/index", summary="Composite index and ranking of areas (officers)")
def get_ambient_index(
    request: Request,
    principal: ApiOfficer,
    user: ApiUser,
    db: DbDep,
    level: Annotated[str, Query(description="township, district, city or station")] = "township",
    month: Annotated[str | None, Query(description="YYYY-MM")] = None,
    start: Annotated[str | None, Query(description="YYYY-MM-DD (with end)")] = None,
    end: Annotated[str | None, Query(description="YYYY-MM-DD, exclusive")] = None,
) -> dict[str, Any]:
    """Every area of the level built from the stations the caller sees, with its composite
    index, single indices, valid days per pollutant (GB 3095-2012 Table 4), status
    (``ranked``, ``insufficient``, ``no_data``) and rank within its city (1 = cleanest)."""
    d0, d1 = period_of(month, start, end)
    lake = Lake(request.app.state.settings.lake_dir)
    return as_json(area_ranking(db, lake, check_level(level), d0, d1, user=user))
