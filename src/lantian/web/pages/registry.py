"""Map, enterprise list and enterprise profile pages."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy import select

from lantian.auth.visibility import visible
from lantian.leads.models import Lead
from lantian.registry.vocab import INDUSTRIES
from lantian.web.access import enterprise_or_404
from lantian.web.api.registry import enterprise_detail, enterprise_rows
from lantian.web.deps import DbDep, PageOfficer, PagePrincipal
from lantian.web.device_auth import enterprise_device_status
from lantian.web.pages.leads import filter_choices
from lantian.web.templating import render
from lantian.workflow.models import Case, Notice

router = APIRouter(include_in_schema=False)
PAGE = 50


@router.get("/map")
def map_page(request: Request, principal: PageOfficer) -> Response:
    """Enterprises and stations with lead counts (Leaflet; offline basemap by default)."""
    return render(request, "map.html", {"nav": "map"})


@router.get("/enterprises")
def enterprises_page(
    request: Request,
    principal: PageOfficer,
    db: DbDep,
    city: str | None = None,
    district: str | None = None,
    industry: str | None = None,
    q: str | None = Query(None, max_length=100),
    offset: int = Query(0, ge=0),
) -> Response:
    """Enterprises in scope with their pending lead counts."""
    total, rows = enterprise_rows(
        db,
        principal,
        city=city or None,
        district=district or None,
        industry=industry or None,
        q=q or None,
        limit=PAGE,
        offset=offset,
    )
    filters = {
        k: v
        for k, v in {"city": city, "district": district, "industry": industry, "q": q}.items()
        if v
    }
    ctx: dict[str, Any] = {
        "nav": "enterprises",
        "rows": rows,
        "total": total,
        "f": filters,
        "choices": filter_choices(db, request),
        "industries": INDUSTRIES,
        "export_qs": urlencode(filters),
        "prev_qs": urlencode(filters | {"offset": max(0, offset - PAGE)}) if offset else None,
        "next_qs": urlencode(filters | {"offset": offset + PAGE})
        if offset + PAGE < total
        else None,
    }
    return render(request, "enterprises/list.html", ctx)


def profile_context(db: DbDep, enterprise_id: str, principal: Any) -> dict[str, Any]:
    """Template values of an enterprise profile (registry, leads, cases).

    Officers also get ``device_auth``: whether each outlet's and meter's data logger has a
    PW registered (:mod:`lantian.web.device_auth`); an enterprise account does not."""
    ent = enterprise_or_404(db, principal, enterprise_id)
    leads = list(
        db.execute(
            select(Lead)
            .where(Lead.enterprise_id == ent.enterprise_id, visible(principal, "lead", session=db))
            .order_by(Lead.start.desc())
            .limit(50)
        ).scalars()
    )
    cases = list(
        db.execute(
            select(Case)
            .where(Case.enterprise_id == ent.enterprise_id, visible(principal, "case"))
            .order_by(Case.updated_at.desc())
            .limit(50)
        ).scalars()
    )
    notices = list(
        db.execute(
            select(Notice)
            .where(Notice.enterprise_id == ent.enterprise_id, visible(principal, "notice"))
            .order_by(Notice.issued_at.desc())
            .limit(50)
        ).scalars()
    )
    return {
        "enterprise": ent,
        "detail": enterprise_detail(db, ent, principal),
        "leads": leads,
        "cases": cases,
        "notices": notices,
        "device_auth": enterprise_device_status(db, ent.enterprise_id)
        if principal.is_officer
        else None,
    }


@router.get("/enterprises/{enterprise_id}")
def enterprise_page(
    request: Request, enterprise_id: str, principal: PagePrincipal, db: DbDep
) -> Response:
    """An enterprise's profile: registry data, outlets, meters, leads and cases."""
    ctx = profile_context(db, enterprise_id, principal)
    ctx["nav"] = "enterprises" if principal.is_officer else "portal"
    ctx["done"] = request.query_params.get("done")
    return render(request, "enterprises/detail.html", ctx)
