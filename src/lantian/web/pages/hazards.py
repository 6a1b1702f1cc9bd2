"""隐患提示函 pages: the officers' list (overdue replies, filters), the issue form, one notice
with its follow-up (close, escalate to a case), and the enterprise's reply in its portal.

A rejected form comes back with status 422, the message and the input kept.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from lantian.auth.errors import DomainError, InvalidTransition, PermissionDenied, ValidationError
from lantian.auth.visibility import load_visible
from lantian.supervision.hazards import services as hs
from lantian.supervision.hazards.queries import (
    HazardFilters,
    get_hazard_notice,
    list_hazard_notices,
)
from lantian.vocab import families
from lantian.vocab.hazards import HAZARD_STATES
from lantian.web.deps import DbDep, PagePostUser, PageUser
from lantian.web.limits import check_upload_count, check_upload_size
from lantian.web.templating import render
from lantian.workflow.files import UploadedFile

router = APIRouter(include_in_schema=False)

FORM_ITEMS = 5
"""Item rows offered by the issue form (blank rows are ignored)."""


def _filters(request: Request) -> HazardFilters:
    q = request.query_params
    return HazardFilters(
        status=q.get("status") or None,
        overdue=q.get("overdue") in ("1", "true", "on"),
        district=q.get("district") or None,
        q=(q.get("q") or "").strip() or None,
        enterprise_id=q.get("enterprise_id") or None,
    )


@router.get("/hazard-notices")
def hazard_list(request: Request, user: PageUser, db: DbDep) -> Response:
    """Officers: every notice in scope, overdue replies first, with filters."""
    if user.role == "enterprise":
        return RedirectResponse("/portal/hazard-notices", status_code=303)
    f = _filters(request)
    rows = list_hazard_notices(db, user, f)
    districts = sorted({r.district for r in list_hazard_notices(db, user) if r.district})
    return render(
        request,
        "hazards/list.html",
        {
            "nav": "hazards",
            "rows": rows,
            "f": f,
            "states": HAZARD_STATES,
            "districts": districts,
            "overdue_count": sum(1 for r in rows if r.overdue),
        },
    )


@router.get("/portal/hazard-notices")
def portal_hazards(request: Request, user: PageUser, db: DbDep) -> Response:
    """The enterprise's notices, those awaiting its reply first."""
    if user.role != "enterprise":
        return RedirectResponse("/hazard-notices", status_code=303)
    rows = list_hazard_notices(db, user)
    rows.sort(key=lambda r: r.hazard.status != "issued")
    return render(
        request,
        "hazards/portal_list.html",
        {"nav": "portal", "rows": rows, "states": HAZARD_STATES},
    )


def _new_context(db: DbDep, user: Any, values: dict[str, Any]) -> dict[str, Any]:
    ent = None
    if values.get("enterprise_id"):
        try:
            ent = load_visible(db, user, "enterprise", values["enterprise_id"])
        except DomainError:
            ent = None
    return {"nav": "hazards", "form": values, "enterprise": ent, "n_items": FORM_ITEMS}


@router.get("/hazard-notices/new")
def hazard_new(request: Request, user: PageUser, db: DbDep) -> Response:
    """The issue form (``?enterprise_id=&lead_id=&case_id=`` pre-fill it)."""
    if user.role == "enterprise":
        raise PermissionDenied("只有执法人员可以发出隐患提示函 (officers only)")
    values = {k: request.query_params.get(k, "") for k in ("enterprise_id", "lead_id", "case_id")}
    return render(request, "hazards/new.html", _new_context(db, user, values))


@router.post("/hazard-notices")
async def hazard_issue(request: Request, user: PagePostUser, db: DbDep) -> Response:
    """Issue the notice from the form (stored, numbered, audited)."""
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    items = [
        {k: values.get(f"{k}_{i}", "") for k in ("problem", "basis", "measure")}
        for i in range(1, FORM_ITEMS + 1)
    ]
    case_raw = values.get("case_id", "").strip()

    def work() -> int:
        if case_raw and not case_raw.isdigit():
            raise ValidationError("案件编号须为数字", field="case_id")
        row = hs.issue_hazard_notice(
            db,
            user,
            values.get("enterprise_id", "").strip(),
            title=values.get("title", ""),
            items=items,
            intro=values.get("intro") or None,
            lead_id=values.get("lead_id", "").strip() or None,
            case_id=int(case_raw) if case_raw else None,
        )
        db.commit()
        return row.notice_id

    try:
        notice_id = await run_in_threadpool(work)
    except (ValidationError, InvalidTransition) as exc:
        db.rollback()
        ctx = _new_context(db, user, values)
        ctx["error"] = str(exc)
        return render(request, "hazards/new.html", ctx, status_code=_status(exc))
    return RedirectResponse(f"/hazard-notices/{notice_id}?done=issued", status_code=303)


def _status(exc: DomainError) -> int:
    return 409 if isinstance(exc, InvalidTransition) else 422


def _detail(request: Request, db: DbDep, user: Any, notice_id: int, **extra: Any) -> Response:
    d = get_hazard_notice(db, user, notice_id)
    ctx: dict[str, Any] = {
        "nav": "portal" if user.role == "enterprise" else "hazards",
        "d": d,
        "states": HAZARD_STATES,
        "families": families.FAMILIES,
        "open": d.hazard.status in hs.OPEN_STATES,
        "form": {},
    }
    ctx.update(extra)
    status = ctx.pop("status_code", 200)
    return render(request, "hazards/detail.html", ctx, status_code=status)


@router.get("/hazard-notices/{notice_id}")
def hazard_detail(request: Request, notice_id: int, user: PageUser, db: DbDep) -> Response:
    """One notice: items, deadline, the reply and the follow-up (forms by role)."""
    return _detail(request, db, user, notice_id)


@router.post("/hazard-notices/{notice_id}/reply")
async def hazard_reply(request: Request, notice_id: int, user: PagePostUser, db: DbDep) -> Response:
    """The enterprise's reply: text and photos (checked like every upload)."""
    form = await request.form()
    check_upload_count(
        sum(1 for _k, v in form.multi_items() if isinstance(v, UploadFile) and v.filename)
    )
    files: list[UploadedFile] = []
    for _k, v in form.multi_items():
        if isinstance(v, UploadFile) and v.filename:
            check_upload_size(v.filename, v.size)
            files.append(UploadedFile(v.filename, await v.read(), v.content_type))
    text = str(form.get("reply_text") or "")
    uploads = request.app.state.settings.uploads_dir

    def work() -> None:
        hs.reply(db, user, notice_id, text, files, uploads_dir=uploads)
        db.commit()

    try:
        await run_in_threadpool(work)
    except (ValidationError, InvalidTransition) as exc:
        db.rollback()
        return _detail(
            request,
            db,
            user,
            notice_id,
            error=str(exc),
            form={"reply_text": text},
            status_code=_status(exc),
        )
    return RedirectResponse(f"/hazard-notices/{notice_id}?done=replied", status_code=303)


async def _followup(request: Request, notice_id: int, user: Any, db: DbDep, step: str) -> Response:
    form = await request.form()
    note = str(form.get("note") or "")
    family = str(form.get("family") or "") or None

    def work() -> None:
        if step == "close":
            hs.close(db, user, notice_id, note)
        else:
            hs.escalate(db, user, notice_id, note, family=family)
        db.commit()

    try:
        await run_in_threadpool(work)
    except (ValidationError, InvalidTransition) as exc:
        db.rollback()
        return _detail(
            request,
            db,
            user,
            notice_id,
            error=str(exc),
            form={"note": note, "family": family or "", "step": step},
            status_code=_status(exc),
        )
    return RedirectResponse(f"/hazard-notices/{notice_id}?done={step}", status_code=303)


@router.post("/hazard-notices/{notice_id}/close")
async def hazard_close(request: Request, notice_id: int, user: PagePostUser, db: DbDep) -> Response:
    """The officer closes the notice with a note."""
    return await _followup(request, notice_id, user, db, "close")


@router.post("/hazard-notices/{notice_id}/escalate")
async def hazard_escalate(
    request: Request, notice_id: int, user: PagePostUser, db: DbDep
) -> Response:
    """The officer escalates the notice to a case."""
    return await _followup(request, notice_id, user, db, "escalate")


@router.get("/hazard-notices/files/{file_id}")
def hazard_file(request: Request, file_id: int, user: PageUser, db: DbDep) -> Response:
    """A file of a reply (scope-checked through its notice)."""
    f, path = hs.reply_file(db, user, file_id, uploads_dir=request.app.state.settings.uploads_dir)
    return FileResponse(
        path,
        media_type=f.content_type,
        filename=f.filename,
        content_disposition_type="inline" if f.content_type.startswith("image/") else "attachment",
    )
