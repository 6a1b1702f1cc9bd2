"""Notices to enterprises (环境隐患提示函, 预告知): list, issue, acknowledge."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from lantian.timeutil import isoformat_cst, to_cst
from lantian.web.deps import ApiUser, DbDep
from lantian.workflow import queries as wq
from lantian.workflow import service as ws
from lantian.workflow.models import Notice

router = APIRouter(prefix="/api", tags=["notices"])


def notice_dict(n: Notice) -> dict[str, Any]:
    """A notice as JSON."""
    return {
        "notice_id": n.notice_id,
        "kind": n.kind,
        "enterprise_id": n.enterprise_id,
        "case_id": n.case_id,
        "title": n.title,
        "body": n.body,
        "inspection_at": isoformat_cst(n.inspection_at) if n.inspection_at else None,
        "issued_at": isoformat_cst(n.issued_at),
        "acknowledged_at": isoformat_cst(n.acknowledged_at) if n.acknowledged_at else None,
    }


class NoticeRequest(BaseModel):
    """Body of ``POST /api/enterprises/{enterprise_id}/notices``."""

    kind: Literal["hazard", "pre_notification"]
    title: str = Field(max_length=200)
    body: str = Field(max_length=10000)
    case_id: int | None = None
    template_id: str | None = None
    inspection_at: datetime | None = Field(None, description="pre-notification: when")


@router.get("/notices", summary="Notices in the caller's scope")
def list_notices(
    user: ApiUser, db: DbDep, enterprise_id: str | None = None, kind: str | None = None
) -> dict[str, Any]:
    """An enterprise sees its own notices; officers those of enterprises in scope."""
    rows = wq.list_notices(db, user, enterprise_id=enterprise_id, kind=kind)
    return {"total": len(rows), "items": [notice_dict(n) for n in rows]}


@router.post("/enterprises/{enterprise_id}/notices", summary="Send a notice (officers)")
def issue_notice(
    enterprise_id: str, body: NoticeRequest, user: ApiUser, db: DbDep
) -> dict[str, Any]:
    """环境隐患提示函 or 预告知 (with ``inspection_at``)."""
    n = ws.issue_notice(
        db,
        user,
        body.kind,
        enterprise_id,
        title=body.title,
        body=body.body,
        case_id=body.case_id,
        template_id=body.template_id,
        inspection_at=to_cst(body.inspection_at) if body.inspection_at else None,
    )
    db.commit()
    return notice_dict(n)


@router.post("/notices/{notice_id}/acknowledge", summary="Acknowledge a notice (enterprise)")
def acknowledge(notice_id: int, user: ApiUser, db: DbDep) -> dict[str, Any]:
    """The enterprise confirms receipt."""
    n = ws.acknowledge_notice(db, user, notice_id)
    db.commit()
    return notice_dict(n)
