"""Public (anonymous) pages: what a bureau publishes (公开). Starts with the published 道歉承诺
letters; the #16 disclosure page grows here. Rate-limited like the public API."""

from __future__ import annotations

from fastapi import APIRouter, Request
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
