"""Spot-check review (抽查复核): list, draw closed cases, record the result."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from lantian.timeutil import isoformat_cst, to_cst
from lantian.web.deps import ApiOfficer, ApiUser, DbDep
from lantian.workflow import queries as wq
from lantian.workflow import service as ws
from lantian.workflow.models import SpotCheckDraw

router = APIRouter(prefix="/api", tags=["spot checks"])


def _iso(v: datetime | None) -> str | None:
    return isoformat_cst(v) if v is not None else None


def spot_check_dict(r: wq.SpotCheckRow) -> dict[str, Any]:
    """A spot check with its case as JSON."""
    sc = r.spot_check
    return {
        "spot_check_id": sc.spot_check_id,
        "draw_id": sc.draw_id,
        "case_id": r.case_id,
        "case_title": r.case_title,
        "enterprise_id": r.enterprise_id,
        "city": r.city,
        "district": r.district,
        "closed_at": _iso(r.closed_at),
        "drawn_at": _iso(r.drawn_at),
        "result": sc.result,
        "checked_by": sc.checked_by,
        "checked_at": _iso(sc.checked_at),
        "note": sc.note,
    }


def draw_dict(d: SpotCheckDraw) -> dict[str, Any]:
    """A draw as JSON."""
    return {
        "draw_id": d.draw_id,
        "drawn_at": _iso(d.drawn_at),
        "seed": d.seed,
        "share": d.share,
        "population": d.population,
        "closed_from": _iso(d.closed_from),
        "closed_to": _iso(d.closed_to),
        "case_ids": list(d.case_ids),
    }


class DrawRequest(BaseModel):
    """Body of ``POST /api/spot-checks/draw``."""

    share: float | None = Field(None, gt=0, le=1, description="default LANTIAN_SPOT_CHECK_SHARE")
    seed: int | None = Field(None, description="reproduces a draw; random when omitted")
    closed_from: datetime | None = None
    closed_to: datetime | None = None


class ResultRequest(BaseModel):
    """Body of ``POST /api/spot-checks/{spot_check_id}/result``."""

    passed: bool
    note: str = Field(min_length=1, max_length=2000)


@router.get("/spot-checks", summary="Spot checks in the caller's scope (officers)")
def list_spot_checks(
    _p: ApiOfficer,
    user: ApiUser,
    db: DbDep,
    result: Literal["pending", "passed", "failed"] | None = None,
) -> dict[str, Any]:
    """Pending first, newest draw first (at most 200)."""
    rows = wq.list_spot_checks(db, user, result=result)
    return {"total": len(rows), "items": [spot_check_dict(r) for r in rows]}


@router.post("/spot-checks/draw", summary="Draw closed cases for spot-check review")
def draw_spot_checks(body: DrawRequest, user: ApiUser, db: DbDep) -> dict[str, Any]:
    """Admin, work group or city officer: ``ceil(share × n)`` closed cases in scope."""
    d = ws.draw_spot_checks(
        db,
        user,
        body.share,
        seed=body.seed,
        closed_from=to_cst(body.closed_from) if body.closed_from else None,
        closed_to=to_cst(body.closed_to) if body.closed_to else None,
    )
    db.commit()
    return draw_dict(d)


@router.post("/spot-checks/{spot_check_id}/result", summary="Record a spot-check result")
def record_result(
    spot_check_id: int, body: ResultRequest, user: ApiUser, db: DbDep
) -> dict[str, Any]:
    """Passed, or failed (the case is reopened)."""
    sc = ws.record_spot_check(db, user, spot_check_id, passed=body.passed, note=body.note)
    db.commit()
    sid = sc.spot_check_id
    rows = [r for r in wq.list_spot_checks(db, user) if r.spot_check.spot_check_id == sid]
    return spot_check_dict(rows[0]) if rows else {"spot_check_id": sid, "result": sc.result}
