"""信访投诉 (complaints): officers list, record and judge them; enterprises see none."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from lantian.supervision.complaints import services as cs
from lantian.supervision.complaints.models import Complaint
from lantian.timeutil import isoformat_cst
from lantian.vocab.complaints import COMPLAINT_CHANNELS, COMPLAINT_STATUSES
from lantian.web.deps import ApiUser, DbDep

router = APIRouter(prefix="/api", tags=["complaints"])


def complaint_dict(c: Complaint) -> dict[str, Any]:
    """One complaint as JSON (times in CST)."""
    return {
        "complaint_id": c.complaint_id,
        "enterprise_id": c.enterprise_id,
        "received_at": isoformat_cst(c.received_at),
        "channel": c.channel,
        "channel_label": COMPLAINT_CHANNELS.name(c.channel),
        "summary": c.summary,
        "case_id": c.case_id,
        "status": c.status,
        "status_label": COMPLAINT_STATUSES.name(c.status),
        "recorded_by": c.recorded_by,
        "recorded_at": isoformat_cst(c.recorded_at),
        "judged_by": c.judged_by,
        "judged_at": isoformat_cst(c.judged_at) if c.judged_at is not None else None,
        "judgement_note": c.judgement_note,
    }


class ComplaintRequest(BaseModel):
    """Body of ``POST /api/complaints``; ``received_at`` ISO date or time (CST if no offset)."""

    enterprise_id: str = Field(max_length=64)
    received_at: str = Field(max_length=40)
    channel: str = Field(max_length=16)
    summary: str = Field(max_length=cs.SUMMARY_MAX_CHARS)
    case_id: int | None = None


class JudgeRequest(BaseModel):
    """Body of ``POST /api/complaints/{id}/judge``: ``verified`` or ``unfounded`` and a note."""

    outcome: str = Field(max_length=16)
    note: str = Field(max_length=cs.SUMMARY_MAX_CHARS)


@router.get("/complaints", summary="信访投诉 in the officer's scope")
def list_complaints(
    user: ApiUser, db: DbDep, enterprise_id: str | None = None, status: str | None = None
) -> dict[str, Any]:
    """Newest first; filter by enterprise and status. Enterprises are refused (403)."""
    rows = cs.list_complaints(db, user, enterprise_id=enterprise_id, status=status)
    return {"total": len(rows), "items": [complaint_dict(c) for c in rows]}


@router.post("/complaints", summary="Record a 信访投诉 (officers)")
def record(body: ComplaintRequest, user: ApiUser, db: DbDep) -> dict[str, Any]:
    """Stored ``received`` and audited; it is a plan trigger from then on."""
    row = cs.record_complaint(db, user, cs.ComplaintIn(**body.model_dump()))
    db.commit()
    return complaint_dict(row)


@router.post("/complaints/{complaint_id}/judge", summary="Judge a 信访投诉 (officers)")
def judge(complaint_id: int, body: JudgeRequest, user: ApiUser, db: DbDep) -> dict[str, Any]:
    """``verified`` keeps it a trigger, ``unfounded`` removes it; judged once (409 after)."""
    row = cs.judge_complaint(db, user, complaint_id, body.outcome, body.note)
    db.commit()
    return complaint_dict(row)
