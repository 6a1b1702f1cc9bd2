"""``GET /healthz``: liveness and readiness of the database and the lake."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from lantian import __version__

router = APIRouter(tags=["health"])


def _check_database(request: Request) -> str:
    try:
        with request.app.state.session_factory() as db:
            db.execute(text("SELECT 1"))
    except Exception as exc:
        return f"error: {type(exc).__name__}"
    return "ok"


def _check_lake(request: Request) -> str:
    lake_dir = request.app.state.settings.lake_dir
    if not lake_dir.is_dir():
        return "error: lake directory missing"
    try:
        import duckdb

        con = duckdb.connect(":memory:")
        con.execute("SELECT 1").fetchall()
        con.close()
    except Exception as exc:
        return f"error: {type(exc).__name__}"
    return "ok"


@router.get("/healthz", summary="Health of the service, its database and lake")
def healthz(request: Request) -> JSONResponse:
    """200 with ``{status, version, database, lake}`` when healthy, else 503. Public."""
    database = _check_database(request)
    lake = _check_lake(request)
    ok = database == "ok" and lake == "ok"
    body: dict[str, Any] = {
        "status": "ok" if ok else "degraded",
        "version": __version__,
        "database": database,
        "lake": lake,
    }
    return JSONResponse(body, status_code=200 if ok else 503)
