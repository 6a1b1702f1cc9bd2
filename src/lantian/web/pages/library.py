"""Library pages (``/library``): typical cases searchable by industry, problem type and
words, and the policy handbook by words and tag; readable by every signed-in user (the
enterprise portal links here). Officers add cases (from a closed case: an anonymised
draft) and policy documents."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from lantian.assist.library import queries as lq
from lantian.assist.library import services as ls
from lantian.assist.library.models import PolicyDocument, TypicalCase
from lantian.auth.errors import ValidationError
from lantian.timeutil import now_cst
from lantian.vocab import families as families_vocab
from lantian.vocab import registry as registry_vocab
from lantian.web.deps import DbDep, PageOfficer, PagePostUser, PageUser, _
from lantian.web.templating import render

router = APIRouter(include_in_schema=False)


def _vocab_ctx() -> dict[str, Any]:
    return {"industries": registry_vocab.INDUSTRIES, "families": families_vocab.FAMILIES}


@router.get("/library")
def library_index(request: Request, user: PageUser, db: DbDep) -> Response:
    """Typical cases and policy documents with their filters."""
    qp = request.query_params
    q = qp.get("q", "")[:100]
    ctx = {
        "nav": "library",
        "q": q,
        "industry": qp.get("industry", ""),
        "family": qp.get("family", ""),
        "tag": qp.get("tag", "")[:50],
        "cases": lq.search_cases(
            db, q=q, industry=qp.get("industry") or None, family=qp.get("family") or None
        ),
        "policies": lq.search_policies(db, q=q, tag=qp.get("tag") or None),
        "today": now_cst().date(),
        "in_force": lq.in_force,
        "tags_of": lq.tags_of,
        **_vocab_ctx(),
    }
    return render(request, "assist/library_index.html", ctx)


@router.get("/library/cases/{entry_id}")
def library_case(request: Request, entry_id: int, user: PageUser, db: DbDep) -> Response:
    """One typical case."""
    row = db.get(TypicalCase, entry_id)
    if row is None:
        raise HTTPException(404, _("Not found"))
    return render(request, "assist/library_case.html", {"nav": "library", "c": row, **_vocab_ctx()})


@router.get("/library/policies/{policy_id}")
def library_policy(request: Request, policy_id: int, user: PageUser, db: DbDep) -> Response:
    """One policy document."""
    row = db.get(PolicyDocument, policy_id)
    if row is None:
        raise HTTPException(404, _("Not found"))
    ctx = {
        "nav": "library",
        "p": row,
        "tags": lq.tags_of(row),
        "active": lq.in_force(row, now_cst().date()),
    }
    return render(request, "assist/library_policy.html", ctx)


@router.get("/library/new")
def library_new(request: Request, user: PageUser, principal: PageOfficer, db: DbDep) -> Response:
    """Officers: forms for a typical case (``?case_id=`` drafts it from a closed case,
    anonymised) and a policy document."""
    raw = request.query_params.get("case_id", "")
    draft = ls.draft_from_case(db, user, int(raw)) if raw.isdigit() else None
    return render(
        request, "assist/library_new.html", {"nav": "library", "draft": draft, **_vocab_ctx()}
    )


def _t(form: Any, key: str) -> str:
    return str(form.get(key) or "").strip()


def _date(form: Any, key: str) -> dt.date | None:
    raw = _t(form, key)
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ValidationError(f"{key}: a date (YYYY-MM-DD)", field=key) from None


@router.post("/library/cases")
async def save_case(
    request: Request, user: PagePostUser, principal: PageOfficer, db: DbDep
) -> Response:
    """Store a typical case (refused while it still names anyone)."""
    form = await request.form()
    src = _t(form, "source_case_id")

    def work() -> int:
        row = ls.save_case(
            db,
            user,
            title=_t(form, "title"),
            facts=_t(form, "facts"),
            industry=_t(form, "industry") or None,
            family=_t(form, "family") or None,
            handling=_t(form, "handling"),
            lesson=_t(form, "lesson"),
            basis=_t(form, "basis"),
            source_case_id=int(src) if src.isdigit() else None,
        )
        db.commit()
        return row.entry_id

    eid = await run_in_threadpool(work)
    return RedirectResponse(f"/library/cases/{eid}", status_code=303)


@router.post("/library/policies")
async def save_policy(
    request: Request, user: PagePostUser, principal: PageOfficer, db: DbDep
) -> Response:
    """Store a policy document of the handbook."""
    form = await request.form()

    def work() -> int:
        row = ls.save_policy(
            db,
            user,
            title=_t(form, "title"),
            issuer=_t(form, "issuer"),
            body=_t(form, "body"),
            doc_number=_t(form, "doc_number"),
            tags=[t for t in _t(form, "tags").replace("，", ",").split(",")],
            effective_from=_date(form, "effective_from"),
            effective_to=_date(form, "effective_to"),
            summary=_t(form, "summary"),
        )
        db.commit()
        return row.policy_id

    pid = await run_in_threadpool(work)
    return RedirectResponse(f"/library/policies/{pid}", status_code=303)
