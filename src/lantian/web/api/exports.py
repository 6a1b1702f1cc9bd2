"""Excel exports of the lists (same filters and scope as the list endpoints)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from lantian.auth.models import User
from lantian.web.api.registry import enterprise_rows
from lantian.web.deps import ApiPrincipal, ApiUser, DbDep, _
from lantian.web.labels import CASE_STATUS_LABELS, FAMILY_LABELS, label
from lantian.web.queries import LeadQuery
from lantian.web.xlsx import MAX_EXPORT_ROWS, XLSX_MEDIA_TYPE, rows_to_xlsx
from lantian.workflow import queries as wq

router = APIRouter(prefix="/api/exports", tags=["exports"])


def _download(data: bytes, filename: str) -> Response:
    return Response(
        data,
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def leads_xlsx(db: Session, user: User, query: LeadQuery) -> bytes:
    """The filtered leads in scope (at most :data:`MAX_EXPORT_ROWS`) as an .xlsx workbook."""
    rows: list[Any] = []
    filters = query.to_filters()
    filters.offset, filters.limit = 0, 1000
    while len(rows) < MAX_EXPORT_ROWS:
        page = wq.list_leads(db, user, filters)
        rows.extend(page.rows)
        if len(page.rows) < filters.limit:
            break
        filters.offset += filters.limit
    header = [
        _("Lead"),
        _("Rule"),
        _("Family"),
        _("Enterprise"),
        _("City"),
        _("District"),
        _("Subject"),
        _("Pollutant"),
        _("Start"),
        _("End"),
        _("Severity"),
        _("Score"),
        _("Status"),
        _("Case"),
        _("Summary"),
    ]
    data = (
        (
            r.lead_id,
            r.rule,
            label(FAMILY_LABELS, r.family),
            r.enterprise_name or r.enterprise_id,
            r.city,
            r.district,
            f"{r.subject_type}:{r.subject_id}",
            r.pollutant,
            r.start,
            r.end,
            r.severity,
            r.score,
            label(CASE_STATUS_LABELS, r.status),
            r.case_id,
            r.summary,
        )
        for r in rows[:MAX_EXPORT_ROWS]
    )
    return rows_to_xlsx(_("Leads"), header, data)


@router.get("/leads.xlsx", summary="Export leads to Excel")
def export_leads(user: ApiUser, db: DbDep, query: Annotated[LeadQuery, Query()]) -> Response:
    """The filtered leads (at most 50,000 rows) as an Excel workbook."""
    return _download(leads_xlsx(db, user, query), "leads.xlsx")


@router.get("/enterprises.xlsx", summary="Export enterprises to Excel")
def export_enterprises(
    principal: ApiPrincipal,
    db: DbDep,
    city: str | None = None,
    district: str | None = None,
    industry: str | None = None,
    q: str | None = Query(None, max_length=100),
) -> Response:
    """Enterprises in scope with their pending lead counts."""
    _total, rows = enterprise_rows(
        db,
        principal,
        city=city,
        district=district,
        industry=industry,
        q=q,
        limit=MAX_EXPORT_ROWS,
    )
    header = [
        _("Enterprise ID"),
        _("Name"),
        _("Credit code"),
        _("Industry"),
        _("City"),
        _("District"),
        _("Grade"),
        _("Positive list"),
        _("Pending leads"),
    ]
    data = (
        (
            e.enterprise_id,
            e.name,
            e.credit_code,
            e.industry,
            e.city,
            e.district,
            e.grade,
            _("yes") if e.positive_list else _("no"),
            n,
        )
        for e, n in rows
    )
    return _download(rows_to_xlsx(_("Enterprises"), header, data), "enterprises.xlsx")
