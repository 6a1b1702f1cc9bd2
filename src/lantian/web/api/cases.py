"""Cases and their transitions: list, detail, dispatch, actions, checks, files, ledger."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, UploadFile
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from lantian.timeutil import isoformat_cst
from lantian.web.access import row_dict
from lantian.web.casework import ACTIONS, fire_action, offered_actions, parse_deadline
from lantian.web.deps import ApiOfficer, ApiUser, DbDep
from lantian.web.limits import check_upload_count, check_upload_size
from lantian.web.queries import CaseQuery
from lantian.workflow import queries as wq
from lantian.workflow import service as ws
from lantian.workflow.checks import decode_signature
from lantian.workflow.files import UploadedFile
from lantian.workflow.models import Case

router = APIRouter(prefix="/api", tags=["cases"])


def _iso(v: datetime | None) -> str | None:
    return isoformat_cst(v) if v is not None else None


def case_dict(c: Case) -> dict[str, Any]:
    """A case as JSON."""
    out: dict[str, Any] = {}
    for col in Case.__table__.columns:
        v = getattr(c, col.key)
        out[col.key] = _iso(v) if isinstance(v, datetime) else v
    return out


class DispatchRequest(BaseModel):
    """Body of ``POST /api/leads/dispatch``."""

    lead_ids: list[str] = Field(min_length=1, max_length=1000)
    assignee_id: int
    deadline: str = Field(description="YYYY-MM-DD (end of that day, CST) or ISO date-time")
    note: str | None = Field(None, max_length=2000)


class TransitionRequest(BaseModel):
    """Body of ``POST /api/cases/{case_id}/transitions``: the action and its fields."""

    action: str = Field(description=f"one of: {', '.join(ACTIONS)}")
    fields: dict[str, Any] = Field(default_factory=dict)


class CheckRequest(BaseModel):
    """Body of ``POST /api/cases/{case_id}/checks`` (photos: use the page form)."""

    kind: str = Field("onsite", description="remote or onsite")
    template_id: str | None = None
    answers: dict[str, Any] | None = None
    notes: str | None = None
    lon: float | None = None
    lat: float | None = None
    gps_accuracy_m: float | None = None
    onsite_reason: str | None = None
    inspector_ids: list[int] = Field(
        default_factory=list, description="on-site: two or more officers with a 执法证号"
    )
    representative_name: str | None = Field(None, max_length=100)
    representative_title: str | None = Field(None, max_length=100)
    representative_phone: str | None = Field(None, max_length=32)
    signature: str | None = Field(None, description="data:image/png;base64,… of the signature")


@router.post("/leads/dispatch", summary="Dispatch leads (交办), one case per lead")
def dispatch_leads(body: DispatchRequest, user: ApiUser, db: DbDep) -> dict[str, Any]:
    """Bulk 交办 to an officer with a deadline; all-or-nothing."""
    cases = ws.dispatch(
        db,
        user,
        body.lead_ids,
        assignee_id=body.assignee_id,
        deadline=parse_deadline(body.deadline, "deadline"),
        note=body.note,
    )
    db.commit()
    return {"cases": [case_dict(c) for c in cases]}


@router.get("/cases", summary="List cases in the caller's scope")
def list_cases(user: ApiUser, db: DbDep, query: Annotated[CaseQuery, Query()]) -> dict[str, Any]:
    """Cases, filtered, sorted and paged."""
    page = wq.list_cases(db, user, query.to_filters())
    return {
        "total": page.total,
        "limit": page.limit,
        "offset": page.offset,
        "items": [row_dict(r) for r in page.rows],
    }


@router.get("/ledger", summary="督办台账: tracked problems until close-out")
def get_ledger(
    principal: ApiOfficer,
    user: ApiUser,
    db: DbDep,
    all_paths: bool = False,
    open_only: bool = True,
    overdue_only: bool = False,
) -> dict[str, Any]:
    """Supervision orders (or every judged case with ``all_paths``), oldest deadline first."""
    rows = wq.ledger(
        db, user, supervision_only=not all_paths, open_only=open_only, overdue_only=overdue_only
    )
    return {"total": len(rows), "items": [row_dict(r) for r in rows]}


@router.get("/cases/{case_id}", summary="One case with its timeline, checks and files")
def get_case(case_id: int, user: ApiUser, db: DbDep) -> dict[str, Any]:
    """404 if unknown or outside the caller's scope."""
    d = wq.get_case(db, user, case_id)
    return case_dict(d.case) | {
        "enterprise_name": d.enterprise.name if d.enterprise else None,
        "lead_ids": [lead.lead_id for lead in d.leads],
        "events": [
            {
                "at": _iso(ev.at),
                "actor": name,
                "action": ev.action,
                "from_status": ev.from_status,
                "to_status": ev.to_status,
                "note": ev.note,
            }
            for ev, name in d.events
        ],
        "checks": [
            {
                "check_id": c.check_id,
                "kind": c.kind,
                "checked_at": _iso(c.checked_at),
                "notes": c.notes,
                "answers": c.answers,
                "lon": c.lon,
                "lat": c.lat,
                "gps_accuracy_m": c.gps_accuracy_m,
                "site_distance_m": c.site_distance_m,
                "gps_warning": _gps_warning(c.site_distance_m, c.gps_warn_m),
                "inspectors": c.inspectors,
                "representative_name": c.representative_name,
                "signature_attachment_id": c.signature_attachment_id,
            }
            for c in d.checks
        ],
        "attachments": [
            {
                "attachment_id": a.attachment_id,
                "kind": a.kind,
                "filename": a.filename,
                "content_type": a.content_type,
                "size_bytes": a.size_bytes,
                "sha256": a.sha256,
            }
            for a in d.attachments
        ],
        "allowed_actions": [t.action for t in offered_actions(d.actions, bool(d.checks))],
    }


@router.post("/cases/{case_id}/transitions", summary="Fire one step of the case workflow")
def transition(
    request: Request, case_id: int, body: TransitionRequest, user: ApiUser, db: DbDep
) -> dict[str, Any]:
    """Fire ``action`` with its ``fields`` (409 if the case is not in a state that allows it)."""
    case = fire_action(
        db,
        user,
        case_id,
        body.action,
        body.fields,
        uploads_dir=request.app.state.settings.uploads_dir,
    )
    db.commit()
    return case_dict(case)


@router.post("/cases/{case_id}/checks", summary="Record a remote or on-site check")
def record_check(
    request: Request, case_id: int, body: CheckRequest, user: ApiUser, db: DbDep
) -> dict[str, Any]:
    """Checklist answers, notes, GPS; the case must be in ``checking``."""
    rec = ws.record_check(
        db,
        user,
        case_id,
        kind=body.kind,
        template_id=body.template_id,
        answers=body.answers,
        notes=body.notes,
        lon=body.lon,
        lat=body.lat,
        gps_accuracy_m=body.gps_accuracy_m,
        onsite_reason=body.onsite_reason,
        uploads_dir=request.app.state.settings.uploads_dir,
        inspector_ids=body.inspector_ids,
        representative_name=body.representative_name,
        representative_title=body.representative_title,
        representative_phone=body.representative_phone,
        signature_png=decode_signature(body.signature),
    )
    db.commit()
    return {
        "check_id": rec.check_id,
        "case_id": rec.case_id,
        "kind": rec.kind,
        "site_distance_m": rec.site_distance_m,
        "gps_warning": _gps_warning(rec.site_distance_m, rec.gps_warn_m),
    }


def _gps_warning(distance_m: float | None, warn_m: float | None) -> bool:
    """Whether a record's GPS position lies beyond the warning distance from the site."""
    return distance_m is not None and warn_m is not None and distance_m > warn_m


@router.post("/cases/{case_id}/attachments", summary="Attach files to a case")
async def add_attachments(
    request: Request,
    case_id: int,
    files: list[UploadFile],
    user: ApiUser,
    db: DbDep,
    kind: str = "evidence",
) -> dict[str, Any]:
    """Multipart upload (photos, evidence, documents)."""
    check_upload_count(len(files))
    for f in files:  # sizes of the spooled parts, before anything is read into memory
        check_upload_size(f.filename or "file", f.size)
    uploads = [UploadedFile(f.filename or "file", await f.read(), f.content_type) for f in files]

    def work() -> list[int]:
        atts = ws.add_attachments(
            db,
            user,
            case_id,
            uploads,
            kind=kind,
            uploads_dir=request.app.state.settings.uploads_dir,
        )
        db.commit()
        return [a.attachment_id for a in atts]

    return {"attachment_ids": await run_in_threadpool(work)}


@router.get("/attachments/{attachment_id}", summary="Download a stored file")
def get_attachment(request: Request, attachment_id: int, user: ApiUser, db: DbDep) -> Response:
    """The file, if its case is in the caller's scope."""
    att, path = ws.get_attachment(
        db, user, attachment_id, uploads_dir=request.app.state.settings.uploads_dir
    )
    return FileResponse(path, media_type=att.content_type, filename=att.filename)


class ReassignRequest(BaseModel):
    """Body of ``POST /api/cases/{case_id}/reassign``."""

    assignee_id: int
    deadline: str | None = Field(None, description="new deadline (YYYY-MM-DD or ISO), optional")
    note: str | None = Field(None, max_length=2000)


@router.post("/cases/{case_id}/reassign", summary="Reassign a case (改派)")
def reassign_case(case_id: int, body: ReassignRequest, user: ApiUser, db: DbDep) -> dict[str, Any]:
    """Give a dispatched or checking case to another officer (status unchanged, audited)."""
    c = ws.reassign(
        db,
        user,
        case_id,
        assignee_id=body.assignee_id,
        deadline=parse_deadline(body.deadline, "deadline"),
        note=body.note,
    )
    db.commit()
    return case_dict(c)


class ShareRequest(BaseModel):
    """Body of the share actions: an optional note for the audit log."""

    note: str | None = Field(None, max_length=2000)


@router.post("/cases/{case_id}/share", summary="Share a case with its enterprise")
def share_case(
    case_id: int, user: ApiUser, db: DbDep, body: ShareRequest | None = None
) -> dict[str, Any]:
    """The enterprise then sees the case and its leads (enterprise policy; audited)."""
    c = ws.share_case(db, user, case_id, note=body.note if body else None)
    db.commit()
    return case_dict(c)


@router.post("/checks/{check_id}/share", summary="Share a check record with the enterprise")
def share_check_record(
    check_id: int, user: ApiUser, db: DbDep, body: ShareRequest | None = None
) -> dict[str, Any]:
    """The enterprise then sees the record's notes and photos (enterprise policy; audited)."""
    rec = ws.share_check_record(db, user, check_id, note=body.note if body else None)
    db.commit()
    return {
        "check_id": rec.check_id,
        "case_id": rec.case_id,
        "shared_with_enterprise_at": _iso(rec.shared_with_enterprise_at),
    }
