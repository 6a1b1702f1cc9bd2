"""Login, logout, the start page and the account page (password, sessions and tokens)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from lantian.web import authn
from lantian.web.api.auth import change_password, client_ip, login, token_rows
from lantian.web.deps import (
    DbDep,
    OptionalPrincipal,
    PagePost,
    PagePostUser,
    PageUser,
    _,
    page_csrf,
)
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
async def login_submit(request: Request, db: DbDep) -> Response:
    """Check credentials; on success set the signed session cookie.

    A failure shows the login form again with the user name kept (never the password)."""
    from starlette.concurrency import run_in_threadpool

    from lantian.auth.errors import DomainError
    from lantian.web.forms import localized_message, submitted_values

    form = submitted_values(await request.form())
    username, password = form.get("username", ""), form.get("password", "")
    next = form.get("next", "")
    ctx = {"username": username[:64], "next": _safe_next(next) or ""}
    if not username.strip() or not password or len(username) > 64 or len(password) > 256:
        ctx["error"] = _("Enter your user name and password")
        return render(request, "login.html", ctx, status_code=422)
    try:
        user = await run_in_threadpool(login, request, db, username, password)
    except HTTPException as exc:
        ctx["error"] = exc.detail
        return render(request, "login.html", ctx, status_code=exc.status_code)
    except DomainError as exc:
        ctx["error"] = localized_message(exc)
        return render(request, "login.html", ctx, status_code=401)

    def start() -> str:
        cookie = authn.start_session(db, user, client_ip(request))
        db.commit()
        return cookie

    cookie = await run_in_threadpool(start)
    default = "/leads" if user.role != "enterprise" else "/portal"
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
    """Change my password (current one required); every session ends, log in again.

    Bad input (wrong current password, weak or differing new ones) shows next to its
    field on the account page (status 422); passwords are never sent back."""
    from starlette.concurrency import run_in_threadpool

    from lantian.auth.errors import ValidationError
    from lantian.web.deps import _
    from lantian.web.forms import (
        check_max_lengths,
        check_required,
        errors_from,
        form_error_response,
        submitted_values,
    )

    form = submitted_values(await request.form())
    old, new = form.get("old_password", ""), form.get("new_password", "")

    def work() -> None:
        check_max_lengths(form, {"old_password": 256, "new_password": 256, "new_password2": 256})
        check_required(form, "old_password", "new_password")
        if new != form.get("new_password2", ""):
            raise ValidationError(_("The two new passwords differ"), field="new_password2")
        change_password(request, db, user, old, new)

    try:
        await run_in_threadpool(work)
    except ValidationError as exc:
        await run_in_threadpool(db.rollback)
        ctx = {"tokens": await run_in_threadpool(token_rows, request, db, user), "done": None}
        errors = errors_from(exc, "password-form", {})
        return form_error_response(request, "account.html", ctx, errors)
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
