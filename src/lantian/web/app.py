"""The ASGI application: ``create_app(settings)``."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import secrets
from collections.abc import AsyncIterator
from http import HTTPStatus
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

from fastapi import FastAPI, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lantian import __version__
from lantian.auth.errors import DomainError, LockedOut
from lantian.settings import Settings, get_settings
from lantian.web.assets import find_node_modules
from lantian.web.deps import LoginRequired, _, current_language
from lantian.web.forms import localized_message
from lantian.web.i18n import pick_language
from lantian.web.limits import BodyGuardMiddleware
from lantian.web.security import (
    CSRF_COOKIE,
    RateLimiter,
    SecurityHeadersMiddleware,
    content_security_policy,
    new_csrf_token,
)

STATIC_DIR = Path(__file__).parent / "static"
DOMAIN_STATUS: dict[str, int] = {
    "NotFound": 404,
    "PermissionDenied": 403,
    "AuthenticationFailed": 401,
    "LockedOut": 429,
    "InvalidTransition": 409,
    "ValidationError": 422,
}
"""HTTP status of each :mod:`lantian.auth.errors` domain error."""
ERROR_CODES: dict[int, str] = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    409: "conflict",
    413: "too_large",
    422: "validation_error",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}
"""The stable English ``code`` of an API error of each HTTP status (docs/API.md)."""
HTML_ERROR_STATUSES = (400, 403, 404, 405, 409, 413, 422, 429, 500, 503)
"""Statuses a page request gets as an HTML error page (in the user's language)."""
MAX_DB_ID = 2**31 - 1
"""Largest integer id a database row can have (PostgreSQL ``integer``)."""
LOGIN_FAILURES_PER_IP = 50
"""Failed logins one client address may make in 5 minutes (any user names)."""
MAX_CONCURRENT_REQUESTS = 4
"""Requests a worker process handles at once; more wait their turn, first come first
served (see :class:`ConcurrencyLimitMiddleware`)."""
UNLIMITED_PREFIXES = ("/static/", "/vendor/", "/healthz", "/api/exports/")
"""Paths served outside the limit: files, liveness, and Excel exports (up to 100,000 rows,
seconds each: four at once must not hold every slot and stall the pages)."""
UNLIMITED_SUFFIXES = (".pdf", ".xlsx")
"""Downloads served outside the limit (generated documents and workbooks)."""


SWAGGER_JS = "swagger-ui-dist/swagger-ui-bundle.js"
API_DOCS_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Lantian API</title>
<link rel="stylesheet" href="/vendor/swagger-ui-dist/swagger-ui.css">
<link rel="icon" href="/static/favicon.svg"></head>
<body><div id="swagger-ui" data-url="/openapi.json"></div>
<script src="/vendor/swagger-ui-dist/swagger-ui-bundle.js"></script>
<script src="/static/api-docs.js"></script>
</body></html>
"""
"""The /api/docs page: Swagger UI from npm (package.json) under /vendor, no inline script."""


class ConcurrencyLimitMiddleware:
    """Lets at most ``limit`` requests into the application at once; the others queue.

    One worker process runs Python on one core (GIL). With 20 requests in flight, 20
    threads share that core: each request takes about 20 times its own CPU time, threads
    contend for the GIL, and the database pool (10 connections) overflows into
    short-lived connections. A few requests at a time (enough to overlap database waits)
    serve the same load first come first served: the same throughput or better, and a
    far shorter tail (bench/bench_web.py, 20 users without think time: p95 377 -> 240 ms).
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit
        self._loop: asyncio.AbstractEventLoop | None = None
        self._slots = asyncio.Semaphore(limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"] if scope["type"] == "http" else ""
        if (
            scope["type"] != "http"
            or path.startswith(UNLIMITED_PREFIXES)
            or path.endswith(UNLIMITED_SUFFIXES)
        ):
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # one semaphore per event loop (test clients start several)
            self._loop, self._slots = loop, asyncio.Semaphore(self.limit)
        async with self._slots:
            await self.app(scope, receive, send)


class RequestContextMiddleware:
    """Chooses the request's language and makes sure a pre-login CSRF cookie exists."""

    def __init__(self, app: ASGIApp, default_language: str, cookie_secure: bool = False) -> None:
        self.app = app
        self.default_language = default_language
        self.cookie_secure = cookie_secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        cookies: dict[str, str] = {}
        if "cookie" in headers:
            jar = SimpleCookie()
            try:
                jar.load(headers["cookie"])
            except Exception:  # a malformed cookie header is ignored
                jar = SimpleCookie()
            cookies = {k: m.value for k, m in jar.items()}
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        qlang = (query.get("lang") or [None])[0]
        lang = pick_language(qlang, cookies.get("lang"), self.default_language)
        token = current_language.set(lang)
        state = scope.setdefault("state", {})
        new_csrf = None if cookies.get(CSRF_COOKIE) else new_csrf_token()
        state["new_csrf_cookie"] = new_csrf
        set_cookies: list[bytes] = []
        secure = "; Secure" if self.cookie_secure or scope.get("scheme") == "https" else ""
        if new_csrf:
            set_cookies.append(
                f"{CSRF_COOKIE}={new_csrf}; Path=/; HttpOnly; SameSite=Lax{secure}".encode()
            )
        if qlang and pick_language(qlang, None, lang) == lang:
            set_cookies.append(
                f"lang={lang}; Path=/; Max-Age=31536000; SameSite=Lax{secure}".encode()
            )

        async def send_wrapped(message: Message) -> None:
            if message["type"] == "http.response.start" and set_cookies:
                hdrs = list(message.get("headers", []))
                hdrs.extend((b"set-cookie", c) for c in set_cookies)
                message["headers"] = hdrs
            await send(message)

        try:
            await self.app(scope, receive, send_wrapped)
        finally:
            current_language.reset(token)


def localized_detail(status: int, detail: Any) -> str:
    """The message of an HTTP error in the request's language: Starlette's own English
    reason phrases ("Not Found", "Method Not Allowed") become catalog messages."""
    text = detail if isinstance(detail, str) else ""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    if not text or text == phrase:
        return {
            401: _("Not authenticated"),
            403: _("Forbidden"),
            404: _("Not found"),
            405: _("This method is not allowed here"),
            409: _("Conflict"),
            413: _("The request is too large"),
            422: _("Invalid input"),
            429: _("Too many requests"),
        }.get(status, _("Error"))
    return text


def error_body(status: int, message: str, detail: Any = None) -> dict[str, Any]:
    """The JSON body of an API error: a stable English ``code``, a ``message`` in the
    user's language and ``detail`` (the raw detail, kept for existing clients)."""
    return {
        "code": ERROR_CODES.get(status, "error"),
        "message": message,
        "detail": message if detail is None else detail,
    }


def request_errors(exc: Any) -> dict[str, str]:
    """Per-field messages of FastAPI's request validation error (field → message)."""
    out: dict[str, str] = {}
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "form")]
        name = ".".join(loc) or "body"
        kind = str(err.get("type", ""))
        if kind == "missing":
            msg = _("This field is required")
        elif kind.startswith(("string_too_long", "too_long")):
            msg = _("Too long")
        elif kind.startswith(("int_", "float_", "decimal_")):
            msg = _("Enter a number")
        elif kind.startswith(("date", "datetime", "time")):
            msg = _("Enter a date and time")
        elif kind.startswith(("greater_than", "less_than")):
            msg = _("Value out of range")
        else:
            msg = _("Invalid value")
        out.setdefault(name, msg)
    return out


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api") and "text/html" in request.headers.get(
        "accept", "text/html"
    )


def freeze_heap() -> None:
    """Move the loaded application's objects out of the garbage collector's sight.

    The ~200,000 objects of the loaded application (SQLAlchemy, FastAPI, pydantic, Jinja)
    live as long as the process: out of the collector's sight, a full collection takes
    well under 1 ms instead of about 80 ms, a pause every request in flight or queued
    would wait out. (The test suite, which builds thousands of short-lived apps in one
    process, replaces this with a no-op: frozen objects are never freed.)
    """
    gc.collect()
    gc.freeze()


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the web application for ``settings``.

    Parameters
    ----------
    settings
        Effective settings (default: :func:`lantian.settings.get_settings`).
    """
    from lantian.db.session import session_factory
    from lantian.web.templating import make_templates

    settings = settings or get_settings()
    settings.ensure_home()
    if settings.visibility_policy is not None:  # a bad policy file stops the start
        from lantian.auth.policy import load_policy

        load_policy(settings.visibility_policy)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # scheduled jobs (escalation, recurrence reopening, login-attempt pruning) in the
        # background: own session per run, errors logged (lantian.workflow.jobs)
        from lantian.workflow.jobs import jobs_loop

        freeze_heap()
        task: asyncio.Task[None] | None = None
        if settings.jobs_interval_s > 0:
            task = asyncio.create_task(jobs_loop(settings, settings.jobs_interval_s))
        app.state.jobs_task = task
        notify_task: asyncio.Task[None] | None = None
        if settings.notify_interval_s > 0:  # outbox delivery (lantian.notify.sender)
            from lantian.notify.sender import notify_loop

            notify_task = asyncio.create_task(notify_loop(settings, settings.notify_interval_s))
        try:
            yield
        finally:
            if notify_task is not None:
                notify_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await notify_task
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    app = FastAPI(
        lifespan=lifespan,
        title="Lantian 蓝天",
        version=__version__,
        description="Air-quality supervision and assistance: leads, cases, enterprises.",
        docs_url=None,  # /api/docs below: Swagger UI from npm, not FastAPI's CDN page
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    secret = settings.secret_key.get_secret_value() or secrets.token_urlsafe(32)
    app.state.settings = settings
    app.state.secret = secret
    app.state.session_factory = session_factory(settings)
    app.state.templates = make_templates()
    app.state.login_limiter = RateLimiter(limit=LOGIN_FAILURES_PER_IP, window_s=300.0)

    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    node_modules = find_node_modules()
    app.state.node_modules = node_modules
    if node_modules is not None:
        app.mount("/vendor", StaticFiles(directory=str(node_modules)), name="vendor")

    @app.get("/api/docs", include_in_schema=False)
    async def api_docs() -> Response:
        """Swagger UI of /openapi.json from ``node_modules/swagger-ui-dist`` (CSP-clean)."""
        if node_modules is None or not (node_modules / SWAGGER_JS).exists():
            return Response(
                "API docs need the npm assets (make node); the schema is at /openapi.json",
                status_code=503,
                media_type="text/plain; charset=utf-8",
            )
        return Response(API_DOCS_HTML, media_type="text/html; charset=utf-8")

    from lantian.web.api import register_api
    from lantian.web.pages import register_pages

    register_api(app)
    register_pages(app)

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(HTTPException)
    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = localized_detail(exc.status_code, exc.detail)
        if _wants_html(request) and exc.status_code in HTML_ERROR_STATUSES:
            from lantian.web.templating import render

            return render(
                request,
                "error.html",
                {"status": exc.status_code, "detail": message},
                status_code=exc.status_code,
                headers=exc.headers,
            )
        body = error_body(exc.status_code, message, detail=exc.detail)
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)

    from fastapi.exceptions import RequestValidationError
    from sqlalchemy.exc import DataError

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = request_errors(exc)
        if not _wants_html(request):
            body = error_body(422, _("Invalid input"), detail=jsonable_encoder(exc.errors()))
            body["errors"] = errors
            return JSONResponse(body, status_code=422)
        msg = _("Invalid value: {fields}").format(fields=", ".join(sorted(errors)))
        return await _http_error(request, HTTPException(422, msg))

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def _out_of_range(request: Request, exc: Exception) -> Response:
        # the safety net behind the parameter bounds: an id or number too large for the
        # database (or a date beyond the calendar) is a client error, never a 500; an id
        # that cannot exist is simply not found
        if any(seg.isdigit() and int(seg) > MAX_DB_ID for seg in request.url.path.split("/")):
            return await _http_error(request, HTTPException(404, _("Not found")))
        return await _http_error(request, HTTPException(422, _("Value out of range")))

    from lantian.documents.fonts import FontNotFound

    @app.exception_handler(FontNotFound)
    async def _no_font(request: Request, exc: FontNotFound) -> Response:
        # a server without a CJK font cannot render PDFs: say so instead of a 500
        msg = _("PDF documents are unavailable: no Chinese font is installed on the server")
        return await _http_error(request, HTTPException(503, f"{msg} (fonts-noto-cjk)"))

    @app.exception_handler(DomainError)
    async def _domain_error(request: Request, exc: DomainError) -> Response:
        status = DOMAIN_STATUS.get(type(exc).__name__, 400)
        headers = None
        if isinstance(exc, LockedOut):
            headers = {"Retry-After": str(exc.retry_after_s)}
        message = localized_message(exc)
        if request.headers.get("hx-request"):
            from lantian.web.templating import render

            resp = render(request, "_alert.html", {"error": message}, status_code=200)
            resp.headers["HX-Retarget"] = "#form-errors"
            resp.headers["HX-Reswap"] = "innerHTML"
            return resp
        if _wants_html(request) and status in HTML_ERROR_STATUSES:
            from lantian.web.templating import render

            return render(
                request,
                "error.html",
                {"status": status, "detail": message},
                status_code=status,
                headers=headers,
            )
        body = error_body(status, message, detail=exc.message)
        field = getattr(exc, "field", None)
        if field:
            body["errors"] = {field: message}
        return JSONResponse(body, status_code=status, headers=headers)

    @app.exception_handler(500)
    async def _server_error(request: Request, exc: Exception) -> Response:
        # the last resort (the error is logged by the server): a page in the user's
        # language with a way back, or the API's error shape
        message = _("Something went wrong on the server. Please try again later.")
        if _wants_html(request):
            from lantian.web.templating import render

            return render(request, "error.html", {"status": 500, "detail": message}, 500)
        return JSONResponse(error_body(500, message), status_code=500)

    wrapped: Any = app
    # innermost first: the wait for a slot counts in Server-Timing (SecurityHeaders); the
    # body is read in full (time- and size-limited) before a request may take a slot
    app.add_middleware(ConcurrencyLimitMiddleware, limit=MAX_CONCURRENT_REQUESTS)
    app.add_middleware(BodyGuardMiddleware, body_timeout_s=settings.http_body_timeout_s)
    app.add_middleware(
        RequestContextMiddleware,
        default_language=settings.language,
        cookie_secure=settings.cookie_secure,
    )
    app.add_middleware(
        SecurityHeadersMiddleware,
        csp=content_security_policy(settings.tile_url),
        force_https=settings.cookie_secure,
    )
    if settings.trusted_proxies.strip():
        # outermost: X-Forwarded-For/-Proto only from the configured proxies
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

        trusted = [h.strip() for h in settings.trusted_proxies.split(",") if h.strip()]
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=trusted)
    return wrapped  # type: ignore[no-any-return]


def route_table(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) the app serves (HEAD and mounts excluded), sorted.

    Works with FastAPI's included-router objects as well as plain routes.
    """
    out: set[tuple[str, str]] = set()

    def add(route: Any, path: str) -> None:
        for method in getattr(route, "methods", None) or ():
            if method != "HEAD":
                out.add((method, path))

    for route in app.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is not None:
            for ctx in contexts():
                add(ctx.original_route, ctx.path)
        elif hasattr(route, "path"):
            add(route, route.path)
    return sorted(out, key=lambda mp: (mp[1], mp[0]))
