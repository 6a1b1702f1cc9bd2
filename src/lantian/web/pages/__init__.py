"""HTML page routers (server-rendered Jinja2 + HTMX)."""

from __future__ import annotations

from fastapi import FastAPI


def register_pages(app: FastAPI) -> None:
    """Include every page router in ``app``."""
    from lantian.web.pages import (
        admin,
        ambient,
        auth,
        cases,
        dashboard,
        leads,
        notices,
        notify,
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
    app.include_router(ambient.router)
    from lantian.web.pages import rectification, selfchecks  # 自查 and 整改方案 (issue #15)

    app.include_router(selfchecks.router)
    app.include_router(rectification.router)
    app.include_router(notify.router)
    from lantian.web.pages import questions, scores, surveys  # issue #15 items 6-8

    for module in (questions, surveys, scores):
        app.include_router(module.router)
    from lantian.web.pages import positive_list  # 正面清单 and 绩效分级 (issue #13)

    app.include_router(positive_list.router)
    from lantian.web.pages import visits

    app.include_router(visits.router)
    from lantian.web.pages import library, training

    app.include_router(training.router)
    app.include_router(library.router)
    app.include_router(__import__("lantian.web.pages.hazards", fromlist=["router"]).router)
    app.include_router(__import__("lantian.web.pages.tasks", fromlist=["router"]).router)
    app.include_router(__import__("lantian.web.pages.reports", fromlist=["router"]).router)
    app.include_router(__import__("lantian.web.pages.qc", fromlist=["router"]).router)
    app.include_router(__import__("lantian.web.pages.complaints", fromlist=["router"]).router)
    app.include_router(__import__("lantian.web.pages.public", fromlist=["router"]).router)
    from lantian.web.pages import candidates  # suggested sources of hot spots (#17)

    app.include_router(candidates.router)
