"""Reading questions: the officer's queue, the enterprise's list, JSON, scoring counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from lantian.assist.questions import rules
from lantian.assist.questions.config import QuestionsConfig, load_config
from lantian.assist.questions.models import FaqEntry, Question, QuestionPhoto
from lantian.auth.models import User
from lantian.auth.visibility import visible
from lantian.registry.models import Enterprise
from lantian.timeutil import isoformat_cst, now_cst

Queue = Literal["unclaimed", "mine", "overdue", "answered", "all"]
QUEUES: tuple[str, ...] = ("unclaimed", "mine", "overdue", "answered", "all")
LIST_LIMIT = 200


@dataclass
class QuestionRow:
    """A question with its enterprise name, owner name and computed state."""

    question: Question
    enterprise_name: str
    owner_name: str | None
    state: str
    timeliness: str


def state_of(q: Question) -> str:
    """``unclaimed``, ``claimed`` or ``answered`` (vocab ``QUESTION_STATES``)."""
    if q.answered_at is not None:
        return "answered"
    return "claimed" if q.owner_id is not None else "unclaimed"


def list_questions(
    session: Session,
    user: User,
    queue: Queue = "all",
    *,
    now: datetime | None = None,
    config: QuestionsConfig | None = None,
) -> list[QuestionRow]:
    """Questions ``user`` sees, filtered by ``queue`` (oldest due first for open ones)."""
    now = now or now_cst()
    cfg = config or load_config()
    stmt = (
        select(Question, Enterprise.name, User.display_name)
        .join(Enterprise, Enterprise.enterprise_id == Question.enterprise_id)
        .outerjoin(User, User.user_id == Question.owner_id)
        .where(visible(user, "question", session=session))
    )
    if queue == "unclaimed":
        stmt = stmt.where(Question.owner_id.is_(None), Question.answered_at.is_(None))
    elif queue == "mine":
        stmt = stmt.where(Question.owner_id == user.user_id, Question.answered_at.is_(None))
    elif queue == "overdue":
        stmt = stmt.where(Question.answered_at.is_(None), Question.due_at < now)
    elif queue == "answered":
        stmt = stmt.where(Question.answered_at.is_not(None))
    if queue == "answered":
        stmt = stmt.order_by(Question.answered_at.desc())
    elif queue == "all":
        stmt = stmt.order_by(Question.asked_at.desc())
    else:
        stmt = stmt.order_by(Question.due_at, Question.question_id)
    rows = []
    for q, ent_name, owner_name in session.execute(stmt.limit(LIST_LIMIT)).all():
        target = cfg.target(q.province)
        rows.append(
            QuestionRow(
                q,
                ent_name,
                owner_name,
                state_of(q),
                rules.timeliness(now, q.due_at, q.answered_at, target.remind_before_hours),
            )
        )
    return rows


def queue_counts(session: Session, user: User, now: datetime | None = None) -> dict[str, int]:
    """How many questions each officer queue holds."""
    now = now or now_cst()
    scope = visible(user, "question", session=session)
    open_ = Question.answered_at.is_(None)
    conds = {
        "unclaimed": and_(open_, Question.owner_id.is_(None)),
        "mine": and_(open_, Question.owner_id == user.user_id),
        "overdue": and_(open_, Question.due_at < now),
    }
    return {
        name: int(session.scalar(select(func.count()).select_from(Question).where(scope, c)) or 0)
        for name, c in conds.items()
    }


def photos_of(session: Session, question_id: int) -> list[QuestionPhoto]:
    """The photos of a question (the caller checked the question's visibility)."""
    return list(
        session.scalars(
            select(QuestionPhoto)
            .where(QuestionPhoto.question_id == question_id)
            .order_by(QuestionPhoto.photo_id)
        )
    )


def _iso(v: datetime | None) -> str | None:
    return isoformat_cst(v) if v is not None else None


def question_dict(
    session: Session, q: Question, *, now: datetime | None = None, lang: str = "zh_CN"
) -> dict[str, Any]:
    """A question as JSON (``GET /api/questions/{id}``)."""
    from lantian.vocab import consultation as cv

    now = now or now_cst()
    target = load_config().target(q.province)
    owner = session.get(User, q.owner_id) if q.owner_id is not None else None
    timely = rules.timeliness(now, q.due_at, q.answered_at, target.remind_before_hours)
    state = state_of(q)
    return {
        "question_id": q.question_id,
        "enterprise_id": q.enterprise_id,
        "text": q.text,
        "asked_at": _iso(q.asked_at),
        "due_at": _iso(q.due_at),
        "target_hours": q.target_hours,
        "owner": (
            {"user_id": owner.user_id, "name": owner.display_name} if owner is not None else None
        ),
        "claimed_at": _iso(q.claimed_at),
        "transfer_count": q.transfer_count,
        "state": state,
        "state_label": cv.QUESTION_STATES.name(state, lang),
        "timeliness": timely,
        "timeliness_label": cv.QUESTION_TIMELINESS.name(timely, lang),
        "answer": q.answer,
        "answered_at": _iso(q.answered_at),
        "answered_on_time": (
            rules.answered_on_time(q.due_at, q.answered_at) if q.answered_at else None
        ),
        "escalation_level": q.escalation_level,
        "rating": q.rating,
        "rating_comment": q.rating_comment,
        "rated_at": _iso(q.rated_at),
        "photos": [
            {"photo_id": p.photo_id, "filename": p.filename, "size": p.size}
            for p in photos_of(session, q.question_id)
        ],
    }


def faq_entries(session: Session, user: User, search: str | None = None) -> list[FaqEntry]:
    """Published FAQ entries, newest first (optionally those whose text contains ``search``)."""
    stmt = select(FaqEntry).where(visible(user, "faq_entry", session=session))
    if search:
        like = f"%{search.strip()[:100]}%"
        stmt = stmt.where(FaqEntry.title.like(like) | FaqEntry.answer.like(like))
    return list(session.scalars(stmt.order_by(FaqEntry.published_at.desc()).limit(500)))


def answered_on_time_count(
    session: Session, officer_ids: frozenset[int], start: datetime, end: datetime
) -> float:
    """Scoring source: questions answered by ``officer_ids`` in ``[start, end)`` no later
    than their due time."""
    if not officer_ids:
        return 0.0
    n = session.scalar(
        select(func.count())
        .select_from(Question)
        .where(
            Question.answered_by.in_(sorted(officer_ids)),
            Question.answered_at >= start,
            Question.answered_at < end,
            Question.answered_at <= Question.due_at,
        )
    )
    return float(n or 0)


def answer_rating_mean(
    session: Session, officer_ids: frozenset[int], start: datetime, end: datetime
) -> float | None:
    """Mean rating (1-5) of answers by ``officer_ids`` rated in ``[start, end)``; None
    when none was rated."""
    if not officer_ids:
        return None
    v = session.scalar(
        select(func.avg(Question.rating)).where(
            Question.answered_by.in_(sorted(officer_ids)),
            Question.rated_at >= start,
            Question.rated_at < end,
        )
    )
    return float(v) if v is not None else None
