"""HTML page routers (server-rendered Jinja2 + HTMX)."""

from __future__ import annotations

from fastapi import FastAPI


def register_pages(app: FastAPI) -> None:
    """Include every page router in ``app``."""
    from lantian.web.pages import (
        admin,
        auth,
        cases,
        dashboard,
        leads,
        notices,
        penalty,
        portal,
        registry,
        spotchecks,
        supervision,
    )

    for module in (auth, leads, registry, dashboard, portal, cases, notices, spotchecks, admin):
        app.include_router(module.router)
    app.include_router(penalty.router)
    app.include_router(supervision.router)
    app.include_router(__import__("lantian.web.pages.hazards", fromlist=["router"]).router)
    app.include_router(__import__("lantian.web.pages.public", fromlist=["router"]).router)
