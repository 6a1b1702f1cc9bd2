"""Web security: signed session cookies, CSRF tokens, login rate limiting, security headers.

- The session cookie ``lantian_session`` holds a server-side session token
  (:func:`lantian.auth.service.create_session`), HttpOnly, SameSite=Lax.
- CSRF: every state-changing request authenticated by the session cookie must carry the
  session's token (an HMAC of the session token) in the ``X-CSRF-Token`` header (HTMX
  sends it) or a ``csrf_token`` form field. Requests authenticated by a bearer token are
  exempt (no ambient credentials).
  Before login, a separate ``lantian_csrf`` cookie protects the login form (double submit).
- Failed logins are limited per client address here, and per user name and address by
  :func:`lantian.auth.service.authenticate` (lockout).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Message, Receive, Scope, Send

SESSION_COOKIE = "lantian_session"
CSRF_COOKIE = "lantian_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SESSION_MAX_AGE_S = 12 * 3600
"""Session lifetime, seconds (one working day)."""
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
HSTS = "max-age=31536000"
"""``Strict-Transport-Security`` sent on HTTPS responses (one year; no includeSubDomains:
the platform does not know its sibling hosts)."""
STATIC_PREFIXES = ("/static/", "/vendor/")
"""Paths of public static files (cacheable; everything else with credentials is no-store)."""


def new_csrf_token() -> str:
    """A fresh random CSRF token (URL-safe, 256 bits)."""
    return secrets.token_urlsafe(32)


def tokens_match(a: str | None, b: str | None) -> bool:
    """Constant-time comparison of two tokens; False if either is missing."""
    if not a or not b:
        return False
    return secrets.compare_digest(a.encode(), b.encode())


@dataclass
class RateLimiter:
    """Sliding-window limiter: at most ``limit`` events per ``window_s`` seconds per key."""

    limit: int = 10
    window_s: float = 300.0
    _events: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _window(self, key: str, t: float) -> deque[float]:
        q = self._events.setdefault(key, deque())
        while q and q[0] <= t - self.window_s:
            q.popleft()
        return q

    def allowed(self, key: str, now: float | None = None) -> bool:
        """True while ``key`` has had fewer than ``limit`` events in the window."""
        t = time.monotonic() if now is None else now
        with self._lock:
            return len(self._window(key, t)) < self.limit

    def record(self, key: str, now: float | None = None) -> None:
        """Count one event (a failed login) for ``key``."""
        t = time.monotonic() if now is None else now
        with self._lock:
            self._window(key, t).append(t)

    def reset(self, key: str) -> None:
        """Forget the events of ``key`` (after a successful login)."""
        with self._lock:
            self._events.pop(key, None)


def content_security_policy(tile_url: str) -> str:
    """The CSP header: scripts only from this origin; images also from the tile server."""
    img = "'self' data: blob:"
    if tile_url:
        from urllib.parse import urlsplit

        parts = urlsplit(tile_url.replace("{s}", "a"))
        if parts.scheme and parts.hostname:
            host = parts.hostname
            if "{s}" in tile_url:
                host = "*." + host.split(".", 1)[-1]
            img += f" {parts.scheme}://{host}"
    return (
        "default-src 'self'; "
        "script-src 'self'; "
        "style-src 'self' 'unsafe-inline'; "
        f"img-src {img}; "
        "connect-src 'self'; "
        "font-src 'self' data:; "
        "object-src 'none'; "
        "base-uri 'self'; "
        "form-action 'self'; "
        "frame-ancestors 'none'"
    )


class SecurityHeadersMiddleware:
    """Pure ASGI middleware adding security headers (and ``Server-Timing``) to responses."""

    def __init__(self, app: ASGIApp, csp: str, force_https: bool = False) -> None:
        self.app = app
        self.force_https = force_https
        self.headers: list[tuple[bytes, bytes]] = [
            (b"content-security-policy", csp.encode()),
            (b"x-frame-options", b"DENY"),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
            (b"permissions-policy", b"geolocation=(self), camera=(self), microphone=()"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        started = time.perf_counter()
        https = self.force_https or scope.get("scheme") == "https"
        path: str = scope.get("path", "")
        credentials = any(
            k == b"authorization" or (k == b"cookie" and SESSION_COOKIE.encode() in v)
            for k, v in scope["headers"]
        )

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                extra = [h for h in self.headers if h[0] not in names]
                if https:
                    extra.append((b"strict-transport-security", HSTS.encode()))
                sets_cookie = b"set-cookie" in names
                if (
                    (credentials or sets_cookie)
                    and b"cache-control" not in names
                    and not path.startswith(STATIC_PREFIXES)
                ):
                    extra.append((b"cache-control", b"no-store"))
                # time spent in the application until the response starts [ms]
                dur = (time.perf_counter() - started) * 1000
                extra.append((b"server-timing", f"app;dur={dur:.1f}".encode()))
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, send_with_headers)
