"""Request limits that keep slow or greedy clients from starving the web server.

Three controls, applied before a request may take one of the application's request slots
(:class:`lantian.web.app.ConcurrencyLimitMiddleware`):

- **Header timeout** (:class:`HeaderTimeoutH11Protocol`, used by ``lantian serve`` and
  ``lantian demo``): a connection must deliver a complete request head within
  ``LANTIAN_HTTP_HEADER_TIMEOUT_S`` of its first byte (or of connecting), else it is closed.
- **Body read** (:class:`BodyGuardMiddleware`): the whole request body is read *before*
  the request enters the application, spooled to a temporary file on disk beyond
  :data:`SPOOL_IN_MEMORY_BYTES`. Reading is cut with 408 when no byte arrives for
  ``LANTIAN_HTTP_BODY_TIMEOUT_S`` or when the body falls behind a minimum average rate
  (:data:`MIN_BODY_RATE_BPS` after that grace time), and with 413 as soon as it exceeds its
  size limit: :data:`MAX_BODY_BYTES` for forms and JSON, :data:`MAX_UPLOAD_REQUEST_BYTES`
  for multipart uploads, which may also hold at most :data:`MAX_MULTIPART_PARTS` parts.
- **Files per request** (:func:`check_upload_count`): at most :data:`MAX_FILES_PER_REQUEST`
  files, each at most :data:`lantian.workflow.files.MAX_UPLOAD_BYTES`, checked on the
  spooled parts before any file is read into memory.

A slow client therefore costs one socket and one idle coroutine, never a request slot.

References
----------
.. [1] OWASP, "Denial of Service Cheat Sheet" (slow HTTP headers/body: Slowloris,
       R.U.D.Y.): limit header and body read time, and request size.
"""

from __future__ import annotations

import asyncio
import json
import re
import tempfile
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

MAX_BODY_BYTES = 1024 * 1024
"""Largest non-multipart request body (forms, JSON) [bytes]."""
MAX_UPLOAD_REQUEST_BYTES = 60 * 1024 * 1024
"""Largest multipart request (all files and fields together) [bytes]."""
MAX_FILES_PER_REQUEST = 20
"""Most files one upload request may carry."""
MAX_MULTIPART_PARTS = 200
"""Most parts (files and fields) of one multipart body, counted while it is read."""
SPOOL_IN_MEMORY_BYTES = 256 * 1024
"""Bodies up to this size stay in memory; larger ones are spooled to a temporary file."""
MIN_BODY_RATE_BPS = 16 * 1024
"""Minimum average rate a body must keep after the grace time [bytes/s]."""
_CHUNK = 64 * 1024


def _message(key: str, **kw: Any) -> str:
    from lantian.web.deps import _

    texts = {
        "too_large": _("Request body too large (limit {limit_mb} MB)"),
        "too_many_parts": _("Too many parts in one upload (limit {limit})"),
        "timeout": _("Request body not received in time"),
        "bad_length": _("Invalid Content-Length header"),
    }
    return texts[key].format(**kw)


async def _reply(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}, ensure_ascii=False).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class _PartCounter:
    """Counts multipart delimiters (``--boundary``) across chunk borders."""

    def __init__(self, boundary: bytes) -> None:
        self.delim = b"--" + boundary
        self.tail = b""
        self.count = 0

    def feed(self, chunk: bytes) -> None:
        data = self.tail + chunk
        self.count += data.count(self.delim)
        keep = len(self.delim) - 1
        self.tail = data[-keep:] if keep > 0 else b""
        # a delimiter fully inside the kept tail was already counted: drop it
        if self.delim in self.tail:
            self.tail = self.tail[self.tail.rindex(self.delim) + len(self.delim) :]

    @property
    def parts(self) -> int:
        """Parts seen so far (delimiters minus the closing one, at least 0)."""
        return max(0, self.count - 1)


def _boundary(content_type: str) -> bytes | None:
    m = re.search(r'boundary="?([^";]+)"?', content_type, re.IGNORECASE)
    return m.group(1).encode("latin-1") if m else None


class BodyGuardMiddleware:
    """Reads each request body in full, within time and size limits, before the app runs.

    Parameters
    ----------
    app
        The wrapped application (the request-slot limiter and the routes).
    body_timeout_s
        Longest pause between two body chunks, and the grace time before
        :data:`MIN_BODY_RATE_BPS` applies [s].
    max_body_bytes, max_upload_bytes, max_parts, min_rate_bps
        Limits of non-multipart bodies, of multipart bodies, of multipart parts, and the
        minimum average body rate (default: this module's constants when the app is built).
    """

    def __init__(
        self,
        app: ASGIApp,
        body_timeout_s: float = 30.0,
        max_body_bytes: int | None = None,
        max_upload_bytes: int | None = None,
        max_parts: int | None = None,
        min_rate_bps: float | None = None,
    ) -> None:
        self.app = app
        self.body_timeout_s = body_timeout_s
        self.max_body_bytes = max_body_bytes or MAX_BODY_BYTES
        self.max_upload_bytes = max_upload_bytes or MAX_UPLOAD_REQUEST_BYTES
        self.max_parts = max_parts or MAX_MULTIPART_PARTS
        self.min_rate_bps = min_rate_bps or MIN_BODY_RATE_BPS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        length_h = headers.get("content-length")
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        if length_h is None and not chunked:
            await self.app(scope, receive, send)  # no body
            return
        ctype = headers.get("content-type", "")
        multipart = ctype.lower().startswith("multipart/")
        limit = self.max_upload_bytes if multipart else self.max_body_bytes
        limit_mb = f"{limit / (1024 * 1024):g}"
        if length_h is not None:
            if not length_h.strip().isdigit():
                await _reply(send, 400, _message("bad_length"))
                return
            if int(length_h) > limit:
                await _reply(send, 413, _message("too_large", limit_mb=limit_mb))
                return
        boundary = _boundary(ctype) if multipart else None
        counter = _PartCounter(boundary) if boundary else None
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES)  # noqa: SIM115
        try:
            received = 0
            started = time.monotonic()
            while True:
                now = time.monotonic()
                deadline = started + self.body_timeout_s + received / self.min_rate_bps
                wait = min(self.body_timeout_s, deadline - now)
                try:
                    if wait <= 0:
                        raise TimeoutError
                    message = await asyncio.wait_for(receive(), timeout=wait)
                except TimeoutError:
                    await _reply(send, 408, _message("timeout"))
                    return
                if message["type"] == "http.disconnect":
                    return
                chunk: bytes = message.get("body", b"")
                received += len(chunk)
                if received > limit:
                    await _reply(send, 413, _message("too_large", limit_mb=limit_mb))
                    return
                if counter is not None:
                    counter.feed(chunk)
                    if counter.parts > self.max_parts:
                        await _reply(send, 413, _message("too_many_parts", limit=self.max_parts))
                        return
                if chunk:
                    spool.write(chunk)
                if not message.get("more_body", False):
                    break
            spool.seek(0)
            done = False

            async def replay() -> Message:
                nonlocal done
                if done:
                    return await receive()  # http.disconnect, when the client goes
                data = spool.read(_CHUNK)
                more = spool.tell() < received
                done = not more
                return {"type": "http.request", "body": data, "more_body": more}

            await self.app(scope, replay, send)
        finally:
            spool.close()


def check_upload_count(n_files: int) -> None:
    """Raise :class:`lantian.auth.errors.ValidationError` beyond :data:`MAX_FILES_PER_REQUEST`."""
    from lantian.auth.errors import ValidationError
    from lantian.web.deps import _

    if n_files > MAX_FILES_PER_REQUEST:
        raise ValidationError(
            _("Too many files in one upload: {n} (limit {limit})").format(
                n=n_files, limit=MAX_FILES_PER_REQUEST
            ),
            field="files",
        )


def check_upload_size(filename: str, size: int | None) -> None:
    """Raise :class:`~lantian.auth.errors.ValidationError` if one file is over the limit.

    Called on the spooled part's size, before the file is read into memory.
    """
    from lantian.auth.errors import ValidationError
    from lantian.web.deps import _
    from lantian.workflow.files import MAX_UPLOAD_BYTES

    if size is not None and size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("File too large: {name} (limit {limit_mb} MB)").format(
                name=filename, limit_mb=MAX_UPLOAD_BYTES // (1024 * 1024)
            ),
            field="files",
        )


# --------------------------------------------------------------------------- server


class HeaderTimeoutH11Protocol(H11Protocol):
    """uvicorn's h11 protocol that closes a connection whose request head is not complete
    ``header_timeout_s`` after connecting, or after the first byte of a later request.

    ``header_timeout_s`` is ``LANTIAN_HTTP_HEADER_TIMEOUT_S`` unless set on the class
    (tests). A module-level class so that ``uvicorn --reload`` can pickle its config.
    """

    header_timeout_s: float | None = None

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._lt_seen_cycle: Any = None
        self._lt_timer: asyncio.TimerHandle | None = None
        self._lt_arm()

    def _lt_arm(self) -> None:
        timeout = self.header_timeout_s
        if timeout is None:
            from lantian.settings import get_settings

            timeout = get_settings().http_header_timeout_s
        self._lt_timer = self.loop.call_later(timeout, self._lt_expire)

    def _lt_disarm(self) -> None:
        if self._lt_timer is not None:
            self._lt_timer.cancel()
            self._lt_timer = None

    def _lt_expire(self) -> None:
        self._lt_timer = None
        transport = getattr(self, "transport", None)
        if transport is not None and not transport.is_closing():
            transport.close()

    def data_received(self, data: bytes) -> None:
        """Arm the timer when a new request starts; disarm it once its head is parsed."""
        cycle = getattr(self, "cycle", None)
        between = cycle is None or (cycle is self._lt_seen_cycle and cycle.response_complete)
        if self._lt_timer is None and between:
            self._lt_arm()  # a new request head starts on a kept-alive connection
        super().data_received(data)
        cycle = getattr(self, "cycle", None)
        if cycle is not None and cycle is not self._lt_seen_cycle:
            self._lt_seen_cycle = cycle
            self._lt_disarm()  # the head is complete

    def connection_lost(self, exc: Exception | None) -> None:
        """Drop the timer with the connection."""
        self._lt_disarm()
        super().connection_lost(exc)


def uvicorn_options(settings: Any) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.run``/``uvicorn.Config`` shared by serve and demo.

    Proxy headers are never taken by uvicorn itself: :func:`lantian.web.app.create_app`
    trusts ``X-Forwarded-For`` only from ``LANTIAN_TRUSTED_PROXIES``.
    """
    return {
        "http": HeaderTimeoutH11Protocol,
        "proxy_headers": False,
        "forwarded_allow_ips": "",
        "timeout_keep_alive": 5,
        "h11_max_incomplete_event_size": 16 * 1024,
    }
