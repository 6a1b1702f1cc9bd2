"""The web layer's bridge to :mod:`lantian.auth.service`: logins, sessions, API tokens.

Server-side sessions (``auth_tokens`` rows, kind ``session``): the cookie holds the
session token, the CSRF token is an HMAC of it (:func:`lantian.auth.service.csrf_token`).
Lockout after repeated failures is enforced by :func:`lantian.auth.service.authenticate`
per user name and address; the web layer adds a per-address flood limit.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import HTTPException
from sqlalchemy.orm import Session

from lantian.auth import service
from lantian.auth.errors import AuthenticationFailed, LockedOut
from lantian.auth.models import User
from lantian.web.deps import _
from lantian.web.principal import Principal


def principal_of(user: User) -> Principal:
    """The :class:`Principal` of a stored user."""
    return Principal(
        user_id=str(user.user_id),
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        enterprise_id=user.enterprise_id,
        city=user.city,
        district=user.district,
        province=user.province,
    )


@dataclass(frozen=True)
class Login:
    """A successful login: the user and its new session or API token."""

    user: User
    token: str
    expires_in_s: int


def check_credentials(db: Session, username: str, password: str, ip: str) -> User:
    """The user for valid credentials; HTTP 401 or 429 (with Retry-After) otherwise."""
    try:
        return service.authenticate(db, username, password, ip)
    except LockedOut as exc:
        raise HTTPException(
            429,
            _("Too many failed logins; try again later"),
            headers={"Retry-After": str(exc.retry_after_s)},
        ) from exc
    except AuthenticationFailed as exc:
        raise HTTPException(401, _("Wrong user name or password")) from exc


def start_session(db: Session, user: User, ip: str) -> str:
    """Create a server-side session; return the token for the cookie."""
    return service.create_session(db, user, ip=ip).token


def issue_api_token(db: Session, user: User) -> tuple[str, int]:
    """A new bearer token and its lifetime in seconds."""
    issued = service.create_api_token(db, user, label="oauth2 password flow")
    return issued.token, int(service.API_TOKEN_TTL.total_seconds())


def session_user(db: Session, token: str) -> User | None:
    """The user of a live session token, else None."""
    try:
        return service.verify_session(db, token)
    except AuthenticationFailed:
        return None


def api_token_user(db: Session, token: str) -> User | None:
    """The user of a valid bearer token, else None."""
    try:
        return service.verify_api_token(db, token)
    except AuthenticationFailed:
        return None
