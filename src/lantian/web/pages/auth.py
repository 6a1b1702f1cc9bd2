"""Login, logout, the start page and the account page (password, sessions and tokens)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from lantian.web import authn
from lantian.web.api.auth import change_password, client_ip, login, token_rows
from lantian.web.deps import DbDep, OptionalPrincipal, PagePost, PagePostUser, PageUser, page_csrf
from lantian.web.security import SESSION_COOKIE, SESSION_MAX_AGE_S
from lantian.web.templating import render

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str | None:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return None


@router.get("/")
def home(principal: OptionalPrincipal) -> RedirectResponse:
    """Start page: the inbox for officers, the portal for enterprises."""
    if principal is None:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse("/leads" if principal.is_officer else "/portal", status_code=303)


@router.get("/login")
def login_page(request: Request, principal: OptionalPrincipal, next: str | None = None) -> Response:
    """The login form."""
    if principal is not None:
        return RedirectResponse(_safe_next(next) or "/", status_code=303)
    return render(request, "login.html", {"next": _safe_next(next) or ""})


@router.post("/login", dependencies=[Depends(page_csrf)])
def login_submit(
    request: Request,
    db: DbDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    next: Annotated[str, Form()] = "",
) -> Response:
    """Check credentials; on success set the signed session cookie."""
    try:
        user = login(request, db, username, password)
    except HTTPException as exc:
        ctx = {"error": exc.detail, "username": username, "next": _safe_next(next) or ""}
        return render(request, "login.html", ctx, status_code=exc.status_code)
    cookie = authn.start_session(db, user, client_ip(request))
    default = "/leads" if user.role != "enterprise" else "/portal"
    db.commit()
    response = RedirectResponse(_safe_next(next) or default, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=SESSION_MAX_AGE_S,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https" or request.app.state.settings.cookie_secure,
        path="/",
    )
    return response


@router.post("/logout")
def logout(request: Request, principal: PagePost, db: DbDep) -> Response:
    """End the server-side session and drop the cookie."""
    from lantian.auth.service import end_session

    token = request.cookies.get(SESSION_COOKIE)
    if token:
        end_session(db, token)
        db.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/account")
def account_page(request: Request, user: PageUser, db: DbDep) -> Response:
    """My account: change the password; list and revoke my sessions and API tokens."""
    ctx = {"tokens": token_rows(request, db, user), "done": request.query_params.get("done")}
    return render(request, "account.html", ctx)


@router.post("/account/password")
async def account_password(request: Request, user: PagePostUser, db: DbDep) -> Response:
    """Change my password (current one required); every session ends, log in again."""
    from starlette.concurrency import run_in_threadpool

    form = await request.form()
    old, new = str(form.get("old_password") or ""), str(form.get("new_password") or "")
    if new != str(form.get("new_password2") or ""):
        from lantian.auth.errors import ValidationError
        from lantian.web.deps import _

        raise ValidationError(_("The two new passwords differ"), field="new_password2")
    await run_in_threadpool(change_password, request, db, user, old, new)
    response: Response = RedirectResponse("/login", status_code=303)
    if request.headers.get("hx-request"):
        response = Response(status_code=204, headers={"HX-Redirect": "/login"})
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/account/tokens/{token_id}/revoke")
def account_revoke(token_id: int, user: PagePostUser, db: DbDep) -> Response:
    """Revoke one of my sessions or API tokens."""
    from lantian.auth.service import revoke_api_token

    revoke_api_token(db, user, token_id, own_only=True)
    db.commit()
    return RedirectResponse("/account?done=revoked", status_code=303)
