"""Public (anonymous) API: what a bureau publishes (公开). Starts with the published 道歉承诺
letters; the #16 disclosure page grows here. Every route is rate-limited per client
address (:func:`check_public_rate`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from lantian.enforcement.queries import PUBLIC_APOLOGY_FIELDS, published_apologies
from lantian.web.api.auth import client_ip
from lantian.web.security import RateLimiter

router = APIRouter(prefix="/api/public", tags=["public"])

PUBLIC_REQUESTS_PER_MINUTE = 60
"""Requests per client address per minute on the public routes (pages and API)."""


def check_public_rate(request: Request) -> None:
    """Count this request against the client's budget (the app's :class:`RateLimiter`).

    Raises
    ------
    fastapi.HTTPException
        429 once the client has made :data:`PUBLIC_REQUESTS_PER_MINUTE` requests within the
        last minute.
    """
    from fastapi import HTTPException

    limiter: RateLimiter | None = getattr(request.app.state, "public_limiter", None)
    if limiter is None:
        limiter = RateLimiter(limit=PUBLIC_REQUESTS_PER_MINUTE, window_s=60.0)
        request.app.state.public_limiter = limiter
    key = f"public:{client_ip(request)}"
    if not limiter.allowed(key):
        raise HTTPException(429, "请求过于频繁，请稍后再试", headers={"Retry-After": "60"})
    limiter.record(key)


@router.get("/apologies", summary="Published 道歉承诺 letters (anonymous)")
async def apologies(
    request: Request,
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=100_000),
) -> dict[str, Any]:
    """Approved letters the province's rule publishes: enterprise, place, violation type,
    approval date and the letter; nothing else (``fields`` lists what is published)."""
    check_public_rate(request)

    def work() -> list[dict[str, Any]]:
        with request.app.state.session_factory() as db:
            return published_apologies(db, limit=limit, offset=offset)

    items = await run_in_threadpool(work)
    return {"fields": list(PUBLIC_APOLOGY_FIELDS), "total": len(items), "items": items}


@router.get("/online", summary="Key dischargers' latest hourly online data (anonymous)")
async def online(
    request: Request,
    enterprise_id: str | None = Query(None, max_length=64),
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=100_000),
) -> dict[str, Any]:
    """Latest hour per outlet and pollutant of the key dischargers (重点排污单位: enterprises
    with a CEMS outlet), or of one of them, with the outlet's limit, whether the hour exceeds
    it and whether the hour is valid (HJ 212 flag ``N``). 404 for any other enterprise.
    ``limit``/``offset`` page over the key dischargers (by name)."""
    from fastapi import HTTPException

    from lantian.reports import disclosure

    check_public_rate(request)
    settings = request.app.state.settings
    config = disclosure.load_config(settings.disclosure_config)

    def work() -> list[dict[str, Any]] | None:
        with request.app.state.session_factory() as db:
            return disclosure.latest_online(
                db, settings, config, enterprise_id, limit=limit, offset=offset
            )

    items = await run_in_threadpool(work)
    if items is None:
        raise HTTPException(404, "不是重点排污单位")
    return {"fields": list(disclosure.ONLINE_FIELDS), "total": len(items), "items": items}


@router.get("/cases", summary="Closed cases' outcomes as the disclosure rules allow (anonymous)")
async def cases(request: Request) -> dict[str, Any]:
    """Closed cases of key dischargers with only the configured fields
    (``LANTIAN_DISCLOSURE_CONFIG``); open cases are never listed."""
    from lantian.reports import disclosure

    check_public_rate(request)
    config = disclosure.load_config(request.app.state.settings.disclosure_config)

    def work() -> list[dict[str, Any]]:
        with request.app.state.session_factory() as db:
            return disclosure.closed_cases(db, config)

    items = await run_in_threadpool(work)
    return {"fields": list(config.case_fields), "total": len(items), "items": items}
