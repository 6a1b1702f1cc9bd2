"""REST API routers (one module per resource), all under ``/api`` except ``/healthz``."""

from __future__ import annotations

from fastapi import FastAPI


def register_api(app: FastAPI) -> None:
    """Include every API router in ``app``."""
    from lantian.web.api import (
        ambient,
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
        ambient,
    ):
        app.include_router(module.router)
    from lantian.web.api import rectification, selfchecks  # 自查 and 整改方案 (issue #15)

    app.include_router(selfchecks.router)
    app.include_router(rectification.router)
    from lantian.web.api import questions, scores, surveys  # issue #15 items 6-8

    for module in (questions, surveys, scores):
        app.include_router(module.router)
    from lantian.web.api import library, training

    app.include_router(training.router)
    app.include_router(library.router)
    app.include_router(__import__("lantian.web.api.hazards", fromlist=["router"]).router)
    app.include_router(__import__("lantian.web.api.tasks", fromlist=["router"]).router)
    app.include_router(__import__("lantian.web.api.reports", fromlist=["router"]).router)
    app.include_router(__import__("lantian.web.api.qc", fromlist=["router"]).router)
    app.include_router(__import__("lantian.web.api.complaints", fromlist=["router"]).router)
    app.include_router(__import__("lantian.web.api.public", fromlist=["router"]).router)
    from lantian.web.api import layers  # clue map layers (#17)

    app.include_router(layers.router)
