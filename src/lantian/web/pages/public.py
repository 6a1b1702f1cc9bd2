"""Public (anonymous) pages: what a bureau publishes (公开). Starts with the published 道歉承诺
letters; the #16 disclosure page grows here. Rate-limited like the public API."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from lantian.enforcement.queries import published_apologies
from lantian.web.api.public import check_public_rate
from lantian.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/public/apologies")
async def apologies(request: Request) -> Response:
    """Published 道歉承诺 letters, newest approval first."""
    check_public_rate(request)

    def work() -> list[dict[str, object]]:
        with request.app.state.session_factory() as db:
            return published_apologies(db, limit=200)

    items = await run_in_threadpool(work)
    return render(request, "public/apologies.html", {"nav": "public", "items": items})


PAGE_ENTERPRISES = 50
"""Key dischargers per page of /public."""


@router.get("/public")
async def disclosure_page(request: Request, page: int = Query(1, ge=1, le=2000)) -> Response:
    """信息公开: key dischargers' latest hourly online data with limits, closed cases' outcomes."""
    from lantian.reports import disclosure
    from lantian.vocab import disclosure as dv
    from lantian.web.deps import current_language

    check_public_rate(request)
    settings = request.app.state.settings
    config = disclosure.load_config(settings.disclosure_config)
    lang = current_language.get()

    def work() -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
        with request.app.state.session_factory() as db:
            online = disclosure.latest_online(
                db, settings, config, limit=PAGE_ENTERPRISES, offset=(page - 1) * PAGE_ENTERPRISES
            )
            total = disclosure.key_discharger_count(db)
            return online or [], disclosure.closed_cases(db, config, lang=lang), total

    online, cases, total = await run_in_threadpool(work)
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in online:
        groups.setdefault(row["enterprise_id"], []).append(row)
    columns = [(f, dv.CASE_FIELDS.name(f, lang)) for f in config.case_fields]
    return render(
        request,
        "public/index.html",
        {
            "nav": "public",
            "groups": list(groups.values()),
            "cases": cases,
            "columns": columns,
            "case_days": config.case_days,
            "lookback_h": config.online_lookback_hours,
            "page": page,
            "has_next": page * PAGE_ENTERPRISES < total,
        },
    )
