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
        plans,
        registry,
        series,
        spotchecks,
        users,
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
        plans,
    ):
        app.include_router(module.router)
