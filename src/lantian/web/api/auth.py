"""``POST /api/auth/token`` (OAuth2 password flow) and ``GET /api/me``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy.orm import Session

from lantian.auth.models import User
from lantian.web import authn
from lantian.web.deps import ApiPrincipal, DbDep, _
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
