"""调度督办 API: escalation tasks for the next level (``/api/tasks``) and the 约谈 / 通报 of
a case (``/api/cases/{id}/interviews``, ``/api/cases/{id}/circulars``), with their PDFs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field

from lantian.documents.meeting_pdf import meeting_pdf
from lantian.timeutil import isoformat_cst
from lantian.vocab.dispatching import MEETING_KINDS, TASK_STATES
from lantian.web.api.exports import download
from lantian.web.deps import ApiOfficer, ApiUser, DbDep
from lantian.workflow.dispatch_models import CaseMeeting
from lantian.workflow.meetings import list_meetings, parse_meeting, record_meeting
from lantian.workflow.tasks import TaskRow, complete_task, list_tasks

router = APIRouter(prefix="/api", tags=["escalation tasks, interviews and circulars"])


def _iso(v: datetime | None) -> str | None:
    return isoformat_cst(v) if v is not None else None


def task_dict(r: TaskRow) -> dict[str, Any]:
    """A task as JSON."""
    t = r.task
    return {
        "task_id": t.task_id,
        "case_id": t.case_id,
        "case_title": r.case_title,
        "enterprise_id": r.enterprise_id,
        "level": t.level,
        "assignee_id": t.assignee_id,
        "assignee_name": r.assignee_name,
        "status": t.status,
        "status_label": TASK_STATES.name(t.status),
        "reason": t.reason,
        "created_at": _iso(t.created_at),
        "due_at": _iso(t.due_at),
        "overdue": r.overdue,
        "done_at": _iso(t.done_at),
        "result": t.result,
    }


def meeting_dict(m: CaseMeeting) -> dict[str, Any]:
    """A 约谈 / 通报 record as JSON."""
    return {
        "meeting_id": m.meeting_id,
        "case_id": m.case_id,
        "kind": m.kind,
        "kind_label": MEETING_KINDS.name(m.kind),
        "held_at": _iso(m.held_at),
        "place": m.place,
        "people": list(m.people),
        "content": m.content,
        "follow_up": m.follow_up,
        "follow_up_due": _iso(m.follow_up_due),
        "recorded_at": _iso(m.recorded_at),
        "pdf": f"/api/meetings/{m.meeting_id}.pdf",
    }


class DoneRequest(BaseModel):
    """Body of ``POST /api/tasks/{id}/done``: what the next level did."""

    result: str = Field(max_length=4000)


class MeetingRequest(BaseModel):
    """Body of ``POST /api/cases/{id}/interviews`` and ``…/circulars``."""

    held_at: str = Field(max_length=40)
    place: str | None = Field(None, max_length=200)
    people: list[str] = Field(min_length=1, max_length=30)
    content: str = Field(max_length=10000)
    follow_up: str | None = Field(None, max_length=4000)
    follow_up_due: str | None = Field(None, max_length=40)


@router.get("/tasks", summary="Escalation tasks (督办任务) in scope (officers)")
def get_tasks(
    principal: ApiOfficer,
    user: ApiUser,
    db: DbDep,
    mine: bool = False,
    status: str | None = None,
    case_id: int | None = None,
) -> dict[str, Any]:
    """Newest first; ``mine=true``: addressed to the caller; ``status`` open or done."""
    rows = list_tasks(db, user, mine=mine, status=status or None, case_id=case_id)
    return {"total": len(rows), "items": [task_dict(r) for r in rows]}


@router.post("/tasks/{task_id}/done", summary="Close an escalation task with its result")
def post_task_done(
    task_id: int, body: DoneRequest, principal: ApiOfficer, user: ApiUser, db: DbDep
) -> dict[str, Any]:
    """The task's assignee (or an admin) records what was done; audited, on the timeline."""
    task = complete_task(db, user, task_id, result=body.result)
    db.commit()
    rows = list_tasks(db, user, case_id=task.case_id)
    return next(task_dict(r) for r in rows if r.task.task_id == task_id)


def _record(kind: str, case_id: int, body: MeetingRequest, user: Any, db: Any) -> dict[str, Any]:
    data = parse_meeting(
        kind,
        held_at=body.held_at,
        place=body.place,
        people=body.people,
        content=body.content,
        follow_up=body.follow_up,
        follow_up_due=body.follow_up_due,
    )
    row = record_meeting(db, user, case_id, data)
    db.commit()
    return meeting_dict(row)


@router.post("/cases/{case_id}/interviews", status_code=201, summary="Record a 约谈 (officers)")
def post_interview(case_id: int, body: MeetingRequest, user: ApiUser, db: DbDep) -> dict[str, Any]:
    """Date, place, attendees, minutes and follow-up of a 约谈; numbered 约谈〔year〕第N号."""
    return _record("interview", case_id, body, user, db)


@router.post("/cases/{case_id}/circulars", status_code=201, summary="Record a 通报 (officers)")
def post_circular(case_id: int, body: MeetingRequest, user: ApiUser, db: DbDep) -> dict[str, Any]:
    """Date, recipients, text and follow-up of a 通报; numbered 通报〔year〕第N号."""
    return _record("circular", case_id, body, user, db)


@router.get("/cases/{case_id}/meetings", summary="约谈 and 通报 of a case")
def get_meetings(case_id: int, user: ApiUser, db: DbDep) -> dict[str, Any]:
    """Oldest first, as the caller may see them."""
    rows = list_meetings(db, user, case_id)
    return {"total": len(rows), "items": [meeting_dict(m) for m in rows]}


@router.get("/meetings/{meeting_id}.pdf", summary="约谈记录 or 通报 as PDF")
def get_meeting_pdf(meeting_id: int, user: ApiUser, db: DbDep) -> Response:
    """The numbered document of a 约谈 or 通报 (whoever sees the record)."""
    doc = meeting_pdf(db, user, meeting_id)
    db.commit()
    return download(
        doc.pdf, doc.filename, "application/pdf", ascii_name=f"meeting-{meeting_id}.pdf"
    )
