"""Measurement series for charts: a lead's series around its episode, an outlet's series."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.leads.models import Lead
from lantian.registry.models import Meter, Outlet
from lantian.settings import Settings
from lantian.timeutil import isoformat_cst, now_cst
from lantian.web import series as S
from lantian.web.access import enterprise_or_404
from lantian.web.deps import ApiPrincipal, ApiUser, DbDep, _
from lantian.workflow import service as ws

router = APIRouter(prefix="/api", tags=["series"])

LIMIT_COLUMN = {"a34013": "limit_pm", "a21026": "limit_so2", "a21002": "limit_nox"}


def lead_series(db: Session, settings: Settings, lead: Lead) -> dict[str, Any]:
    """Series of a lead's subject from 48 h before to 48 h after its episode."""
    start, end = lead.start - S.CONTEXT, lead.end + S.CONTEXT
    series: list[S.Series] = []
    note: str | None = None
    threshold: float | None = None
    if lead.subject_type == "outlet":
        series, note = S.cems_series(settings, lead.subject_id, lead.pollutant, start, end)
        outlet = db.get(Outlet, lead.subject_id)
        if outlet is not None and lead.pollutant in LIMIT_COLUMN:
            threshold = getattr(outlet, LIMIT_COLUMN[lead.pollutant])
    elif lead.subject_type in ("meter", "line"):
        cond = (
            Meter.meter_id == lead.subject_id
            if lead.subject_type == "meter"
            else Meter.line_id == lead.subject_id
        )
        meters = db.execute(select(Meter).where(cond).order_by(Meter.role, Meter.meter_id))
        roles = {"production": _("production"), "treatment": _("treatment")}
        pairs = [(m.meter_id, f"{m.name} ({roles.get(m.role, m.role)})") for m in meters.scalars()]
        series, note = S.power_series(settings, pairs, start, end)
    elif lead.subject_type == "station":
        series, note = S.ambient_series(settings, lead.subject_id, lead.pollutant, start, end)
    evidence_threshold = lead.evidence.get("threshold") if lead.evidence else None
    if isinstance(evidence_threshold, int | float):
        threshold = float(evidence_threshold)
    return {
        "lead_id": lead.lead_id,
        "episode": {"start": isoformat_cst(lead.start), "end": isoformat_cst(lead.end)},
        "threshold": threshold,
        "series": [s.as_dict() for s in series],
        "note": note,
    }


@router.get("/leads/{lead_id}/series", summary="Series around a lead's episode")
def get_lead_series(lead_id: str, request: Request, user: ApiUser, db: DbDep) -> dict[str, Any]:
    """The lead's subject series (CEMS, power or ambient) with the episode to highlight."""
    lead = ws.load_lead(db, user, lead_id)
    return lead_series(db, request.app.state.settings, lead)


@router.get("/outlets/{outlet_id}/series", summary="Hourly CEMS series of one outlet")
def get_outlet_series(
    outlet_id: str,
    request: Request,
    principal: ApiPrincipal,
    db: DbDep,
    pollutant: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> dict[str, Any]:
    """Measured and corrected hourly values; window at most 31 days (default last 7)."""
    outlet = db.get(Outlet, outlet_id)
    if outlet is None:
        raise HTTPException(404, _("Outlet not found"))
    try:
        enterprise_or_404(db, principal, outlet.enterprise_id)
    except HTTPException:  # out of scope: the same answer as a missing outlet
        raise HTTPException(404, _("Outlet not found")) from None
    end = end or now_cst()
    start = start or end - timedelta(days=7)
    if end <= start:
        raise HTTPException(422, _("end must be after start"))
    series, note = S.cems_series(request.app.state.settings, outlet_id, pollutant, start, end)
    return {"outlet_id": outlet_id, "series": [s.as_dict() for s in series], "note": note}
