"""Excel exports of the lists and PDF notices (rendered by :mod:`lantian.documents`).

Same filters and scope as the list endpoints. The lead, case and ledger workbooks come
from :mod:`lantian.documents.excel`; the enterprise list is written here. Downloads carry
Chinese file names (``问题线索清单_20250108.xlsx``) in ``filename*`` (RFC 5987) with an
ASCII ``filename`` fallback (``leads.xlsx``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from lantian.auth.models import User
from lantian.documents import excel, pdf
from lantian.timeutil import now_cst
from lantian.vocab.registry import GRADES
from lantian.web.api.registry import enterprise_rows
from lantian.web.deps import ApiOfficer, ApiPrincipal, ApiUser, DbDep, _
from lantian.web.labels import INDUSTRY_LABELS, label, vocab_name
from lantian.web.queries import CaseQuery, LeadQuery
from lantian.web.xlsx import MAX_EXPORT_ROWS, XLSX_MEDIA_TYPE, rows_to_xlsx

router = APIRouter(prefix="/api", tags=["exports"])


def content_disposition(filename: str, ascii_name: str | None = None) -> str:
    """``attachment`` with a plain ASCII ``filename`` for old clients and the real name as
    ``filename*`` (RFC 6266 §4.3 with RFC 5987/8187 encoding: UTF-8, percent-encoded)."""
    fallback = ascii_name or filename
    fallback = fallback.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def download(
    data: bytes,
    filename: str,
    media_type: str = XLSX_MEDIA_TYPE,
    *,
    ascii_name: str | None = None,
) -> Response:
    """An attachment response named ``filename`` (Chinese allowed; ``ascii_name`` is the
    fallback for clients without RFC 5987)."""
    disposition = content_disposition(filename, ascii_name)
    return Response(data, media_type=media_type, headers={"Content-Disposition": disposition})


def dated_name(title: str, suffix: str = ".xlsx") -> str:
    """``问题线索清单_20250108.xlsx`` (today in China Standard Time)."""
    return f"{title}_{now_cst():%Y%m%d}{suffix}"


@router.get("/exports/leads.xlsx", summary="Export leads to Excel (问题清单)")
def export_leads(user: ApiUser, db: DbDep, query: Annotated[LeadQuery, Query()]) -> Response:
    """Every lead in scope matching the filters (paging ignored)."""
    data = excel.export_leads_xlsx(db, user, query.to_filters())
    return download(data, dated_name("问题线索清单"), ascii_name="leads.xlsx")


@router.get("/exports/cases.xlsx", summary="Export cases to Excel (案件清单)")
def export_cases(user: ApiUser, db: DbDep, query: Annotated[CaseQuery, Query()]) -> Response:
    """Every case in scope matching the filters (paging ignored)."""
    data = excel.export_cases_xlsx(db, user, query.to_filters())
    return download(data, dated_name("案件清单"), ascii_name="cases.xlsx")


@router.get("/exports/ledger.xlsx", summary="Export the supervision ledger (督办台账)")
def export_ledger(
    principal: ApiOfficer,
    user: ApiUser,
    db: DbDep,
    kind: str = "",
    state: str = "all",
    district: str = "",
    overdue_only: bool = False,
) -> Response:
    """The ledger as on the ledger page (same filters, rows and columns)."""
    data = excel.export_ledger_xlsx(
        db,
        user,
        kind=kind or None,
        state=state,
        district=district or None,
        overdue_only=overdue_only,
    )
    return download(data, dated_name("督办台账"), ascii_name="ledger.xlsx")


@router.get("/exports/enterprises.xlsx", summary="Export enterprises to Excel")
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
            label(INDUSTRY_LABELS, e.industry),
            e.city,
            e.district,
            vocab_name(GRADES, e.grade) if e.grade else "",
            _("yes") if e.positive_list else _("no"),
            n,
        )
        for e, n in rows
    )
    title = _("Enterprises")
    return download(
        rows_to_xlsx(title, header, data), dated_name(title), ascii_name="enterprises.xlsx"
    )


def _rectification_notice(db: Session, user: User, case_id: int) -> pdf.RenderedNotice:
    """整改通知书 with leniency wording only where the case's penalty assessment says so."""
    from lantian.enforcement.documents import leniency_text_for_case

    return pdf.rectification_notice_pdf(
        db, user, case_id, leniency_text=leniency_text_for_case(db, case_id)
    )


NOTICE_RENDERERS: dict[str, Callable[[Session, User, int], pdf.RenderedNotice]] = {
    "dispatch_notice": pdf.dispatch_notice_pdf,
    "supervision_notice": pdf.supervision_notice_pdf,
    "rectification_notice": _rectification_notice,
}


@router.get("/cases/{case_id}/documents/{kind}.pdf", summary="PDF notice of a case")
def case_document(
    case_id: int,
    kind: Literal["dispatch_notice", "supervision_notice", "rectification_notice"],
    user: ApiUser,
    db: DbDep,
) -> Response:
    """交办单 (dispatch_notice), 督办单 (supervision_notice) or 整改通知
    (rectification_notice); 409 if the case has not reached that step."""
    notice = NOTICE_RENDERERS[kind](db, user, case_id)
    db.commit()  # a document issued before numbering existed gets its number now
    return download(
        notice.pdf, notice.filename, "application/pdf", ascii_name=f"{kind}-{case_id}.pdf"
    )


@router.get("/notices/{notice_id}.pdf", summary="PDF of a notice (提示函 / 预告知书)")
def notice_document(notice_id: int, user: ApiUser, db: DbDep) -> Response:
    """环境隐患提示函 (hazard) or 检查预告知书 (pre-notification, with the self-inspection
    checklist); the enterprise itself and officers in scope may download it."""
    notice = pdf.notice_pdf(db, user, notice_id)
    db.commit()  # a document issued before numbering existed gets its number now
    return download(
        notice.pdf, notice.filename, "application/pdf", ascii_name=f"notice-{notice_id}.pdf"
    )
