"""Dashboard page (ECharts; the numbers come from ``GET /api/dashboard``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from lantian.web.deps import DbDep, PageOfficer, PageUser
from lantian.web.labels import CASE_STATUS_LABELS, FAMILY_LABELS, label
from lantian.web.templating import render
from lantian.workflow import queries as wq

router = APIRouter(include_in_schema=False)


@router.get("/dashboard")
def dashboard_page(request: Request, principal: PageOfficer, user: PageUser, db: DbDep) -> Response:
    """Counts by family, status and region, immediate-fix share, overdue, precision, trend."""
    stats = wq.dashboard(db, user)
    chart_labels = {
        code: label(table, code) for table in (FAMILY_LABELS, CASE_STATUS_LABELS) for code in table
    }
    ctx = {"nav": "dashboard", "stats": stats, "chart_labels": chart_labels}
    return render(request, "dashboard.html", ctx)
