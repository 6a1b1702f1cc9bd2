"""整改方案 (rectification plans): create on a case or a self-check finding, list, and record
a milestone done with evidence.

``POST /api/rectification-plans``, ``GET /api/rectification-plans?case_id=…|finding_id=…``,
``POST /api/rectification-milestones/{milestone_id}/complete`` (multipart: ``note``,
``files``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, Request, UploadFile
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from lantian.assist.rectification import services as rs
from lantian.timeutil import isoformat_cst
from lantian.web.deps import ApiUser, DbDep
from lantian.web.limits import check_upload_count, check_upload_size
from lantian.workflow.files import UploadedFile

router = APIRouter(prefix="/api", tags=["rectification"])


class MilestoneIn(BaseModel):
    """One milestone of a new plan."""

    title: str = Field(max_length=200)
    due_date: str = Field(description="YYYY-MM-DD")
    responsible: str = Field(max_length=100)


class PlanIn(BaseModel):
    """Body of ``POST /api/rectification-plans`` (``case_id`` or ``finding_id``)."""

    case_id: int | None = None
    finding_id: int | None = None
    measures: str = Field(max_length=10000)
    milestones: list[MilestoneIn] = Field(max_length=rs.MAX_MILESTONES)


def plan_dict(v: rs.PlanView) -> dict[str, Any]:
    """A plan with its milestones and progress as JSON."""
    p = v.progress
    return {
        "plan_id": v.plan.plan_id,
        "enterprise_id": v.plan.enterprise_id,
        "case_id": v.plan.case_id,
        "finding_id": v.plan.finding_id,
        "measures": v.plan.measures,
        "progress": {"done": p.done, "total": p.total, "late": p.late, "label": p.label()},
        "milestones": [
            {
                "milestone_id": m.milestone_id,
                "title": m.title,
                "due_date": m.due_date.isoformat(),
                "responsible": m.responsible,
                "state": state,
                "done_at": isoformat_cst(m.done_at) if m.done_at else None,
                "note": m.note,
                "evidence": [{"file_id": f.file_id, "filename": f.filename} for f in files],
            }
            for m, state, files in v.milestones
        ],
    }


@router.post("/rectification-plans", status_code=201, summary="Create a rectification plan")
def create_plan(body: PlanIn, user: ApiUser, db: DbDep) -> dict[str, Any]:
    """On a case or a self-check finding in scope; nothing is stored on bad input."""
    plan = rs.create_plan(
        db,
        user,
        measures=body.measures,
        milestones=[m.model_dump() for m in body.milestones],
        case_id=body.case_id,
        finding_id=body.finding_id,
    )
    db.commit()
    return plan_dict(rs.plans_of(db, user, plan_id=plan.plan_id)[0])


@router.get("/rectification-plans", summary="Rectification plans of a case or finding")
def list_plans(
    user: ApiUser, db: DbDep, case_id: int | None = None, finding_id: int | None = None
) -> dict[str, Any]:
    """Plans in the caller's scope."""
    views = rs.plans_of(db, user, case_id=case_id, finding_id=finding_id)
    return {"total": len(views), "items": [plan_dict(v) for v in views]}


@router.post("/rectification-milestones/{milestone_id}/complete", summary="Record a milestone done")
async def complete(
    request: Request,
    milestone_id: int,
    user: ApiUser,
    db: DbDep,
    note: str = Form("", max_length=4000),
    files: list[UploadFile] | None = None,
) -> dict[str, Any]:
    """With evidence files (checked, photos re-encoded) and/or a note."""
    files = files or []
    check_upload_count(len(files))
    for f in files:
        check_upload_size(f.filename or "file", f.size)
    uploads = [UploadedFile(f.filename or "file", await f.read(), f.content_type) for f in files]

    def work() -> dict[str, Any]:
        m = rs.complete_milestone(
            db,
            user,
            milestone_id,
            note=note,
            files=uploads,
            uploads_dir=request.app.state.settings.uploads_dir,
        )
        db.commit()
        return {"milestone_id": m.milestone_id, "plan_id": m.plan_id}

    return await run_in_threadpool(work)
