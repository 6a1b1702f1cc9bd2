"""Dashboard statistics (from :func:`lantian.workflow.queries.dashboard`)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter

from lantian.web.deps import ApiOfficer, ApiUser, DbDep
from lantian.workflow import queries as wq

router = APIRouter(prefix="/api", tags=["dashboard"])


def dashboard_dict(d: wq.Dashboard) -> dict[str, Any]:
    """The dashboard as JSON."""
    out = asdict(d)
    out["weekly_leads"] = [{"week": w, "leads": n} for w, n in d.weekly_leads]
    out["weekly_closed"] = [{"week": w, "cases": n} for w, n in d.weekly_closed]
    return out


@router.get("/dashboard", summary="Dashboard statistics (officers)")
def get_dashboard(principal: ApiOfficer, user: ApiUser, db: DbDep) -> dict[str, Any]:
    """Counts by family, status and region, immediate-fix share, open and overdue cases,
    per-rule precision and weekly trends, in the caller's scope."""
    return dashboard_dict(wq.dashboard(db, user))
