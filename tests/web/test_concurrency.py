"""The per-process request limit (ConcurrencyLimitMiddleware): queue, do not refuse."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from lantian.web.app import ConcurrencyLimitMiddleware


class SlowApp:
    """Answers every request after a short sleep; records how many were inside at once."""

    def __init__(self) -> None:
        self.inside = 0
        self.peak = 0
        self.paths: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.inside += 1
        self.peak = max(self.peak, self.inside)
        self.paths.append(scope["path"])
        await asyncio.sleep(0.02)
        self.inside -= 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


async def _fire(app: ConcurrencyLimitMiddleware, paths: list[str]) -> list[int]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        rs = await asyncio.gather(*(client.get(p) for p in paths))
    return [r.status_code for r in rs]


def test_requests_beyond_the_limit_wait_their_turn() -> None:
    inner = SlowApp()
    app = ConcurrencyLimitMiddleware(inner, limit=3)
    assert asyncio.run(_fire(app, ["/leads"] * 12)) == [200] * 12
    assert inner.peak == 3
    # a second event loop (as test clients start) gets its own slots
    assert asyncio.run(_fire(app, ["/api/leads"] * 5)) == [200] * 5
    assert inner.peak == 3


def test_static_files_and_healthz_are_not_limited() -> None:
    inner = SlowApp()
    app = ConcurrencyLimitMiddleware(inner, limit=1)
    paths = ["/static/app.css"] * 4 + ["/healthz"] * 2
    assert asyncio.run(_fire(app, paths)) == [200] * 6
    assert inner.peak == 6


def test_long_downloads_do_not_hold_the_slots_of_pages() -> None:
    inner = SlowApp()
    app = ConcurrencyLimitMiddleware(inner, limit=1)
    paths = [
        "/api/exports/leads.xlsx",
        "/api/exports/ledger.xlsx",
        "/api/cases/3/documents/dispatch.pdf",
        "/api/notices/7.pdf",
    ]
    assert asyncio.run(_fire(app, paths)) == [200] * 4
    assert inner.peak == 4
    inner.peak = 0
    assert asyncio.run(_fire(app, ["/api/leads", "/leads/abc", "/cases"])) == [200] * 3
    assert inner.peak == 1


@pytest.mark.real_gc_freeze
def test_startup_moves_the_loaded_application_out_of_the_collectors_sight(app: Any) -> None:
    import gc

    from fastapi.testclient import TestClient

    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        with TestClient(app):
            assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
