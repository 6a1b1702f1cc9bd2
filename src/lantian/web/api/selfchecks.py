"""Self-checks (自查): the enterprise's applicable template, submissions, photos, review.

``GET /api/self-checks/template`` (enterprise: its applicable items; officers may name an
``enterprise_id`` to preview), ``POST /api/self-checks`` (201 ``{"self_check_id"}``),
``GET /api/self-checks?enterprise_id=…`` (in scope), ``GET /api/self-checks/{id}``,
``POST /api/self-checks/{id}/photos``, ``POST /api/self-checks/{id}/review`` (officers),
``GET /api/self-check-files/{file_id}``.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from lantian.assist.selfchecks import queries as sq
from lantian.assist.selfchecks import services as ss
from lantian.assist.selfchecks.models import AssistFile, SelfCheck
from lantian.auth.errors import NotFound, ValidationError
from lantian.auth.models import User
from lantian.auth.visibility import load_visible
from lantian.registry.models import Enterprise
from lantian.timeutil import isoformat_cst
from lantian.web.deps import ApiUser, DbDep
from lantian.web.limits import check_upload_size
from lantian.workflow.files import UploadedFile

router = APIRouter(prefix="/api", tags=["self-checks"])


def template_for(db: Any, user: User, enterprise_id: str | None) -> dict[str, Any]:
    """The applicable template of the caller's enterprise (or, for officers, of
    ``enterprise_id`` in scope) as JSON."""
    eid = enterprise_id or (user.enterprise_id if user.role == "enterprise" else None)
    if not eid:
        raise ValidationError("enterprise_id is required", field="enterprise_id")
    ent: Enterprise = load_visible(db, user, "enterprise", eid)
    tpl = ss.current_template(db, ent.industry)
    if tpl is None:
        raise NotFound("本行业暂无自查表 (no self-check template for the industry)")
    facts = sq.registry_facts(db, [eid])[eid]
    return {
        "template_id": tpl.template_id,
        "version": tpl.version,
        "title": tpl.title,
        "industry": tpl.industry,
        "enterprise_id": eid,
        "items": [
            {"id": it["code"], "text": it["text"], "basis": it.get("basis", "")}
            for it in ss.applicable_items(tpl, facts)
        ],
    }


@router.get("/self-checks/template", summary="The self-check items that apply to an enterprise")
def get_template(user: ApiUser, db: DbDep, enterprise_id: str | None = None) -> dict[str, Any]:
    """``{"template_id", "version", "items": [{"id", "text", "basis"}]}``: only applicable items."""
    return template_for(db, user, enterprise_id)


class AnswerIn(BaseModel):
    """One answer."""

    item_id: str = Field(max_length=32)
    answer: Literal["yes", "no", "na"] | None = None
    note: str | None = Field(None, max_length=2000)
    fix_by: str | None = Field(None, description="不符合: date the enterprise will fix it by")


class SelfCheckIn(BaseModel):
    """Body of ``POST /api/self-checks``."""

    template_id: str = Field(max_length=64)
    answers: list[AnswerIn] = Field(max_length=500)
    notice_id: int | None = Field(None, description="the 预告知 that asked for it")
    self_check_id: int | None = Field(None, description="the draft to continue")
    draft: bool = Field(False, description="save without submitting (resume later)")


def self_check_dict(sc: SelfCheck, *, full: bool = False, db: Any = None) -> dict[str, Any]:
    """A self-check as JSON (with answers, findings and photos when ``full``)."""
    out: dict[str, Any] = {
        "self_check_id": sc.self_check_id,
        "enterprise_id": sc.enterprise_id,
        "template_id": sc.template_id,
        "version": sc.version,
        "origin": sc.origin,
        "status": sc.status,
        "notice_id": sc.notice_id,
        "fail_share": sc.fail_share,
        "submitted_at": isoformat_cst(sc.submitted_at) if sc.submitted_at else None,
        "reviewed_by": sc.reviewed_by,
        "reviewed_at": isoformat_cst(sc.reviewed_at) if sc.reviewed_at else None,
        "review_note": sc.review_note,
    }
    if full and db is not None:
        out["answers"] = [{"item_id": k, **v} for k, v in sc.answers.items()]
        out["findings"] = [
            {
                "finding_id": f.finding_id,
                "item_id": f.item_id,
                "text": f.text,
                "fix_by": f.fix_by.isoformat(),
                "status": f.status,
            }
            for f in sq.findings_of(db, sc.self_check_id)
        ]
        out["photos"] = [
            {"file_id": f.file_id, "item_id": item, "filename": f.filename}
            for item, files in sq.files_of(db, sc.self_check_id).items()
            for f in files
        ]
    return out


@router.post("/self-checks", status_code=201, summary="Save or submit a self-check (enterprise)")
def post_self_check(
    request: Request, body: SelfCheckIn, user: ApiUser, db: DbDep
) -> dict[str, Any]:
    """Refused (422, naming the item) for an item that does not apply; nothing is stored."""
    sc = ss.save_self_check(
        db,
        user,
        body.template_id,
        [a.model_dump() for a in body.answers],
        submit=not body.draft,
        self_check_id=body.self_check_id,
        notice_id=body.notice_id,
        interval_days=request.app.state.settings.selfcheck_interval_days,
    )
    db.commit()
    return {"self_check_id": sc.self_check_id, "status": sc.status}


@router.get("/self-checks", summary="Self-checks in the caller's scope")
def list_self_checks(
    user: ApiUser, db: DbDep, enterprise_id: str | None = None, status: str | None = None
) -> dict[str, Any]:
    """Officers: submitted and reviewed self-checks of enterprises in scope."""
    rows = sq.list_self_checks(db, user, enterprise_id=enterprise_id, status=status)
    return {
        "total": len(rows),
        "items": [
            {
                **self_check_dict(r.self_check),
                "enterprise_name": r.enterprise_name,
                "findings": r.findings,
                "findings_open": r.findings_open,
            }
            for r in rows
        ],
    }


@router.get("/self-checks/{self_check_id}", summary="One self-check")
def get_self_check(self_check_id: int, user: ApiUser, db: DbDep) -> dict[str, Any]:
    """With answers, findings and photos."""
    return self_check_dict(sq.get_self_check(db, user, self_check_id), full=True, db=db)


@router.post("/self-checks/{self_check_id}/photos", status_code=201, summary="Add an item photo")
async def add_photo(
    request: Request,
    self_check_id: int,
    file: UploadFile,
    user: ApiUser,
    db: DbDep,
    item_id: str = Form(max_length=32),
) -> dict[str, Any]:
    """A photo of one item of a draft (checked by content, size-limited, re-encoded)."""
    check_upload_size(file.filename or "file", file.size)
    upload = UploadedFile(file.filename or "file", await file.read(), file.content_type)

    def work() -> int:
        f = ss.add_photo(
            db,
            user,
            self_check_id,
            item_id,
            upload,
            uploads_dir=request.app.state.settings.uploads_dir,
        )
        db.commit()
        return f.file_id

    return {"file_id": await run_in_threadpool(work)}


class ReviewIn(BaseModel):
    """Body of ``POST /api/self-checks/{id}/review``."""

    note: str = Field("", max_length=4000)


@router.post("/self-checks/{self_check_id}/review", summary="Review a self-check (officers)")
def review(self_check_id: int, body: ReviewIn, user: ApiUser, db: DbDep) -> dict[str, Any]:
    """Sets ``reviewed_by``/``reviewed_at``."""
    sc = ss.review_self_check(db, user, self_check_id, note=body.note)
    db.commit()
    return self_check_dict(sc)


def file_response(request: Request, db: Any, user: User, file_id: int) -> Response:
    """A stored self-check photo or milestone evidence, if its owner is in scope."""
    from lantian.assist.rectification.models import RectificationMilestone

    f = db.get(AssistFile, file_id)
    if f is None:
        raise NotFound(f"file {file_id} not found")
    if f.self_check_id is not None:
        sq.get_self_check(db, user, f.self_check_id)  # drafts: the enterprise only
    else:
        m = db.get(RectificationMilestone, f.milestone_id)
        load_visible(db, user, "rectification_plan", m.plan_id if m else None, what="file")
    path = request.app.state.settings.uploads_dir / f.stored_path
    if not path.is_file():
        raise NotFound(f"file {file_id}: file missing")
    return FileResponse(path, media_type=f.content_type, filename=f.filename)


@router.get("/self-check-files/{file_id}", summary="Download a self-check photo or evidence")
def get_file(request: Request, file_id: int, user: ApiUser, db: DbDep) -> Response:
    """The file, if its self-check or plan is in the caller's scope."""
    return file_response(request, db, user, file_id)
