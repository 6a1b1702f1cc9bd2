"""User administration page (admins): list, add, disable/enable accounts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from lantian.auth import service as auth
from lantian.auth.models import User
from lantian.registry.models import Enterprise
from lantian.web.deps import DbDep, PagePostUser, PageUser, _
from lantian.web.templating import render
from lantian.workflow.service import certificate_numbers

router = APIRouter(include_in_schema=False)

ROLES: tuple[str, ...] = ("admin", "work_group", "city_officer", "district_officer", "enterprise")


def _require_admin(user: User) -> None:
    if user.role != "admin":
        raise HTTPException(403, _("Only an admin may do this"))


@router.get("/admin/users")
def users_page(request: Request, user: PageUser, db: DbDep) -> Response:
    """Every account with its role and scope; a form to add one."""
    _require_admin(user)
    users = auth.list_users(db, user)
    ids = {u.enterprise_id for u in users if u.enterprise_id}
    stmt = select(Enterprise.enterprise_id, Enterprise.name)
    stmt = stmt.where(Enterprise.enterprise_id.in_(ids))
    names: dict[str, str] = {eid: name for eid, name in db.execute(stmt)}
    ctx = {
        "nav": "admin",
        "users": users,
        "enterprise_names": names,
        "roles": ROLES,
        "done": request.query_params.get("done"),
        # the dispatch form's "add an officer account" link prefills role, city, district
        "prefill": {k: request.query_params.get(k, "")[:64] for k in ("role", "city", "district")},
        "cert_nos": certificate_numbers(db, [u.user_id for u in users]),
    }
    return render(request, "admin/users.html", ctx)


@router.post("/admin/users")
def add_user(
    request: Request,
    user: PagePostUser,
    db: DbDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=200)],
    role: Annotated[str, Form()],
    display_name: Annotated[str | None, Form(max_length=100)] = None,
    enterprise_id: Annotated[str | None, Form()] = None,
    province: Annotated[str | None, Form()] = None,
    city: Annotated[str | None, Form()] = None,
    district: Annotated[str | None, Form()] = None,
) -> Response:
    """Create an account (password policy and scope checked by the auth service)."""
    _require_admin(user)
    auth.create_user(
        db,
        user,
        username.strip(),
        password,
        role,
        display_name=(display_name or "").strip() or None,
        enterprise_id=(enterprise_id or "").strip() or None,
        province=(province or "").strip() or None,
        city=(city or "").strip() or None,
        district=(district or "").strip() or None,
    )
    db.commit()
    return RedirectResponse("/admin/users?done=added", status_code=303)


@router.post("/admin/users/{user_id}/active")
def set_active(
    request: Request,
    user_id: int,
    user: PagePostUser,
    db: DbDep,
    active: Annotated[bool, Form()],
) -> Response:
    """Disable (revokes sessions and tokens) or re-enable an account."""
    _require_admin(user)
    target = db.get(User, user_id)
    if target is None:
        raise HTTPException(404, _("Not found"))
    if target.user_id == user.user_id and not active:
        raise HTTPException(409, _("You cannot disable your own account"))
    auth.set_active(db, user, target, active)
    db.commit()
    return RedirectResponse("/admin/users?done=saved", status_code=303)
