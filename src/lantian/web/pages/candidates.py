"""Suggested sources (可能来源) of a hot-spot lead: open a case about one of them (#17)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse, Response

from lantian.web.deps import DbDep, PagePostUser
from lantian.workflow import candidates as wc

router = APIRouter(include_in_schema=False)


@router.post("/leads/{lead_id}/candidates/dispatch")
def dispatch_candidate(
    lead_id: str,
    user: PagePostUser,
    db: DbDep,
    enterprise_id: Annotated[str, Form(min_length=1, max_length=64)],
) -> Response:
    """派发核查: open a case about candidate ``enterprise_id`` of hot-spot lead ``lead_id``
    (the lead linked to it) and go to the case page, where it is dispatched
    (:func:`lantian.workflow.candidates.open_candidate_case` refuses enterprises not among
    the lead's candidates or out of the user's scope)."""
    case = wc.open_candidate_case(db, user, lead_id, enterprise_id)
    db.commit()
    return RedirectResponse(f"/cases/{case.case_id}", status_code=303)
