"""Training API: courses, exam attempts (start with the shown paper, hand in answers) for
the enterprise; the same services as the portal pages (retake rule, 学法减罚)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import select

from lantian.assist.training import services as ts
from lantian.assist.training.models import Certificate, ExamAttempt
from lantian.timeutil import isoformat_cst
from lantian.web.deps import ApiUser, DbDep

router = APIRouter(prefix="/api/training", tags=["training"])


@router.get("/courses", summary="Courses (any signed-in user)")
def courses(user: ApiUser, db: DbDep) -> list[dict[str, Any]]:
    """Every course with its hours and exam rule."""
    rows = ts.ensure_builtin_courses(db)
    db.commit()
    return [
        {
            "course_id": c.course_id,
            "code": c.code,
            "title": c.title,
            "hours": c.hours,
            "pass_mark": c.pass_mark,
            "paper_size": c.paper_size,
            "max_attempts": c.max_attempts,
            "wait_hours": c.wait_hours,
            "law_study": c.law_study,
        }
        for c in rows
    ]


def _paper(db: Any, a: ExamAttempt) -> list[dict[str, Any]]:
    bank = ts.bank_of(db, a.course_id)
    out = []
    for it in a.paper:
        q = bank[int(it["question_id"])]
        out.append(
            {
                "question_id": q.question_id,
                "kind": q.kind,
                "text": q.text,
                "options": [q.options[i] for i in it["order"]],
            }
        )
    return out


class StartRequest(BaseModel):
    """Body of ``POST /api/training/courses/{course_id}/attempts``."""

    case_id: int | None = None
    """The case whose 学法减罚 this exam is (a law-study course)."""


@router.post(
    "/courses/{course_id}/attempts",
    status_code=201,
    summary="Start (or resume) an exam attempt (the enterprise; 409 when the retake rule forbids)",
)
def start(course_id: int, body: StartRequest, user: ApiUser, db: DbDep) -> dict[str, Any]:
    """The attempt with its paper in the shown order (answers are positions in it)."""
    a = ts.start_attempt(db, user, course_id, case_id=body.case_id)
    db.commit()
    return {
        "attempt_id": a.attempt_id,
        "course_id": a.course_id,
        "started_at": isoformat_cst(a.started_at),
        "paper": _paper(db, a),
    }


class AnswersRequest(BaseModel):
    """Body of ``POST /api/training/attempts/{attempt_id}/answers``: question id → the
    chosen option positions as shown in the paper."""

    answers: dict[int, list[int]] = Field(max_length=500)


@router.post("/attempts/{attempt_id}/answers", summary="Hand in an attempt (the enterprise)")
def answers(attempt_id: int, body: AnswersRequest, user: ApiUser, db: DbDep) -> dict[str, Any]:
    """The score, pass, wrong questions and the certificate number of a pass."""
    a, score = ts.submit_attempt(db, user, attempt_id, body.answers)
    db.commit()
    cert = db.scalar(select(Certificate).where(Certificate.attempt_id == a.attempt_id))
    return {
        "attempt_id": a.attempt_id,
        "correct": score.correct,
        "total": score.total,
        "score_pct": score.percent,
        "passed": score.passed,
        "wrong": list(score.wrong),
        "certificate_number": cert.number if cert is not None else None,
    }
