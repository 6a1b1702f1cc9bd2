"""Enterprise portal: the enterprise's own data, leads, cases and notices."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from lantian.web.deps import DbDep, PagePrincipal, _
from lantian.web.pages.registry import profile_context
from lantian.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/portal")
def portal(request: Request, principal: PagePrincipal, db: DbDep) -> Response:
    """The enterprise's home: profile, open cases to rectify, leads and notices."""
    if principal.is_officer:
        return RedirectResponse("/leads", status_code=303)
    if not principal.enterprise_id:
        raise HTTPException(403, _("This account has no enterprise"))
    ctx = profile_context(db, principal.enterprise_id, principal)
    ctx["nav"] = "portal"
    return render(request, "portal/home.html", ctx)
