"""Enterprise portal: the enterprise's own data, leads, cases and notices."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from lantian.web.deps import DbDep, PagePrincipal, _
from lantian.web.pages.registry import profile_context
from lantian.web.templating import render
from lantian.workflow.models import Notice

router = APIRouter(include_in_schema=False)


@router.get("/portal")
def portal(request: Request, principal: PagePrincipal, db: DbDep) -> Response:
    """The enterprise's home: profile, open cases to rectify, leads and notices."""
    if principal.is_officer:
        return RedirectResponse("/leads", status_code=303)
    if not principal.enterprise_id:
        raise HTTPException(403, _("This account has no enterprise"))
    ctx = profile_context(db, principal.enterprise_id, principal)
    ctx["notices"] = list(
        db.execute(
            select(Notice)
            .where(Notice.enterprise_id == principal.enterprise_id)
            .order_by(Notice.issued_at.desc())
            .limit(20)
        ).scalars()
    )
    ctx["nav"] = "portal"
    return render(request, "portal/home.html", ctx)
