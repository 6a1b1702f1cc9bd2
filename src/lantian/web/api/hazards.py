"""隐患提示函 (hazard notices): list with filters, issue, reply (with files), close, escalate.

The PDF is ``GET /api/notices/{notice_id}.pdf`` (a hazard notice is a notice).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from lantian.supervision.hazards import services as hs
from lantian.supervision.hazards.queries import (
    HazardDetail,
    HazardFilters,
    HazardRow,
    get_hazard_notice,
    list_hazard_notices,
)
from lantian.timeutil import isoformat_cst
from lantian.vocab.hazards import HAZARD_STATES
from lantian.web.deps import ApiUser, DbDep
from lantian.web.limits import check_upload_count, check_upload_size
from lantian.workflow.files import UploadedFile

router = APIRouter(prefix="/api", tags=["hazard notices"])


def _iso(v: datetime | None) -> str | None:
    return isoformat_cst(v) if v is not None else None


def row_dict(r: HazardRow) -> dict[str, Any]:
    """A notice of the list as JSON."""
    h, n = r.hazard, r.notice
    return {
        "notice_id": n.notice_id,
        "number": r.number,
        "enterprise_id": h.enterprise_id,
        "enterprise_name": r.enterprise_name,
        "district": r.district,
        "title": n.title,
        "lead_id": h.lead_id,
        "case_id": n.case_id,
        "issued_at": _iso(n.issued_at),
        "reply_due": _iso(h.reply_due),
        "status": h.status,
        "status_label": HAZARD_STATES.name(h.status),
        "overdue": r.overdue,
        "replied_at": _iso(h.replied_at),
        "escalated_case_id": h.escalated_case_id,
    }


def detail_dict(d: HazardDetail) -> dict[str, Any]:
    """One notice as JSON, with its items, reply and follow-up."""
    h, n = d.hazard, d.notice
    return {
        "notice_id": n.notice_id,
        "number": d.number,
        "enterprise_id": h.enterprise_id,
        "enterprise_name": d.enterprise.name,
        "title": n.title,
        "body": n.body,
        "lead_id": h.lead_id,
        "case_id": n.case_id,
        "issued_at": _iso(n.issued_at),
        "reply_due": _iso(h.reply_due),
        "status": h.status,
        "status_label": HAZARD_STATES.name(h.status),
        "overdue": d.overdue,
        "items": [
            {"seq": i.seq, "problem": i.problem, "basis": i.basis, "measure": i.measure}
            for i in d.items
        ],
        "reply": {
            "text": h.reply_text,
            "replied_at": _iso(h.replied_at),
            "files": [
                {
                    "file_id": f.file_id,
                    "filename": f.filename,
                    "content_type": f.content_type,
                    "size_bytes": f.size_bytes,
                    "url": f"/api/hazard-notices/files/{f.file_id}",
                }
                for f in d.files
            ],
        },
        "followup": {
            "note": h.followup_note,
            "at": _iso(h.followed_up_at),
            "escalated_case_id": h.escalated_case_id,
        },
        "pdf": f"/api/notices/{n.notice_id}.pdf",
    }


class ItemRequest(BaseModel):
    """One item: the problem, its basis (citation), the suggested measure."""

    problem: str = Field(max_length=2000)
    basis: str = Field(max_length=1000)
    measure: str = Field(max_length=2000)


class HazardRequest(BaseModel):
    """Body of ``POST /api/hazard-notices``."""

    enterprise_id: str = Field(max_length=64)
    title: str = Field(max_length=200)
    intro: str | None = Field(None, max_length=2000)
    lead_id: str | None = Field(None, max_length=64)
    case_id: int | None = None
    items: list[ItemRequest] = Field(min_length=1, max_length=hs.MAX_ITEMS)


class NoteRequest(BaseModel):
    """Body of close / escalate: the officer's note; escalate may name the lead family."""

    note: str = Field(max_length=5000)
    family: str | None = Field(None, max_length=32)
    severity: int = Field(2, ge=1, le=3)


@router.get("/hazard-notices", summary="隐患提示函 in the caller's scope (filters)")
def list_notices(
    user: ApiUser,
    db: DbDep,
    status: str | None = None,
    overdue: bool = False,
    enterprise_id: str | None = None,
    district: str | None = None,
    q: str | None = None,
) -> dict[str, Any]:
    """Overdue replies first; ``overdue=true`` lists only those."""
    rows = list_hazard_notices(
        db,
        user,
        HazardFilters(
            status=status or None,
            overdue=overdue,
            enterprise_id=enterprise_id or None,
            district=district or None,
            q=q or None,
        ),
    )
    return {"total": len(rows), "items": [row_dict(r) for r in rows]}


@router.post("/hazard-notices", summary="Issue a 隐患提示函 (officers)")
def issue(body: HazardRequest, user: ApiUser, db: DbDep) -> dict[str, Any]:
    """Numbered 提示〔year〕第N号; reply due after ``LANTIAN_HAZARD_REPLY_WORKING_DAYS``."""
    row = hs.issue_hazard_notice(
        db,
        user,
        body.enterprise_id,
        title=body.title,
        items=[i.model_dump() for i in body.items],
        intro=body.intro,
        lead_id=body.lead_id,
        case_id=body.case_id,
    )
    db.commit()
    return detail_dict(get_hazard_notice(db, user, row.notice_id))


@router.get("/hazard-notices/{notice_id}", summary="One 隐患提示函")
def get_notice(notice_id: int, user: ApiUser, db: DbDep) -> dict[str, Any]:
    """Items, reply (with its files) and follow-up."""
    return detail_dict(get_hazard_notice(db, user, notice_id))


@router.post("/hazard-notices/{notice_id}/reply", summary="Reply to a 隐患提示函 (enterprise)")
async def reply(
    request: Request,
    notice_id: int,
    user: ApiUser,
    db: DbDep,
    text: Annotated[str, Form(max_length=20000)],
    files: Annotated[list[UploadFile] | None, File()] = None,
) -> dict[str, Any]:
    """Multipart: ``text`` and any number of ``files`` (photos, documents)."""
    got = [f for f in files or [] if f.filename]
    check_upload_count(len(got))
    uploads: list[UploadedFile] = []
    for f in got:
        check_upload_size(f.filename or "", f.size)
        uploads.append(UploadedFile(f.filename or "file", await f.read(), f.content_type))
    hs.reply(db, user, notice_id, text, uploads, uploads_dir=request.app.state.settings.uploads_dir)
    db.commit()
    return detail_dict(get_hazard_notice(db, user, notice_id))


@router.post("/hazard-notices/{notice_id}/close", summary="Close a 隐患提示函 (officers)")
def close(notice_id: int, body: NoteRequest, user: ApiUser, db: DbDep) -> dict[str, Any]:
    """With the officer's note."""
    hs.close(db, user, notice_id, body.note)
    db.commit()
    return detail_dict(get_hazard_notice(db, user, notice_id))


@router.post("/hazard-notices/{notice_id}/escalate", summary="Escalate to a case (officers)")
def escalate(notice_id: int, body: NoteRequest, user: ApiUser, db: DbDep) -> dict[str, Any]:
    """Opens a case (the workflow's case creation) linked to the notice."""
    case = hs.escalate(db, user, notice_id, body.note, family=body.family, severity=body.severity)
    db.commit()
    out = detail_dict(get_hazard_notice(db, user, notice_id))
    out["case_id_opened"] = case.case_id
    return out


@router.get("/hazard-notices/files/{file_id}", summary="A file of a reply")
def reply_file(request: Request, file_id: int, user: ApiUser, db: DbDep) -> FileResponse:
    """The enterprise itself and officers in scope."""
    f, path = hs.reply_file(db, user, file_id, uploads_dir=request.app.state.settings.uploads_dir)
    return FileResponse(path, media_type=f.content_type, filename=f.filename)
