"""User administration (admins): list, add, disable/enable accounts."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from lantian.auth import service as auth
from lantian.auth.models import User
from lantian.timeutil import isoformat_cst
from lantian.web.deps import ApiUser, DbDep, _

router = APIRouter(prefix="/api", tags=["users"])


def user_dict(u: User) -> dict[str, Any]:
    """An account as JSON (never the password hash)."""
    return {
        "user_id": u.user_id,
        "username": u.username,
        "display_name": u.display_name,
        "role": u.role,
        "enterprise_id": u.enterprise_id,
        "province": u.province,
        "city": u.city,
        "district": u.district,
        "active": u.active,
        "created_at": isoformat_cst(u.created_at) if u.created_at else None,
    }


class NewUser(BaseModel):
    """Body of ``POST /api/users``."""

    username: str = Field(min_length=2, max_length=64)
    password: str = Field(min_length=1, max_length=200)
    role: str
    display_name: str | None = Field(None, max_length=100)
    enterprise_id: str | None = None
    province: str | None = None
    city: str | None = None
    district: str | None = None


class ActiveRequest(BaseModel):
    """Body of ``POST /api/users/{user_id}/active``."""

    active: bool


def _target(db: DbDep, user_id: int) -> User:
    u = db.get(User, user_id)
    if u is None:
        raise HTTPException(404, _("Not found"))
    return u


@router.get("/users", summary="All accounts (admins)")
def list_users(user: ApiUser, db: DbDep) -> dict[str, Any]:
    """Every account, by user name."""
    rows = auth.list_users(db, user)
    return {"total": len(rows), "items": [user_dict(u) for u in rows]}


@router.post("/users", summary="Create an account (admins)")
def add_user(body: NewUser, user: ApiUser, db: DbDep) -> dict[str, Any]:
    """Password policy and role/scope fields are checked by the auth service."""
    u = auth.create_user(
        db,
        user,
        body.username,
        body.password,
        body.role,
        display_name=body.display_name,
        enterprise_id=body.enterprise_id or None,
        province=body.province or None,
        city=body.city or None,
        district=body.district or None,
    )
    db.commit()
    return user_dict(u)


@router.post("/users/{user_id}/active", summary="Enable or disable an account (admins)")
def set_active(user_id: int, body: ActiveRequest, user: ApiUser, db: DbDep) -> dict[str, Any]:
    """Disabling revokes the account's sessions and API tokens."""
    if user.role != "admin":
        raise HTTPException(403, _("Only an admin may do this"))
    target = _target(db, user_id)
    if target.user_id == user.user_id and not body.active:
        raise HTTPException(409, _("You cannot disable your own account"))
    auth.set_active(db, user, target, body.active)
    db.commit()
    return user_dict(target)
