"""远程质控 API: queue a request for an outlet's data logger, list commands and results."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from lantian.qc.models import command_dict
from lantian.qc.service import list_commands, queue_command
from lantian.web.deps import ApiOfficer, ApiUser, DbDep

router = APIRouter(prefix="/api", tags=["remote quality control"])


class QcRequest(BaseModel):
    """Body of ``POST /api/outlets/{id}/qc``."""

    cn: str = Field(max_length=4)
    pol: str | None = Field(None, max_length=16)
    system_time: str | None = Field(None, max_length=14, description="1012: YYYYMMDDhhmmss")


@router.post("/outlets/{outlet_id}/qc", status_code=201, summary="Queue a remote QC request")
def post_qc(outlet_id: str, body: QcRequest, user: ApiUser, db: DbDep) -> dict[str, Any]:
    """Queued for the outlet's data logger; the gateway sends it when the logger is online."""
    params: dict[str, Any] = {}
    if body.pol:
        params["PolId"] = body.pol
    if body.system_time:
        params["SystemTime"] = body.system_time
    cmd = queue_command(db, user, outlet_id, body.cn, params=params or None)
    db.commit()
    return command_dict(cmd)


@router.get("/qc", summary="Remote QC commands in scope (officers)")
def get_qc(
    principal: ApiOfficer, user: ApiUser, db: DbDep, outlet_id: str | None = None
) -> dict[str, Any]:
    """Newest first, with the answers and verdicts."""
    rows = list_commands(db, user, outlet_id=outlet_id)
    return {"total": len(rows), "items": [command_dict(c) for c in rows]}
