"""Spot-check review page (抽查复核): draw closed cases, record results."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from lantian.web.deps import DbDep, PageOfficer, PagePostUser, PageUser
from lantian.web.templating import render
from lantian.workflow import queries as wq
from lantian.workflow import service as ws

router = APIRouter(include_in_schema=False)

DRAW_ROLES = ("admin", "work_group", "city_officer")
"""Roles that may draw (see :func:`lantian.workflow.service.draw_spot_checks`)."""


@router.get("/spot-checks")
def spot_checks_page(request: Request, _p: PageOfficer, user: PageUser, db: DbDep) -> Response:
    """Spot checks in scope (pending first) with the result forms, and the draw form."""
    settings = request.app.state.settings
    ctx = {
        "nav": "spot_checks",
        "rows": wq.list_spot_checks(db, user),
        "can_draw": user.role in DRAW_ROLES,
        "default_share": settings.spot_check_share,
        "done": request.query_params.get("done"),
    }
    return render(request, "spotchecks/list.html", ctx)


@router.post("/spot-checks/draw")
def draw(
    request: Request,
    user: PagePostUser,
    db: DbDep,
    share_percent: Annotated[float | None, Form(gt=0, le=100)] = None,
    seed: Annotated[int | None, Form()] = None,
) -> Response:
    """Draw ``share`` of the closed cases in scope (not already pending)."""
    d = ws.draw_spot_checks(db, user, share_percent / 100 if share_percent else None, seed=seed)
    db.commit()
    return RedirectResponse(f"/spot-checks?done=drawn-{len(d.case_ids)}", status_code=303)


@router.post("/spot-checks/{spot_check_id}/result")
def record_result(
    request: Request,
    spot_check_id: int,
    user: PagePostUser,
    db: DbDep,
    result: Annotated[str, Form()],
    note: Annotated[str, Form(max_length=2000)],
) -> Response:
    """Passed, or failed (the case is reopened)."""
    ws.record_spot_check(db, user, spot_check_id, passed=result == "passed", note=note)
    db.commit()
    return RedirectResponse("/spot-checks?done=recorded", status_code=303)
