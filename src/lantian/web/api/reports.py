"""Periodic reports API: the archive (``GET /api/reports``), generating one
(``POST /api/reports``) and checking an archived report's files (``GET /api/reports/{id}``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from lantian.reports.archive import list_reports, load_report, verify
from lantian.reports.models import ArchivedReport
from lantian.timeutil import isoformat_cst
from lantian.web.deps import ApiOfficer, ApiUser, DbDep
from lantian.web.pages.reports import generate_for

router = APIRouter(prefix="/api", tags=["periodic reports"])


def report_dict(r: ArchivedReport) -> dict[str, Any]:
    """An archived report as JSON."""
    return {
        "report_id": r.report_id,
        "kind": r.kind,
        "title": r.title,
        "period": r.period_label,
        "start": r.period_start.isoformat(),
        "end": r.period_end.isoformat(),
        "city": r.city,
        "generated_at": isoformat_cst(r.generated_at),
        "scheduled": r.generated_by is None,
        "pdf_sha256": r.pdf_sha256,
        "xlsx_sha256": r.xlsx_sha256,
        "pdf": f"/reports/{r.report_id}.pdf",
        "xlsx": f"/reports/{r.report_id}.xlsx",
    }


class ReportRequest(BaseModel):
    """Body of ``POST /api/reports``."""

    kind: str = Field(max_length=12)
    period: str | None = Field(None, max_length=20)
    campaign_id: int | None = None


@router.get("/reports", summary="Archived periodic reports in scope (officers)")
def get_reports(principal: ApiOfficer, user: ApiUser, db: DbDep) -> dict[str, Any]:
    """Newest first."""
    rows = list_reports(db, user)
    return {"total": len(rows), "items": [report_dict(r) for r in rows]}


@router.post("/reports", status_code=201, summary="Generate and archive a report (officers)")
def post_report(
    body: ReportRequest, principal: ApiOfficer, user: ApiUser, db: DbDep
) -> dict[str, Any]:
    """Weekly (``2026-W48``), monthly (``2026-11``) or campaign (``campaign_id``) report of
    the caller's jurisdiction; default period: the last full one."""
    rid = generate_for(
        db, user, body.kind, body.period,
        str(body.campaign_id) if body.campaign_id is not None else None,
    )  # fmt: skip
    return report_dict(load_report(db, user, rid))


@router.get("/reports/{report_id}", summary="One archived report and whether its files verify")
def get_report(report_id: int, principal: ApiOfficer, user: ApiUser, db: DbDep) -> dict[str, Any]:
    """``verified``: each file's SHA-256 still equals the archived one."""
    row = load_report(db, user, report_id)
    return report_dict(row) | {"verified": verify(row)}
