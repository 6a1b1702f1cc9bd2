"""User administration page (admins): list, add, disable/enable accounts."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from lantian.auth import service as auth
from lantian.auth.errors import ValidationError
from lantian.auth.models import User
from lantian.registry.models import Enterprise
from lantian.web.deps import DbDep, PagePostUser, PageUser, _
from lantian.web.forms import (
    check_max_lengths,
    check_required,
    errors_from,
    form_error_response,
    submitted_values,
)
from lantian.web.templating import render
from lantian.workflow.service import certificate_numbers

router = APIRouter(include_in_schema=False)

ROLES: tuple[str, ...] = ("admin", "work_group", "city_officer", "district_officer", "enterprise")


def _require_admin(user: User) -> None:
    if user.role != "admin":
        raise HTTPException(403, _("Only an admin may do this"))


def _users_context(request: Request, user: User, db: DbDep) -> dict[str, Any]:
    users = auth.list_users(db, user)
    ids = {u.enterprise_id for u in users if u.enterprise_id}
    stmt = select(Enterprise.enterprise_id, Enterprise.name)
    stmt = stmt.where(Enterprise.enterprise_id.in_(ids))
    names: dict[str, str] = {eid: name for eid, name in db.execute(stmt)}
    return {
        "nav": "admin",
        "users": users,
        "enterprise_names": names,
        "roles": ROLES,
        "done": request.query_params.get("done"),
        # the dispatch form's "add an officer account" link prefills role, city, district
        "prefill": {k: request.query_params.get(k, "")[:64] for k in ("role", "city", "district")},
        "cert_nos": certificate_numbers(db, [u.user_id for u in users]),
    }


@router.get("/admin/users")
def users_page(request: Request, user: PageUser, db: DbDep) -> Response:
    """Every account with its role and scope; a form to add one."""
    _require_admin(user)
    return render(request, "admin/users.html", _users_context(request, user, db))


async def _form_error(
    request: Request, user: User, db: DbDep, form_id: str, exc: ValidationError, values: Any
) -> Response:
    """The users page again with the error next to its field and the input kept."""

    def context() -> dict[str, Any]:
        db.rollback()
        return _users_context(request, user, db)

    ctx = await run_in_threadpool(context)
    ctx["done"] = None
    errors = errors_from(exc, form_id, values)
    errors.values.pop("password", None)  # a password is never sent back
    return form_error_response(request, "admin/users.html", ctx, errors)


ADD_USER_LIMITS: dict[str, int] = {
    "username": 64,
    "password": 200,
    "display_name": 100,
    "enterprise_id": 64,
    "province": 2,
    "city": 64,
    "district": 64,
    "role": 32,
}
"""Longest value of each field of the add-user form (characters)."""


@router.post("/admin/users")
async def add_user(request: Request, user: PagePostUser, db: DbDep) -> Response:
    """Create an account (password policy and scope checked by the auth service)."""
    _require_admin(user)
    form = submitted_values(await request.form())

    def opt(name: str) -> str | None:
        return (form.get(name) or "").strip() or None

    def work() -> None:
        check_max_lengths(form, ADD_USER_LIMITS)
        check_required(form, "username", "password", "role")
        auth.create_user(
            db,
            user,
            form["username"].strip(),
            form["password"],
            form["role"].strip(),
            display_name=opt("display_name"),
            enterprise_id=opt("enterprise_id"),
            province=opt("province"),
            city=opt("city"),
            district=opt("district"),
        )
        db.commit()

    try:
        await run_in_threadpool(work)
    except ValidationError as exc:
        return await _form_error(request, user, db, "add-user", exc, form)
    return RedirectResponse("/admin/users?done=added", status_code=303)


@router.post("/admin/users/{user_id}/active")
async def set_active(request: Request, user_id: int, user: PagePostUser, db: DbDep) -> Response:
    """Disable (revokes sessions and tokens; confirmed with the form's ``confirm`` box) or
    re-enable an account."""
    _require_admin(user)
    form = submitted_values(await request.form())
    target = await run_in_threadpool(db.get, User, user_id)
    if target is None:
        raise HTTPException(404, _("Not found"))
    value = form.get("active", "").strip().lower()
    try:
        if value not in ("true", "false"):
            raise ValidationError(_("Choose one of the options"), field="active")
        active = value == "true"
        if target.user_id == user.user_id and not active:
            raise HTTPException(409, _("You cannot disable your own account"))
        if not active and form.get("confirm") != "yes":
            raise ValidationError(
                _("Tick the box to confirm: the account's sessions and tokens end"),
                field="confirm",
            )
    except ValidationError as exc:
        return await _form_error(request, user, db, f"active-{user_id}", exc, form)

    def work() -> None:
        auth.set_active(db, user, target, active)
        db.commit()

    await run_in_threadpool(work)
    if request.headers.get("hx-request"):  # the form posts through htmx (hx-confirm)
        return Response(status_code=204, headers={"HX-Redirect": "/admin/users?done=saved"})
    return RedirectResponse("/admin/users?done=saved", status_code=303)
