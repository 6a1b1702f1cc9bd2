"""Request dependencies: database session, language, current principal, CSRF check.

Route signatures stay short with the ``Annotated`` aliases :data:`DbDep`,
:data:`PrincipalDep`, :data:`OfficerDep` (the full-stack-fastapi-template convention).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextvars import ContextVar
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from lantian.auth.models import User
from lantian.auth.service import csrf_token
from lantian.web.i18n import gettext_for
from lantian.web.principal import Principal
from lantian.web.security import (
    CSRF_COOKIE,
    CSRF_FIELD,
    CSRF_HEADER,
    SESSION_COOKIE,
    UNSAFE_METHODS,
    tokens_match,
)

current_language: ContextVar[str] = ContextVar("lantian_language", default="zh_CN")


def _(message: str) -> str:
    """Translate ``message`` into the language of the current request."""
    return gettext_for(current_language.get(), message)


class LoginRequired(Exception):
    """A page needs a logged-in user: the handler redirects to ``/login``."""


async def get_db(request: Request) -> AsyncIterator[Session]:
    """A database session for one request (committed by the routes that write).

    Opening a session does no I/O, so it happens on the event loop; closing it (rollback,
    connection back to the pool) runs in the thread pool. A sync generator would take two
    thread-pool trips per request instead of one.
    """
    db: Session = request.app.state.session_factory()
    try:
        yield db
    finally:
        await run_in_threadpool(db.close)


DbDep = Annotated[Session, Depends(get_db)]


def _resolve(request: Request, db: Session) -> Principal | None:
    if hasattr(request.state, "principal"):
        p: Principal | None = request.state.principal
        return p
    from lantian.web import authn

    user = None
    request.state.auth_via = None
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        user = authn.api_token_user(db, auth[7:].strip())
        request.state.auth_via = "bearer" if user else None
    else:
        token = request.cookies.get(SESSION_COOKIE)
        user = authn.session_user(db, token) if token else None
        if user is not None:
            request.state.auth_via = "session"
            request.state.session_csrf = csrf_token(token or "", request.app.state.secret)
    if db.dirty:
        db.commit()  # last-used time of the session or token
    request.state.user = user
    principal = authn.principal_of(user) if user is not None else None
    request.state.principal = principal
    return principal


def optional_principal(request: Request, db: DbDep) -> Principal | None:
    """The logged-in principal or None."""
    return _resolve(request, db)


def api_principal(request: Request, db: DbDep) -> Principal:
    """The principal of an API request (401 with ``WWW-Authenticate`` when missing)."""
    p = _resolve(request, db)
    if p is None:
        raise HTTPException(401, _("Not authenticated"), headers={"WWW-Authenticate": "Bearer"})
    check_csrf_for_session(request)
    return p


def page_principal(request: Request, db: DbDep) -> Principal:
    """The principal of a page request (redirect to the login page when missing)."""
    p = _resolve(request, db)
    if p is None:
        raise LoginRequired()
    return p


def check_csrf_for_session(request: Request, form: dict[str, Any] | None = None) -> None:
    """403 unless an unsafe, cookie-authenticated request carries the session's CSRF token."""
    if request.method not in UNSAFE_METHODS or request.state.auth_via != "session":
        return
    sent = request.headers.get(CSRF_HEADER)
    if not sent and form is not None:
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not tokens_match(sent, getattr(request.state, "session_csrf", None)):
        raise HTTPException(403, _("Invalid or missing CSRF token"))


async def page_csrf(request: Request) -> None:
    """CSRF check of a page form post (header or ``csrf_token`` field)."""
    if request.method not in UNSAFE_METHODS:
        return
    form: dict[str, Any] = {}
    ctype = request.headers.get("content-type", "")
    if "form" in ctype:
        form = dict((await request.form()).items())
    if getattr(request.state, "auth_via", None) == "session":
        check_csrf_for_session(request, form)
        return
    # not logged in (login form): double-submit cookie
    sent = request.headers.get(CSRF_HEADER) or form.get(CSRF_FIELD)
    if not tokens_match(sent if isinstance(sent, str) else None, request.cookies.get(CSRF_COOKIE)):
        raise HTTPException(403, _("Invalid or missing CSRF token"))


async def require_officer_api(p: Annotated[Principal, Depends(api_principal)]) -> Principal:
    """403 unless the API caller is a government user."""
    if not p.is_officer:
        raise HTTPException(403, _("Only officers may do this"))
    return p


async def require_officer_page(p: Annotated[Principal, Depends(page_principal)]) -> Principal:
    """403 unless the page user is a government user."""
    if not p.is_officer:
        raise HTTPException(403, _("Only officers may do this"))
    return p


ApiPrincipal = Annotated[Principal, Depends(api_principal)]
ApiOfficer = Annotated[Principal, Depends(require_officer_api)]
PagePrincipal = Annotated[Principal, Depends(page_principal)]
PageOfficer = Annotated[Principal, Depends(require_officer_page)]
OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]


async def page_post_principal(request: Request, p: PagePrincipal) -> Principal:
    """The principal of a page form post, after the CSRF check."""
    await page_csrf(request)
    return p


async def page_post_officer(request: Request, p: PageOfficer) -> Principal:
    """The officer of a page form post, after the CSRF check."""
    await page_csrf(request)
    return p


PagePost = Annotated[Principal, Depends(page_post_principal)]
PagePostOfficer = Annotated[Principal, Depends(page_post_officer)]


def _user(request: Request) -> User:
    user: User = request.state.user
    return user


# async (no I/O): FastAPI runs them on the event loop instead of a thread-pool trip each


async def api_user(request: Request, p: ApiPrincipal) -> User:
    """The ORM user of an authenticated API request."""
    return _user(request)


async def page_user(request: Request, p: PagePrincipal) -> User:
    """The ORM user of an authenticated page request."""
    return _user(request)


async def page_post_user(request: Request, p: PagePost) -> User:
    """The ORM user of a page form post (after the CSRF check)."""
    return _user(request)


ApiUser = Annotated[User, Depends(api_user)]
PageUser = Annotated[User, Depends(page_user)]
PagePostUser = Annotated[User, Depends(page_post_user)]
