"""Consultation (咨询) with 首问负责制: ask, claim, transfer, answer, rate; the FAQ.

Interfaces of issue #15: ``POST /api/questions`` ``{"text"}`` → 201 ``{"question_id"}``;
``POST /api/questions/{id}/claim``; ``POST /api/questions/{id}/answer`` ``{"text"}``;
``GET /api/questions/{id}`` → ``owner``, ``asked_at``, ``answered_at``, ``due_at``,
``answer`` and more.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from lantian.assist.questions import queries as qq
from lantian.assist.questions import services as qs
from lantian.assist.questions.config import load_config
from lantian.web.deps import ApiOfficer, ApiUser, DbDep, current_language

router = APIRouter(prefix="/api", tags=["questions"])


class AskRequest(BaseModel):
    """Body of ``POST /api/questions``."""

    text: str = Field(min_length=1, max_length=qs.MAX_TEXT)


class AnswerRequest(BaseModel):
    """Body of ``POST /api/questions/{id}/answer``."""

    text: str = Field(min_length=1, max_length=qs.MAX_TEXT)


class TransferRequest(BaseModel):
    """Body of ``POST /api/questions/{id}/transfer``."""

    to_officer_id: int = Field(ge=1, le=2**31 - 1)
    reason: str = Field(min_length=1, max_length=1000)


class RatingRequest(BaseModel):
    """Body of ``POST /api/questions/{id}/rating``."""

    rating: int = Field(ge=1, le=5)
    comment: str | None = Field(None, max_length=1000)


class FaqRequest(BaseModel):
    """Body of ``POST /api/questions/{id}/faq``: the FAQ wording (no enterprise names)."""

    title: str = Field(min_length=1, max_length=300)
    answer: str = Field(min_length=1, max_length=qs.MAX_TEXT)


def _one(db: DbDep, user: ApiUser, question_id: int) -> dict[str, Any]:
    q = qs.load_question(db, user, question_id)
    return qq.question_dict(db, q, lang=current_language.get())


@router.post("/questions", status_code=201, summary="Ask a question (enterprise)")
def ask(request: Request, body: AskRequest, user: ApiUser, db: DbDep) -> dict[str, Any]:
    """The question is committed before anything else runs (hooks after the commit may
    fail without losing it). Due time from the province's response-time target."""
    config = load_config(request.app.state.settings.questions_config)
    q = qs.ask(db, user, body.text, config=config)
    db.commit()
    qid = q.question_id
    qs.run_after_ask(qid)
    return {"question_id": qid, "due_at": qq.question_dict(db, q)["due_at"]}


@router.get("/questions", summary="Questions in scope (queue for officers, own for enterprises)")
def list_questions(
    user: ApiUser,
    db: DbDep,
    queue: Literal["unclaimed", "mine", "overdue", "answered", "all"] = "all",
) -> dict[str, Any]:
    """At most 200, open ones by due time."""
    rows = qq.list_questions(db, user, queue)
    lang = current_language.get()
    return {
        "queue": queue,
        "total": len(rows),
        "items": [qq.question_dict(db, r.question, lang=lang) for r in rows],
    }


@router.get("/questions/{question_id}", summary="One question")
def get_question(question_id: int, user: ApiUser, db: DbDep) -> dict[str, Any]:
    """The enterprise that asked, or officers of its region."""
    return _one(db, user, question_id)


@router.post("/questions/{question_id}/claim", summary="Claim a question (首问负责制)")
def claim(question_id: int, _p: ApiOfficer, user: ApiUser, db: DbDep) -> dict[str, Any]:
    """The first officer in scope owns it; 409 when another officer owns it."""
    qs.claim(db, user, question_id)
    db.commit()
    return _one(db, user, question_id)


@router.post("/questions/{question_id}/transfer", summary="Transfer a question with a reason")
def transfer(
    question_id: int, body: TransferRequest, _p: ApiOfficer, user: ApiUser, db: DbDep
) -> dict[str, Any]:
    """The owner (or a supervisor) hands it to another officer in scope."""
    qs.transfer(db, user, question_id, body.to_officer_id, body.reason)
    db.commit()
    return _one(db, user, question_id)


@router.post("/questions/{question_id}/answer", summary="Answer a question")
def answer(
    question_id: int, body: AnswerRequest, _p: ApiOfficer, user: ApiUser, db: DbDep
) -> dict[str, Any]:
    """The owner answers (an unclaimed question is claimed by whoever answers it)."""
    qs.answer(db, user, question_id, body.text)
    db.commit()
    return _one(db, user, question_id)


@router.post("/questions/{question_id}/rating", summary="Rate the answer (enterprise)")
def rate(question_id: int, body: RatingRequest, user: ApiUser, db: DbDep) -> dict[str, Any]:
    """1-5 and an optional comment, once, after the answer."""
    qs.rate(db, user, question_id, body.rating, body.comment)
    db.commit()
    return _one(db, user, question_id)


@router.post("/questions/{question_id}/faq", status_code=201, summary="Publish as an FAQ entry")
def promote(
    question_id: int, body: FaqRequest, _p: ApiOfficer, user: ApiUser, db: DbDep
) -> dict[str, Any]:
    """An answered question becomes an FAQ entry readable by every logged-in user."""
    entry = qs.promote_to_faq(db, user, question_id, title=body.title, answer_text=body.answer)
    db.commit()
    return {"faq_id": entry.faq_id, "title": entry.title}


@router.get("/faq", summary="FAQ entries (常见问题)")
def faq(user: ApiUser, db: DbDep, q: str | None = None) -> dict[str, Any]:
    """Every logged-in user; ``q`` searches titles and answers."""
    rows = qq.faq_entries(db, user, (q or "")[:100] or None)
    return {
        "total": len(rows),
        "items": [
            {
                "faq_id": e.faq_id,
                "title": e.title,
                "answer": e.answer,
                "published_at": qq._iso(e.published_at),
            }
            for e in rows
        ],
    }
