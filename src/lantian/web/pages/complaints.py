"""信访投诉 page (officers): the list (filter by enterprise and status), the record form
and the judgement of each received complaint. Enterprises are refused (complainants are
protected). A rejected form comes back with status 422, the message next to its field and
the input kept (:mod:`lantian.web.forms`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from lantian.auth.errors import DomainError, NotFound, PermissionDenied, ValidationError
from lantian.auth.models import OFFICER_ROLES, User
from lantian.supervision.complaints import services as cs
from lantian.timeutil import now_cst
from lantian.vocab.complaints import COMPLAINT_CHANNELS, COMPLAINT_STATUSES
from lantian.web.deps import DbDep, PagePostUser, PageUser
from lantian.web.forms import NO_ERRORS, FormErrors, errors_from, form_error_response

router = APIRouter(include_in_schema=False)

RECORD_FIELDS: tuple[str, ...] = ("enterprise_id", "received_at", "channel", "summary", "case_id")
JUDGE_FIELDS: tuple[str, ...] = ("outcome", "note")


def _officer(user: User) -> None:
    if user.role not in OFFICER_ROLES:
        raise PermissionDenied("只有执法人员可以查看信访投诉 (officers only)")


def _context(request: Request, db: DbDep, user: User) -> dict[str, Any]:
    q = request.query_params
    enterprise_id = (q.get("enterprise_id") or "").strip() or None
    status = q.get("status") or None
    if status not in COMPLAINT_STATUSES.codes():
        status = None
    rows = cs.list_complaints(db, user, enterprise_id=enterprise_id, status=status)
    return {
        "nav": "complaints",
        "rows": rows,
        "f": {"enterprise_id": enterprise_id or "", "status": status or ""},
        "channels": COMPLAINT_CHANNELS,
        "statuses": COMPLAINT_STATUSES,
        "today": now_cst().date().isoformat(),
        "form_errors": NO_ERRORS,
        "judge_id": None,
    }


@router.get("/complaints")
def complaints_page(
    request: Request, user: PageUser, db: DbDep, done: str | None = None
) -> Response:
    """Officers: every complaint in scope, newest first, and the record form."""
    from lantian.web.templating import render

    _officer(user)
    ctx = _context(request, db, user)
    ctx["done"] = done if done in ("recorded", "judged") else None
    return render(request, "complaints/list.html", ctx)


def _values(form: Any) -> dict[str, str]:
    return {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}


@router.post("/complaints")
async def complaint_record(request: Request, user: PagePostUser, db: DbDep) -> Response:
    """Record a complaint from the form (stored ``received``, audited)."""
    _officer(user)
    values = _values(await request.form())
    case_raw = values.get("case_id", "").strip()
    try:
        if case_raw and not case_raw.isdigit():
            raise ValidationError(
                "案件编号须为数字 (case number must be a number)", field="case_id"
            )
        cs.record_complaint(
            db,
            user,
            cs.ComplaintIn(
                enterprise_id=values.get("enterprise_id", "").strip(),
                received_at=values.get("received_at", ""),
                channel=values.get("channel", ""),
                summary=values.get("summary", ""),
                case_id=int(case_raw) if case_raw else None,
            ),
        )
        db.commit()
    except DomainError as exc:
        db.rollback()
        if isinstance(exc, PermissionDenied):
            raise
        errors: FormErrors = errors_from(exc, "complaint-form", values, RECORD_FIELDS)
        response = form_error_response(
            request, "complaints/list.html", _context(request, db, user), errors
        )
        if isinstance(exc, NotFound):  # an enterprise or case out of scope: input kept, 404
            response.status_code = 404
        return response
    return RedirectResponse("/complaints?done=recorded", status_code=303)


@router.post("/complaints/{complaint_id}/judge")
async def complaint_judge(
    request: Request, complaint_id: int, user: PagePostUser, db: DbDep
) -> Response:
    """Judge a received complaint 属实 / 不属实 with a note (audited)."""
    _officer(user)
    values = _values(await request.form())
    try:
        cs.judge_complaint(
            db, user, complaint_id, values.get("outcome", ""), values.get("note", "")
        )
        db.commit()
    except ValidationError as exc:
        db.rollback()
        ctx = _context(request, db, user)
        ctx["judge_id"] = complaint_id
        errors = errors_from(exc, f"judge-{complaint_id}", values, JUDGE_FIELDS)
        return form_error_response(request, "complaints/list.html", ctx, errors)
    return RedirectResponse("/complaints?done=judged", status_code=303)
