"""``POST /api/auth/token`` (OAuth2 password flow), ``GET /api/me``, and self-service:
``POST /api/me/password``, ``GET /api/me/tokens``, ``DELETE /api/me/tokens/{token_id}``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from lantian.auth import service
from lantian.auth.errors import ValidationError
from lantian.auth.models import User
from lantian.web import authn
from lantian.web.deps import ApiPrincipal, ApiUser, DbDep, _
from lantian.web.security import RateLimiter

router = APIRouter(prefix="/api", tags=["auth"])


def client_ip(request: Request) -> str:
    """The client address (the direct peer; no proxy headers are trusted)."""
    return request.client.host if request.client else "unknown"


def login(request: Request, db: Session, username: str, password: str) -> User:
    """Check credentials: per-address flood limit here, lockout in :mod:`lantian.auth`."""
    limiter: RateLimiter = request.app.state.login_limiter
    ip = client_ip(request)
    if not limiter.allowed(f"ip:{ip}"):
        raise HTTPException(
            429, _("Too many failed logins; try again later"), headers={"Retry-After": "300"}
        )
    try:
        return authn.check_credentials(db, username, password, ip)
    except HTTPException as exc:
        if exc.status_code == 401:
            limiter.record(f"ip:{ip}")
        raise


@router.post("/auth/token", summary="Get a bearer token (OAuth2 password flow)")
def token(
    request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()], db: DbDep
) -> dict[str, Any]:
    """Exchange user name and password for a bearer token valid 12 hours. Public."""
    user = login(request, db, form.username, form.password)
    access_token, expires_in = authn.issue_api_token(db, user)
    db.commit()
    return {"access_token": access_token, "token_type": "bearer", "expires_in": expires_in}


@router.get("/me", summary="The current user")
def me(principal: ApiPrincipal) -> dict[str, Any]:
    """The authenticated user and its scope."""
    return {
        "user_id": principal.user_id,
        "username": principal.username,
        "display_name": principal.display_name,
        "role": principal.role,
        "enterprise_id": principal.enterprise_id,
        "province": principal.province,
        "city": principal.city,
        "district": principal.district,
    }


class PasswordChange(BaseModel):
    """Body of ``POST /api/me/password``."""

    old_password: str = Field(max_length=256)
    new_password: str = Field(max_length=256)


def change_password(request: Request, db: Session, user: User, old: str, new: str) -> None:
    """Change the caller's own password (audited); every session and token is revoked.

    A wrong current password counts against the address's failed-login limit.
    """
    limiter: RateLimiter = request.app.state.login_limiter
    ip = client_ip(request)
    if not limiter.allowed(f"ip:{ip}"):
        raise HTTPException(
            429, _("Too many failed logins; try again later"), headers={"Retry-After": "300"}
        )
    try:
        service.set_password(db, user, user, new, old_password=old)
    except ValidationError as exc:
        if exc.field == "old_password":
            limiter.record(f"ip:{ip}")
        raise
    db.commit()


def token_rows(request: Request, db: Session, user: User) -> list[dict[str, Any]]:
    """The caller's live sessions and API tokens; ``current`` marks the one in use."""
    from lantian.timeutil import isoformat_cst
    from lantian.web.security import SESSION_COOKIE

    auth = request.headers.get("authorization", "")
    plain = auth[7:].strip() if auth.lower().startswith("bearer ") else None
    plain = plain or request.cookies.get(SESSION_COOKIE)
    current = service.token_id_of(db, plain) if plain else None
    return [
        {
            "token_id": t.token_id,
            "kind": t.kind,
            "label": t.label,
            "created_at": isoformat_cst(t.created_at),
            "expires_at": isoformat_cst(t.expires_at),
            "last_used_at": isoformat_cst(t.last_used_at) if t.last_used_at else None,
            "current": t.token_id == current,
        }
        for t in service.list_tokens(db, user)
    ]


@router.post("/me/password", summary="Change my password")
def change_my_password(
    request: Request, body: PasswordChange, user: ApiUser, db: DbDep
) -> dict[str, Any]:
    """Needs the current password. Every session and API token of the account is revoked
    (this one too): log in again with the new password."""
    change_password(request, db, user, body.old_password, body.new_password)
    return {"changed": True}


@router.get("/me/tokens", summary="My login sessions and API tokens")
def my_tokens(request: Request, user: ApiUser, db: DbDep) -> dict[str, Any]:
    """Live (not revoked, not expired) sessions and tokens of the caller."""
    return {"items": token_rows(request, db, user)}


@router.delete("/me/tokens/{token_id}", summary="Revoke one of my sessions or API tokens")
def revoke_my_token(token_id: int, user: ApiUser, db: DbDep) -> dict[str, Any]:
    """Revoke (audited); 404 for a token that is not the caller's."""
    service.revoke_api_token(db, user, token_id, own_only=True)
    db.commit()
    return {"revoked": token_id}
