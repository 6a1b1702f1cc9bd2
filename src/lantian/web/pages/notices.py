"""Notices to enterprises: 环境隐患提示函 (hazard) and 预告知 (pre-notification)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from lantian.auth.errors import ValidationError
from lantian.timeutil import to_cst
from lantian.web.deps import DbDep, PagePostUser, _
from lantian.web.forms import (
    check_max_lengths,
    check_required,
    errors_from,
    form_error_response,
    submitted_values,
)
from lantian.web.pages.registry import profile_context
from lantian.workflow import service as ws

router = APIRouter(include_in_schema=False)


NOTICE_LIMITS: dict[str, int] = {"kind": 32, "title": 200, "body": 10_000, "template_id": 64}
"""Longest value of each field of the notice form (characters)."""


def _parse_inspection_at(value: str) -> datetime | None:
    """The inspection time of the form (``datetime-local``, CST), None when empty."""
    text = value.strip()
    if not text:
        return None
    try:
        return to_cst(datetime.fromisoformat(text))
    except ValueError as exc:
        raise ValidationError(_("Enter a date and time"), field="inspection_at") from exc


@router.post("/enterprises/{enterprise_id}/notices")
async def issue_notice(
    request: Request, enterprise_id: str, user: PagePostUser, db: DbDep
) -> Response:
    """An officer sends a hazard notice or a pre-notification of an inspection.

    Bad input shows next to its field on the enterprise page with the text kept (422)."""
    form = submitted_values(await request.form())

    def work() -> None:
        check_max_lengths(form, NOTICE_LIMITS)
        check_required(form, "kind", "title", "body")
        ws.issue_notice(
            db,
            user,
            form["kind"],
            enterprise_id,
            title=form["title"],
            body=form["body"],
            inspection_at=_parse_inspection_at(form.get("inspection_at", "")),
            template_id=form.get("template_id") or None,
        )
        db.commit()

    try:
        await run_in_threadpool(work)
    except ValidationError as exc:

        def context() -> dict[str, Any]:
            db.rollback()
            return profile_context(db, enterprise_id, request.state.principal)

        ctx = await run_in_threadpool(context)
        ctx |= {"nav": "enterprises", "done": None}
        errors = errors_from(exc, "notice-form", form)
        return form_error_response(request, "enterprises/detail.html", ctx, errors)
    return RedirectResponse(f"/enterprises/{enterprise_id}?done=notice", status_code=303)


@router.post("/notices/{notice_id}/acknowledge")
def acknowledge_notice(request: Request, notice_id: int, user: PagePostUser, db: DbDep) -> Response:
    """The enterprise confirms it has received a notice."""
    ws.acknowledge_notice(db, user, notice_id)
    db.commit()
    return RedirectResponse("/portal", status_code=303)
