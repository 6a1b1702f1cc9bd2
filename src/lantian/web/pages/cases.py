"""Case pages: list, ledger (督办台账), one case with a form for each step, attachments."""

from __future__ import annotations

import math
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from lantian.auth.errors import ValidationError
from lantian.auth.models import OFFICER_ROLES, User
from lantian.web.casework import (
    CONFIRM_ACTIONS,
    fire_action,
    may_share_case,
    offered_actions,
    parse_answers,
    parse_deadline,
    parse_float,
    require_confirmation,
    share_counts_for_enterprise,
    share_fields,
)
from lantian.web.deps import DbDep, PageOfficer, PagePostUser, PageUser, _
from lantian.web.dispatching import dispatching_context
from lantian.web.forms import (
    check_required,
    check_text_lengths,
    errors_from,
    form_error_response,
)
from lantian.web.limits import check_upload_count, check_upload_size
from lantian.web.queries import LEAD_STATUSES, CaseQuery
from lantian.web.templating import render
from lantian.workflow import queries as wq
from lantian.workflow import service as ws
from lantian.workflow.checks import certified_officers
from lantian.workflow.files import UploadedFile
from lantian.workflow.meetings import parse_meeting, record_meeting
from lantian.workflow.models import ChecklistTemplate, CheckRecord
from lantian.workflow.states import REASSIGN_ROLES, REASSIGN_STATES, STATES, TRANSITIONS

router = APIRouter(include_in_schema=False)

STEP_ORDER: tuple[str, ...] = (
    "new",
    "dispatched",
    "checking",
    "confirmed",
    "rectification",
    "review",
    "closed",
)
"""The main path of a case, shown as step indicators."""


@router.get("/cases")
def cases_page(
    request: Request, user: PageUser, db: DbDep, query: Annotated[CaseQuery, Query()]
) -> Response:
    """Cases in scope (an enterprise sees its own)."""
    page = wq.list_cases(db, user, query.to_filters())
    filters = query.active_filters()

    def qs(offset: int) -> str:
        return urlencode(filters | {"offset": str(offset)})

    ctx: dict[str, Any] = {
        "nav": "cases",
        "q": query,
        "rows": page.rows,
        "total": page.total,
        "statuses": LEAD_STATUSES,
        "export_qs": urlencode(filters),
        "page": query.offset // query.limit + 1,
        "pages": max(1, math.ceil(page.total / query.limit)),
        "prev_qs": qs(max(0, query.offset - query.limit)) if query.offset else None,
        "next_qs": qs(query.offset + query.limit)
        if query.offset + query.limit < page.total
        else None,
    }
    return render(request, "cases/list.html", ctx)


@router.get("/ledger")
def ledger_page(
    request: Request,
    principal: PageOfficer,
    user: PageUser,
    db: DbDep,
    kind: str = "",
    state: str = "all",
    district: str = "",
    overdue_only: bool = False,
) -> Response:
    """督办台账: every tracked problem (立行立改 and 督办, open and closed), filterable by
    type, state, district and overdue; the Excel export holds the same rows and columns."""
    from lantian.workflow.ledger import LEDGER_COLUMNS, ledger_districts, ledger_rows

    rows = ledger_rows(
        db,
        user,
        kind=kind or None,
        state=state,
        district=district or None,
        overdue_only=overdue_only,
    )
    ctx = {
        "nav": "ledger",
        "rows": rows,
        "columns": LEDGER_COLUMNS,
        "districts": ledger_districts(db, user),
        "kind": kind,
        "state": state,
        "district": district,
        "overdue_only": overdue_only,
        "export_qs": urlencode(
            {
                "kind": kind,
                "state": state,
                "district": district,
                "overdue_only": str(overdue_only).lower(),
            }
        ),
    }
    return render(request, "cases/ledger.html", ctx)


def check_item_texts(db: DbDep, template_ids: list[str | None]) -> dict[str, str]:
    """Checklist item code → item text of the given templates (answers show the item, not
    its code)."""
    ids = {t for t in template_ids if t}
    if not ids:
        return {}
    texts: dict[str, str] = {}
    for items in db.scalars(
        select(ChecklistTemplate.items).where(ChecklistTemplate.template_id.in_(ids))
    ):
        for item in items or []:
            texts.setdefault(str(item.get("code")), str(item.get("text") or item.get("code")))
    return texts


def case_context(
    db: DbDep, user: User, case_id: int, template_id: str | None = None
) -> dict[str, Any]:
    """Template values of the case page.

    The on-site checklist is the enterprise's industry template, or the one chosen with
    ``template_id`` (any on-site checklist, for industries without their own).
    """
    d = wq.get_case(db, user, case_id)
    d.actions = offered_actions(d.actions, has_check=bool(d.checks))
    case = d.case
    onsite: list[ChecklistTemplate] = []
    checklist: ChecklistTemplate | None = None
    if case.status == "checking":
        onsite = ws.list_checklist_templates(db, kind="onsite")
        industry = d.enterprise.industry if d.enterprise is not None else None
        chosen = [t for t in onsite if t.template_id == template_id]
        own = [t for t in onsite if t.industry == industry]
        candidates = chosen or own or onsite
        checklist = candidates[0] if candidates else None
    can_reassign = user.role in REASSIGN_ROLES and case.status in REASSIGN_STATES
    officers = (
        ws.assignable_officers(db, user, case_id)
        if can_reassign or any(t.action == "dispatch" for t in d.actions)
        else []
    )
    reached = {ev.to_status for ev, _name in d.events if ev.to_status} | {case.status}
    shared_by = [case.shared_with_enterprise_by, *(c.shared_with_enterprise_by for c in d.checks)]
    sharer_ids = {uid for uid in shared_by if uid is not None}
    sharers = (
        {
            uid: name
            for uid, name in db.execute(
                select(User.user_id, User.display_name).where(User.user_id.in_(sharer_ids))
            )
        }
        if sharer_ids
        else {}
    )
    can_share_case = may_share_case(user, case)
    return {
        "check_item_texts": check_item_texts(db, [c.template_id for c in d.checks]),
        "d": d,
        "case": case,
        "onsite_templates": onsite,
        "checklist": checklist,
        "officers": officers,
        "steps": STEP_ORDER,
        "reached": reached,
        "states": {s.code: s for s in STATES},
        "action_names": [t.action for t in d.actions],
        "confirm_actions": CONFIRM_ACTIONS,
        "transitions": TRANSITIONS,
        "can_record_check": user.role != "enterprise" and case.status == "checking",
        "inspector_choices": (
            certified_officers(db, case)
            if user.role != "enterprise" and case.status == "checking"
            else []
        ),
        "can_attach": case.status not in ("closed", "false_positive"),
        "can_reassign": can_reassign,
        "can_share_case": can_share_case,
        "share_counts": share_counts_for_enterprise(case) if can_share_case else True,
        "can_share_checks": user.role in OFFICER_ROLES and case.enterprise_id is not None,
        "sharers": sharers,
        # 执法证号 of the assignee and the officers offered (inspector register)
        "cert_nos": ws.certificate_numbers(
            db,
            [o.user_id for o in officers] + ([d.assignee.user_id] if d.assignee else []),
        )
        if user.role in OFFICER_ROLES
        else {},
        **dispatching_context(db, user, case),
        "event_labels": {
            "share_case": _("Shared with the enterprise"),
            "share_check_record": _("Check record shared with the enterprise"),
            "escalate": _("Overdue, escalated"),
            "convert_to_supervision": _("Immediate fix became a supervision order"),
            "spot_check_drawn": _("Drawn for a spot check"),
            "spot_check_passed": _("Spot check passed"),
            "spot_check_failed": _("Spot check failed"),
        },
    }


@router.get("/cases/{case_id}")
def case_page(
    request: Request, case_id: int, user: PageUser, db: DbDep, template: str | None = None
) -> Response:
    """One case: status steps, leads, timeline, checks, files and the forms of the next steps."""
    ctx = case_context(db, user, case_id, template)
    ctx["nav"] = "cases"
    ctx["only_action"] = None
    ctx["done"] = request.query_params.get("done")
    return render(request, "cases/detail.html", ctx)


@router.get("/cases/{case_id}/step/{action}")
def case_step_page(
    request: Request,
    case_id: int,
    action: str,
    user: PageUser,
    db: DbDep,
    template: str | None = None,
) -> Response:
    """One step of a case on its own page (phones on site): its form only."""
    ctx = case_context(db, user, case_id, template)
    allowed = set(ctx["action_names"]) | ({"check"} if ctx["can_record_check"] else set())
    if action not in allowed:
        raise HTTPException(409, _("This step is not possible in the case's current status"))
    ctx |= {"nav": "cases", "only_action": action}
    return render(request, "cases/step.html", ctx)


async def _form(request: Request) -> tuple[dict[str, Any], list[UploadedFile]]:
    form = await request.form()
    fields: dict[str, Any] = {}
    files: list[UploadedFile] = []
    check_upload_count(
        sum(1 for _k, v in form.multi_items() if isinstance(v, UploadFile) and v.filename)
    )
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            if value.filename:
                check_upload_size(value.filename, value.size)  # before reading it
                data = await value.read()
                files.append(UploadedFile(value.filename, data, value.content_type))
        elif key != "csrf_token":
            fields[key] = value
    return fields, files


async def _form_error(
    request: Request,
    db: DbDep,
    user: User,
    case_id: int,
    form_id: str,
    exc: ValidationError,
    fields: dict[str, Any],
) -> Response:
    """The case page (or the step page the form came from) again, with the error next to
    its field and the input kept; nothing of the failed step is stored."""

    def context() -> dict[str, Any]:
        db.rollback()
        return case_context(db, user, case_id, fields.get("template_id") or None)

    ctx = await run_in_threadpool(context)
    step = str(fields.get("from_step") or "")
    allowed = set(ctx["action_names"]) | ({"check"} if ctx["can_record_check"] else set())
    only_action = step if step in allowed else None
    ctx |= {"nav": "cases", "only_action": only_action, "done": None}
    template = "cases/step.html" if only_action else "cases/detail.html"
    return form_error_response(request, template, ctx, errors_from(exc, form_id, fields))


def _done(request: Request, case_id: int, what: str) -> Response:
    target = f"/cases/{case_id}?done={what}"
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


@router.post("/cases/{case_id}/actions/{action}")
async def case_action(
    request: Request, case_id: int, action: str, user: PagePostUser, db: DbDep
) -> Response:
    """Fire one step of the case (交办, 核查, 认定, 整改, 复核, 销号 …)."""
    fields, files = await _form(request)
    uploads = request.app.state.settings.uploads_dir

    def work() -> None:
        check_text_lengths(fields)
        require_confirmation(action, fields)
        fire_action(db, user, case_id, action, fields, files, uploads)
        db.commit()

    try:
        await run_in_threadpool(work)
    except ValidationError as exc:
        return await _form_error(request, db, user, case_id, f"action-{action}", exc, fields)
    return _done(request, case_id, action)


@router.post("/cases/{case_id}/meetings")
async def record_meeting_form(
    request: Request, case_id: int, user: PagePostUser, db: DbDep
) -> Response:
    """Record a 约谈 or 通报 on the case (officers); input kept on an error."""
    fields, _files = await _form(request)

    def work() -> None:
        data = parse_meeting(
            str(fields.get("kind") or ""),
            held_at=fields.get("held_at"),
            place=fields.get("place"),
            people=str(fields.get("people") or ""),
            content=fields.get("content"),
            follow_up=fields.get("follow_up"),
            follow_up_due=fields.get("follow_up_due"),
        )
        record_meeting(db, user, case_id, data)
        db.commit()

    try:
        await run_in_threadpool(work)
    except ValidationError as exc:
        return await _form_error(request, db, user, case_id, "meeting-form", exc, fields)
    return _done(request, case_id, "meeting")


@router.post("/cases/{case_id}/reassign")
async def reassign(request: Request, case_id: int, user: PagePostUser, db: DbDep) -> Response:
    """改派: give a dispatched or checking case to another officer (optional new deadline)."""
    fields, _files = await _form(request)

    def work() -> None:
        check_text_lengths(fields)
        try:
            assignee_id = int(fields.get("assignee_id") or "")
        except ValueError as exc:
            raise ValidationError(_("Choose an officer"), field="assignee_id") from exc
        ws.reassign(
            db,
            user,
            case_id,
            assignee_id=assignee_id,
            deadline=parse_deadline(fields.get("deadline"), "deadline"),
            note=(str(fields.get("note") or "").strip() or None),
        )
        db.commit()

    try:
        await run_in_threadpool(work)
    except ValidationError as exc:
        return await _form_error(request, db, user, case_id, "reassign-form", exc, fields)
    return _done(request, case_id, "reassign")


@router.post("/cases/{case_id}/share")
async def share_case(request: Request, case_id: int, user: PagePostUser, db: DbDep) -> Response:
    """向企业公开: the enterprise then sees the case and its leads (confirmed, cannot be
    undone; officers only; audited by the service)."""
    fields, _files = await _form(request)

    def work() -> None:
        note = share_fields(fields)
        ws.share_case(db, user, case_id, note=note)
        db.commit()

    try:
        await run_in_threadpool(work)
    except ValidationError as exc:
        return await _form_error(request, db, user, case_id, "share-form", exc, fields)
    return _done(request, case_id, "share_case")


@router.post("/checks/{check_id}/share")
async def share_check_record(
    request: Request, check_id: int, user: PagePostUser, db: DbDep
) -> Response:
    """向企业公开此记录: the enterprise then sees the check's notes, checklist, GPS and
    photos once the case has reached it (confirmed, cannot be undone; officers only)."""
    fields, _files = await _form(request)

    def work() -> int:
        note = share_fields(fields)
        rec = ws.share_check_record(db, user, check_id, note=note)
        case_id = rec.case_id
        db.commit()
        return case_id

    try:
        case_id = await run_in_threadpool(work)
    except ValidationError as exc:
        rec = await run_in_threadpool(db.get, CheckRecord, check_id)
        if rec is None:
            raise HTTPException(404, _("Not found")) from exc
        form_id = f"share-check-form-{check_id}"
        return await _form_error(request, db, user, rec.case_id, form_id, exc, fields)
    return _done(request, case_id, "share_check_record")


@router.post("/cases/{case_id}/checks")
async def record_check(request: Request, case_id: int, user: PagePostUser, db: DbDep) -> Response:
    """Record a remote or on-site check: checklist answers, notes, photos, GPS."""
    fields, files = await _form(request)
    uploads = request.app.state.settings.uploads_dir

    form = await request.form()  # cached: the inspectors are a multi-valued field
    inspector_ids = [int(str(x)) for x in form.getlist("inspector_ids") if str(x).isdigit()]
    kind = str(fields.get("kind") or "onsite")

    def work() -> None:
        check_text_lengths(fields)
        check_required(fields, "kind")
        from lantian.workflow.checks import decode_signature

        ws.record_check(
            db,
            user,
            case_id,
            kind=kind,
            template_id=fields.get("template_id") or None,
            answers=parse_answers(fields) or None,
            notes=(str(fields.get("notes") or "").strip() or None),
            lon=parse_float(fields, "lon"),
            lat=parse_float(fields, "lat"),
            gps_accuracy_m=parse_float(fields, "gps_accuracy_m"),
            onsite_reason=(str(fields.get("onsite_reason") or "").strip() or None),
            photos=files,
            uploads_dir=uploads,
            inspector_ids=inspector_ids,
            representative_name=str(fields.get("representative_name") or ""),
            representative_title=str(fields.get("representative_title") or ""),
            representative_phone=str(fields.get("representative_phone") or ""),
            signature_png=decode_signature(str(fields.get("signature") or "")),
            require_onsite_record=kind == "onsite",
        )
        db.commit()

    try:
        await run_in_threadpool(work)
    except ValidationError as exc:
        return await _form_error(request, db, user, case_id, "check-record", exc, fields)
    return _done(request, case_id, "record_check")


@router.post("/cases/{case_id}/attachments")
async def add_attachments(
    request: Request, case_id: int, user: PagePostUser, db: DbDep
) -> Response:
    """Attach files (photos, evidence) to a case."""
    fields, files = await _form(request)
    uploads = request.app.state.settings.uploads_dir
    kind = str(fields.get("kind") or "evidence")

    def work() -> None:
        ws.add_attachments(db, user, case_id, files, kind=kind, uploads_dir=uploads)
        db.commit()

    try:
        await run_in_threadpool(work)
    except ValidationError as exc:
        return await _form_error(request, db, user, case_id, "attach-form", exc, fields)
    return _done(request, case_id, "attachments")


@router.get("/attachments/{attachment_id}")
def attachment(request: Request, attachment_id: int, user: PageUser, db: DbDep) -> Response:
    """Download a stored file (scope-checked)."""
    att, path = ws.get_attachment(
        db, user, attachment_id, uploads_dir=request.app.state.settings.uploads_dir
    )
    return FileResponse(
        path,
        media_type=att.content_type,
        filename=att.filename,
        content_disposition_type="inline"
        if att.content_type.startswith("image/")
        else "attachment",
    )
