"""Library reads: typical cases by industry, problem type and words; policy documents by
words and tag, with whether each is in force on a day. Readable by every signed-in role."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from lantian.assist.library.models import PolicyDocument, TypicalCase


def _like(q: str) -> str:
    esc = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{esc}%"


def search_cases(
    session: Session,
    *,
    q: str = "",
    industry: str | None = None,
    family: str | None = None,
    limit: int = 100,
) -> list[TypicalCase]:
    """Typical cases matching the filters (words: LIKE on title, facts, handling, lesson)."""
    stmt = select(TypicalCase)
    if industry:
        stmt = stmt.where(TypicalCase.industry == industry)
    if family:
        stmt = stmt.where(TypicalCase.family == family)
    q = q.strip()
    if q:
        pat = _like(q)
        cond: ColumnElement[bool] = or_(
            TypicalCase.title.like(pat, escape="\\"),
            TypicalCase.facts.like(pat, escape="\\"),
            TypicalCase.handling.like(pat, escape="\\"),
            TypicalCase.lesson.like(pat, escape="\\"),
        )
        stmt = stmt.where(cond)
    return list(session.scalars(stmt.order_by(TypicalCase.entry_id.desc()).limit(limit)))


def search_policies(
    session: Session, *, q: str = "", tag: str | None = None, limit: int = 100
) -> list[PolicyDocument]:
    """Policy documents matching words (title, number, issuer, summary, body) and a tag."""
    stmt = select(PolicyDocument)
    q = q.strip()
    if q:
        pat = _like(q)
        stmt = stmt.where(
            or_(
                PolicyDocument.title.like(pat, escape="\\"),
                PolicyDocument.doc_number.like(pat, escape="\\"),
                PolicyDocument.issuer.like(pat, escape="\\"),
                PolicyDocument.summary.like(pat, escape="\\"),
                PolicyDocument.body.like(pat, escape="\\"),
            )
        )
    if tag:
        stmt = stmt.where(
            ("," + PolicyDocument.tags + ",").like(_like("," + tag.strip() + ","), escape="\\")
        )
    return list(
        session.scalars(
            stmt.order_by(
                PolicyDocument.effective_from.desc(), PolicyDocument.policy_id.desc()
            ).limit(limit)
        )
    )


def in_force(doc: PolicyDocument, day: dt.date) -> bool:
    """Whether the document is in force on ``day`` (no dates: in force)."""
    if doc.effective_from and day < doc.effective_from:
        return False
    return not (doc.effective_to and day > doc.effective_to)


def tags_of(doc: PolicyDocument) -> list[str]:
    return [t for t in doc.tags.split(",") if t]
