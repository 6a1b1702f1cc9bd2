"""Library API: typical cases and policy documents (any signed-in user, enterprises too)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from lantian.assist.library import queries as lq
from lantian.timeutil import now_cst
from lantian.web.deps import ApiUser, DbDep

router = APIRouter(prefix="/api/library", tags=["library"])


@router.get("/cases", summary="Typical cases by words, industry and problem type")
def cases(
    user: ApiUser,
    db: DbDep,
    q: str = Query("", max_length=100),
    industry: str | None = Query(None, max_length=32),
    family: str | None = Query(None, max_length=32),
) -> list[dict[str, Any]]:
    return [
        {
            "entry_id": c.entry_id,
            "title": c.title,
            "industry": c.industry,
            "family": c.family,
            "facts": c.facts,
            "handling": c.handling,
            "lesson": c.lesson,
            "basis": c.basis,
        }
        for c in lq.search_cases(db, q=q, industry=industry, family=family)
    ]


@router.get("/policies", summary="Policy documents by words and tag")
def policies(
    user: ApiUser,
    db: DbDep,
    q: str = Query("", max_length=100),
    tag: str | None = Query(None, max_length=50),
) -> list[dict[str, Any]]:
    today = now_cst().date()
    return [
        {
            "policy_id": p.policy_id,
            "title": p.title,
            "issuer": p.issuer,
            "doc_number": p.doc_number,
            "tags": lq.tags_of(p),
            "effective_from": p.effective_from.isoformat() if p.effective_from else None,
            "effective_to": p.effective_to.isoformat() if p.effective_to else None,
            "in_force": lq.in_force(p, today),
            "summary": p.summary,
        }
        for p in lq.search_policies(db, q=q, tag=tag)
    ]
