"""Spot-check review page (抽查复核): draw closed cases, record results."""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from lantian.auth.errors import ValidationError
from lantian.auth.models import User
from lantian.web.deps import DbDep, PageOfficer, PagePostUser, PageUser, _
from lantian.web.forms import (
    check_max_lengths,
    check_required,
    errors_from,
    form_error_response,
    submitted_values,
)
from lantian.web.templating import render
from lantian.workflow import queries as wq
from lantian.workflow import service as ws

router = APIRouter(include_in_schema=False)

DRAW_ROLES = ("admin", "work_group", "city_officer")
"""Roles that may draw (see :func:`lantian.workflow.service.draw_spot_checks`)."""


def _context(request: Request, user: User, db: DbDep) -> dict[str, Any]:
    settings = request.app.state.settings
    return {
        "nav": "spot_checks",
        "rows": wq.list_spot_checks(db, user),
        "can_draw": user.role in DRAW_ROLES,
        "default_share": settings.spot_check_share,
        "done": request.query_params.get("done"),
    }


@router.get("/spot-checks")
def spot_checks_page(request: Request, _p: PageOfficer, user: PageUser, db: DbDep) -> Response:
    """Spot checks in scope (pending first) with the result forms, and the draw form."""
    return render(request, "spotchecks/list.html", _context(request, user, db))


async def _form_error(
    request: Request, user: User, db: DbDep, form_id: str, exc: ValidationError, values: Any
) -> Response:
    """The spot-check page again with the error next to its field and the input kept."""

    def context() -> dict[str, Any]:
        db.rollback()
        return _context(request, user, db)

    ctx = await run_in_threadpool(context)
    ctx["done"] = None
    return form_error_response(
        request, "spotchecks/list.html", ctx, errors_from(exc, form_id, values)
    )


def _number(values: dict[str, str], name: str, kind: type[int] | type[float]) -> Any:
    text = values.get(name, "").strip()
    if not text:
        return None
    try:
        value = kind(text)
    except ValueError as exc:
        raise ValidationError(_("Enter a number"), field=name) from exc
    if kind is float and not math.isfinite(value):
        raise ValidationError(_("Enter a number"), field=name)
    return value


@router.post("/spot-checks/draw")
async def draw(request: Request, user: PagePostUser, db: DbDep) -> Response:
    """Draw ``share`` of the closed cases in scope (not already pending)."""
    form = submitted_values(await request.form())

    def work() -> int:
        check_max_lengths(form, {"share_percent": 32, "seed": 32})
        share = _number(form, "share_percent", float)
        if share is not None and not 0 < share <= 100:
            raise ValidationError(_("Enter a share from 1 to 100 percent"), field="share_percent")
        seed = _number(form, "seed", int)
        if seed is not None and not 0 <= seed < 2**63:
            raise ValidationError(_("Enter a whole number from 0"), field="seed")
        d = ws.draw_spot_checks(db, user, share / 100 if share else None, seed=seed)
        db.commit()
        return len(d.case_ids)

    try:
        n = await run_in_threadpool(work)
    except ValidationError as exc:
        return await _form_error(request, user, db, "draw-form", exc, form)
    return RedirectResponse(f"/spot-checks?done=drawn-{n}", status_code=303)


@router.post("/spot-checks/{spot_check_id}/result")
async def record_result(
    request: Request, spot_check_id: int, user: PagePostUser, db: DbDep
) -> Response:
    """Passed, or failed (the case is reopened)."""
    form = submitted_values(await request.form())

    def work() -> None:
        check_max_lengths(form, {"result": 16, "note": 2000})
        check_required(form, "result", "note")
        if form["result"] not in ("passed", "failed"):
            raise ValidationError(_("Choose one of the options"), field="result")
        if form["result"] == "failed" and form.get("confirm") != "yes":
            raise ValidationError(
                _("Tick the box to confirm: a failed spot check reopens the case"),
                field="confirm",
            )
        ws.record_spot_check(
            db, user, spot_check_id, passed=form["result"] == "passed", note=form["note"]
        )
        db.commit()

    try:
        await run_in_threadpool(work)
    except ValidationError as exc:
        return await _form_error(request, user, db, f"spot-{spot_check_id}", exc, form)
    return RedirectResponse("/spot-checks?done=recorded", status_code=303)
