"""Notices to enterprises: 环境隐患提示函 (hazard) and 预告知 (pre-notification)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from lantian.timeutil import to_cst
from lantian.web.deps import DbDep, PagePostUser
from lantian.workflow import service as ws

router = APIRouter(include_in_schema=False)


@router.post("/enterprises/{enterprise_id}/notices")
def issue_notice(
    request: Request,
    enterprise_id: str,
    user: PagePostUser,
    db: DbDep,
    kind: Annotated[str, Form()],
    title: Annotated[str, Form(max_length=200)],
    body: Annotated[str, Form(max_length=10000)],
    inspection_at: Annotated[datetime | None, Form()] = None,
    template_id: Annotated[str | None, Form()] = None,
) -> Response:
    """An officer sends a hazard notice or a pre-notification of an inspection."""
    ws.issue_notice(
        db,
        user,
        kind,
        enterprise_id,
        title=title,
        body=body,
        inspection_at=to_cst(inspection_at) if inspection_at else None,
        template_id=template_id or None,
    )
    db.commit()
    return RedirectResponse(f"/enterprises/{enterprise_id}?done=notice", status_code=303)


@router.post("/notices/{notice_id}/acknowledge")
def acknowledge_notice(request: Request, notice_id: int, user: PagePostUser, db: DbDep) -> Response:
    """The enterprise confirms it has received a notice."""
    ws.acknowledge_notice(db, user, notice_id)
    db.commit()
    return RedirectResponse("/portal", status_code=303)
