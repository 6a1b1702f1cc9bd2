"""Satisfaction surveys: an enterprise's invitations and answers; results for officers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from lantian.assist.scoring.compute import PeriodError, parse_period
from lantian.assist.surveys import queries as sq
from lantian.assist.surveys import services as ss
from lantian.assist.surveys.config import load_form
from lantian.assist.surveys.models import SurveyInvitation
from lantian.auth.errors import ValidationError
from lantian.timeutil import isoformat_cst
from lantian.vocab import consultation as cv
from lantian.web.deps import ApiOfficer, ApiUser, DbDep, current_language

router = APIRouter(prefix="/api", tags=["surveys"])


class ResponseRequest(BaseModel):
    """Body of ``POST /api/surveys/invitations/{id}/response``."""

    answers: dict[str, int | str | None] = Field(max_length=50)
    anonymous: bool = False


def invitation_dict(inv: SurveyInvitation, lang: str) -> dict[str, Any]:
    """An invitation as JSON."""
    return {
        "invitation_id": inv.invitation_id,
        "kind": inv.kind,
        "kind_label": cv.SURVEY_KINDS.name(inv.kind, lang),
        "object_id": inv.object_id,
        "created_at": isoformat_cst(inv.created_at),
        "responded": inv.responded_at is not None,
    }


@router.get("/surveys/form", summary="The survey's questions")
def form(user: ApiUser) -> dict[str, Any]:
    """The configured form (``LANTIAN_SURVEY_FORM``)."""
    f = load_form()
    lang = current_language.get()
    return {
        "version": f.version,
        "questions": [
            {
                "id": q.id,
                "kind": q.kind,
                "text": q.text(lang),
                "required": q.required,
                "applies_to": list(q.applies_to),
            }
            for q in f.questions
        ],
    }


@router.get("/surveys/invitations", summary="Survey invitations in scope")
def invitations(user: ApiUser, db: DbDep) -> dict[str, Any]:
    """An enterprise: its own (open first); officers: those of their region."""
    lang = current_language.get()
    rows = sq.invitations_of(db, user)
    return {"total": len(rows), "items": [invitation_dict(i, lang) for i in rows]}


@router.post(
    "/surveys/invitations/{invitation_id}/response",
    status_code=201,
    summary="Answer a survey (enterprise; optionally anonymous)",
)
def respond(invitation_id: int, body: ResponseRequest, user: ApiUser, db: DbDep) -> dict[str, Any]:
    """Once per invitation. An anonymous answer returns no response id."""
    resp = ss.respond(db, user, invitation_id, body.answers, anonymous=body.anonymous)
    db.commit()
    out: dict[str, Any] = {"recorded": True, "anonymous": body.anonymous}
    if not body.anonymous:
        out["response_id"] = resp.response_id
    return out


@router.get("/surveys/results", summary="Survey results by kind, district and team")
def results(period: str, _p: ApiOfficer, user: ApiUser, db: DbDep) -> dict[str, Any]:
    """``period`` ``YYYY-MM``; groups with an anonymous answer and fewer than 3 answers
    show no figures."""
    try:
        start, end = parse_period(period)
    except PeriodError as exc:
        raise ValidationError(str(exc), field="period") from exc
    lang = current_language.get()
    groups = sq.results(db, user, sq.months_between(start, end), lang=lang)
    return {
        "period": period,
        "min_group": sq.MIN_GROUP,
        **{dim: [sq.group_dict(g) for g in rows] for dim, rows in groups.items()},
    }
