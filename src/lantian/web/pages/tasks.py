"""督办任务 page: escalation tasks addressed to the officer (or all in scope), closed with
what was done. A rejected form comes back with status 422, the message and the input kept.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from lantian.auth.errors import ValidationError
from lantian.auth.models import OFFICER_ROLES
from lantian.web.deps import DbDep, PagePostUser, PageUser, _
from lantian.web.dispatching import labels_context
from lantian.web.forms import errors_from, form_error_response
from lantian.web.templating import render
from lantian.workflow.tasks import complete_task, list_tasks

router = APIRouter(include_in_schema=False)


def _context(request: Request, db: DbDep, user: PageUser) -> dict[str, object]:
    q = request.query_params
    scope = q.get("scope") or "mine"
    status = q.get("status") or "open"
    rows = list_tasks(
        db,
        user,
        mine=scope == "mine",
        status=None if status == "all" else status,
    )
    return {
        "nav": "tasks",
        "rows": rows,
        "scope": scope,
        "status": status,
        "done": q.get("done"),
        **labels_context(),
    }


@router.get("/tasks")
def tasks_page(request: Request, user: PageUser, db: DbDep) -> Response:
    """Officers: escalation tasks (mine by default, open first)."""
    if user.role not in OFFICER_ROLES:
        raise HTTPException(403, _("Only officers may do this"))
    return render(request, "tasks/list.html", _context(request, db, user))


@router.post("/tasks/{task_id}/done")
async def task_done(request: Request, task_id: int, user: PagePostUser, db: DbDep) -> Response:
    """Close a task with its result (its assignee or an admin)."""
    form = await request.form()
    result = str(form.get("result") or "")

    def work() -> None:
        complete_task(db, user, task_id, result=result)
        db.commit()

    try:
        await run_in_threadpool(work)
    except ValidationError as exc:
        db.rollback()
        ctx = await run_in_threadpool(_context, request, db, user)
        form_id = f"task-{task_id}"
        return form_error_response(
            request, "tasks/list.html", ctx, errors_from(exc, form_id, {"result": result})
        )
    return RedirectResponse(f"/tasks?done={task_id}", status_code=303)
