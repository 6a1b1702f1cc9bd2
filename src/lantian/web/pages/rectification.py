"""整改方案 pages: the plans of a case (a fragment loaded into the case page) or of a
self-check finding, the form that creates one, and recording a milestone done with evidence.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from lantian.assist.rectification import services as rs
from lantian.assist.selfchecks.models import SelfCheckFinding
from lantian.auth.errors import DomainError
from lantian.auth.models import User
from lantian.auth.visibility import load_visible
from lantian.timeutil import now_cst
from lantian.web.deps import DbDep, PagePostUser, PageUser
from lantian.web.forms import localized_message
from lantian.web.limits import check_upload_count, check_upload_size
from lantian.web.pages.selfchecks import row_count
from lantian.web.templating import render
from lantian.workflow.core import load_case
from lantian.workflow.files import UploadedFile

router = APIRouter(include_in_schema=False)
BLANK_MILESTONES = 3
"""Empty milestone rows offered by the create form."""


def _context(db: Any, user: User, *, case_id: int | None, finding_id: int | None) -> dict[str, Any]:
    target: dict[str, Any] = {}
    if case_id is not None:
        case = load_case(db, user, case_id)
        target = {"case": case, "back": f"/cases/{case_id}"}
        closed = case.status in ("closed", "false_positive")
    else:
        f: SelfCheckFinding = load_visible(db, user, "self_check_finding", finding_id)
        back = (
            f"/portal/self-checks/{f.self_check_id}"
            if user.role == "enterprise"
            else f"/self-checks/{f.self_check_id}"
        )
        target = {"finding": f, "back": back}
        closed = False
    return {
        **target,
        "case_id": case_id,
        "finding_id": finding_id,
        "plans": rs.plans_of(db, user, case_id=case_id, finding_id=finding_id),
        "can_create": not closed,
        "blank": BLANK_MILESTONES,
        "today": now_cst().date().isoformat(),
        "state_names": {
            "done": "已完成",
            "done_late": "逾期完成",
            "late": "已逾期",
            "due": "进行中",
        },
    }


@router.get("/cases/{case_id}/rectification")
def case_plans(request: Request, case_id: int, user: PageUser, db: DbDep) -> Response:
    """The case's rectification plans (a card loaded into the case page)."""
    ctx = _context(db, user, case_id=case_id, finding_id=None)
    return render(request, "assist/rectification_card.html", ctx)


@router.get("/self-check-findings/{finding_id}/rectification")
def finding_plans(request: Request, finding_id: int, user: PageUser, db: DbDep) -> Response:
    """The rectification plans of a self-check finding (a page)."""
    ctx = _context(db, user, case_id=None, finding_id=finding_id)
    ctx["nav"] = "self_checks"
    return render(request, "assist/rectification_page.html", ctx)


@router.post("/rectification-plans")
async def create(request: Request, user: PagePostUser, db: DbDep) -> Response:
    """Create a plan from the form (measures and milestone rows)."""
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    case_id = int(values["case_id"]) if values.get("case_id", "").isdigit() else None
    finding_id = int(values["finding_id"]) if values.get("finding_id", "").isdigit() else None
    milestones = []
    for i in range(row_count(values.get("rows"), rs.MAX_MILESTONES + 5)):
        title = values.get(f"m_title_{i}", "").strip()
        if title or values.get(f"m_due_{i}") or values.get(f"m_who_{i}", "").strip():
            milestones.append(
                {
                    "title": title,
                    "due_date": values.get(f"m_due_{i}", ""),
                    "responsible": values.get(f"m_who_{i}", ""),
                }
            )

    def work() -> None:
        rs.create_plan(
            db,
            user,
            measures=values.get("measures", ""),
            milestones=milestones,
            case_id=case_id,
            finding_id=finding_id,
        )
        db.commit()

    try:
        await run_in_threadpool(work)
    except DomainError as exc:

        def context() -> dict[str, Any]:
            db.rollback()
            return _context(db, user, case_id=case_id, finding_id=finding_id)

        ctx = await run_in_threadpool(context)
        ctx |= {"error": localized_message(exc), "values": values, "nav": "self_checks"}
        return render(request, "assist/rectification_page.html", ctx, status_code=422)
    if case_id is not None:
        return RedirectResponse(f"/cases/{case_id}", status_code=303)
    return RedirectResponse(f"/self-check-findings/{finding_id}/rectification", status_code=303)


@router.post("/rectification-milestones/{milestone_id}/complete")
async def complete(request: Request, milestone_id: int, user: PagePostUser, db: DbDep) -> Response:
    """Record a milestone done with evidence files and/or a note."""
    form = await request.form()
    note = str(form.get("note") or "")[:4000]
    back = str(form.get("back") or "")
    uploads = []
    files = [v for k, v in form.multi_items() if k == "files" and isinstance(v, UploadFile)]
    files = [f for f in files if f.filename]
    check_upload_count(len(files))
    for f in files:
        check_upload_size(f.filename or "file", f.size)
        uploads.append(UploadedFile(f.filename or "file", await f.read(), f.content_type))

    def work() -> None:
        rs.complete_milestone(
            db,
            user,
            milestone_id,
            note=note,
            files=uploads,
            uploads_dir=request.app.state.settings.uploads_dir,
        )
        db.commit()

    await run_in_threadpool(work)
    safe = back if back.startswith("/") and not back.startswith("//") else "/"
    return RedirectResponse(safe, status_code=303)
