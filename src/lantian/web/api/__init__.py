"""REST API routers (one module per resource), all under ``/api`` except ``/healthz``."""

from __future__ import annotations

from fastapi import FastAPI


def register_api(app: FastAPI) -> None:
    """Include every API router in ``app``."""
    from lantian.web.api import (
        auth,
        cases,
        dashboard,
        exports,
        health,
        leads,
        notices,
        penalty,
        plans,
        registry,
        series,
        spotchecks,
        users,
        vocab,
    )

    # cases before leads: POST /api/leads/dispatch must not be taken for a lead id
    for module in (
        health,
        auth,
        cases,
        leads,
        registry,
        series,
        dashboard,
        exports,
        notices,
        spotchecks,
        users,
        penalty,
        vocab,
        plans,
    ):
        app.include_router(module.router)
    app.include_router(__import__("lantian.web.api.hazards", fromlist=["router"]).router)
    app.include_router(__import__("lantian.web.api.public", fromlist=["router"]).router)
