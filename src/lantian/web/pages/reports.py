"""Periodic reports page: the archive in the officer's jurisdiction, a form to generate one
(as the officer sees the data), and the downloads (checked against their SHA-256)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from lantian.auth.errors import ValidationError
from lantian.auth.models import OFFICER_ROLES, User
from lantian.reports.archive import generate, list_reports, load_report, period_of, report_file
from lantian.reports.periodic import KINDS, PeriodError
from lantian.vocab.reports import REPORT_KINDS
from lantian.web.api.exports import download
from lantian.web.deps import DbDep, PagePostUser, PageUser, _
from lantian.web.forms import errors_from, form_error_response
from lantian.web.labels import VocabLabels
from lantian.web.templating import render
from lantian.web.xlsx import XLSX_MEDIA_TYPE

router = APIRouter(include_in_schema=False)
KIND_LABELS = VocabLabels(REPORT_KINDS)


def _officer(user: User) -> None:
    if user.role not in OFFICER_ROLES:
        raise HTTPException(403, _("Only officers may do this"))


def _context(db: DbDep, user: User, done: str | None = None) -> dict[str, Any]:
    from lantian.supervision.campaigns.models import Campaign

    return {
        "nav": "reports",
        "rows": list_reports(db, user),
        "kinds": KINDS,
        "kind_labels": KIND_LABELS,
        "campaigns": list(db.scalars(select(Campaign).order_by(Campaign.start_date.desc()))),
        "done": done,
    }


@router.get("/reports")
def reports_page(request: Request, user: PageUser, db: DbDep) -> Response:
    """Officers: archived reports of their jurisdiction and the generate form."""
    _officer(user)
    return render(
        request, "reports/list.html", _context(db, user, request.query_params.get("done"))
    )


def generate_for(db: DbDep, user: User, kind: str, period: str | None, campaign: str | None) -> int:
    """Generate and archive a report as ``user`` sees the data; its id. Bad input raises
    :class:`ValidationError` naming the field."""
    _officer(user)
    if kind not in KINDS:
        raise ValidationError(f"未知的报告类型：{kind}", field="kind")
    text = (campaign or "").strip() if kind == "campaign" else (period or "").strip() or None
    if kind == "campaign" and not text:
        raise ValidationError("专项行动报告须选择专项行动", field="period")
    try:
        p = period_of(db, kind, text)
    except PeriodError as exc:
        raise ValidationError(str(exc), field="period") from None
    made = generate(db, user, kind, p, actor=user)
    db.commit()
    return made.row.report_id


@router.post("/reports")
async def reports_generate(request: Request, user: PagePostUser, db: DbDep) -> Response:
    """Generate a report (input kept on an error)."""
    form = await request.form()
    fields = {k: str(v) for k, v in form.items() if k != "csrf_token"}
    try:
        rid = await run_in_threadpool(
            generate_for, db, user, fields.get("kind", ""), fields.get("period"),
            fields.get("campaign_id"),
        )  # fmt: skip
    except ValidationError as exc:
        db.rollback()
        ctx = await run_in_threadpool(_context, db, user)
        return form_error_response(
            request, "reports/list.html", ctx, errors_from(exc, "report-form", fields)
        )
    return RedirectResponse(f"/reports?done={rid}", status_code=303)


@router.get("/reports/{report_id}.{fmt}")
def report_download(report_id: int, fmt: str, user: PageUser, db: DbDep) -> Response:
    """The archived PDF or workbook (409 when the file no longer matches its hash)."""
    if fmt not in ("pdf", "xlsx"):
        raise HTTPException(404)
    row = load_report(db, user, report_id)
    try:
        data = report_file(row, fmt)
    except ValueError as exc:
        raise HTTPException(409, _("The archived file does not match its SHA-256")) from exc
    media = "application/pdf" if fmt == "pdf" else XLSX_MEDIA_TYPE
    return download(data, f"{row.title}.{fmt}", media, ascii_name=f"report-{report_id}.{fmt}")
