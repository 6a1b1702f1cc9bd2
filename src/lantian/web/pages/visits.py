"""行政检查 pages: the visit register (apply, approve with warnings, 审批表 PDF, check-in
QR code, 帮扶 records and 复诊), campaigns (专项行动) with their statistics, and the
enterprise's side (its visits and records, 扫码入企 confirmation of arrival and departure).

Every write goes through :mod:`lantian.supervision.visits.services` or
:mod:`lantian.supervision.campaigns.services` (audited); who sees what is declared in
:mod:`lantian.auth.visibility` (kinds ``visit`` and ``campaign``).
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from lantian.auth.errors import ValidationError
from lantian.auth.models import User
from lantian.registry.models import Enterprise
from lantian.registry.vocab import INDUSTRIES, STORED_LEAD_FAMILIES
from lantian.supervision.campaigns import services as cs
from lantian.supervision.config import load_config
from lantian.supervision.visits import services as vs
from lantian.supervision.visits.documents import approval_pdf
from lantian.supervision.visits.models import InspectionVisit
from lantian.timeutil import now_cst
from lantian.vocab import registry as registry_vocab
from lantian.vocab.families import FAMILIES
from lantian.vocab.visits import SERVICE_KINDS, VISIT_KINDS, VISIT_STATUSES
from lantian.web.deps import DbDep, PageOfficer, PagePostUser, PagePrincipal, PageUser, _
from lantian.web.forms import localized_message
from lantian.web.templating import render

router = APIRouter(include_in_schema=False)


def _config(request: Request) -> Any:
    return load_config(request.app.state.settings.supervision_config)


def _vocab(lang: str) -> dict[str, Any]:
    return {
        "kind_labels": {t.code: t.name(lang) for t in VISIT_KINDS},
        "status_labels": {t.code: t.name(lang) for t in VISIT_STATUSES},
        "service_labels": {t.code: t.name(lang) for t in SERVICE_KINDS},
    }


def _lang(request: Request) -> str:
    from lantian.web.deps import current_language

    return current_language.get()


def checkin_url(request: Request, visit: InspectionVisit) -> str:
    """The absolute 扫码入企 URL of a visit (what its QR code holds)."""
    token = vs.checkin_token(visit, request.app.state.secret)
    return str(request.base_url).rstrip("/") + f"/portal/checkin/{token}"


def qr_svg(data: str) -> str:
    """An inline SVG QR code of ``data`` (segno, error correction M)."""
    buf = io.BytesIO()
    segno.make(data, error="m").save(buf, kind="svg", scale=4, xmldecl=False, svgns=True)
    return buf.getvalue().decode("utf-8")


def _names(db: DbDep, ids: set[int]) -> dict[int, str]:
    from sqlalchemy import select

    if not ids:
        return {}
    return {
        u.user_id: u.display_name
        for u in db.scalars(select(User).where(User.user_id.in_(sorted(ids))))
    }


def _enterprise_names(db: DbDep, ids: set[str]) -> dict[str, str]:
    from sqlalchemy import select

    if not ids:
        return {}
    return dict(
        db.execute(
            select(Enterprise.enterprise_id, Enterprise.name).where(
                Enterprise.enterprise_id.in_(sorted(ids))
            )
        ).all()
    )


# --------------------------------------------------------------------------- register


@router.get("/visits")
def visits_page(
    request: Request,
    _p: PageOfficer,
    user: PageUser,
    db: DbDep,
    status: str = "",
    kind: str = "",
) -> Response:
    """The visit register in the user's scope (filters: status, kind)."""
    rows = vs.list_visits(db, user, status=status or None, kind=kind or None)
    ctx = {
        "nav": "visits",
        "rows": rows,
        "names": _enterprise_names(db, {r.enterprise_id for r in rows}),
        "filters": {"status": status, "kind": kind},
        **_vocab(_lang(request)),
    }
    return render(request, "supervision/visits.html", ctx)


def _new_form(
    request: Request,
    user: User,
    db: DbDep,
    form: dict[str, Any],
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    eid = (form.get("enterprise_id") or "").strip()
    ent = db.get(Enterprise, eid) if eid else None
    inspectors: list[tuple[User, str]] = []
    if ent is not None:
        try:
            planned = dt.date.fromisoformat(form.get("planned_date") or "")
        except ValueError:
            planned = now_cst().date()
        inspectors = vs.certified_inspectors(db, eid, planned)
    ctx = {
        "nav": "visits",
        "form": form,
        "enterprise": ent,
        "inspectors": inspectors,
        "campaigns": cs.list_campaigns(db, user),
        "error": error,
        **_vocab(_lang(request)),
    }
    return render(request, "supervision/visit_new.html", ctx, status_code=status_code)


@router.get("/visits/new")
def new_visit_page(
    request: Request,
    _p: PageOfficer,
    user: PageUser,
    db: DbDep,
    enterprise_id: str = "",
    case_id: str = "",
    kind: str = "",
    campaign_id: str = "",
) -> Response:
    """The application form (行政检查审批表); inspectors are offered once the enterprise is
    known (officers with a valid 执法证号 whose region covers it)."""
    if kind == "" and case_id:
        kind = "lead_check"
    form = {
        "enterprise_id": enterprise_id,
        "case_id": case_id,
        "kind": kind or "plan",
        "campaign_id": campaign_id,
        "planned_date": (now_cst().date() + dt.timedelta(days=1)).isoformat(),
        "inspector_ids": [],
    }
    if enterprise_id and not db.get(Enterprise, enterprise_id):
        return _new_form(request, user, db, form, error=_("Not found"), status_code=404)
    return _new_form(request, user, db, form)


def _int_or_none(value: str, field: str) -> int | None:
    v = (value or "").strip()
    if not v:
        return None
    if not v.isdigit():
        raise ValidationError(f"{field}须为数字 ({field} must be a number)", field=field)
    return int(v)


@router.post("/visits")
async def apply_visit_page(request: Request, user: PagePostUser, db: DbDep) -> Response:
    """Record the application (pending) and show it; bad input comes back with the form."""
    raw = await request.form()
    form: dict[str, Any] = {
        k: v for k, v in raw.items() if isinstance(v, str) and k != "inspector_ids"
    }
    form["inspector_ids"] = [int(str(v)) for v in raw.getlist("inspector_ids") if str(v).isdigit()]
    try:
        try:
            planned = dt.date.fromisoformat(str(form.get("planned_date", "")))
        except ValueError as exc:
            raise ValidationError(
                "请填写计划检查日期 (planned date)", field="planned_date"
            ) from exc
        row = vs.apply_visit(
            db,
            user,
            enterprise_id=str(form.get("enterprise_id", "")).strip(),
            kind=str(form.get("kind", "")),
            purpose=str(form.get("purpose", "")),
            basis=str(form.get("basis", "")),
            method=str(form.get("method", "")),
            planned_date=planned,
            inspector_ids=form["inspector_ids"],
            case_id=_int_or_none(str(form.get("case_id", "")), "case_id"),
            campaign_id=_int_or_none(str(form.get("campaign_id", "")), "campaign_id"),
            service_kind=str(form.get("service_kind", "")) or None,
        )
    except ValidationError as exc:  # NotFound / PermissionDenied: the usual 404 / 403
        db.rollback()
        return _new_form(request, user, db, form, error=localized_message(exc), status_code=422)
    db.commit()
    return RedirectResponse(f"/visits/{row.visit_id}", status_code=303)


def _detail(
    request: Request,
    user: User,
    db: DbDep,
    visit_id: int,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    row = vs.get_visit(db, user, visit_id)
    ent = db.get(Enterprise, row.enterprise_id)
    warnings = (
        vs.visit_warnings(db, _config(request), row) if row.status == "pending" else row.warnings
    )
    url = checkin_url(request, row) if row.status in vs.TAKES_PLACE else None
    count = vs.count_onsite_visits(db, row.enterprise_id, row.planned_date.year, _config(request))
    ctx = {
        "nav": "visits",
        "v": row,
        "enterprise": ent,
        "warnings": warnings or [],
        "names": _names(
            db,
            {
                x
                for x in (
                    row.applicant_id,
                    row.approver_id,
                    row.arrival_confirmed_by,
                    row.departure_confirmed_by,
                )
                if x
            },
        ),
        "checkin_url": url,
        "qr": qr_svg(url) if url else None,
        "count": count,
        "cap": vs.cap_of(db, _config(request), row.enterprise_id),
        "campaign": cs.get_campaign(db, user, row.campaign_id) if row.campaign_id else None,
        "error": error,
        "today": now_cst().date(),
        **_vocab(_lang(request)),
    }
    return render(request, "supervision/visit.html", ctx, status_code=status_code)


@router.get("/visits/{visit_id}")
def visit_page(
    request: Request, visit_id: int, _p: PageOfficer, user: PageUser, db: DbDep
) -> Response:
    """One visit: the approval, its warnings, the check-in code, the 帮扶 record."""
    return _detail(request, user, db, visit_id)


@router.post("/visits/{visit_id}/decide")
def decide_visit_page(
    request: Request,
    visit_id: int,
    user: PagePostUser,
    db: DbDep,
    decision: Annotated[str, Form(max_length=16)],
    note: Annotated[str, Form(max_length=2000)] = "",
    acknowledge: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Approve (acknowledging the warnings), reject or cancel a visit."""
    try:
        if decision == "approve":
            vs.approve_visit(
                db,
                user,
                visit_id,
                _config(request),
                acknowledge_warnings=acknowledge == "yes",
                note=note,
            )
        elif decision == "reject":
            vs.reject_visit(db, user, visit_id, note=note)
        elif decision == "cancel":
            vs.cancel_visit(db, user, visit_id, note=note)
        else:
            raise ValidationError(f"unknown decision {decision!r}", field="decision")
    except ValidationError as exc:
        db.rollback()
        return _detail(request, user, db, visit_id, error=localized_message(exc), status_code=422)
    db.commit()
    return RedirectResponse(f"/visits/{visit_id}", status_code=303)


def _dates(text: str) -> list[dt.date]:
    out = []
    for part in text.replace("，", ",").replace("、", ",").split(","):
        p = part.strip()
        if not p:
            continue
        try:
            out.append(dt.date.fromisoformat(p))
        except ValueError as exc:
            raise ValidationError(
                f"复诊日期格式应为YYYY-MM-DD：{p} (follow-up date)", field="followups"
            ) from exc
    return out


@router.post("/visits/{visit_id}/service")
def service_record_page(
    request: Request,
    visit_id: int,
    user: PagePostUser,
    db: DbDep,
    problems: Annotated[str, Form(max_length=2000)] = "",
    advice: Annotated[str, Form(max_length=2000)] = "",
    followups: Annotated[str, Form(max_length=400)] = "",
) -> Response:
    """The 帮扶 record: problems seen, advice (开药方), 复诊 dates."""
    try:
        vs.record_service(
            db, user, visit_id, problems=problems, advice=advice, followup_dates=_dates(followups)
        )
    except ValidationError as exc:
        db.rollback()
        return _detail(request, user, db, visit_id, error=localized_message(exc), status_code=422)
    db.commit()
    return RedirectResponse(f"/visits/{visit_id}", status_code=303)


@router.post("/visits/{visit_id}/followups")
def followup_done_page(
    request: Request,
    visit_id: int,
    user: PagePostUser,
    db: DbDep,
    due: Annotated[dt.date, Form()],
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Mark a 复诊 as done (with what was found)."""
    try:
        vs.complete_followup(db, user, visit_id, due, note=note)
    except ValidationError as exc:
        db.rollback()
        return _detail(request, user, db, visit_id, error=localized_message(exc), status_code=422)
    db.commit()
    return RedirectResponse(f"/visits/{visit_id}", status_code=303)


@router.get("/visits/{visit_id}/approval.pdf")
def approval_pdf_page(
    request: Request, visit_id: int, _p: PageOfficer, user: PageUser, db: DbDep
) -> Response:
    """行政检查审批表 (PDF) with the check-in QR code once approved."""
    row = vs.get_visit(db, user, visit_id)
    url = checkin_url(request, row) if row.status in vs.TAKES_PLACE else None
    doc = approval_pdf(db, user, row, url, _config(request))
    db.commit()  # the document number
    return Response(
        doc.pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f"inline; filename*=UTF-8''visit-approval-{row.visit_id}.pdf"
        },
    )


# --------------------------------------------------------------------------- campaigns


def _campaigns(
    request: Request,
    user: User,
    db: DbDep,
    *,
    error: str | None = None,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    lang = _lang(request)
    ctx = {
        "nav": "campaigns",
        "rows": cs.list_campaigns(db, user),
        "error": error,
        "form": form or {"jurisdiction": user.district or user.city or ""},
        "industries": [(t.code, t.name(lang)) for t in registry_vocab.INDUSTRIES],
        "families": [(f, FAMILIES.name(f, lang)) for f in STORED_LEAD_FAMILIES],
    }
    return render(request, "supervision/campaigns.html", ctx, status_code=status_code)


@router.get("/campaigns")
def campaigns_page(request: Request, _p: PageOfficer, user: PageUser, db: DbDep) -> Response:
    """Campaigns in scope and the form to create one."""
    return _campaigns(request, user, db)


@router.post("/campaigns")
async def create_campaign_page(request: Request, user: PagePostUser, db: DbDep) -> Response:
    """Create a campaign (name, round, period, scope, focus, ordered from above)."""
    raw = await request.form()
    form: dict[str, Any] = {k: v for k, v in raw.items() if isinstance(v, str)}
    try:
        try:
            start = dt.date.fromisoformat(str(form.get("start_date", "")))
            end = dt.date.fromisoformat(str(form.get("end_date", "")))
        except ValueError as exc:
            raise ValidationError("请填写开始和结束日期 (dates)", field="start_date") from exc
        industries = [str(v) for v in raw.getlist("industries") if str(v) in INDUSTRIES]
        row = cs.create_campaign(
            db,
            user,
            name=str(form.get("name", "")),
            round_label=str(form.get("round_label", "")),
            start_date=start,
            end_date=end,
            jurisdiction=str(form.get("jurisdiction", "")),
            industries=industries,
            families=[str(v) for v in raw.getlist("families")],
            ordered_from_above=form.get("ordered_from_above") == "yes",
            description=str(form.get("description", "")),
        )
    except ValidationError as exc:
        db.rollback()
        return _campaigns(
            request, user, db, error=localized_message(exc), form=form, status_code=422
        )
    db.commit()
    return RedirectResponse(f"/campaigns/{row.campaign_id}", status_code=303)


@router.get("/campaigns/{campaign_id}")
def campaign_page(
    request: Request, campaign_id: int, _p: PageOfficer, user: PageUser, db: DbDep
) -> Response:
    """A campaign with its statistics (plans, cases, findings, visits by kind)."""
    camp = cs.get_campaign(db, user, campaign_id)
    lang = _lang(request)
    rows = vs.list_visits(db, user, campaign_id=campaign_id)
    ctx = {
        "nav": "campaigns",
        "c": camp,
        "stats": cs.campaign_stats(db, user, campaign_id),
        "rows": rows,
        "names": _enterprise_names(db, {r.enterprise_id for r in rows}),
        "industry_names": [registry_vocab.INDUSTRIES.name(i, lang) for i in camp.industries],
        "family_names": [FAMILIES.name(f, lang) for f in camp.families],
        "error": request.query_params.get("error"),
        **_vocab(lang),
    }
    return render(request, "supervision/campaign.html", ctx)


@router.post("/campaigns/{campaign_id}/link")
def link_campaign_page(
    request: Request,
    campaign_id: int,
    user: PagePostUser,
    db: DbDep,
    what: Annotated[str, Form(max_length=8)],
    key: Annotated[int, Form(ge=1, le=2**31 - 1)],
) -> Response:
    """Put a case or a plan draw into the campaign."""
    cs.link(db, user, campaign_id, what=what, key=key)
    db.commit()
    return RedirectResponse(f"/campaigns/{campaign_id}", status_code=303)


# --------------------------------------------------------------------------- portal


def _enterprise_user(principal: Any, user: User) -> User:
    if principal.role != "enterprise":
        raise HTTPException(403, _("Only enterprise accounts may do this"))
    return user


@router.get("/portal/visits")
def portal_visits_page(
    request: Request, principal: PagePrincipal, user: PageUser, db: DbDep
) -> Response:
    """The enterprise's visits: approvals, inspectors, 帮扶 records and 复诊 dates."""
    if principal.role != "enterprise":
        return RedirectResponse("/visits", status_code=303)
    ctx = {"nav": "portal_visits", "rows": vs.list_visits(db, user), **_vocab(_lang(request))}
    return render(request, "portal/visits.html", ctx)


def _checkin(
    request: Request,
    user: User,
    db: DbDep,
    token: str,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    row = vs.visit_of_token(db, user, token, request.app.state.secret)
    ctx = {
        "nav": "portal_visits",
        "v": row,
        "token": token,
        "enterprise": db.get(Enterprise, row.enterprise_id),
        "approver": _names(db, {row.approver_id} if row.approver_id else set()).get(
            row.approver_id or 0
        ),
        "error": error,
        **_vocab(_lang(request)),
    }
    return render(request, "portal/checkin.html", ctx, status_code=status_code)


@router.get("/portal/checkin/{token}")
def checkin_page(
    request: Request, token: str, principal: PagePrincipal, user: PageUser, db: DbDep
) -> Response:
    """扫码入企: who is visiting under which approval; confirm arrival and departure."""
    _enterprise_user(principal, user)
    return _checkin(request, user, db, token)


@router.post("/portal/checkin/{token}")
def checkin_confirm(
    request: Request,
    token: str,
    user: PagePostUser,
    db: DbDep,
    what: Annotated[str, Form(max_length=16)],
) -> Response:
    """The enterprise confirms the arrival or the departure (stored, audited)."""
    if user.role != "enterprise":
        raise HTTPException(403, _("Only enterprise accounts may do this"))
    row = vs.visit_of_token(db, user, token, request.app.state.secret)
    try:
        vs.confirm_presence(db, user, row, what)
    except ValidationError as exc:
        db.rollback()
        return _checkin(request, user, db, token, error=localized_message(exc), status_code=422)
    db.commit()
    return RedirectResponse(f"/portal/checkin/{token}", status_code=303)


__all__ = ["checkin_url", "qr_svg", "router"]
