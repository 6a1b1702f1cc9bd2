"""远程质控 pages: the section of an enterprise's page (queue a check per outlet, the
history), the officers' list with a bulk form, and the form posts."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.auth.models import OFFICER_ROLES, User
from lantian.auth.visibility import load_visible
from lantian.qc.commands import COMMANDS
from lantian.qc.service import list_commands, queue_bulk, queue_command
from lantian.registry.models import Enterprise, Outlet
from lantian.vocab.qc import QC_CHECKS, QC_COMMAND_STATES
from lantian.web.deps import DbDep, PagePostUser, PageUser, _
from lantian.web.labels import VocabLabels
from lantian.web.templating import render

router = APIRouter(include_in_schema=False)
QC_STATE_LABELS = VocabLabels(QC_COMMAND_STATES)
QC_CHECK_LABELS = VocabLabels(QC_CHECKS)
OFFERED = [(cn, spec) for cn, spec in COMMANDS.items() if cn != "1012"]
"""Requests offered on the pages (1012 set-time is sent by the CLI/API with a time)."""


def _officer(user: User) -> None:
    if user.role not in OFFICER_ROLES:
        raise HTTPException(403, _("Only officers may do this"))


def labels() -> dict[str, Any]:
    """Label tables and the offered commands."""
    return {
        "qc_state_labels": QC_STATE_LABELS,
        "qc_check_labels": QC_CHECK_LABELS,
        "commands_offered": OFFERED,
    }


def outlet_info(db: Session, commands: list[Any]) -> dict[str, dict[str, str]]:
    """Outlet id → enterprise id and name, outlet name, for the rows of the QC table (the
    commands are already filtered by who sees what)."""
    ids = sorted({c.outlet_id for c in commands if c.outlet_id})
    if not ids:
        return {}
    rows = db.execute(
        select(Outlet.outlet_id, Outlet.name, Enterprise.enterprise_id, Enterprise.name)
        .join(Enterprise, Enterprise.enterprise_id == Outlet.enterprise_id)
        .where(Outlet.outlet_id.in_(ids))
    ).all()
    return {
        oid: {"outlet": oname or oid, "enterprise_id": eid, "enterprise": ename or eid}
        for oid, oname, eid, ename in rows
    }


@router.get("/enterprises/{enterprise_id}/qc")
def enterprise_qc(request: Request, enterprise_id: str, user: PageUser, db: DbDep) -> Response:
    """The enterprise page's 远程质控 section (officers who see the enterprise)."""
    _officer(user)
    load_visible(db, user, "enterprise", enterprise_id)
    outlets = list(
        db.scalars(
            select(Outlet)
            .where(Outlet.enterprise_id == enterprise_id, Outlet.mn.is_not(None))
            .order_by(Outlet.outlet_id)
        )
    )
    commands = [
        c for o in outlets for c in list_commands(db, user, outlet_id=o.outlet_id, limit=20)
    ]
    commands.sort(key=lambda c: -c.command_id)
    return render(
        request,
        "qc/_enterprise.html",
        {
            "outlets": outlets,
            "commands": commands,
            "outlet_info": outlet_info(db, commands),
            **labels(),
        },
    )


@router.post("/outlets/{outlet_id}/qc")
async def outlet_qc(request: Request, outlet_id: str, user: PagePostUser, db: DbDep) -> Response:
    """Queue one request for the outlet's logger; back to the enterprise page."""
    form = await request.form()
    cmd = queue_command(db, user, outlet_id, str(form.get("cn") or ""))
    db.commit()
    outlet = db.get(Outlet, cmd.outlet_id)
    assert outlet is not None
    return RedirectResponse(f"/enterprises/{outlet.enterprise_id}?done=qc#qc", status_code=303)


@router.get("/qc")
def qc_page(request: Request, user: PageUser, db: DbDep) -> Response:
    """Officers: the newest commands in scope and the bulk form."""
    _officer(user)
    commands = list_commands(db, user, limit=200)
    return render(
        request,
        "qc/list.html",
        {
            "nav": "qc",
            "commands": commands,
            "outlet_info": outlet_info(db, commands),
            "done": request.query_params.get("done"),
            **labels(),
        },
    )


@router.post("/qc/bulk")
async def qc_bulk(request: Request, user: PagePostUser, db: DbDep) -> Response:
    """Queue one request for every data logger in the officer's jurisdiction."""
    form = await request.form()
    made = queue_bulk(db, user, str(form.get("cn") or ""))
    db.commit()
    return RedirectResponse(f"/qc?done={len(made)}", status_code=303)


__all__ = ["router"]
