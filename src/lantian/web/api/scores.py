"""``GET /api/scores?period=YYYY-MM``: work-group scores with every term explained."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from lantian.assist.scoring.compute import PeriodError, score_period, scores_dict
from lantian.assist.scoring.config import ScoringConfigError
from lantian.auth.errors import ValidationError
from lantian.web.deps import ApiOfficer, ApiUser, DbDep, current_language

router = APIRouter(prefix="/api", tags=["scores"])


@router.get("/scores", summary="Work-group scores of a month (officers)")
def scores(
    _p: ApiOfficer,
    user: ApiUser,
    db: DbDep,
    period: str = Query(max_length=16, description="YYYY-MM (CST)"),
) -> dict[str, Any]:
    """Per-team ``rows`` (the teams the caller sees), best first, each with ``score`` and
    ``terms`` (``name``, ``value``, ``weight``, label, normalisation, contribution …).
    A term whose source is not installed is 未接入: ``value`` and ``weight`` null."""
    lang = current_language.get()
    try:
        result = score_period(db, user, period, lang=lang)
    except PeriodError as exc:
        raise ValidationError(str(exc), field="period") from exc
    except ScoringConfigError as exc:
        raise ValidationError(str(exc), field="LANTIAN_SCORING_CONFIG") from exc
    return scores_dict(result, lang)
